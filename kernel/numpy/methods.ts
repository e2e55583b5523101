/**
 * @file The Array methods (`x.add(y)`, `x.sum({axis: 0})`, `x.reshape([2, 3])`, `x.T`,
 * `x.get(idx)`, `x.at(idx).set(v)`, repr and str) for arrays and tracers alike, installed into
 * kernel/ir's JaxValue through `installValueMethods`.
 */

import { type JaxValue, installValueMethods } from "../ir/core.js";
import { Array, hostToNumbers } from "../backend/array.js";
import type { HostData } from "../ir/rules.js";
import { type ArrayLike, asarray, dtypeArg, convert, J } from "./coerce.js";
import * as E from "./elementwise.js";
import * as R from "./reductions.js";
import * as S from "./shape.js";
import { IndexUpdateRef, type IndexSpec, getitem } from "./indexing.js";
import { type Printable, arrayRepr, arrayStr } from "./print.js";
import { matmul } from "./products.js";

/** A concrete array for the printer: one read of the buffer, values decoded as they are printed. */
function printable(x: JaxValue): Printable {
  if (!(x instanceof Array)) throw new TypeError(`Cannot print the values of an abstract value ${String(x)}`);
  const data = x.data();
  const half = x.dtype === "float16" || x.dtype === "bfloat16";
  const value = half ? (i: number) => hostToNumbers(data.subarray(i, i + 1) as HostData, x.dtype)[0] : (i: number) => data[i];
  return { shape: x.shape, dtype: x.dtype, weakType: x.weakType, size: x.size, value };
}

installValueMethods({
  add: (x: JaxValue, y: ArrayLike) => E.add(x, y),
  sub: (x: JaxValue, y: ArrayLike) => E.subtract(x, y),
  mul: (x: JaxValue, y: ArrayLike) => E.multiply(x, y),
  div: (x: JaxValue, y: ArrayLike) => E.trueDivide(x, y),
  floordiv: (x: JaxValue, y: ArrayLike) => E.floorDivide(x, y),
  mod: (x: JaxValue, y: ArrayLike) => E.remainder(x, y),
  pow: (x: JaxValue, y: ArrayLike) => E.power(x, y),
  matmul: (x: JaxValue, y: ArrayLike) => matmul(x, y),
  neg: (x: JaxValue) => E.negative(x),
  abs: (x: JaxValue) => E.absolute(x),
  eq: (x: JaxValue, y: ArrayLike) => E.equal(x, y),
  ne: (x: JaxValue, y: ArrayLike) => E.notEqual(x, y),
  lt: (x: JaxValue, y: ArrayLike) => E.less(x, y),
  le: (x: JaxValue, y: ArrayLike) => E.lessEqual(x, y),
  gt: (x: JaxValue, y: ArrayLike) => E.greater(x, y),
  ge: (x: JaxValue, y: ArrayLike) => E.greaterEqual(x, y),
  and: (x: JaxValue, y: ArrayLike) => E.bitwiseAnd(x, y),
  or: (x: JaxValue, y: ArrayLike) => E.bitwiseOr(x, y),
  xor: (x: JaxValue, y: ArrayLike) => E.bitwiseXor(x, y),
  invert: (x: JaxValue) => E.invert(x),
  sum: (x: JaxValue, o?: R.ReduceOpts) => R.sum(x, o),
  prod: (x: JaxValue, o?: R.ReduceOpts) => R.prod(x, o),
  mean: (x: JaxValue, o?: R.ReduceOpts) => R.mean(x, o),
  var: (x: JaxValue, o?: R.VarOpts) => R.variance(x, o),
  std: (x: JaxValue, o?: R.VarOpts) => R.std(x, o),
  max: (x: JaxValue, o?: R.ReduceOpts) => R.max(x, o),
  min: (x: JaxValue, o?: R.ReduceOpts) => R.min(x, o),
  argmax: (x: JaxValue, o?: { axis?: number | null; keepdims?: boolean }) => R.argmax(x, o),
  argmin: (x: JaxValue, o?: { axis?: number | null; keepdims?: boolean }) => R.argmin(x, o),
  all: (x: JaxValue, o?: R.ReduceOpts) => R.all(x, o),
  any: (x: JaxValue, o?: R.ReduceOpts) => R.any(x, o),
  cumsum: (x: JaxValue, o?: { axis?: number | null }) => R.cumsum(x, o),
  cumprod: (x: JaxValue, o?: { axis?: number | null }) => R.cumprod(x, o),
  reshape: (x: JaxValue, shape: number | readonly number[]) => S.reshape(x, shape),
  astype: (x: JaxValue, dtype: string) => J(convert(asarray(x), dtypeArg(dtype), false)),
  transpose: (x: JaxValue, axes?: readonly number[] | null) => S.transpose(x, { axes: axes ?? null }),
  squeeze: (x: JaxValue, o?: { axis?: number | readonly number[] | null }) => S.squeeze(x, o),
  ravel: (x: JaxValue) => S.ravel(x),
  get: (x: JaxValue, idx: IndexSpec) => getitem(x, idx),
  at: (x: JaxValue, idx: IndexSpec) => new IndexUpdateRef(x, idx),
  repr: (x: JaxValue) => arrayRepr(printable(x)),
  str: (x: JaxValue) => arrayStr(printable(x)),
});
