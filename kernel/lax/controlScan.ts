/**
 * @file `scan` (jax/_src/lax/control_flow/loops.py): the `scan` primitive (params `reverse`,
 * `length`, `jaxpr`, `num_consts`, `num_carry`, `linear`, `unroll`, `_split_transpose`; operands:
 * consts, carry, xs) with JVP, batching, partial evaluation (known iterations run now and save
 * their residuals, stacked, or hoisted out of the loop when they depend on constants only) and
 * transposition (a reversed scan of the body's transpose) — so reverse mode works through it.
 */

import { type Params, type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { treeNumLeaves, treeUnflatten } from "../ir/pytree.js";
import { ShapedArray } from "../ir/shape.js";
import { type BDim, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { jvpJaxpr } from "../ad/jvp.js";
import { PartialVal, convertConstvars, partialEvalFlat, partialEvalJaxpr } from "../ad/partial_eval.js";
import { backwardPass } from "../ad/transpose.js";
import { instantiateZeros } from "../ad/tangents.js";
import { batchJaxpr } from "../batching/jaxpr.js";
import { broadcastBatch, currentBatchAxis } from "../batching/trace.js";
import { addTangents, moveaxis, tangentAval, zerosLikeAval } from "./helpers.js";
import { ValueError } from "./errors.js";
import {
  avalStr, callJaxpr, checkCarryType, concreteOutputs, flattenValues, indexLeading, jaxprForwarding, mergeLists, moveBindersToBack,
  moveBindersToFront, partitionList, promoteWeakInput, pruneOutputs, splitList, stackLeading, traceFun, treeStr,
} from "./controlCommon.js";
import { compiledDevice, runScanCompiled } from "./controlCompiled.js";
import { shardScan } from "./shardControl.js";

interface ScanParams {
  reverse: boolean;
  length: number;
  jaxpr: ClosedJaxpr;
  num_consts: number;
  num_carry: number;
  linear: boolean[];
  unroll: number;
  _split_transpose: boolean;
}
const sp = (p: Params): ScanParams => p as unknown as ScanParams;
/** Params in JAX's order (the printer sorts them anyway). */
const scanParams = (p: ScanParams): Params => ({
  reverse: p.reverse, length: p.length, jaxpr: p.jaxpr, num_consts: p.num_consts, num_carry: p.num_carry,
  linear: p.linear, unroll: p.unroll, _split_transpose: p._split_transpose,
});

/** The aval of one element of a scanned-over array, and of a stack of `n` of them. */
const mappedAval = (a: ShapedArray): ShapedArray => a.update({ shape: a.shape.slice(1) });
const unmappedAval = (n: number, a: ShapedArray): ShapedArray => a.update({ shape: [n, ...a.shape] });

// ---- the API ---------------------------------------------------------------------------------------

export interface ScanOptions {
  /** The number of iterations; must agree with the leading axis of `xs`, needed without `xs`. */
  length?: number | null;
  /** Iterate from the end: equivalent to reversing the leading axes of `xs` and `ys`. */
  reverse?: boolean;
  /** Iterations per rolled loop step (`true`: all); results are the same. */
  unroll?: number | boolean;
  _splitTranspose?: boolean;
}

function inferLength(xs: readonly Value[], length: number | null | undefined): number {
  const noAxis = xs.filter((x) => getAval(x).ndim === 0);
  if (noAxis.length) throw new ValueError(`scan got value with no leading axis to scan over: ${noAxis.map((x) => getAval(x).strShort()).join(", ")}.`);
  const lengths = xs.map((x) => getAval(x).shape[0]);
  if (length !== null && length !== undefined) {
    if (!Number.isInteger(length)) {
      throw new TypeError("The `length` argument to `scan` expects a concrete `int` value. For scan-like iteration with a dynamic length, use `while_loop` or `fori_loop`.");
    }
    if (!lengths.every((l) => l === length)) throw new ValueError(`scan got \`length\` argument of ${length} which disagrees with leading axis sizes [${lengths.join(", ")}].`);
    return length;
  }
  const unique = [...new Set(lengths)];
  if (unique.length > 1) throw new ValueError(`scan got values with different leading axis sizes: ${lengths.join(", ")}.`);
  if (!unique.length) throw new ValueError("scan got no values to scan over and `length` not provided.");
  return unique[0];
}

/**
 * `lax.scan(f, init, xs, { length, reverse, unroll })`: `f(carry, x) -> [carry, y]` over the
 * leading axis of `xs` (any pytree, or null with `length`); returns `[carry, ys]` with the `y`s
 * stacked. `f` is traced once; the carry must keep its pytree structure and types.
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y] | readonly unknown[], init: C, xs?: X | null, opts: ScanOptions = {}): [C, Y] {
  if (typeof f !== "function") throw new TypeError("lax.scan: f argument should be a callable.");
  const [init0, initTree] = flattenValues(init);
  let initFlat = init0;
  const [xsFlat] = flattenValues(xs ?? null);
  const length = inferLength(xsFlat, opts.length);
  const xAvals = xsFlat.map((x) => mappedAval(getAval(x)));
  const create = (carryAvals: ShapedArray[]) => {
    const t = traceFun(f as (...a: never[]) => unknown, [init, xs ?? null], [...carryAvals, ...xAvals]);
    if (t.outTree.kind !== "list" || t.outTree.children.length !== 2) throw new TypeError(`scan body output must be a pair, got ${treeStr(t.outTree)}.`);
    const [carryTree, yTree] = t.outTree.children;
    const nc = treeNumLeaves(carryTree);
    return { t, carryTree, yTree, nc };
  };
  let initAvals = initFlat.map(getAval);
  let body = create(initAvals);
  const carryOut = () => body.t.jaxpr.outAvals.slice(0, body.nc);
  if (body.nc === initAvals.length) {
    const promoted = initFlat.map((x, i) => promoteWeakInput(x, initAvals[i], carryOut()[i]));
    if (promoted.some(([, ch]) => ch)) {
      initFlat = promoted.map(([x]) => x);
      initAvals = initFlat.map(getAval);
      body = create(initAvals);
    }
  }
  checkCarryType("scan body", initTree, initAvals, body.carryTree, carryOut());
  let unroll = opts.unroll ?? 1;
  if (typeof unroll === "boolean") unroll = unroll ? Math.max(length, 1) : 1;
  if (!Number.isInteger(unroll) || unroll < 0) throw new ValueError("`unroll` must be a `bool` or a non-negative `int`.");

  let consts = [...body.t.consts];
  let jaxpr = body.t.jaxpr;
  let numCarry = body.nc;
  let args = [...initFlat, ...xsFlat];
  const numYs = jaxpr.outAvals.length - numCarry;
  // A carry the body passes through unchanged is a constant of the loop.
  const [carryFwd, extFwd] = splitList(jaxprForwarding(jaxpr.jaxpr), [numCarry]);
  const moveToConst = carryFwd.map((fw, i) => fw === consts.length + i);
  let newConsts: Value[] = [];
  if (moveToConst.some((m) => m)) {
    jaxpr = pruneOutputs(jaxpr, [...moveToConst.map((m) => !m), ...Array<boolean>(numYs).fill(true)]);
    jaxpr = moveBindersToFront(jaxpr, [...consts.map(() => false), ...moveToConst, ...xsFlat.map(() => false)]);
    [args, newConsts] = partitionList([...moveToConst, ...xsFlat.map(() => false)], args);
    consts = [...newConsts, ...consts];
    numCarry -= newConsts.length;
  }
  // A y that is just an x is not copied by the loop.
  const extToExt = extFwd.map((fw) => (fw !== null && fw >= numCarry + consts.length ? fw - consts.length : null));
  jaxpr = pruneOutputs(jaxpr, [...Array<boolean>(numCarry).fill(true), ...extToExt.map((fw) => fw === null)]);
  const outs = bind("scan", [...consts, ...args], scanParams({
    reverse: opts.reverse ?? false, length, jaxpr, num_consts: consts.length, num_carry: numCarry,
    linear: [...consts, ...args].map(() => false), unroll, _split_transpose: opts._splitTranspose ?? false,
  }));
  const [carryOuts, rest] = splitList(outs, [numCarry]);
  let k = 0;
  const ys = extToExt.map((fw) => (fw === null ? rest[k++] : args[fw]));
  const carries = mergeLists(moveToConst, carryOuts, newConsts);
  return [treeUnflatten(body.carryTree, carries) as C, treeUnflatten(body.yTree, ys) as Y];
}

// ---- rules -----------------------------------------------------------------------------------------

function scanAbstractEval(avals: ShapedArray[], params: Params): ShapedArray[] {
  const p = sp(params);
  const inAvals = p.jaxpr.inAvals;
  if (avals.length !== inAvals.length) throw new ValueError(`scan number of arguments doesn't match the number of jaxpr arguments: ${avals.length} vs ${inAvals.length}`);
  const [consts, carry, xs] = splitList(avals, [p.num_consts, p.num_carry]);
  const want = [...consts, ...carry, ...xs.map((x) => (x.shape[0] === p.length ? mappedAval(x) : x))];
  want.forEach((a, i) => {
    if (a.dtype !== inAvals[i].dtype || a.shape.join() !== inAvals[i].shape.join()) {
      throw new TypeError(`scan jaxpr takes input types ${inAvals.map(avalStr).join(" ")}, called with operands of type ${avals.map(avalStr).join(" ")} (length ${p.length})`);
    }
  });
  const [carryOut, ys] = splitList(p.jaxpr.outAvals, [p.num_carry]);
  return [...carryOut, ...ys.map((y) => unmappedAval(p.length, y))];
}

/**
 * Evaluation on concrete operands: compiled (controlCompiled.ts) for one-device arrays; otherwise
 * (sharded operands) interpreted, the body bound once per iteration and the ys stacked.
 */
export function scanImpl(args: readonly Value[], params: Params): Value[] {
  const device = compiledDevice(args);
  if (device) return runScanCompiled(args, params, device);
  const p = sp(params);
  const [consts, init, xs] = splitList(args, [p.num_consts, p.num_carry]);
  const yAvals = p.jaxpr.outAvals.slice(p.num_carry);
  let carry = init;
  const ys: Value[][] = yAvals.map(() => new Array<Value>(p.length));
  for (let n = 0; n < p.length; n++) {
    const i = p.reverse ? p.length - 1 - n : n;
    const out = callJaxpr(p.jaxpr, [...consts, ...carry, ...xs.map((x) => indexLeading(x, i))]);
    carry = out.slice(0, p.num_carry);
    out.slice(p.num_carry).forEach((y, k) => (ys[k][i] = y));
  }
  return concreteOutputs([...carry, ...ys.map((y, k) => stackLeading(y, yAvals[k], p.length))], scanAbstractEval(args.map(getAval), params));
}

/**
 * Reorders binders: `[consts, carry, xs, dconsts, dcarry, dxs] -> [carry, ys, dcarry, dys]` into
 * scan's convention `[consts, dconsts, carry, dcarry, xs, dxs] -> [carry, dcarry, ys, dys]`.
 */
function rearrangeJvp(closed: ClosedJaxpr, ns: [number, number, number], nds: [number, number, number], outs: [number, number], douts: [number, number]): ClosedJaxpr {
  const j = closed.jaxpr;
  const [primIn, tanIn] = splitList(j.invars, [ns[0] + ns[1] + ns[2]]);
  const [c, ca, x] = splitList(primIn, [ns[0], ns[1]]);
  const [dc, dca, dx] = splitList(tanIn, [nds[0], nds[1]]);
  const [primOut, tanOut] = splitList(j.outs, [outs[0] + outs[1]]);
  const [co, yo] = splitList(primOut, [outs[0]]);
  const [dco, dyo] = splitList(tanOut, [douts[0]]);
  return new ClosedJaxpr(new Jaxpr(j.constvars, [...c, ...dc, ...ca, ...dca, ...x, ...dx], j.eqns, [...co, ...dco, ...yo, ...dyo]), closed.consts);
}

// d scan = scan of the body's JVP over (carry, dcarry) and (xs, dxs); the nonzero carry tangents
// are found by a fixpoint (a zero tangent can become nonzero after an iteration).
function scanJvp(primals: Value[], tangents: MaybeZero[], params: Params): [Value[], MaybeZero[]] {
  const p = sp(params);
  const nxs = primals.length - p.num_consts - p.num_carry;
  const nys = p.jaxpr.outAvals.length - p.num_carry;
  const nz = tangents.map((t) => !(t instanceof Zero));
  const [constNz, initNz, xsNz] = splitList(nz, [p.num_consts, p.num_carry]);
  let carryNz = initNz;
  let jvp = jvpJaxpr(p.jaxpr, [...constNz, ...carryNz, ...xsNz], [...carryNz, ...Array<boolean>(nys).fill(false)]);
  for (let k = 0; k <= carryNz.length; k++) {
    const out = jvp.outNonzeros.slice(0, p.num_carry);
    if (out.every((o, i) => o === carryNz[i])) break;
    carryNz = carryNz.map((c, i) => c || out[i]);
    jvp = jvpJaxpr(p.jaxpr, [...constNz, ...carryNz, ...xsNz], [...carryNz, ...Array<boolean>(nys).fill(false)]);
  }
  const nzIn = [...constNz, ...carryNz, ...xsNz];
  const ts = tangents.map((t, i) => (nzIn[i] ? instantiateZeros(t) : null));
  const [consts, init, xs] = splitList(primals, [p.num_consts, p.num_carry]);
  const [cdot, idot, xdot] = splitList(ts, [p.num_consts, p.num_carry]).map((l) => l.filter((t): t is Value => t !== null));
  const nzOut = jvp.outNonzeros;
  const nysDot = nzOut.filter((b) => b).length - idot.length;
  const body = rearrangeJvp(jvp.jaxpr, [p.num_consts, p.num_carry, nxs], [cdot.length, idot.length, xdot.length], [p.num_carry, nys], [idot.length, nysDot]);
  const [lc, li, lx] = splitList(p.linear, [p.num_consts, p.num_carry]);
  const outs = bind("scan", [...consts, ...cdot, ...init, ...idot, ...xs, ...xdot], scanParams({
    ...p, jaxpr: body, num_consts: p.num_consts + cdot.length, num_carry: p.num_carry + idot.length,
    linear: [...lc, ...cdot.map(() => true), ...li, ...idot.map(() => true), ...lx, ...xdot.map(() => true)],
  }));
  const [carry, carryDot, ys, ysDot] = splitList(outs, [p.num_carry, idot.length, nys]);
  const primalsOut = [...carry, ...ys];
  const dots = [...carryDot, ...ysDot];
  let k = 0;
  return [primalsOut, primalsOut.map((o, i) => (nzOut[i] ? dots[k++] : new Zero(tangentAval(getAval(o)))))];
}

function scanBatch(args: Value[], dims: BDim[], params: Params, size: number): [Value[], BDim[]] {
  const p = sp(params);
  const axis = currentBatchAxis() ?? { size, name: null };
  const nys = p.jaxpr.outAvals.length - p.num_carry;
  const bat = dims.map((d) => d !== null);
  const [constBat, initBat, xsBat] = splitList(bat, [p.num_consts, p.num_carry]);
  let carryBat = initBat;
  let [jaxpr, outBat] = batchJaxpr(p.jaxpr, axis, [...constBat, ...carryBat, ...xsBat], [...carryBat, ...Array<boolean>(nys).fill(false)]);
  for (let k = 0; k <= carryBat.length; k++) {
    const out = outBat.slice(0, p.num_carry);
    if (out.every((o, i) => o === carryBat[i])) break;
    carryBat = carryBat.map((c, i) => c || out[i]);
    [jaxpr, outBat] = batchJaxpr(p.jaxpr, axis, [...constBat, ...carryBat, ...xsBat], [...carryBat, ...Array<boolean>(nys).fill(false)]);
  }
  const [consts, init, xs] = splitList(args, [p.num_consts, p.num_carry]);
  const [cd, id, xd] = splitList(dims, [p.num_consts, p.num_carry]);
  const newConsts = consts.map((x, i) => (cd[i] !== null ? moveaxis(x, cd[i] as number, 0) : x));
  const newInit = init.map((x, i) => (!carryBat[i] ? x : id[i] === null ? broadcastBatch(x, size, 0) : moveaxis(x, id[i] as number, 0)));
  // The scanned axis stays first; the batch axis of xs and ys is the second.
  const newXs = xs.map((x, i) => (xd[i] !== null ? moveaxis(x, xd[i] as number, 1) : x));
  const outs = bind("scan", [...newConsts, ...newInit, ...newXs], scanParams({ ...p, jaxpr }));
  return [outs, [...carryBat.map((b) => (b ? 0 : null)), ...outBat.slice(p.num_carry).map((b) => (b ? 1 : null))]];
}

/**
 * Partial evaluation: with some inputs unknown (in reverse mode: the tangents), the known part of
 * every iteration runs now in a scan of its own, which also outputs the residuals the unknown part
 * needs. Residuals that depend on known constants only are computed once, outside the loop
 * (JAX's _scan_known_hoisting); residuals that are xs are the xs themselves; the others are
 * stacked. The unknown part is staged as a scan
 * taking the hoisted residuals as constants and the stacked ones as xs.
 */
function scanPartialEval(args: Value[], unknown: boolean[], params: Params, stage: (prim: string, args: readonly Value[], params: Params) => Value[]): Value[] {
  const p = sp(params);
  const nys = p.jaxpr.outAvals.length - p.num_carry;
  const [constUk, initUk, xsUk] = splitList(unknown, [p.num_consts, p.num_carry]);
  let carryUk = initUk;
  const split = () => partialEvalJaxpr(p.jaxpr, [...constUk, ...carryUk, ...xsUk], [...carryUk, ...Array<boolean>(nys).fill(false)]);
  let s = split();
  for (let k = 0; k <= carryUk.length; k++) {
    const out = s.outUnknowns.slice(0, p.num_carry);
    if (out.every((o, i) => o === carryUk[i])) break;
    carryUk = carryUk.map((c, i) => c || out[i]);
    s = split();
  }
  const uk = [...constUk, ...carryUk, ...xsUk];
  const [consts, init, xs] = splitList(args, [p.num_consts, p.num_carry]);
  const knownConsts = consts.filter((_, i) => !constUk[i]);
  const knownCarry = init.filter((_, i) => !carryUk[i]);
  const knownXs = xs.filter((_, i) => !xsUk[i]);
  const numKnownOuts = s.outUnknowns.filter((u) => !u).length;

  // Hoisting: run the known body with only the known constants known; residuals known then are loop-invariant.
  const loopAvals = s.known.inAvals.slice(knownConsts.length);
  const hoist = partialEvalFlat(
    (...ins: Value[]) => callJaxpr(s.known, ins),
    [...knownConsts.map((c) => PartialVal.known(c)), ...loopAvals.map((a) => PartialVal.unknown(a))],
    (i) => i < numKnownOuts,
  );
  const resPvals = hoist.pvalsOut.slice(numKnownOuts);
  const hoisted = resPvals.map((pv) => pv.isKnown);
  const loopConsts = hoist.jaxpr.consts as Value[];
  const knownLoop = new ClosedJaxpr(convertConstvars(hoist.jaxpr.jaxpr), []);
  const numCarryKnown = knownCarry.length;
  // A residual that is an x itself is not stacked again: the xs are passed on (JAX's residual forwarding).
  const firstX = loopConsts.length + numCarryKnown;
  const resFwd = jaxprForwarding(knownLoop.jaxpr).slice(numKnownOuts).map((f) => (f !== null && f >= firstX ? f - firstX : null));
  const loop = pruneOutputs(knownLoop, [...Array<boolean>(numKnownOuts).fill(true), ...resFwd.map((f) => f === null)]);
  const outsKnown = loop.outAvals.length
    ? bind("scan", [...loopConsts, ...knownCarry, ...knownXs], scanParams({
      ...p, jaxpr: loop, num_consts: loopConsts.length, num_carry: numCarryKnown, linear: [...loopConsts, ...knownCarry, ...knownXs].map(() => false),
    }))
    : [];
  const [knownOuts, stacked] = splitList(outsKnown, [numKnownOuts]);
  let k = 0;
  const extRes = resFwd.map((f) => (f === null ? stacked[k++] : knownXs[f]));
  const intRes = resPvals.filter((pv) => pv.isKnown).map((pv) => pv.value!);

  // The unknown body takes [intensive res, unknown consts] as consts and [unknown xs, extensive res] as xs.
  const unknownBody = moveBindersToBack(s.unknown, [...hoisted.map((h) => !h), ...uk.filter((u) => u).map(() => false)]);
  const [, linUk] = partitionList(uk, p.linear);
  const unknownIns = args.filter((_, i) => uk[i]);
  const [ukConsts, ukCarryXs] = splitList(unknownIns, [constUk.filter((u) => u).length]);
  const staged = stage("scan", [...intRes, ...ukConsts, ...ukCarryXs, ...extRes], scanParams({
    ...p, jaxpr: unknownBody, num_consts: intRes.length + ukConsts.length, num_carry: carryUk.filter((u) => u).length,
    linear: [...intRes.map(() => false), ...linUk, ...extRes.map(() => false)],
  }));
  return mergeLists(s.outUnknowns, knownOuts, staged);
}

/**
 * Transposition: the scan runs backwards over the body's transpose. Its carry (always linear,
 * as in JAX) holds the
 * cotangents of the linear constants (accumulated) and of the carry; its xs are the cotangents of
 * the ys and the non-linear xs (residuals); its ys are the cotangents of the linear xs.
 */
function scanTranspose(cts: MaybeZero[], args: (Value | UndefinedPrimal)[], params: Params): (MaybeZero | null)[] {
  const p = sp(params);
  const [consts, init, xs] = splitList(args, [p.num_consts, p.num_carry]);
  const cLin = consts.map((c) => c instanceof UndefinedPrimal);
  const xLin = xs.map((x) => x instanceof UndefinedPrimal);
  const inAvals = p.jaxpr.inAvals;
  const [constAvals, carryAvals, xAvals] = splitList(inAvals, [p.num_consts, p.num_carry]);
  const ires = consts.filter((_, i) => !cLin[i]) as Value[];
  const eres = xs.filter((_, i) => !xLin[i]) as Value[];
  const [ctCarry, ctYs] = splitList(cts, [p.num_carry]);
  const ysNz = ctYs.map((c) => !(c instanceof Zero));
  const ctConstAvals = constAvals.filter((_, i) => cLin[i]);
  const yAvals = p.jaxpr.outAvals.slice(p.num_carry);

  const body = traceToJaxpr((...vals: Value[]) => {
    const [ir, ctc, ctcarry, ctys, er] = splitList(vals, [ires.length, ctConstAvals.length, p.num_carry, ysNz.filter((b) => b).length]);
    let a = 0;
    let b = 0;
    const bodyArgs = [
      ...constAvals.map((av, i) => (cLin[i] ? new UndefinedPrimal(av) : ir[a++])),
      ...carryAvals.map((av) => new UndefinedPrimal(av)),
      ...xAvals.map((av, i) => (xLin[i] ? new UndefinedPrimal(av) : er[b++])),
    ];
    let k = 0;
    const outCts = [...ctcarry, ...yAvals.map((av, i) => (ysNz[i] ? ctys[k++] : new Zero(av)))];
    const inCts = backwardPass(p.jaxpr.jaxpr, p.jaxpr.consts, bodyArgs, outCts);
    const [cc, ccarry, cx] = splitList(inCts, [p.num_consts, p.num_carry]);
    const accum = cc.filter((_, i) => cLin[i]).map((ct, i) => instantiateZeros(addTangents(ctc[i], ct!)));
    return [...accum, ...ccarry.map((ct) => instantiateZeros(ct!)), ...cx.filter((_, i) => xLin[i]).map((ct) => instantiateZeros(ct!))];
  }, [...ires.map(getAval), ...ctConstAvals, ...carryAvals, ...yAvals.filter((_, i) => ysNz[i]), ...eres.map((e) => mappedAval(getAval(e)))]);

  const ctYsNz = ctYs.filter((c) => !(c instanceof Zero)) as Value[];
  const outs = bind("scan", [...ires, ...ctConstAvals.map(zerosLikeAval), ...ctCarry.map(instantiateZeros), ...ctYsNz, ...eres], scanParams({
    ...p, reverse: !p.reverse, jaxpr: body, num_consts: ires.length, num_carry: ctConstAvals.length + p.num_carry,
    linear: [...ires.map(() => false), ...ctConstAvals.map(() => true), ...carryAvals.map(() => true), ...ctYsNz.map(() => true), ...eres.map(() => false)],
    _split_transpose: false,
  }));
  const [ctConsts, ctInit, ctXs] = splitList(outs, [ctConstAvals.length, p.num_carry]);
  let i = 0;
  let j = 0;
  // The carry is linear (a known initial carry, e.g. instantiated zeros, gets no cotangent).
  return [...cLin.map((l) => (l ? ctConsts[i++] : null)), ...ctInit.map((ct, k) => (init[k] instanceof UndefinedPrimal ? ct : null)), ...xLin.map((l) => (l ? ctXs[j++] : null))];
}

definePrimitive("scan", {
  abstractEval: scanAbstractEval,
  jvp: scanJvp,
  transpose: scanTranspose,
  batch: scanBatch,
  partialEval: scanPartialEval,
  lower: { kind: "impl", impl: scanImpl },
  shard: shardScan,
});
