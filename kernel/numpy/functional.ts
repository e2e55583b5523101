/**
 * @file jnp functions that take functions: `apply_along_axis` (vmapped over the other axes, as
 * JAX does), `apply_over_axes` and `piecewise` (every piece evaluated, the one whose condition
 * holds last selected elementwise — JAX's vectorized lax.switch computes the same).
 */

import { type JaxValue } from "../ir/core.js";
import { vmap } from "../batching/index.js";
import { ValueError } from "../lax/errors.js";
import { type ArrayLike, asarray, canonicalizeAxis } from "./coerce.js";
import * as np from "./index.js";

type ArrayFn = (x: JaxValue, ...rest: unknown[]) => ArrayLike;

/** `jnp.apply_along_axis(func1d, axis, arr, *args)`: `func1d` applied to every 1-D slice along `axis`. */
export function applyAlongAxis(func1d: ArrayFn, axis: number, arr: ArrayLike, args: readonly unknown[]): JaxValue {
  const a = asarray(arr);
  const ax = canonicalizeAxis(axis, a.ndim);
  let f = (x: JaxValue): JaxValue => asarray(func1d(x, ...args));
  // Axes after `axis` are mapped innermost, their results placed last; axes before it outermost.
  for (let i = 1; i < a.ndim - ax; i++) f = vmap(f, i, -1);
  for (let i = 0; i < ax; i++) f = vmap(f, 0, 0);
  return f(a);
}

/** `jnp.apply_over_axes(func, a, axes)`: `func(a, axis)` repeatedly, a reduced axis kept as length 1. */
export function applyOverAxes(func: (a: JaxValue, axis: number) => ArrayLike, a: ArrayLike, axes: number | readonly number[]): JaxValue {
  let x = asarray(a);
  for (const axis of typeof axes === "number" ? [axes] : axes) {
    const b = asarray(func(x, axis));
    if (b.ndim === x.ndim) x = b;
    else if (b.ndim === x.ndim - 1) x = np.expandDims(b, axis);
    else throw new ValueError("function is not returning an array of the correct shape");
  }
  return x;
}

/**
 * `jnp.piecewise(x, condlist, funclist, *args)`: where condition i holds, `funclist[i](x)` (or the
 * constant); one extra function is the default where none holds (else 0). Results take x's dtype.
 */
export function piecewise(x: ArrayLike, condlist: ArrayLike | readonly ArrayLike[], funclist: readonly (ArrayFn | number)[], args: readonly unknown[]): JaxValue {
  const xa = asarray(x);
  let conds = asarray(condlist as ArrayLike).astype("bool");
  if (conds.ndim === xa.ndim) conds = np.expandDims(conds, 0);
  const nc = conds.shape[0], nf = funclist.length;
  let fs: readonly (ArrayFn | number)[];
  if (nf === nc + 1) fs = [funclist[nf - 1], ...funclist.slice(0, nc)];
  else if (nf === nc) fs = [0, ...funclist];
  else throw new ValueError(`with ${nc} condition(s), either ${nc} or ${nc + 1} functions are expected; got ${nf}`);
  const piece = (f: ArrayFn | number): JaxValue => (typeof f === "function" ? asarray(f(xa, ...args)) : asarray(f)).astype(xa.dtype);
  let out = np.broadcastTo(piece(fs[0]), xa.shape);
  for (let i = 0; i < nc; i++) out = np.where(np.getitem(conds, i), piece(fs[i + 1]), out);
  return out;
}
