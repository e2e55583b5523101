/**
 * @file dot_general: contractions with batch dimensions (XLA's DotGeneral), JAX's dtype rule
 * (mixed operand types resolve to the "larger" one; preferred_element_type upcasts), printed as
 * JAX prints it (dimension numbers as lists, None params omitted). Lowered as a fusible view that
 * reduces over the contracting dims (the JIT may swap in a tiled kernel). Bilinear: the JVP is
 * dot(dx, y) + dot(x, dy) and the transposes are JAX's _dot_general_transpose_lhs/rhs.
 */

import { type Params, type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, ITEMSIZE, isBool, isFloat, isUnsignedInt, canonicalize } from "../ir/dtype.js";
import { ShapedArray, type Shape, prod, shapeStr } from "../ir/shape.js";
import { type BDim, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Exp, index, unravel, reduce, ridx, view, binary, cast } from "../codegen/exp.js";
import { registerPpEqnRule, ppEqnDefault } from "../ir/print.js";
import { addTangents, tangentAval } from "./helpers.js";
import { convertElementType, transpose } from "./structural.js";
import { ValueError } from "./errors.js";
import { shardDotGeneral } from "./shard.js";

/** ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch)), as in JAX. */
export type DotDimensionNumbers = readonly [readonly [readonly number[], readonly number[]], readonly [readonly number[], readonly number[]]];

export interface DotOptions {
  precision?: string | null;
  preferredElementType?: DType | null;
}

/** `lax.dot_general`. */
export function dotGeneral(lhs: Value, rhs: Value, dimensionNumbers: DotDimensionNumbers, opts: DotOptions = {}): Value {
  const [[lc, rc], [lb, rb]] = dimensionNumbers;
  return bind1("dot_general", [lhs, rhs], {
    dimension_numbers: [[[...lc], [...rc]], [[...lb], [...rb]]],
    out_sharding: null,
    precision: opts.precision ?? null,
    preferred_element_type: opts.preferredElementType ? canonicalize(opts.preferredElementType) : null,
  });
}

/** `lax.dot`: matrix/vector products of operands of rank 1 or 2 (the last dim of lhs with the first of rhs). */
export function dot(lhs: Value, rhs: Value, opts: DotOptions = {}): Value {
  const ls = getAval(lhs).shape, rs = getAval(rhs).shape;
  if (!(ls.length >= 1 && ls.length <= 2 && rs.length >= 1 && rs.length <= 2 && ls[ls.length - 1] === rs[0])) {
    throw new ValueError(`jax.lax.dot: dimension_numbers must be specified when not performing simple un-batched matrix-matrix, matrix-vector, or vector-vector products; got lhs_shape=${shapeStr(ls)} rhs_shape=${shapeStr(rs)}`);
  }
  return dotGeneral(lhs, rhs, [[[ls.length - 1], [0]], [[], []]], opts);
}

const dnumsOf = (p: Params) => p.dimension_numbers as number[][][];
const remaining = (n: number, ...drop: number[][]): number[] => [...Array(n).keys()].filter((i) => !drop.some((d) => d.includes(i)));
const argsort = (xs: readonly number[]): number[] => xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);

function dotShape(ls: Shape, rs: Shape, dn: number[][][]): number[] {
  const [[lc, rc], [lb, rb]] = dn;
  return [...lb.map((i) => ls[i]), ...remaining(ls.length, lc, lb).map((i) => ls[i]), ...remaining(rs.length, rc, rb).map((i) => rs[i])];
}

