/**
 * @file `while_loop` (jax/_src/lax/control_flow/loops.py): the `while` primitive (params
 * `cond_jaxpr`, `body_jaxpr`, `cond_nconsts`, `body_nconsts`; operands: cond consts, body consts,
 * carry) with JVP, batching (a batched predicate runs every element until all are done, keeping
 * finished ones with a select, as JAX's lowering does), partial evaluation of the known carry,
 * and JAX's error for reverse mode.
 */

import { type Params, type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { isBool } from "../ir/dtype.js";
import { ClosedJaxpr, Jaxpr, Var } from "../ir/jaxpr.js";
import { treeUnflatten } from "../ir/pytree.js";
import { ShapedArray } from "../ir/shape.js";
import { type BDim, type MaybeZero, Zero } from "../ir/rules.js";
import { jvpJaxpr } from "../ad/jvp.js";
import { partialEvalJaxpr } from "../ad/partial_eval.js";
import { instantiateZeros } from "../ad/tangents.js";
import { batchJaxpr, vmapJaxpr } from "../batching/jaxpr.js";
import { broadcastBatch, currentBatchAxis } from "../batching/trace.js";
import { moveaxis, tangentAval } from "./helpers.js";
import { ValueError } from "./errors.js";
import { broadcastInDim } from "./structural.js";
import { select } from "./select.js";
import { reduceOr } from "./reduce.js";
import {
  avalStr, callJaxpr, checkCarryType, concreteOutputs, flattenValues, hostScalar, jaxprForwarding, mergeLists, moveBindersToFront, partitionList,
  promoteWeakInput, pruneOutputs, splitList, traceFun, treeStr,
} from "./controlCommon.js";
import { compiledDevice, runWhileCompiled } from "./controlCompiled.js";
import { shardWhile } from "./shardControl.js";

interface WhileParams {
  cond_jaxpr: ClosedJaxpr;
  body_jaxpr: ClosedJaxpr;
  cond_nconsts: number;
  body_nconsts: number;
}
const wp = (p: Params): WhileParams => p as unknown as WhileParams;
const whileParams = (p: WhileParams): Params => ({ cond_nconsts: p.cond_nconsts, cond_jaxpr: p.cond_jaxpr, body_nconsts: p.body_nconsts, body_jaxpr: p.body_jaxpr });

// ---- the API ---------------------------------------------------------------------------------------

/** A closed jaxpr without the invars where `drop` is true (they must be unused). */
function dropInvars(closed: ClosedJaxpr, drop: readonly boolean[]): ClosedJaxpr {
  const j = closed.jaxpr;
  return new ClosedJaxpr(new Jaxpr(j.constvars, j.invars.filter((_, i) => !drop[i]), j.eqns, j.outs), closed.consts);
}

/** Which invars a jaxpr reads. */
function usedInvars(j: Jaxpr): boolean[] {
  const used = new Set<Var>();
  for (const e of j.eqns) for (const x of e.inputs) if (x instanceof Var) used.add(x);
  for (const o of j.outs) if (o instanceof Var) used.add(o);
  return j.invars.map((v) => used.has(v));
}

/**
 * `lax.while_loop(condFun, bodyFun, initVal)`: applies `bodyFun` while `condFun` is true. The
 * carry is any pytree whose types the body keeps. Forward-mode differentiable only, as in JAX.
 */
export function whileLoop<T>(condFun: (carry: T) => unknown, bodyFun: (carry: T) => T, initVal: T): T {
  const [init0, inTree] = flattenValues(initVal);
  let init = init0;
  const create = (avals: ShapedArray[]) => {
    const c = traceFun(condFun as (...a: never[]) => unknown, [initVal], avals);
    const b = traceFun(bodyFun as (...a: never[]) => unknown, [initVal], avals);
    if (c.outTree.kind !== "leaf") throw new TypeError(`cond_fun must return a boolean scalar, but got pytree ${treeStr(c.outTree)}.`);
    const pred = c.jaxpr.outAvals[0];
    if (pred.ndim !== 0 || !isBool(pred.dtype)) throw new TypeError(`cond_fun must return a boolean scalar, but got output type(s) [${pred.toString()}].`);
    return { c, b };
  };
  let avals = init.map(getAval);
  let { c, b } = create(avals);
  const outAvals = () => b.jaxpr.outAvals;
  if (outAvals().length === avals.length) {
    const promoted = init.map((x, i) => promoteWeakInput(x, avals[i], outAvals()[i]));
    if (promoted.some(([, ch]) => ch)) {
      init = promoted.map(([x]) => x);
      avals = init.map(getAval);
      ({ c, b } = create(avals));
    }
  }
  checkCarryType("while_loop body", inTree, avals, b.outTree, outAvals());

  // A carry the body passes through unchanged and the predicate does not read is a constant.
  let condJaxpr = c.jaxpr;
  let bodyJaxpr = b.jaxpr;
  const bodyConsts = [...b.consts];
  const nb = bodyConsts.length;
  const fwd = jaxprForwarding(bodyJaxpr.jaxpr);
  const condUses = usedInvars(condJaxpr.jaxpr).slice(c.consts.length);
  const moveToConst = init.map((_, i) => fwd[i] === nb + i && !condUses[i]);
  let carry = init;
  let moved: Value[] = [];
  if (moveToConst.some((m) => m)) {
    condJaxpr = dropInvars(condJaxpr, [...c.consts.map(() => false), ...moveToConst]);
    bodyJaxpr = moveBindersToFront(pruneOutputs(bodyJaxpr, moveToConst.map((m) => !m)), [...bodyConsts.map(() => false), ...moveToConst]);
    [carry, moved] = partitionList(moveToConst, init);
  }
  const outs = bind("while", [...c.consts, ...moved, ...bodyConsts, ...carry], whileParams({
    cond_jaxpr: condJaxpr, body_jaxpr: bodyJaxpr, cond_nconsts: c.consts.length, body_nconsts: moved.length + nb,
  }));
  return treeUnflatten(inTree, mergeLists(moveToConst, outs, moved)) as T;
}

// ---- rules -----------------------------------------------------------------------------------------

function whileAbstractEval(avals: ShapedArray[], params: Params): ShapedArray[] {
  const p = wp(params);
  const [cc, bc, carry] = splitList(avals, [p.cond_nconsts, p.body_nconsts]);
  if (p.cond_jaxpr.inAvals.length !== cc.length + carry.length || p.body_jaxpr.inAvals.length !== bc.length + carry.length) {
    throw new TypeError(`while_loop: the jaxprs take ${p.cond_jaxpr.inAvals.length} and ${p.body_jaxpr.inAvals.length} inputs, called with ${cc.length}+${carry.length} and ${bc.length}+${carry.length}`);
  }
  const bodyIn = p.body_jaxpr.inAvals.slice(p.body_nconsts);
  if (!carry.every((a, i) => a.dtype === bodyIn[i].dtype && a.shape.join() === bodyIn[i].shape.join())) {
    throw new TypeError(`while_loop body takes carry types ${bodyIn.map(avalStr).join(" ")}, called with ${carry.map(avalStr).join(" ")}`);
  }
  return p.body_jaxpr.outAvals;
}

/** Keeps `x` where `pred` (leading dims of x) is false, else takes `y`. */
function predSelect(pred: Value, y: Value, x: Value): Value {
  const pa = getAval(pred);
  const s = getAval(x).shape;
  const pr = pa.ndim === s.length ? pred : broadcastInDim(pred, s, pa.shape.map((_, i) => i));
  return select(pr, y, x);
}

/**
 * Evaluation on concrete operands: compiled (controlCompiled.ts) for one-device arrays; otherwise
 * (sharded operands) interpreted, one bound operation at a time. A non-scalar predicate (a
 * batched while) keeps looping while any element is true; elements whose predicate is false keep
 * their carry (JAX's lowering of batched whiles).
 */
export function whileImpl(args: readonly Value[], params: Params): Value[] {
  const device = compiledDevice(args);
  if (device) return runWhileCompiled(args, params, device);
  const p = wp(params);
  const [cc, bc, init] = splitList(args, [p.cond_nconsts, p.body_nconsts]);
  let carry = init;
  for (;;) {
    const pred = callJaxpr(p.cond_jaxpr, [...cc, ...carry])[0];
    const pa = getAval(pred);
    const any = pa.ndim === 0 ? pred : reduceOr(pred, pa.shape.map((_, i) => i));
    if (!hostScalar(any)) return concreteOutputs(carry, p.body_jaxpr.outAvals);
    const next = callJaxpr(p.body_jaxpr, [...bc, ...carry]);
    carry = pa.ndim === 0 ? next : next.map((y, i) => predSelect(pred, y, carry[i]));
  }
}

/** Adds unused invars (for tangents the predicate does not read). */
function augmentInvars(closed: ClosedJaxpr, avals: readonly ShapedArray[]): ClosedJaxpr {
  const j = closed.jaxpr;
  return new ClosedJaxpr(new Jaxpr(j.constvars, [...j.invars, ...avals.map((a) => new Var(a))], j.eqns, j.outs), closed.consts);
}

/**
 * Rearranges a JVP jaxpr `[consts, carry, dconsts, dcarry] -> [carry, dcarry]` into
 * `[consts, dconsts, carry, dcarry]` (JAX's rearrange_binders for while's calling convention).
 */
function rearrangeJvp(closed: ClosedJaxpr, nConsts: number, nCarry: number, nConstDots: number): ClosedJaxpr {
  const j = closed.jaxpr;
  const [consts, carry, dconsts, dcarry] = splitList(j.invars, [nConsts, nCarry, nConstDots]);
  return new ClosedJaxpr(new Jaxpr(j.constvars, [...consts, ...dconsts, ...carry, ...dcarry], j.eqns, j.outs), closed.consts);
}

// d while(c, b, x) = while over (x, dx) with the body's JVP; the carry tangents that are nonzero
// are found by a fixpoint (a zero tangent can become nonzero after one iteration).
function whileJvp(primals: Value[], tangents: MaybeZero[], params: Params): [Value[], MaybeZero[]] {
  const p = wp(params);
  const nz = tangents.map((t) => !(t instanceof Zero));
  const [, bconstNz, initNz] = splitList(nz, [p.cond_nconsts, p.body_nconsts]);
  let carryNz = initNz;
  let bodyJvp = jvpJaxpr(p.body_jaxpr, [...bconstNz, ...carryNz], carryNz);
  for (let k = 0; k <= carryNz.length; k++) {
    const out = bodyJvp.outNonzeros;
    if (out.every((o, i) => o === carryNz[i])) break;
    carryNz = carryNz.map((c, i) => c || out[i]);
    bodyJvp = jvpJaxpr(p.body_jaxpr, [...bconstNz, ...carryNz], carryNz);
  }
  const [cconst, bconst, init] = splitList(primals, [p.cond_nconsts, p.body_nconsts]);
  const [, bconstT, initT] = splitList(tangents, [p.cond_nconsts, p.body_nconsts]);
  const bconstDot = bconstT.filter((t) => !(t instanceof Zero)) as Value[];
  const initDot = initT.filter((_, i) => carryNz[i]).map(instantiateZeros);
  const body = rearrangeJvp(bodyJvp.jaxpr, p.body_nconsts, init.length, bconstDot.length);
  const condAug = augmentInvars(p.cond_jaxpr, initDot.map(getAval));
  const outs = bind("while", [...cconst, ...bconst, ...bconstDot, ...init, ...initDot], whileParams({
    cond_jaxpr: condAug, body_jaxpr: body, cond_nconsts: p.cond_nconsts, body_nconsts: bconst.length + bconstDot.length,
  }));
  const [carry, carryDot] = splitList(outs, [init.length]);
  let k = 0;
  return [carry, carry.map((c, i) => (carryNz[i] ? carryDot[k++] : new Zero(tangentAval(getAval(c)))))];
}

function whileBatch(args: Value[], dims: BDim[], params: Params, size: number): [Value[], BDim[]] {
  const p = wp(params);
  const axis = currentBatchAxis() ?? { size, name: null };
  const bat = dims.map((d) => d !== null);
  const [cconstBat, bconstBat, initBat] = splitList(bat, [p.cond_nconsts, p.body_nconsts]);
  const [cconstDims, bconstDims, initDims] = splitList(dims, [p.cond_nconsts, p.body_nconsts]);
  let carryBat = initBat;
  for (let k = 0; k <= carryBat.length; k++) {
    const out = batchJaxpr(p.body_jaxpr, axis, [...bconstBat, ...carryBat], carryBat)[1];
    if (out.every((o, i) => o === carryBat[i])) break;
    carryBat = carryBat.map((c, i) => c || out[i]);
  }
  const predBat = batchJaxpr(p.cond_jaxpr, axis, [...cconstBat, ...carryBat], false)[1][0];
  let carryDims: BDim[];
  let body: ClosedJaxpr;
  let condJ: ClosedJaxpr;
  if (predBat) {
    // Every carry is batched: elements finish at different iterations.
    carryDims = carryBat.map(() => 0);
    body = vmapJaxpr(p.body_jaxpr, axis, [...bconstDims, ...carryDims], carryDims)[0];
    condJ = vmapJaxpr(p.cond_jaxpr, axis, [...cconstDims, ...carryDims], [0])[0];
  } else {
    // Batched carries sit after the predicate's own (batched) dims.
    const rank = p.cond_jaxpr.outAvals[0].ndim;
    carryDims = carryBat.map((b) => (b ? rank : null));
    body = vmapJaxpr(p.body_jaxpr, axis, [...bconstDims, ...carryDims], carryDims)[0];
    condJ = vmapJaxpr(p.cond_jaxpr, axis, [...cconstDims, ...carryDims], [null])[0];
  }
  const [cconsts, bconsts, init] = splitList(args, [p.cond_nconsts, p.body_nconsts]);
  const newInit = init.map((x, i) => {
    const from = initDims[i];
    const to = carryDims[i];
    if (to === null) return x;
    return from === null ? broadcastBatch(x, size, to) : moveaxis(x, from, to);
  });
  const outs = bind("while", [...cconsts, ...bconsts, ...newInit], whileParams({ ...p, cond_jaxpr: condJ, body_jaxpr: body }));
  return [outs, carryDims];
}

// The known carry runs in a while of its own; the whole loop is also staged for the unknown carry
// (a while has no residuals to save: its known values are recomputed), as JAX does.
function whilePartialEval(args: Value[], unknown: boolean[], params: Params, stage: (prim: string, args: readonly Value[], params: Params) => Value[]): Value[] {
  const p = wp(params);
  const [condUk, bodyUk, initUk] = splitList(unknown, [p.cond_nconsts, p.body_nconsts]);
  let carryUk = initUk;
  let split = partialEvalJaxpr(p.body_jaxpr, [...bodyUk, ...carryUk], carryUk);
  for (let k = 0; k <= carryUk.length; k++) {
    if (split.outUnknowns.every((o, i) => o === carryUk[i])) break;
    carryUk = carryUk.map((c, i) => c || split.outUnknowns[i]);
    split = partialEvalJaxpr(p.body_jaxpr, [...bodyUk, ...carryUk], carryUk);
  }
  const condSplit = partialEvalJaxpr(p.cond_jaxpr, [...condUk, ...carryUk], false);
  if (condSplit.outUnknowns[0] || unknown.every((u) => u)) return stage("while", args, params);
  const [cconsts, bconsts, init] = splitList(args, [p.cond_nconsts, p.body_nconsts]);
  const numKnown = carryUk.filter((u) => !u).length;
  // The known parts compute no residuals here (they are dropped: the staged loop recomputes).
  const bodyKnown = pruneOutputs(split.known, split.known.outAvals.map((_, i) => i < numKnown));
  const condKnown = pruneOutputs(condSplit.known, [true]);
  const known = bind("while", [
    ...cconsts.filter((_, i) => !condUk[i]), ...bconsts.filter((_, i) => !bodyUk[i]), ...init.filter((_, i) => !carryUk[i]),
  ], whileParams({
    cond_jaxpr: condKnown, body_jaxpr: bodyKnown,
    cond_nconsts: condUk.filter((u) => !u).length, body_nconsts: bodyUk.filter((u) => !u).length,
  }));
  const staged = stage("while", args, params);
  return mergeLists(carryUk, known, staged.filter((_, i) => carryUk[i]));
}

definePrimitive("while", {
  abstractEval: whileAbstractEval,
  jvp: whileJvp,
  // JAX's error: a while loop's trip count is dynamic, so it cannot be run backwards.
  transpose: () => {
    throw new ValueError(
      "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with dynamic start/stop values. " +
        "Try using lax.scan, or using fori_loop with static start/stop.",
    );
  },
  batch: whileBatch,
  partialEval: whilePartialEval,
  lower: { kind: "impl", impl: whileImpl },
  shard: shardWhile,
});
