/**
 * @file `jax.lax.linalg`: cholesky, triangular_solve, lu, lu_pivots_to_permutation
 * (linalg_solve.ts), qr, eigh, svd (linalg_decomp.ts), and the batched matrix helpers they share.
 */

export * from "./linalg_solve.js";
export * from "./linalg_decomp.js";
export { matmul, mT, symmetrize, tril, triu } from "./linalg_util.js";
