/**
 * @file Polynomial arithmetic on coefficient arrays, highest power first (NumPy's poly1d
 * order): `polyadd`, `polysub`, `polymul`, `polyder`, `polyint`. As in JAX, the derivative,
 * integral and product are always inexact; sums keep integer dtypes. (`polyval`/`polyfit` live
 * in misc.ts; `roots` needs complex eigenvalues, which the runtime does not have.)
 */

import { type JaxValue } from "../ir/core.js";
import { concreteInt } from "./coerce.js";
import { ValueError } from "../lax/errors.js";
import { type ArrayLike, J, asarray, promoteDtypes, promoteDtypesInexact } from "./coerce.js";
import * as np from "./index.js";

/** A coefficient array: rank 1 (JAX accepts arrays only, so scalars become length-1 arrays here too). */
function coeffs(name: string, p: JaxValue): JaxValue {
  if (p.ndim > 1) throw new ValueError(`jnp.${name}: polynomial coefficients must be a 1-D array; got shape ${JSON.stringify(p.shape)}`);
  return np.atleast1d(p) as JaxValue;
}

/** Sum (or difference) of two polynomials: the shorter one aligned to the lowest powers. */
function combine(name: string, a1: ArrayLike, a2: ArrayLike, sign: 1 | -1): JaxValue {
  const [x, y] = promoteDtypes(a1, a2).map((v) => coeffs(name, J(v)));
  const n = Math.max(x.shape[0], y.shape[0]);
  const px = np.pad(x, [[n - x.shape[0], 0]]), py = np.pad(y, [[n - y.shape[0], 0]]);
  return sign === 1 ? np.add(px, py) : np.subtract(px, py);
}

/** `jnp.polyadd(a1, a2)`. */
export const polyadd = (a1: ArrayLike, a2: ArrayLike): JaxValue => combine("polyadd", a1, a2, 1);

/** `jnp.polysub(a1, a2)`. */
export const polysub = (a1: ArrayLike, a2: ArrayLike): JaxValue => combine("polysub", a1, a2, -1);

/** `jnp.polymul(a1, a2, *, trim_leading_zeros=False)`: the full convolution of the coefficients. */
export function polymul(a1: ArrayLike, a2: ArrayLike, opts: { trim_leading_zeros?: boolean } = {}): JaxValue {
  let [x, y] = promoteDtypesInexact(a1, a2).map((v) => coeffs("polymul", J(v)));
  if (opts.trim_leading_zeros && (x.shape[0] > 1 || y.shape[0] > 1)) {
    x = np.trimZeros(x, { trim: "f" });
    y = np.trimZeros(y, { trim: "f" });
  }
  if (x.shape[0] === 0) x = np.zeros([1], { dtype: y.dtype });
  if (y.shape[0] === 0) y = np.zeros([1], { dtype: x.dtype });
  return np.convolve(x, y, { mode: "full" });
}

/** `jnp.polyder(p, m=1)`: the m-th derivative; coefficient i of degree d gains d!/(d-m)!. */
export function polyder(p: ArrayLike, opts: { m?: number } = {}): JaxValue {
  const m = concreteInt(opts.m ?? 1, "'m' argument of jnp.polyder");
  const x = coeffs("polyder", J(promoteDtypesInexact(p)[0]));
  if (m < 0) throw new ValueError("Order of derivative must be positive");
  if (m === 0) return x;
  const n = x.shape[0];
  if (m >= n) return np.zeros([0], { dtype: x.dtype });
  // Falling factorials d(d-1)…(d-m+1) for the degrees d = n-1 … m.
  const coeff: number[] = [];
  for (let d = n - 1; d >= m; d--) {
    let c = 1;
    for (let j = 0; j < m; j++) c *= d - j;
    coeff.push(c);
  }
  return np.multiply(np.getitem(x, { slice: [0, n - m, null] }), asarray(coeff, { dtype: x.dtype }));
}

/**
 * `jnp.polyint(p, m=1, k=None)`: the m-th antiderivative; the constants `k` (one scalar for all,
 * or m of them) become the new lowest coefficients, each divided by its own factorial factor.
 */
export function polyint(p: ArrayLike, opts: { m?: number; k?: ArrayLike | null } = {}): JaxValue {
  const m = concreteInt(opts.m ?? 1, "'m' argument of jnp.polyint");
  const [pv, kv] = promoteDtypesInexact(p, opts.k ?? 0);
  const x = coeffs("polyint", J(pv));
  if (m < 0) throw new ValueError("Order of integral must be positive (see polyder)");
  let k = np.atleast1d(J(kv)) as JaxValue;
  if (k.shape[0] === 1) k = np.full([m], np.getitem(k, 0), { dtype: x.dtype });
  if (k.ndim !== 1 || k.shape[0] !== m) throw new ValueError("k must be a scalar or a rank-1 array of length 1 or m.");
  if (m === 0) return x;
  // Coefficient of x^d in the result (d = 0 … n+m-1) is divided by d(d-1)…(d-m+1), with factors
  // below 1 taken as 1 (the integration constants).
  const len = x.shape[0] + m;
  const div: number[] = [];
  for (let d = len - 1; d >= 0; d--) {
    let c = 1;
    for (let j = 0; j < m; j++) c *= Math.max(1, d - j);
    div.push(c);
  }
  return np.divide(np.concatenate([x, k]), asarray(div, { dtype: x.dtype }));
}
