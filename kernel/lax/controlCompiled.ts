/**
 * @file Control flow run compiled, as XLA runs While/Conditional: the body, predicate and branch
 * jaxprs are fused and compiled once per device (cached by jaxpr structure, so an eager loop
 * traced anew at each call compiles once), and each iteration dispatches the compiled program
 * over raw buffers: the carry stays on the device. A while loop's step computes the body and the
 * next predicate together and reads that one boolean back; a scan (and so a fori_loop with
 * static bounds) reads nothing back: its step index lives on the device, and its ys are stacked
 * once at the end. Used by the eager impls, so loops inside jit (a program's primitive step
 * binds the loop) run the same way.
 */

import { type Params, type Value, TypedScalar, getAval } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { dceJaxpr } from "../ad/partial_eval.js";
import { ShapedArray } from "../ir/shape.js";
import { Array } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { pickDevice, toArray } from "../backend/eager.js";
import type { Buffer } from "../backend/backend.js";
import { BufferPool, registerBufferStep } from "../codegen/program.js";
import { canonicalJaxpr, compiledProgram } from "../jit/primitive.js";
import { add, sub } from "./binary.js";
import { reduceOr } from "./reduce.js";
import { select } from "./select.js";
import { broadcastInDim, reshape } from "./structural.js";
import { concatenate, dynamicSlice } from "./slicing.js";
import { callJaxpr, splitList, stackLeading } from "./controlCommon.js";

// ---- devices and buffers ------------------------------------------------------------------------

/**
 * The device the compiled path runs on, or null when some argument is not a plain one-device
 * array or host scalar (a sharded array: the interpreted path binds each operation, which the
 * sharding runtime partitions).
 */
export function compiledDevice(args: readonly Value[]): Device | null {
  for (const a of args) {
    if (a instanceof Array) {
      if (a.constructor !== Array) return null;
    } else if (!(a instanceof TypedScalar) && typeof a !== "number" && typeof a !== "boolean") return null;
  }
  return pickDevice(args, "the loop's operands");
}

/** The operands' buffers in the pool (host scalars become arrays on the device; arrays made here are released). */
function pooled(args: readonly Value[], device: Device, pool: BufferPool): Buffer[] {
  return args.map((a) => {
    const arr = toArray(a, device);
    const buf = pool.adopt(arr);
    if (arr !== a) arr.dispose();
    return buf;
  });
}

/**
 * Runs a buffer-level loop on concrete operands: their buffers in a new pool, the results as
 * arrays of `outAvals`; if the loop throws, every buffer the pool still holds is released.
 */
function onArrays(args: readonly Value[], device: Device, outAvals: readonly ShapedArray[], run: (pool: BufferPool, bufs: Buffer[]) => Buffer[]): Array[] {
  const pool = new BufferPool(device);
  try {
    const bufs = pooled(args, device, pool);
    const outs = run(pool, bufs);
    releaseAll(pool, bufs);
    return outs.map((o, i) => pool.toArray(o, outAvals[i]));
  } catch (e) {
    pool.drain();
    throw e;
  }
}

/** The host boolean of a pooled 0-d bool buffer (one readback), released afterwards. */
function readPred(pool: BufferPool, buf: Buffer): boolean {
  const v = pool.device.backend.read(buf, "bool", 1)[0];
  pool.release(buf);
  return Number(v) !== 0;
}

const releaseAll = (pool: BufferPool, bufs: readonly Buffer[]): void => bufs.forEach((b) => pool.release(b));

// ---- while ------------------------------------------------------------------------------------------

interface WhileSteps {
  /** (cond consts, carry) -> any(pred) */
  readonly first: ClosedJaxpr;
  /** (cond consts, body consts, carry) -> (carry', any(pred(carry'))) */
  readonly step: ClosedJaxpr;
}
const whileSteps = new WeakMap<ClosedJaxpr, WeakMap<ClosedJaxpr, WhileSteps>>();

/** Any element true (a batched predicate runs until every element is done). */
const anyTrue = (pred: Value, aval: ShapedArray): Value => (aval.ndim === 0 ? pred : reduceOr(pred, aval.shape.map((_, i) => i)));

/** Keeps `x` where `pred` (the leading dims of x) is false, else takes `y`. */
function predSelect(pred: Value, predAval: ShapedArray, y: Value, x: Value, xAval: ShapedArray): Value {
  const pr = predAval.ndim === xAval.ndim ? pred : broadcastInDim(pred, xAval.shape, predAval.shape.map((_, i) => i));
  return select(pr, y, x);
}

