/**
 * @file The Threefry-2x32 hash (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3") as
 * JAX's `threefry2x32` primitive: 20 rounds of add/rotate/xor over uint32 written as kernel
 * expressions, so it fuses like any elementwise op; and JAX's `iota_2x32_shape` (a 64-bit
 * counter as two uint32 halves) that the partitionable key schedule hashes.
 */

import { type Value, TypedScalar, bind, definePrimitive, getAval } from "../ir/core.js";
import { ShapedArray, type Shape, prod, shapeStr } from "../ir/shape.js";
import { type Exp, binary, cast, constant, ravel, view } from "../codegen/exp.js";
import { broadcastView, broadcastingBatch, broadcastingShape } from "../lax/nary.js";
import { broadcastInDim, concatenate, reshape, slice } from "../lax/index.js";

const u32 = (v: number): Exp => constant(v >>> 0, "uint32");
const addU = (a: Exp, b: Exp): Exp => binary("add", a, b);
const rotl = (x: Exp, d: number): Exp => binary("or", binary("shl", x, u32(d)), binary("shr", x, u32(32 - d)));

const ROTATIONS = [[13, 15, 26, 6], [17, 29, 16, 24]];

/** The two uint32 outputs of Threefry-2x32 (20 rounds) of counter (x0, x1) under key (k0, k1). */
export function threefryExp(k0: Exp, k1: Exp, x0: Exp, x1: Exp): [Exp, Exp] {
  const ks = [k0, k1, binary("xor", binary("xor", k0, k1), u32(0x1bd11bda))];
  let a = addU(x0, ks[0]);
  let b = addU(x1, ks[1]);
  for (let i = 0; i < 5; i++) {
    for (const r of ROTATIONS[i % 2]) {
      a = addU(a, b);
      b = binary("xor", a, rotl(b, r));
    }
    // Key injection after every 4 rounds.
    a = addU(a, ks[(i + 1) % 3]);
    b = addU(addU(b, ks[(i + 2) % 3]), u32(i + 1));
  }
  return [a, b];
}

definePrimitive("threefry2x32", {
  abstractEval: (avals) => {
    if (avals.some((a) => a.dtype !== "uint32")) {
      throw new TypeError(`Arguments to threefry2x32 must have uint32 type, got [${avals.map((a) => a.toString()).join(", ")}]`);
    }
    const aval = new ShapedArray(broadcastingShape("threefry2x32", avals), "uint32");
    return [aval, aval];
  },
  // Random bits have no derivative.
  jvp: "nondiff",
  transpose: null,
  batch: broadcastingBatch("threefry2x32"),
  lower: {
    kind: "fusible",
    rule: (ins, _p, [out]) => {
      const bs = ins.map((v) => broadcastView(v, out.shape));
      // Two views over one expression DAG: the renderer's structural CSE computes it once per element.
      const outputOf = (k: 0 | 1) => view(out.shape, "uint32", (idx) => {
        const [x0, x1] = threefryExp(bs[0].at(idx), bs[1].at(idx), bs[2].at(idx), bs[3].at(idx));
        return k === 0 ? x0 : x1;
      });
      return [outputOf(0), outputOf(1)];
    },
  },
});

/** The raw primitive: hashes counters (x0, x1) under key words (k0, k1), broadcasting scalars. */
export function threefry2x32P(k0: Value, k1: Value, x0: Value, x1: Value): [Value, Value] {
  return bind("threefry2x32", [k0, k1, x0, x1]) as [Value, Value];
}

definePrimitive("iota_2x32_shape", {
  abstractEval: (_avals, p) => {
    const aval = new ShapedArray(p.shape as number[], "uint32");
    return [aval, aval];
  },
  jvp: "nondiff",
  transpose: null,
  // No operands, so never batched.
  batch: (_args, _dims, p) => [bind("iota_2x32_shape", [], p), [null, null]],
  lower: {
    kind: "fusible",
    rule: (_ins, p) => {
      const shape = p.shape as number[];
      // Arrays here hold fewer than 2^32 elements: the high word of the counter is 0.
      return [view(shape, "uint32", () => u32(0)), view(shape, "uint32", (idx) => cast(ravel(idx, shape), "uint32"))];
    },
  },
});

/**
 * JAX's iota_2x32_shape: the row-major position of every element of `shape` as a 64-bit counter,
 * split into (high, low) uint32 words.
 */
export function iota2x32Shape(shape: Shape): [Value, Value] {
  if (prod(shape) >= 2 ** 32) throw new Error(`NotImplementedError: random bits array of size exceeding 2 ** 32: ${shapeStr(shape)}`);
  return bind("iota_2x32_shape", [], { shape: [...shape] }) as [Value, Value];
}

/**
 * JAX's threefry_2x32(keypair, count): hashes an array of uint32 counts by splitting it (padded
 * to even length) into two halves that form the counter pairs, then putting the halves back.
 */
export function threefry2x32(key: Value, count: Value): Value {
  const shape = getAval(count).shape;
  const k0 = reshape(slice(key, [0], [1]), []);
  const k1 = reshape(slice(key, [1], [2]), []);
  const n = prod(shape);
  let flat = reshape(count, [n]);
  const odd = n % 2;
  if (odd) flat = concatenate([flat, broadcastInDim(new TypedScalar(0, "uint32", false), [1], [])], 0);
  const half = (n + odd) / 2;
  const [y0, y1] = threefry2x32P(k0, k1, slice(flat, [0], [half]), slice(flat, [half], [2 * half]));
  let out = concatenate([y0, y1], 0);
  if (odd) out = slice(out, [0], [n]);
  return reshape(out, shape);
}