function checkDims(l: ShapedArray, r: ShapedArray, dn: number[][][]): void {
  const [[lc, rc], [lb, rb]] = dn;
  const t = (xs: number[]) => shapeStr(xs);
  if (![...lc, ...lb].every((d) => d >= 0 && d < l.ndim)) {
    throw new TypeError(`dot_general requires lhs dimension numbers to be nonnegative and less than the number of axes of the lhs value, got lhs_batch of ${t(lb)} and lhs_contracting of ${t(lc)} for lhs of rank ${l.ndim}`);
  }
  if (![...rc, ...rb].every((d) => d >= 0 && d < r.ndim)) {
    throw new TypeError(`dot_general requires rhs dimension numbers to be nonnegative and less than the number of axes of the rhs value, got rhs_batch of ${t(rb)} and rhs_contracting of ${t(rc)} for rhs of rank ${r.ndim}`);
  }
  if (lb.length !== rb.length) throw new TypeError(`dot_general requires equal numbers of lhs_batch and rhs_batch dimensions, got lhs_batch ${t(lb)} and rhs_batch ${t(rb)}.`);
  const distinct = (xs: number[]) => new Set(xs).size === xs.length;
  if (!distinct(lb)) throw new TypeError(`dot_general requires lhs batch dimensions to be distinct, got lhs_batch ${t(lb)}.`);
  if (!distinct(rb)) throw new TypeError(`dot_general requires rhs batch dimensions to be distinct, got rhs_batch ${t(rb)}.`);
  if (!distinct(lc)) throw new TypeError(`dot_general requires lhs contracting dimensions to be distinct, got lhs_contracting ${t(lc)}.`);
  if (!distinct(rc)) throw new TypeError(`dot_general requires rhs contracting dimensions to be distinct, got rhs_contracting ${t(rc)}.`);
  if (lc.some((d) => lb.includes(d))) throw new TypeError(`dot_general requires lhs batch dimensions to be disjoint from contracting dimensions, got lhs_batch ${t(lb)} and lhs_contracting ${t(lc)}.`);
  if (rc.some((d) => rb.includes(d))) throw new TypeError(`dot_general requires rhs batch dimensions to be disjoint from contracting dimensions, got rhs_batch ${t(rb)} and rhs_contracting ${t(rc)}.`);
  const lbs = lb.map((i) => l.shape[i]), rbs = rb.map((i) => r.shape[i]);
  if (lbs.some((d, i) => d !== rbs[i])) throw new TypeError(`dot_general requires lhs batch dimensions and rhs batch dimensions to have the same shape, got ${t(lbs)} and ${t(rbs)}.`);
  if (lc.length !== rc.length || lc.some((d, i) => l.shape[d] !== r.shape[rc[i]])) {
    throw new TypeError(`dot_general requires contracting dimensions to have the same shape, got ${t(lc.map((i) => l.shape[i]))} and ${t(rc.map((i) => r.shape[i]))}.`);
  }
}

/** XLA's ordering of element types for mixed-type dots: (max exponent, mantissa bits, bit width, signed). */
function typeProperties(d: DType): number[] {
  const MAXEXP: Partial<Record<DType, number>> = { float16: 16, bfloat16: 128, float32: 128, float64: 1024 };
  const NMANT: Partial<Record<DType, number>> = { float16: 10, bfloat16: 7, float32: 23, float64: 52 };
  const bits = isBool(d) ? 1 : ITEMSIZE[d] * 8;
  return [MAXEXP[d] ?? -1, NMANT[d] ?? -1, bits, isUnsignedInt(d) ? 0 : 1];
}

function dotDtype(l: DType, r: DType, preferred: DType | null): DType {
  const lp = typeProperties(l), rp = typeProperties(r);
  const cmp = lp.findIndex((v, i) => v !== rp[i]);
  let result: DType;
  if (cmp < 0) {
    if (l !== r) throw new TypeError(`lax.dot_general argument type error: ${l}, ${r}`);
    result = l;
  } else result = lp[cmp] > rp[cmp] ? l : r;
  if (preferred === null || preferred === result) return result;
  const bits = (d: DType) => (isBool(d) ? 1 : ITEMSIZE[d] * 8);
  if (!isFloat(result) && bits(preferred) < bits(result)) {
    throw new TypeError(`\`preferred_element_type\` must not be narrower than the original type, got preferred_element_type of ${preferred} for result type of ${result}.`);
  }
  return preferred;
}

// ---- transposes (JAX's _dot_general_transpose_lhs / _rhs) -----------------------------------------

function transposeLhs(g: Value, xAval: ShapedArray, y: Value, dn: number[][][], p: Params, swapAns = false): Value {
  const [[xc, yc], [xb, yb]] = dn;
  const yNd = getAval(y).ndim;
  const xKept = remaining(xAval.ndim, xc, xb);
  const yKept = remaining(yNd, yc, yb);
  const nb = xb.length;
  const range = (start: number, n: number) => [...Array(n).keys()].map((i) => start + i);
  const ansBatch = range(0, nb);
  const ansY = swapAns ? range(nb, yKept.length) : range(nb + xKept.length, yKept.length);
  const dims = [[ansY, yKept], [ansBatch, yb]];
  const xContractSortedByY = argsort(yc).map((i) => xc[i]);
  const outAxes = argsort([...xb, ...xKept, ...xContractSortedByY]);
  const out = bind1("dot_general", [g, y], { ...p, dimension_numbers: dims });
  const xBar = transpose(out, outAxes);
  return getAval(xBar).dtype !== xAval.dtype ? convertElementType(xBar, xAval.dtype, xAval.weakType) : xBar;
}

function transposeRhs(g: Value, x: Value, yAval: ShapedArray, dn: number[][][], p: Params): Value {
  const [[xc, yc], [xb, yb]] = dn;
  return transposeLhs(g, yAval, x, [[yc, xc], [yb, xb]], p, true);
}

// ---- batching (JAX's _dot_general_batch_dim_nums) ----------------------------------------------------

