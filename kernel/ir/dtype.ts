/** @file dtypes, JAX's type-promotion lattice with weak types, and the x64 switch. */

export type DType = "bool" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "float16" | "bfloat16" | "float32" | "float64";

export const ALL_DTYPES: readonly DType[] = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "bfloat16", "float32", "float64"];

/** JAX's short names, as used in jaxprs (`f32[3]`). */
export const SHORT_NAME: Record<DType, string> = {
  bool: "bool", int8: "i8", uint8: "u8", int16: "i16", uint16: "u16", int32: "i32", uint32: "u32",
  int64: "i64", uint64: "u64", float16: "f16", bfloat16: "bf16", float32: "f32", float64: "f64",
};

export const ITEMSIZE: Record<DType, number> = {
  bool: 1, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8,
  float16: 2, bfloat16: 2, float32: 4, float64: 8,
};

export const isFloat = (d: DType): boolean => d === "float16" || d === "bfloat16" || d === "float32" || d === "float64";
export const isSignedInt = (d: DType): boolean => d === "int8" || d === "int16" || d === "int32" || d === "int64";
export const isUnsignedInt = (d: DType): boolean => d === "uint8" || d === "uint16" || d === "uint32" || d === "uint64";
export const isInt = (d: DType): boolean => isSignedInt(d) || isUnsignedInt(d);
export const isBool = (d: DType): boolean => d === "bool";

export function parseDType(name: string): DType {
  const aliases: Record<string, DType> = {
    f32: "float32", f64: "float64", f16: "float16", bf16: "bfloat16", i32: "int32", i64: "int64",
    u32: "uint32", u64: "uint64", i8: "int8", u8: "uint8", i16: "int16", u16: "uint16",
    bool_: "bool", float: "float64", int: "int64",
  };
  const d = (aliases[name] ?? name) as DType;
  if (!(ALL_DTYPES as readonly string[]).includes(d)) throw new TypeError(`Unsupported dtype: ${JSON.stringify(name)}`);
  return d;
}

// ---- configuration (jax.config) -------------------------------------------------------------

export const config = {
  /** jax_enable_x64: 64-bit types exist only when this is on. */
  enableX64: false,
  /** jax_threefry_partitionable: JAX's default since 0.5; off gives the legacy random bit streams. */
  threefryPartitionable: true,
};

/** What a dtype becomes when x64 is off (JAX's dtypes.canonicalize_dtype). */
export function canonicalize(d: DType): DType {
  if (config.enableX64) return d;
  if (d === "int64") return "int32";
  if (d === "uint64") return "uint32";
  if (d === "float64") return "float32";
  return d;
}

export const defaultFloat = (): DType => (config.enableX64 ? "float64" : "float32");
export const defaultInt = (): DType => (config.enableX64 ? "int64" : "int32");
export const defaultUint = (): DType => (config.enableX64 ? "uint64" : "uint32");

// ---- the promotion lattice -----------------------------------------------------------------

/** Lattice nodes: the dtypes plus the weak kinds i* (Python int) and f* (Python float). */
type Node = DType | "i*" | "f*";

// JAX's lattice (jax/_src/dtypes.py, _type_promotion_lattice), without complex types.
const EDGES: Record<Node, Node[]> = {
  bool: ["i*"],
  "i*": ["uint8", "int8"],
  uint8: ["int16", "uint16"],
  uint16: ["int32", "uint32"],
  uint32: ["int64", "uint64"],
  uint64: ["f*"],
  int8: ["int16"],
  int16: ["int32"],
  int32: ["int64"],
  int64: ["f*"],
  "f*": ["bfloat16", "float16"],
  bfloat16: ["float32"],
  float16: ["float32"],
  float32: ["float64"],
  float64: [],
};