function whileStepsOf(p: Params): WhileSteps {
  const cj = canonicalJaxpr(p.cond_jaxpr as ClosedJaxpr);
  const bj = canonicalJaxpr(p.body_jaxpr as ClosedJaxpr);
  const [nc, nb] = [p.cond_nconsts as number, p.body_nconsts as number];
  let byBody = whileSteps.get(cj);
  if (!byBody) whileSteps.set(cj, (byBody = new WeakMap()));
  let s = byBody.get(bj);
  if (s) return s;
  const [ccAvals] = splitList(cj.inAvals, [nc]);
  const [bcAvals, carryAvals] = splitList(bj.inAvals, [nb]);
  const predAval = cj.outAvals[0];
  const pred = (cc: Value[], carry: Value[]): Value => callJaxpr(cj, [...cc, ...carry])[0];
  const first = traceToJaxpr((...xs) => {
    const [cc, carry] = splitList(xs, [nc]);
    return [anyTrue(pred(cc, carry), predAval)];
  }, [...ccAvals, ...carryAvals]);
  const step = traceToJaxpr((...xs) => {
    const [cc, bc, carry] = splitList(xs, [nc, nb]);
    let next = callJaxpr(bj, [...bc, ...carry]);
    // A batched predicate: elements already done keep their carry (JAX's batched while lowering).
    if (predAval.ndim > 0) {
      const pr = pred(cc, carry);
      next = next.map((y, i) => predSelect(pr, predAval, y, carry[i], carryAvals[i]));
    }
    return [...next, anyTrue(pred(cc, next), predAval)];
  }, [...ccAvals, ...bcAvals, ...carryAvals]);
  s = { first, step };
  byBody.set(bj, s);
  return s;
}

/** `while` over pooled buffers (borrowed): the compiled step per iteration, one predicate read back each. */
function whileBuffers(pool: BufferPool, bufs: readonly Buffer[], p: Params): Buffer[] {
  const { first, step } = whileStepsOf(p);
  const device = pool.device;
  const [nc, nb] = [p.cond_nconsts as number, p.body_nconsts as number];
  const [cc, bc, init] = splitList(bufs, [nc, nb]);
  const stepProg = compiledProgram(step, device);
  let carry = init.map((b) => pool.retain(b));
  let go = readPred(pool, compiledProgram(first, device).runBuffers([...cc, ...carry], pool)[0]);
  const ins = [...cc, ...bc, ...carry];
  while (go) {
    const outs = stepProg.runBuffers(ins, pool);
    releaseAll(pool, carry);
    carry = outs.slice(0, -1);
    for (let k = 0; k < carry.length; k++) ins[nc + nb + k] = carry[k];
    go = readPred(pool, outs[outs.length - 1]);
  }
  return carry;
}

/** `while` on concrete operands. */
export function runWhileCompiled(args: readonly Value[], p: Params, device: Device): Array[] {
  return onArrays(args, device, (p.body_jaxpr as ClosedJaxpr).outAvals, (pool, bufs) => whileBuffers(pool, bufs, p));
}

// ---- scan ---------------------------------------------------------------------------------------------

const i32 = (v: number): Value => new TypedScalar(v, "int32", false);

/** `x[i]` along the leading axis, for an int32 scalar `i` in [0, length). */
function indexLeading(x: Value, i: Value, aval: ShapedArray): Value {
  const rest = aval.shape.slice(1);
  return reshape(dynamicSlice(x, [i, ...rest.map(() => i32(0))], [1, ...rest], false), rest);
}

/**
 * The carries a scan must compute for the outputs in use (JAX's scan dead-code elimination): those
 * used, and those the body reads to compute them or its ys or its effects, to a fixpoint. A
 * fori_loop whose body ignores the index drops the counter this way.
 */
function liveCarries(body: ClosedJaxpr, nConsts: number, nCarry: number, used: readonly boolean[]): boolean[] {
  let byUse = liveCache.get(body);
  if (!byUse) liveCache.set(body, (byUse = new Map()));
  const key = used.map(Number).join("");
  const cached = byUse.get(key);
  if (cached) return cached;
  // dceJaxpr keeps effectful equations (nested ones too), so the carries they read stay live.
  let live: boolean[] = used.slice(0, nCarry);
  const ys = body.outAvals.slice(nCarry).map(() => true);
  for (;;) {
    const { usedInputs } = dceJaxpr(body.jaxpr, [...live, ...ys]);
    const next: boolean[] = live.map((l, k) => l || usedInputs[nConsts + k]);
    if (next.every((l, k) => l === live[k])) break;
    live = next;
  }
  byUse.set(key, live);
  return live;
}
const liveCache = new WeakMap<ClosedJaxpr, Map<string, boolean[]>>();