function batchDimNums(ndims: [number, number], [lbd, rbd]: BDim[], dn: number[][][]): [number[][][], number] {
  let [[lc, rc], [lb, rb]] = dn;
  const bump = (dims: number[], b: number) => dims.map((d) => d + (d >= b ? 1 : 0));
  let out: number;
  if (lbd !== null && rbd !== null) {
    lb = [lbd, ...bump(lb, lbd)];
    rb = [rbd, ...bump(rb, rbd)];
    lc = bump(lc, lbd);
    rc = bump(rc, rbd);
    out = 0;
  } else if (lbd !== null) {
    const lTensor = remaining(ndims[0], lb, lc);
    out = lb.length + lTensor.filter((d) => d < lbd).length;
    lb = bump(lb, lbd);
    lc = bump(lc, lbd);
  } else {
    const r = rbd as number;
    const rTensor = remaining(ndims[1], rb, rc);
    out = ndims[0] - lc.length + rTensor.filter((d) => d < r).length;
    rb = bump(rb, r);
    rc = bump(rc, r);
  }
  return [[[lc, rc], [lb, rb]], out];
}

// ---- the primitive ----------------------------------------------------------------------------------

definePrimitive("dot_general", {
  abstractEval: ([l, r], p) => {
    const dn = dnumsOf(p);
    checkDims(l, r, dn);
    const dtype = dotDtype(l.dtype, r.dtype, (p.preferred_element_type as DType | null) ?? null);
    return [new ShapedArray(dotShape(l.shape, r.shape, dn), dtype, l.weakType && r.weakType)];
  },
  // d(x·y) = dx·y + x·dy
  jvp: ([x, y], [tx, ty], p) => {
    const out = bind1("dot_general", [x, y], p);
    let t: MaybeZero = new Zero(tangentAval(getAval(out)));
    if (!(tx instanceof Zero)) t = addTangents(t, bind1("dot_general", [tx, y], p));
    if (!(ty instanceof Zero)) t = addTangents(t, bind1("dot_general", [x, ty], p));
    return [[out], [t]];
  },
  transpose: ([ct], [x, y], p) => {
    const dn = dnumsOf(p);
    const ux = x instanceof UndefinedPrimal, uy = y instanceof UndefinedPrimal;
    if (ux && uy) throw new Error("dot_general transpose: both operands are linear");
    if (ct instanceof Zero) return [ux ? new Zero(x.aval) : null, uy ? new Zero(y.aval) : null];
    return [
      ux ? transposeLhs(ct, x.aval, y as Value, dn, p) : null,
      uy ? transposeRhs(ct, x as Value, y.aval, dn, p) : null,
    ];
  },
  batch: ([l, r], dims, p) => {
    if (dims[0] === null && dims[1] === null) return [[bind1("dot_general", [l, r], p)], [null]];
    const [dn, outDim] = batchDimNums([getAval(l).ndim, getAval(r).ndim], dims, dnumsOf(p));
    return [[bind1("dot_general", [l, r], { ...p, dimension_numbers: dn })], [outDim]];
  },
  shard: shardDotGeneral,
  lower: {
    kind: "fusible",
    rule: ([l, r], p, [out]) => {
      const [[lc, rc], [lb, rb]] = dnumsOf(p);
      const lFree = remaining(l.shape.length, lc, lb), rFree = remaining(r.shape.length, rc, rb);
      const cshape = lc.map((d) => l.shape[d]);
      return [view(out.shape, out.dtype, (o) => {
        const k = ridx(prod(cshape));
        const ci = unravel(k, cshape).dims;
        const li: Exp[] = new Array(l.shape.length), rj: Exp[] = new Array(r.shape.length);
        lb.forEach((d, i) => (li[d] = o.dims[i]));
        rb.forEach((d, i) => (rj[d] = o.dims[i]));
        lFree.forEach((d, i) => (li[d] = o.dims[lb.length + i]));
        rFree.forEach((d, i) => (rj[d] = o.dims[lb.length + lFree.length + i]));
        lc.forEach((d, i) => (li[d] = ci[i]));
        rc.forEach((d, i) => (rj[d] = ci[i]));
        const prodExp = binary("mul", cast(l.at(index(li)), out.dtype), cast(r.at(index(rj)), out.dtype));
        return reduce("sum", k, prodExp);
      })];
    },
  },
});

// JAX prints dot_general's dimension numbers as lists and omits None-valued params and out_sharding.
registerPpEqnRule("dot_general", (eqn, ctx) => {
  const [[lc, rc], [lb, rb]] = dnumsOf(eqn.params);
  const l = (xs: number[]) => `[${xs.join(", ")}]`;
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(eqn.params)) if (v !== null && k !== "out_sharding") params[k] = v;
  params.dimension_numbers = { toString: () => `((${l(lc)}, ${l(rc)}), (${l(lb)}, ${l(rb)}))` };
  return ppEqnDefault(eqn, ctx, params);
});
