/**
 * @file `jax.random` in TypeScript: keys (raw uint32[2] arrays; `key()` gives the same bits as
 * `PRNGKey()`), split/fold_in/bits, and the samplers, bit-compatible with JAX's threefry2x32 in
 * the partitionable key schedule (JAX's default) or the legacy one (`config.threefryPartitionable`).
 * As in kernel/numpy, required parameters are positional and optional ones go in one trailing
 * options object under JAX's names; SIGNATURES lists them for the Python front end.
 */

import type { Signature } from "../numpy/signatures.js";

export { PRNGKey, key, keyData, wrapKeyData, split, foldIn, bits, randomBits } from "./prng.js";
export { uniform, normal, truncatedNormal, randint, bernoulli, exponential, gumbel, categorical, choice, permutation } from "./samplers.js";
export { threefry2x32 as threefry2x32Hash, threefry2x32P as threefry2x32, iota2x32Shape } from "./threefry.js";

// JAX's parameters in order, `?` marking the optional ones (TS names are the camelCase).
const SPEC: Record<string, string> = {
  PRNGKey: "seed, impl?",
  key: "seed, impl?",
  key_data: "keys",
  wrap_key_data: "key_bits_array, impl?",
  split: "key, num?",
  fold_in: "key, data",
  bits: "key, shape?, dtype?",
  uniform: "key, shape?, dtype?, minval?, maxval?",
  normal: "key, shape?, dtype?",
  truncated_normal: "key, lower, upper, shape?, dtype?",
  randint: "key, shape, minval, maxval, dtype?",
  bernoulli: "key, p?, shape?, mode?",
  exponential: "key, shape?, dtype?",
  gumbel: "key, shape?, dtype?, mode?",
  categorical: "key, logits, axis?, shape?, replace?, mode?",
  choice: "key, a, shape?, replace?, p?, axis?, mode?",
  permutation: "key, x, axis?, independent?",
};

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());

/** Python name → its TS export and JAX parameters (the format of kernel/numpy's SIGNATURES). */
export const SIGNATURES: Readonly<Record<string, Signature>> = Object.fromEntries(
  Object.entries(SPEC).map(([name, params]) => [
    name,
    { ts: camel(name), params: params.split(", ").map((p) => ({ name: p.replace("?", ""), required: !p.endsWith("?"), varargs: false })) },
  ]),
);