/** The body without its dead carries (their inputs are unread once the outputs are dropped). */
function pruneCarries(body: ClosedJaxpr, nConsts: number, live: readonly boolean[]): ClosedJaxpr {
  const nCarry = live.length;
  const { jaxpr } = dceJaxpr(body.jaxpr, [...live, ...body.outAvals.slice(nCarry).map(() => true)], true);
  const invars = jaxpr.invars.filter((_, i) => i < nConsts || i >= nConsts + nCarry || live[i - nConsts]);
  return new ClosedJaxpr(new Jaxpr(jaxpr.constvars, invars, jaxpr.eqns, jaxpr.outs), body.consts);
}

/** (consts, live carry, xs, i) -> (carry', ys, i ± 1) with x = xs[i]; without xs no index. */
const scanSteps = new WeakMap<ClosedJaxpr, Map<string, ClosedJaxpr>>();

function scanStepOf(p: Params, xsAvals: readonly ShapedArray[], live: readonly boolean[]): ClosedJaxpr {
  const full = canonicalJaxpr(p.jaxpr as ClosedJaxpr);
  const nConsts = p.num_consts as number;
  const pruned = !live.every((l) => l);
  if (!xsAvals.length && !pruned) return full;
  let byKey = scanSteps.get(full);
  if (!byKey) scanSteps.set(full, (byKey = new Map()));
  const key = `${String(p.reverse)}|${live.map(Number).join("")}|${xsAvals.map((a) => a.key()).join(",")}`;
  let step = byKey.get(key);
  if (step) return step;
  const body = pruned ? pruneCarries(full, nConsts, live) : full;
  const nCarry = live.filter((l) => l).length;
  const [constAvals, carryAvals] = splitList(body.inAvals, [nConsts, nCarry]);
  step = !xsAvals.length ? body : traceToJaxpr((...vals) => {
    const [consts, carry, xs, [i]] = splitList(vals, [nConsts, nCarry, xsAvals.length]);
    const outs = callJaxpr(body, [...consts, ...carry, ...xs.map((x, k) => indexLeading(x, i, xsAvals[k]))]);
    return [...outs, p.reverse ? sub(i, i32(1)) : add(i, i32(1))];
  }, [...constAvals, ...carryAvals, ...xsAvals, new ShapedArray([], "int32", false)]);
  byKey.set(key, step);
  return step;
}

/** Programs concatenating blocks along the leading axis, by the blocks' avals. */
const concatPrograms = new Map<string, ClosedJaxpr>();

function concatJaxpr(avals: readonly ShapedArray[]): ClosedJaxpr {
  const key = avals.map((a) => a.key()).join(";");
  let j = concatPrograms.get(key);
  if (!j) concatPrograms.set(key, (j = traceToJaxpr((...xs) => [concatenate(xs, 0)], avals)));
  return j;
}

/**
 * Stacks pooled ys (each of aval `aval`) along a new leading axis: compiled concatenations of a
 * few buffers at a time (a WebGPU kernel binds each input), then of those blocks, and so on.
 */
function stackBuffers(pool: BufferPool, ys: Buffer[], aval: ShapedArray, length: number): Buffer {
  const device = pool.device;
  if (!ys.length) {
    const empty = toArray(stackLeading([], aval, length), device);
    const buf = pool.adopt(empty);
    empty.dispose();
    return buf;
  }
  const fanIn = device.platform === "cpu" ? 64 : 8;
  // Each y is a block of one row: the same buffer read as [1, ...shape].
  let level = ys.map((buf) => ({ buf, rows: 1 }));
  while (level.length > 1) {
    const next: typeof level = [];
    for (let k = 0; k < level.length; k += fanIn) {
      const part = level.slice(k, k + fanIn);
      if (part.length === 1) {
        next.push(part[0]);
        continue;
      }
      const avals = part.map((b) => aval.update({ shape: [b.rows, ...aval.shape] }));
      const [buf] = compiledProgram(concatJaxpr(avals), device).runBuffers(part.map((b) => b.buf), pool);
      releaseAll(pool, part.map((b) => b.buf));
      next.push({ buf, rows: part.reduce((n, b) => n + b.rows, 0) });
    }
    level = next;
  }
  return level[0].buf;
}

