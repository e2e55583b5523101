/**
 * @file `cond` and `switch` (jax/_src/lax/control_flow/conditionals.py): the `cond` primitive
 * (params: `branches`, a tuple of closed jaxprs; operands: an int32 index, then the branches'
 * inputs) with its rules — JVP through `jvpJaxpr`, batching (a batched index becomes `select_n`
 * over every branch's outputs), partial evaluation with residuals merged across branches, and
 * transposition branch by branch.
 */

import { type Params, type Value, JaxValue, TypedScalar, bind, definePrimitive, getAval, isTracer } from "../ir/core.js";
import { isBool, isInt, isFloat } from "../ir/dtype.js";
import { ClosedJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { treeUnflatten } from "../ir/pytree.js";
import { ShapedArray } from "../ir/shape.js";
import { type BDim, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { jvpJaxpr } from "../ad/jvp.js";
import { partialEvalJaxpr } from "../ad/partial_eval.js";
import { transposeJaxpr } from "../ad/transpose.js";
import { instantiateZeros } from "../ad/tangents.js";
import { batchJaxpr } from "../batching/jaxpr.js";
import { currentBatchAxis } from "../batching/trace.js";
import { bdimAtFront, moveaxis, tangentAval, zerosLikeAval } from "./helpers.js";
import { ValueError } from "./errors.js";
import { broadcastInDim, convertElementType } from "./structural.js";
import { clamp, eq, ne, select, selectN } from "./select.js";
import { stopGradient } from "./bitcast.js";
import {
  type TracedFun, avalStr, callJaxpr, concreteOutputs, flattenValues, hostScalar, jaxprForwarding, leafPaths, listDiffs, mergeLists, mismatchExtra,
  pruneOutputs, splitList, traceFun, treeStr, typematch,
} from "./controlCommon.js";
import { compiledDevice, runBranchCompiled } from "./controlCompiled.js";
import { shardCond } from "./shardControl.js";

const branchesOf = (p: Params): ClosedJaxpr[] => p.branches as ClosedJaxpr[];

/** An int32 constant (a literal in jaxprs, as JAX's np.int32 constants). */
const i32 = (v: number): Value => new TypedScalar(v, "int32", false);

// ---- the API ---------------------------------------------------------------------------------------

/** A value as Python's str shows it in JAX's messages (tracers as `Traced<...>`). */
function describe(x: unknown): string {
  if (isTracer(x)) return String(x);
  if (x instanceof JaxValue) return x.str();
  return String(x);
}

/** Traces every branch at the operands' avals and merges their captured constants (JAX's _merge_common_consts). */
function traceBranches(fns: readonly ((...a: never[]) => unknown)[], operands: readonly unknown[], avals: ShapedArray[]): { traced: TracedFun[]; jaxprs: ClosedJaxpr[]; consts: Value[] } {
  const traced = fns.map((f) => traceFun(f, operands, avals));
  const consts: Value[] = [];
  for (const t of traced) for (const c of t.consts) if (!consts.includes(c)) consts.push(c);
  // Every branch takes every constant: its own are wired to its inputs, the others are ignored.
  const jaxprs = traced.map((t) => {
    const j = t.jaxpr;
    return new ClosedJaxpr(traceToJaxpr((...xs: Value[]) => {
      const [cs, args] = splitList(xs, [consts.length]);
      return callJaxpr(j, [...t.consts.map((c) => cs[consts.indexOf(c)]), ...args]);
    }, [...consts.map(getAval), ...avals]).jaxpr, []);
  });
  return { traced, jaxprs, consts };
}

/** JAX's _check_branch_outputs: equal pytree structures and equal types. */
function checkBranchOutputs(api: string, name1: string, name2: string, t1: TracedFun, t2: TracedFun): void {
  const [a1, a2] = [t1.jaxpr.outAvals, t2.jaxpr.outAvals];
  if (treeStr(t1.outTree) !== treeStr(t2.outTree)) {
    throw new TypeError(
      `${api} branch outputs must have the same pytree structure, but they differ:\n\n` +
        `${name1} output is ${treeStr(t1.outTree)} but ${name2} output is ${treeStr(t2.outTree)}.\n\n` +
        `Revise ${name1} and/or ${name2} so that they have the same pytree structure.`,
    );
  }
  const paths = leafPaths(t1.outTree);
  const at = (p: string) => (p ? ` at path ${p}` : "");
  const diffs = a1.flatMap((a, i) => (typematch(a, a2[i]) ? [] : [
    `the output of ${name1}${at(paths[i])} has type ${avalStr(a)} but the corresponding output of ${name2} has type ${avalStr(a2[i])}${mismatchExtra(a, a2[i])}`,
  ]));
  if (diffs.length) {
    throw new TypeError(`${api} branches must have equal output types but they differ.\n\n${listDiffs(diffs)}\nRevise ${name1} and/or ${name2} so that all output types match.`);
  }
}

/** Binds `cond` on the traced branches, with outputs that every branch forwards from the same input pruned (as JAX does). */
function bindCond(index: Value, branches: ClosedJaxpr[], consts: Value[], args: Value[]): Value[] {
  const fwds = branches.map((b) => jaxprForwarding(b.jaxpr));
  const inFwd = fwds[0].map((f, k) => (fwds.every((fw) => fw[k] === f) ? f : null));
  const keep = inFwd.map((f) => f === null);
  const pruned = branches.map((b) => pruneOutputs(b, keep));
  const outs = bind("cond", [index, ...consts, ...args], { branches: pruned });
  const all = [...consts, ...args];
  let k = 0;
  return inFwd.map((f) => (f === null ? outs[k++] : all[f]));
}

/**
 * `lax.cond(pred, trueFun, falseFun, ...operands)`: applies one branch to the operands (any
 * pytrees). Both branches are traced once; under vmap a batched predicate selects between both.
 */
export function cond(pred: Value, trueFun: (...a: never[]) => unknown, falseFun: (...a: never[]) => unknown, ...operands: unknown[]): unknown {
  if (typeof trueFun !== "function" || typeof falseFun !== "function") throw new TypeError("lax.cond: true_fun and false_fun arguments should be callable.");
  if (pred === null || pred === undefined) throw new TypeError("cond predicate is None");
  if (Array.isArray(pred)) throw new TypeError(`Pred must be a scalar, got ${describe(pred)} of type <class 'list'>`);
  const pa = getAval(pred);
  if (pa.ndim !== 0) throw new TypeError(`Pred must be a scalar, got ${describe(pred)} of shape (${pa.shape.join(", ")}${pa.ndim === 1 ? "," : ""}).`);
  if (!isBool(pa.dtype)) {
    if (!(isInt(pa.dtype) || isFloat(pa.dtype))) throw new TypeError(`Pred type must be either boolean or number, got ${pa.dtype}.`);
    pred = ne(pred, 0);
  }
  const [args] = flattenValues(operands);
  const avals = args.map(getAval);
  const { traced, jaxprs, consts } = traceBranches([falseFun, trueFun], operands, avals);
  checkBranchOutputs("cond", "true_fun", "false_fun", traced[1], traced[0]);
  const index = convertElementType(pred, "int32");
  const outs = bindCond(index, jaxprs, consts, args);
  return treeUnflatten(traced[1].outTree, outs);
}

/**
 * `lax.switch(index, branches, ...operands)`: applies `branches[index]`, the index clamped to
 * the valid range, as JAX does.
 */
export function switchBranches(index: Value, branches: readonly ((...a: never[]) => unknown)[], ...operands: unknown[]): unknown {
  if (!branches.every((b) => typeof b === "function")) throw new TypeError("lax.switch: branches argument should be a sequence of callables.");
  const ia = getAval(index);
  if (ia.ndim !== 0) throw new TypeError(`Branch index must be scalar, got ${describe(index)} of shape (${ia.shape.join(", ")}${ia.ndim === 1 ? "," : ""}).`);
  if (!isInt(ia.dtype)) throw new TypeError(`Index type must be an integer, got ${describe(index)} as ${ia.dtype}`);
  if (branches.length === 0) throw new ValueError("Empty branch sequence");
  if (branches.length === 1) return (branches[0] as (...a: unknown[]) => unknown)(...operands);
  const idx = clamp(i32(0), convertElementType(index, "int32"), i32(branches.length - 1));
  const [args] = flattenValues(operands);
  const { traced, jaxprs, consts } = traceBranches(branches, operands, args.map(getAval));
  traced.slice(1).forEach((t, i) => checkBranchOutputs("switch", "branch 0", `branch${i + 1}`, traced[0], t));
  return treeUnflatten(traced[0].outTree, bindCond(idx, jaxprs, consts, args));
}

// ---- rules -----------------------------------------------------------------------------------------

function condAbstractEval(avals: ShapedArray[], p: Params): ShapedArray[] {
  const branches = branchesOf(p);
  if (!branches.length) throw new TypeError("cond requires at least one branch function");
  const [index, ...ops] = avals;
  if (index.dtype !== "int32" || index.ndim !== 0) throw new TypeError(`cond called with index of type ${avalStr(index)} instead of int32[]`);
  const b0 = branches[0];
  branches.slice(1).forEach((b, i) => {
    if (!b.outAvals.every((a, k) => typematch(a, b0.outAvals[k])) || b.outAvals.length !== b0.outAvals.length) {
      throw new TypeError(`cond branches 0 and ${i + 1} have mismatching output types: ${b0.outAvals.map(avalStr).join(" ")} vs ${b.outAvals.map(avalStr).join(" ")}`);
    }
  });
  if (ops.length !== b0.inAvals.length || !ops.every((a, k) => typematch(a, b0.inAvals[k]))) {
    throw new TypeError(`cond branches take input types ${b0.inAvals.map(avalStr).join(" ")}, called with operands of type ${ops.map(avalStr).join(" ")}`);
  }
  return b0.outAvals;
}

/** The index as a host integer, clamped to the branches. */
const concreteIndex = (x: Value, n: number): number => Math.min(Math.max(Number(hostScalar(x)), 0), n - 1);

// d cond(i, ops) = cond(i, jvp of each branch): the tangents of the outputs nonzero in any branch.
function condJvp(primals: Value[], tangents: MaybeZero[], p: Params): [Value[], MaybeZero[]] {
  const branches = branchesOf(p);
  const opsNz = tangents.slice(1).map((t) => !(t instanceof Zero));
  const outNz = branches.map((b) => jvpJaxpr(b, opsNz, false).outNonzeros).reduce((a, b) => a.map((x, i) => x || b[i]));
  const jvps = branches.map((b) => jvpJaxpr(b, opsNz, outNz).jaxpr);
  const [index, ...ops] = primals;
  const dots = tangents.slice(1).filter((t) => !(t instanceof Zero)) as Value[];
  const outs = bind("cond", [index, ...ops, ...dots], { branches: jvps });
  const [primalsOut, tangentsNz] = splitList(outs, [outNz.length]);
  let k = 0;
  return [primalsOut, primalsOut.map((o, i) => (outNz[i] ? tangentsNz[k++] : new Zero(tangentAval(getAval(o)))))];
}

/** `select(pred, x, y)` with a rank-1 `pred` broadcast over the leading axis of x. */
function bcastSelect(pred: Value, onTrue: Value, onFalse: Value): Value {
  const s = getAval(onTrue).shape;
  const pr = getAval(pred).ndim !== s.length ? broadcastInDim(pred, s, [0]) : pred;
  return select(pr, onTrue, onFalse);
}

function bcastSelectN(which: Value, cases: Value[]): Value {
  const s = getAval(cases[0]).shape;
  const w = getAval(which).ndim !== s.length ? broadcastInDim(which, s, [0]) : which;
  return selectN(w, ...cases);
}

function condBatch(args: Value[], dims: BDim[], p: Params, size: number): [Value[], BDim[]] {
  const branches = branchesOf(p);
  const axis = currentBatchAxis() ?? { size, name: null };
  const [indexDim, ...opDims] = dims;
  if (indexDim !== null) {
    // A batched index: every branch runs on the whole batch and select_n picks per element.
    const [index, ...ops] = args.map((x, i) => bdimAtFront(x, dims[i], size));
    const batched = branches.map((b) => batchJaxpr(b, axis, b.inAvals.map(() => true), true)[0]);
    const outs = batched.map((b, i) => {
      // Operands are selected too, so that reverse mode never sees the untaken branch's inputs.
      const pr = eq(index, i32(i));
      return callJaxpr(b, ops.map((x) => bcastSelect(pr, x, stopGradient(x))));
    });
    return [outs[0].map((_, k) => bcastSelectN(index, outs.map((o) => o[k]))), outs[0].map(() => 0)];
  }
  const opsBat = opDims.map((d) => d !== null);
  const ops = args.slice(1).map((x, i) => (opDims[i] !== null ? moveaxis(x, opDims[i] as number, 0) : x));
  const outBat = branches.map((b) => batchJaxpr(b, axis, opsBat, false)[1]).reduce((a, b) => a.map((x, i) => x || b[i]));
  const batched = branches.map((b) => batchJaxpr(b, axis, opsBat, outBat)[0]);
  return [bind("cond", [args[0], ...ops], { ...p, branches: batched }), outBat.map((b) => (b ? 0 : null))];
}

/**
 * Residuals differ between branches: they are merged by type, reusing a slot for residuals of
 * the same type in different branches (JAX's _merge_branch_residuals).
 */
function mergeResiduals(perBranch: ShapedArray[][]): { all: ShapedArray[]; indices: number[][] } {
  const all: ShapedArray[] = [];
  const tags: string[] = [];
  const indices = perBranch.map((avals) => {
    const seen = new Map<string, number>();
    return avals.map((a) => {
      const n = seen.get(a.key()) ?? 0;
      seen.set(a.key(), n + 1);
      const tag = `${a.key()}#${n}`;
      let k = tags.indexOf(tag);
      if (k < 0) {
        k = tags.push(tag) - 1;
        all.push(a);
      }
      return k;
    });
  });
  return { all, indices };
}

// Known inputs run a cond of the branches' known parts (which also output the residuals); the
// unknown parts are staged as a cond taking the index, the residuals and the unknown operands.
function condPartialEval(args: Value[], unknown: boolean[], p: Params, stage: (prim: string, args: readonly Value[], params: Params) => Value[]): Value[] {
  const branches = branchesOf(p);
  const [indexUk, ...opsUk] = unknown;
  if (indexUk) return stage("cond", args, p);
  const outUk = branches.map((b) => partialEvalJaxpr(b, opsUk, false).outUnknowns).reduce((a, b) => a.map((x, i) => x || b[i]));
  const splits = branches.map((b) => partialEvalJaxpr(b, opsUk, outUk));
  const { all: resAvals, indices } = mergeResiduals(splits.map((s) => s.unknown.inAvals.slice(0, s.numRes)));
  const numKnownOuts = outUk.filter((u) => !u).length;
  const knownIns = args.slice(1).filter((_, i) => !opsUk[i]);
  const known = splits.map((s, b) => traceToJaxpr((...xs: Value[]) => {
    const [outs, res] = splitList(callJaxpr(s.known, xs), [numKnownOuts]);
    // Slots of other branches' residuals are filled with zeros.
    return [...outs, ...resAvals.map((a, k) => {
      const j = indices[b].indexOf(k);
      return j >= 0 ? res[j] : zerosLikeAval(a);
    })];
  }, knownIns.map(getAval)));
  const unknownIns = args.slice(1).filter((_, i) => opsUk[i]);
  const staged = splits.map((s, b) => traceToJaxpr((...xs: Value[]) => {
    const [res, ins] = splitList(xs, [resAvals.length]);
    return callJaxpr(s.unknown, [...indices[b].map((k) => res[k]), ...ins]);
  }, [...resAvals, ...unknownIns.map(getAval)]));
  const [knownOuts, res] = splitList(bind("cond", [args[0], ...knownIns], { ...p, branches: known }), [numKnownOuts]);
  const unknownOuts = stage("cond", [args[0], ...res, ...unknownIns], { ...p, branches: staged });
  return mergeLists(outUk, knownOuts, unknownOuts);
}

// Each branch transposed; the cond of the transposes maps output cotangents to the cotangents of
// the linear operands (the index and the non-linear operands are known).
function condTranspose(cts: MaybeZero[], args: (Value | UndefinedPrimal)[], p: Params): (MaybeZero | null)[] {
  const [index, ...ops] = args;
  if (index instanceof UndefinedPrimal) throw new Error("cond transpose: the index cannot be linear");
  const linear = ops.map((x) => x instanceof UndefinedPrimal);
  const trans = branchesOf(p).map((b) => transposeJaxpr(b, linear));
  const res = ops.filter((_, i) => !linear[i]) as Value[];
  const outs = bind("cond", [index, ...res, ...cts.map(instantiateZeros)], { ...p, branches: trans });
  let k = 0;
  return [null, ...linear.map((l) => (l ? outs[k++] : null))];
}

/** Eager evaluation: the chosen branch only (the JIT can reuse it for host-known indices). */
export function condImpl(args: readonly Value[], p: Params): Value[] {
  const branches = branchesOf(p);
  const b = branches[concreteIndex(args[0], branches.length)];
  const device = compiledDevice(args);
  if (device) return runBranchCompiled(b, args.slice(1), device);
  return concreteOutputs(callJaxpr(b, args.slice(1)), b.outAvals);
}

definePrimitive("cond", {
  abstractEval: condAbstractEval,
  jvp: condJvp,
  transpose: condTranspose,
  batch: condBatch,
  partialEval: condPartialEval,
  lower: { kind: "impl", impl: condImpl },
  shard: shardCond,
});
