/**
 * @file JAX's binary promotion table for every pair of types, weak Python scalars included,
 * checked through jnp.add (its result dtype and weak type). The table is the one published in
 * JAX's documentation, "Type promotion semantics" (docs.jax.dev/en/latest/type_promotion.html),
 * without the complex types; i* and f* are Python int and float (weak types).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as jnp from "../../kernel/numpy/index.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { type DType, config } from "../../kernel/ir/dtype.js";
import type { JaxValue } from "../../kernel/ir/core.js";

const NAMES = ["b1", "u1", "u2", "u4", "u8", "i1", "i2", "i4", "i8", "bf", "f2", "f4", "f8", "i*", "f*"] as const;
type Name = (typeof NAMES)[number];

// Rows and columns in NAMES order (JAX docs' table, complex columns left out).
const TABLE = `
b1 u1 u2 u4 u8 i1 i2 i4 i8 bf f2 f4 f8 i* f*
u1 u1 u2 u4 u8 i2 i2 i4 i8 bf f2 f4 f8 u1 f*
u2 u2 u2 u4 u8 i4 i4 i4 i8 bf f2 f4 f8 u2 f*
u4 u4 u4 u4 u8 i8 i8 i8 i8 bf f2 f4 f8 u4 f*
u8 u8 u8 u8 u8 f* f* f* f* bf f2 f4 f8 u8 f*
i1 i2 i4 i8 f* i1 i2 i4 i8 bf f2 f4 f8 i1 f*
i2 i2 i4 i8 f* i2 i2 i4 i8 bf f2 f4 f8 i2 f*
i4 i4 i4 i8 f* i4 i4 i4 i8 bf f2 f4 f8 i4 f*
i8 i8 i8 i8 f* i8 i8 i8 i8 bf f2 f4 f8 i8 f*
bf bf bf bf bf bf bf bf bf bf f4 f4 f8 bf bf
f2 f2 f2 f2 f2 f2 f2 f2 f2 f4 f2 f4 f8 f2 f2
f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f4 f8 f4 f4
f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8 f8
i* u1 u2 u4 u8 i1 i2 i4 i8 bf f2 f4 f8 i* f*
f* f* f* f* f* f* f* f* f* bf f2 f4 f8 f* f*
`.trim().split("\n").map((r) => r.split(" ") as Name[]);

const DTYPE: Record<Exclude<Name, "i*" | "f*">, DType> = {
  b1: "bool", u1: "uint8", u2: "uint16", u4: "uint32", u8: "uint64", i1: "int8", i2: "int16", i4: "int32", i8: "int64",
  bf: "bfloat16", f2: "float16", f4: "float32", f8: "float64",
};

/** What a table entry materializes as: weak types become the default int/float, weakly typed. */
function expected(n: Name, x64: boolean): { dtype: DType; weak: boolean } {
  if (n === "i*") return { dtype: x64 ? "int64" : "int32", weak: true };
  if (n === "f*") return { dtype: x64 ? "float64" : "float32", weak: true };
  const d = DTYPE[n];
  const canon: Partial<Record<DType, DType>> = { int64: "int32", uint64: "uint32", float64: "float32" };
  return { dtype: x64 ? d : canon[d] ?? d, weak: false };
}

/** The aval of jnp.add(a, b) for operands of the table's kinds (weak kinds as JS numbers). */
function addAval(a: Name, b: Name): { dtype: DType; weak: boolean } {
  const operand = (n: Name, v: JaxValue | undefined): JaxValue | number => (n === "i*" ? 2 : n === "f*" ? 2.5 : v!);
  const avals = [a, b].filter((n) => n !== "i*" && n !== "f*").map((n) => new ShapedArray([3], DTYPE[n as keyof typeof DTYPE]));
  const cj = makeJaxpr((...xs: JaxValue[]) => {
    let k = 0;
    const x = operand(a, a === "i*" || a === "f*" ? undefined : xs[k++]);
    const y = operand(b, b === "i*" || b === "f*" ? undefined : xs[k++]);
    return jnp.add(x, y);
  })(...avals);
  const out = cj.outAvals[0];
  return { dtype: out.dtype, weak: out.weakType };
}

describe("JAX's type promotion table (jnp.add)", () => {
  for (const x64 of [true, false]) {
    describe(x64 ? "with jax_enable_x64" : "without x64 (64-bit types canonicalize to 32-bit)", () => {
      let saved = false;
      before(() => {
        saved = config.enableX64;
        config.enableX64 = x64;
      });
      after(() => {
        config.enableX64 = saved;
      });
      NAMES.forEach((a, i) => {
        it(`row ${a}`, () => {
          NAMES.forEach((b, j) => {
            if (!x64 && ([a, b].includes("u8") || [a, b].includes("i8") || [a, b].includes("f8"))) return;
            assert.deepEqual(addAval(a, b), expected(TABLE[i][j], x64), `${a} + ${b}`);
          });
        });
      });
    });
  }
});

describe("weak types in practice", () => {
  it("x_f32 * 2.0 stays float32; int32 + 1.5 is a weak float32", () => {
    const x = jnp.ones([2]);
    assert.equal(jnp.multiply(x, 2.5).dtype, "float32");
    assert.equal(jnp.multiply(x, 2.5).weakType, false);
    const i = jnp.arange(3);
    assert.deepEqual([jnp.add(i, 1.5).dtype, jnp.add(i, 1.5).weakType], ["float32", true]);
  });
  it("jnp.arange(5) is int32, a JS number is a weak 0-d array, lists are strong", () => {
    assert.equal(jnp.arange(5).dtype, "int32");
    assert.deepEqual([jnp.asarray(3).dtype, jnp.asarray(3).weakType], ["int32", true]);
    assert.deepEqual([jnp.asarray([1, 2]).dtype, jnp.asarray([1, 2]).weakType], ["int32", false]);
    assert.equal(jnp.asarray([1, 2.5]).dtype, "float32");
    assert.equal(jnp.asarray([true, false]).dtype, "bool");
  });
  it("a JS int too large for the other operand's dtype is an OverflowError", () => {
    const x = jnp.asarray([1, 2], { dtype: "int8" });
    assert.throws(() => jnp.add(x, 1000), (e: Error) => e.name === "OverflowError" && /Python int 1000 too large to convert to int8/.test(e.message));
  });
  it("a weak array meeting a strong one of the same dtype becomes strong (convert_element_type)", () => {
    const cj = makeJaxpr((a: JaxValue, b: JaxValue) => jnp.add(a, b))(new ShapedArray([], "float32", true), new ShapedArray([3], "float32"));
    assert.equal(cj.jaxpr.eqns[0].primitive, "convert_element_type");
    assert.equal(cj.outAvals[0].weakType, false);
  });
});