/**
 * `scan` over pooled buffers (borrowed): the compiled step per iteration, nothing read back.
 * Carries no used output needs are not computed (their outputs hold their initial values).
 */
function scanBuffers(pool: BufferPool, bufs: readonly Buffer[], inAvals: readonly ShapedArray[], p: Params, used?: readonly boolean[]): Buffer[] {
  const body = p.jaxpr as ClosedJaxpr;
  const device = pool.device;
  const [nConsts, nCarryAll, length] = [p.num_consts as number, p.num_carry as number, p.length as number];
  const live = used ? liveCarries(canonicalJaxpr(body), nConsts, nCarryAll, used) : body.outAvals.slice(0, nCarryAll).map(() => true);
  const nCarry = live.filter((l) => l).length;
  const yAvals = body.outAvals.slice(nCarryAll);
  const ys: Buffer[][] = yAvals.map(() => []);
  const [consts, initAll, xs] = splitList(bufs, [nConsts, nCarryAll]);
  let carry = initAll.filter((_, k) => live[k]).map((b) => pool.retain(b));
  if (length > 0) {
    const prog = compiledProgram(scanStepOf(p, inAvals.slice(nConsts + nCarryAll), live), device);
    const start = Array.scalar(p.reverse ? length - 1 : 0, "int32", false, device);
    const index = xs.length ? pooled([start], device, pool) : [];
    start.dispose();
    const ins = [...consts, ...carry, ...xs, ...index];
    const [carryAt, indexAt] = [nConsts, nConsts + nCarry + xs.length];
    for (let n = 0; n < length; n++) {
      const outs = prog.runBuffers(ins, pool);
      releaseAll(pool, [...carry, ...ins.slice(indexAt)]);
      carry = outs.slice(0, nCarry);
      for (let k = 0; k < nCarry; k++) ins[carryAt + k] = carry[k];
      for (let k = 0; k < yAvals.length; k++) ys[k].push(outs[nCarry + k]);
      if (index.length) ins[indexAt] = outs[outs.length - 1];
    }
    if (index.length) pool.release(ins[indexAt]);
  }
  // Reversed scans produced their ys last-first.
  if (p.reverse) ys.forEach((l) => l.reverse());
  let j = 0;
  const carries = initAll.map((b, k) => (live[k] ? carry[j++] : pool.retain(b)));
  return [...carries, ...ys.map((l, k) => stackBuffers(pool, l, yAvals[k], length))];
}

/** `scan` on concrete operands. */
export function runScanCompiled(args: readonly Value[], p: Params, device: Device): Array[] {
  const body = p.jaxpr as ClosedJaxpr;
  const n = p.num_carry as number;
  const outAvals = [...body.outAvals.slice(0, n), ...body.outAvals.slice(n).map((a) => a.update({ shape: [p.length as number, ...a.shape] }))];
  return onArrays(args, device, outAvals, (pool, bufs) => scanBuffers(pool, bufs, args.map(getAval), p));
}

// ---- cond ---------------------------------------------------------------------------------------------

/** A branch over pooled buffers (borrowed). */
const branchBuffers = (pool: BufferPool, bufs: readonly Buffer[], branch: ClosedJaxpr): Buffer[] =>
  compiledProgram(canonicalJaxpr(branch), pool.device).runBuffers(bufs, pool);

/** `cond` on concrete operands with the branch index known: the branch's compiled program. */
export function runBranchCompiled(branch: ClosedJaxpr, args: readonly Value[], device: Device): Array[] {
  return onArrays(args, device, branch.outAvals, (pool, bufs) => branchBuffers(pool, bufs, branch));
}

// Loops and conds inside compiled loop bodies run on the body's buffers directly.
registerBufferStep("while", (pool, ins, _avals, p) => whileBuffers(pool, ins, p));
registerBufferStep("scan", (pool, ins, avals, p, used) => scanBuffers(pool, ins, avals, p, used));
registerBufferStep("cond", (pool, [index, ...ops], _avals, p) => {
  const branches = p.branches as ClosedJaxpr[];
  const i = Number(pool.device.backend.read(index, "int32", 1)[0]);
  return branchBuffers(pool, ops, branches[Math.min(Math.max(i, 0), branches.length - 1)]);
});
