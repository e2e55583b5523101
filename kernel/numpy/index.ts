/**
 * @file `jax.numpy` in TypeScript. Required NumPy parameters are positional; optional ones go in
 * a trailing options object with NumPy's snake_case names (`sum(x, { axis: 0, keepdims: true })`);
 * `signatures.ts` lists every function's parameters for the Python front end.
 */

import "./methods.js";

export * from "./creation.js";
export * from "./elementwise.js";
export * from "./reductions.js";
export * from "./shape.js";
export * from "./products.js";
export * from "./indexing.js";
export * from "./sorting.js";
export * from "./misc.js";
export * from "./statistics.js";
export * from "./selection.js";
export * from "./sets.js";
export * from "./poly.js";
export * from "./ufuncs.js";
export * from "./layout.js";
export * from "./numeric.js";
export * from "./functional.js";
export * from "./extras.js";
export * as linalg from "./linalg.js";
export { arrayRepr, arrayStr, array2string } from "./print.js";
export { type ArrayLike, type DTypeLike, asarray, resultKind as resultType, promoteDtypes, OverflowError } from "./coerce.js";
export { SIGNATURES } from "./signatures.js";