const UPPER: Map<Node, Set<Node>> = (() => {
  const m = new Map<Node, Set<Node>>();
  const visit = (n: Node): Set<Node> => {
    const got = m.get(n);
    if (got) return got;
    const s = new Set<Node>([n]);
    for (const e of EDGES[n]) for (const u of visit(e)) s.add(u);
    m.set(n, s);
    return s;
  };
  for (const n of Object.keys(EDGES) as Node[]) visit(n);
  return m;
})();

function join(a: Node, b: Node): Node {
  const ua = UPPER.get(a)!;
  const ub = UPPER.get(b)!;
  const common = [...ua].filter((n) => ub.has(n));
  // The least upper bound is the common bound that every other common bound is above.
  const least = common.find((c) => common.every((o) => UPPER.get(c)!.has(o)));
  if (!least) throw new TypeError(`No promotion between ${a} and ${b}`);
  return least;
}

export interface TypedKind {
  dtype: DType;
  weak: boolean;
}

function toNode(t: TypedKind): Node {
  if (!t.weak) return t.dtype;
  if (isBool(t.dtype)) return "bool";
  return isFloat(t.dtype) ? "f*" : "i*";
}

/**
 * JAX's result type of a set of operands (jnp.result_type): the lattice join; the result is
 * weak exactly when the join is a weak kind (i* or f*), which then materializes as the default
 * int/float (or the weak operand's own width).
 */
export function resultType(...ts: TypedKind[]): TypedKind {
  if (ts.length === 0) throw new TypeError("resultType needs at least one operand");
  let n: Node = toNode(ts[0]);
  for (const t of ts.slice(1)) n = join(n, toNode(t));
  if (n === "i*") return { dtype: canonicalize(ts.find((t) => t.weak && isInt(t.dtype))?.dtype ?? defaultInt()), weak: true };
  if (n === "f*") {
    const wf = ts.find((t) => t.weak && isFloat(t.dtype));
    return { dtype: canonicalize(wf?.dtype ?? defaultFloat()), weak: true };
  }
  return { dtype: canonicalize(n), weak: false };
}

/** Promotion of plain dtypes (no weak operands). */
export const promoteTypes = (a: DType, b: DType): DType => resultType({ dtype: a, weak: false }, { dtype: b, weak: false }).dtype;

/** The dtype NumPy/JAX give a float operation on this dtype (ints and bools go to the default float). */
export const toInexact = (d: DType): DType => (isFloat(d) ? d : defaultFloat());

export const finfo = (d: DType): { eps: number; max: number; min: number; tiny: number } => {
  switch (d) {
    case "float16": return { eps: 2 ** -10, max: 65504, min: -65504, tiny: 2 ** -14 };
    case "bfloat16": return { eps: 2 ** -7, max: 3.3895313892515355e38, min: -3.3895313892515355e38, tiny: 1.1754943508222875e-38 };
    case "float32": return { eps: 2 ** -23, max: 3.4028234663852886e38, min: -3.4028234663852886e38, tiny: 1.1754943508222875e-38 };
    case "float64": return { eps: 2 ** -52, max: Number.MAX_VALUE, min: -Number.MAX_VALUE, tiny: 2.2250738585072014e-308 };
    default: throw new TypeError(`finfo takes a floating dtype, not ${d}`);
  }
};

export const iinfo = (d: DType): { min: number; max: number } => {
  switch (d) {
    case "bool": return { min: 0, max: 1 };
    case "int8": return { min: -128, max: 127 };
    case "uint8": return { min: 0, max: 255 };
    case "int16": return { min: -32768, max: 32767 };
    case "uint16": return { min: 0, max: 65535 };
    case "int32": return { min: -2147483648, max: 2147483647 };
    case "uint32": return { min: 0, max: 4294967295 };
    // 64-bit bounds as the nearest doubles (JS numbers cannot hold them exactly).
    case "int64": return { min: -(2 ** 63), max: 2 ** 63 };
    case "uint64": return { min: 0, max: 2 ** 64 };
    default: throw new TypeError(`iinfo takes an integer dtype, not ${d}`);
  }
};
