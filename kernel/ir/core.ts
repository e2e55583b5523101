/**
 * @file The trace machinery, after Autodidax: values, tracers, traces, the trace stack, `bind`,
 * and the primitive registry. Nothing here names a specific primitive.
 */

import { type DType, isFloat, defaultFloat, defaultInt } from "./dtype.js";
import { ShapedArray } from "./shape.js";
import type { PrimitiveRules } from "./rules.js";

export type Params = Readonly<Record<string, unknown>>;

/**
 * Operations on values that the numpy layer provides (so that `x.add(y)` works on tracers and
 * arrays alike without `ir` importing the layers above it).
 */
export interface ValueMethods {
  [name: string]: (...args: never[]) => unknown;
}
let methods: ValueMethods | null = null;
export function installValueMethods(m: ValueMethods): void {
  methods = m;
}
export function valueMethod(name: string): (...args: unknown[]) => unknown {
  const fn = methods?.[name];
  if (!fn) throw new Error(`Array method ${name} is not available (is kernel/numpy loaded?)`);
  return fn as (...args: unknown[]) => unknown;
}

/** What tracers and concrete arrays share: an abstract value. */
export abstract class JaxValue {
  abstract get aval(): ShapedArray;
  get shape(): readonly number[] {
    return this.aval.shape;
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get ndim(): number {
    return this.aval.ndim;
  }
  get size(): number {
    return this.aval.size;
  }
  get weakType(): boolean {
    return this.aval.weakType;
  }

  // Array methods (NumPy's and JAX's), implemented by kernel/numpy: operands are anything
  // jnp accepts (arrays, tracers, JS numbers, nested lists); options use NumPy's names.
  add(y: unknown): JaxValue { return m("add", this, y); }
  sub(y: unknown): JaxValue { return m("sub", this, y); }
  mul(y: unknown): JaxValue { return m("mul", this, y); }
  div(y: unknown): JaxValue { return m("div", this, y); }
  floordiv(y: unknown): JaxValue { return m("floordiv", this, y); }
  mod(y: unknown): JaxValue { return m("mod", this, y); }
  pow(y: unknown): JaxValue { return m("pow", this, y); }
  matmul(y: unknown): JaxValue { return m("matmul", this, y); }
  neg(): JaxValue { return m("neg", this); }
  abs(): JaxValue { return m("abs", this); }
  eq(y: unknown): JaxValue { return m("eq", this, y); }
  ne(y: unknown): JaxValue { return m("ne", this, y); }
  lt(y: unknown): JaxValue { return m("lt", this, y); }
  le(y: unknown): JaxValue { return m("le", this, y); }
  gt(y: unknown): JaxValue { return m("gt", this, y); }
  ge(y: unknown): JaxValue { return m("ge", this, y); }
  and(y: unknown): JaxValue { return m("and", this, y); }
  or(y: unknown): JaxValue { return m("or", this, y); }
  xor(y: unknown): JaxValue { return m("xor", this, y); }
  invert(): JaxValue { return m("invert", this); }
  sum(opts?: object): JaxValue { return m("sum", this, opts); }
  prod(opts?: object): JaxValue { return m("prod", this, opts); }
  mean(opts?: object): JaxValue { return m("mean", this, opts); }
  var(opts?: object): JaxValue { return m("var", this, opts); }
  std(opts?: object): JaxValue { return m("std", this, opts); }
  max(opts?: object): JaxValue { return m("max", this, opts); }
  min(opts?: object): JaxValue { return m("min", this, opts); }
  argmax(opts?: object): JaxValue { return m("argmax", this, opts); }
  argmin(opts?: object): JaxValue { return m("argmin", this, opts); }
  all(opts?: object): JaxValue { return m("all", this, opts); }
  any(opts?: object): JaxValue { return m("any", this, opts); }
  cumsum(opts?: object): JaxValue { return m("cumsum", this, opts); }
  cumprod(opts?: object): JaxValue { return m("cumprod", this, opts); }
  reshape(shape: readonly number[] | number, opts?: object): JaxValue { return m("reshape", this, shape, opts); }
  astype(dtype: string): JaxValue { return m("astype", this, dtype); }
  transpose(axes?: readonly number[] | null): JaxValue { return m("transpose", this, axes); }
  get T(): JaxValue { return m("transpose", this); }
  squeeze(opts?: object): JaxValue { return m("squeeze", this, opts); }
  flatten(): JaxValue { return m("ravel", this); }
  ravel(): JaxValue { return m("ravel", this); }
  /** NumPy's `x[index]` (see kernel/numpy/indexing.ts for the index spec). */
  get(index: unknown): JaxValue { return m("get", this, index); }
  /** JAX's functional updates: `x.at(index).set(v)`, `.add`, `.multiply`, `.divide`, `.power`, `.min`, `.max`, `.get`. */
  at(index: unknown): AtIndexer { return valueMethod("at")(this, index) as AtIndexer; }
  /** NumPy's str(x). */
  str(): string { return valueMethod("str")(this) as string; }
  toString(): string { return valueMethod("repr")(this) as string; }
}

/** What `x.at(index)` returns: JAX's `_IndexUpdateRef`. */
export interface AtIndexer {
  set(v: unknown, opts?: object): JaxValue;
  add(v: unknown, opts?: object): JaxValue;
  multiply(v: unknown, opts?: object): JaxValue;
  divide(v: unknown, opts?: object): JaxValue;
  power(v: unknown, opts?: object): JaxValue;
  min(v: unknown, opts?: object): JaxValue;
  max(v: unknown, opts?: object): JaxValue;
  get(opts?: object): JaxValue;
}

const m = (name: string, ...args: unknown[]): JaxValue => valueMethod(name)(...args) as JaxValue;

/** A value inside a transformation: boxes a value of a lower level, tagged with its trace. */
export abstract class Tracer extends JaxValue {
  abstract readonly trace: Trace;
  /** Unbox as far as possible (Autodidax's full_lower). */
  fullLower(): Value {
    return this;
  }
  /**
   * The concrete value this tracer stands for when there is one (JAX's to_concrete_value): a JVP
   * tracer of a concrete primal has it, so Python `if x > 0` works under `grad`; abstract tracers
   * (jit, vmap, make_jaxpr) return null.
   */
  toConcrete(): ConcreteArray | null {
    return null;
  }
  override toString(): string {
    return `Traced<${this.aval.toString()}>with<${this.trace.constructor.name}>`;
  }
}

/** A value with data (not a tracer): the runtime's Array. */
export abstract class ConcreteArray extends JaxValue {
  /** The Python-like value of a size-1 array. */
  abstract item(): number | boolean;
}

/**
 * A host scalar with a dtype (JAX's weakly typed Python scalar after lax has given it the dtype
 * of the other operand). It becomes a literal in jaxprs and a 0-d array when evaluated.
 */
export class TypedScalar extends ConcreteArray {
  readonly aval: ShapedArray;
  constructor(readonly value: number | boolean, dtype: DType, weak = true) {
    super();
    this.aval = new ShapedArray([], dtype, weak);
  }
  item(): number | boolean {
    return this.value;
  }
  scalarLiteral(): number | boolean {
    return this.value;
  }
  override toString(): string {
    return String(this.value);
  }
}

/**
 * lax's implicit handling of Python scalars: a JS number or boolean next to typed operands takes
 * the dtype of the first of them (weakly typed), as `lax.mul(x, 2.0)` does in JAX.
 */
export function typedScalars(args: readonly Value[]): Value[] {
  const typed = args.find((a) => a instanceof JaxValue) as JaxValue | undefined;
  if (!typed) return [...args];
  return args.map((a) => (typeof a === "number" || typeof a === "boolean" ? new TypedScalar(typeof a === "boolean" ? Number(a) : a, typed.dtype) : a));
}

/** Values that flow through `bind`: tracers, concrete arrays, and Python-like scalars (weak). */
export type Value = JaxValue | number | boolean;

export const isTracer = (x: unknown): x is Tracer => x instanceof Tracer;

/** The abstract value of anything `bind` accepts. Numbers are weakly typed, like Python scalars. */
export function getAval(x: Value): ShapedArray {
  if (x instanceof JaxValue) return x.aval;
  if (typeof x === "boolean") return new ShapedArray([], "bool", false);
  if (typeof x === "number") return new ShapedArray([], Number.isInteger(x) ? defaultInt() : defaultFloat(), true);
  throw new TypeError(`Value of type ${typeof x} is not a valid JAX type`);
}

/** The abstract value of a Python-like scalar that is declared float (e.g. `2.0`). */
export function scalarAval(x: number, float: boolean): ShapedArray {
  return new ShapedArray([], float || !Number.isInteger(x) ? defaultFloat() : defaultInt(), true);
}

export const isFloatValue = (x: Value): boolean => isFloat(getAval(x).dtype);

// ---- traces ---------------------------------------------------------------------------------

export class MainTrace {
  constructor(
    readonly level: number,
    readonly traceType: new (main: MainTrace) => Trace,
    readonly globalData: unknown,
  ) {}
}

export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Box a value that belongs to no trace of this level or above. */
  abstract pure(x: Value): Value;
  /** Box a tracer of a lower level. */
  lift(x: Value): Value {
    return this.pure(x);
  }
  abstract processPrimitive(prim: string, tracers: Value[], params: Params): Value[];
}

/** The bottom of the stack: applies primitives to concrete values. */
export class EvalTrace extends Trace {
  pure(x: Value): Value {
    return x;
  }
  processPrimitive(prim: string, values: Value[], params: Params): Value[] {
    if (!evaluator) throw new Error("No evaluator installed (is kernel/backend loaded?)");
    return evaluator(prim, values, params);
  }
}

export type Evaluator = (prim: string, values: Value[], params: Params) => Value[];
let evaluator: Evaluator | null = null;
/** The runtime installs how concrete values are computed (kernels on a backend). */
export function installEvaluator(e: Evaluator): void {
  evaluator = e;
}

const traceStack: MainTrace[] = [new MainTrace(0, EvalTrace, null)];
let dynamicTrace: MainTrace | null = null;

export const currentTraceLevel = (): number => traceStack.length - 1;

/** Runs `fn` with a new main trace pushed on the stack (Autodidax's new_main). */
export function newMain<R>(traceType: new (main: MainTrace) => Trace, globalData: unknown, fn: (main: MainTrace) => R): R {
  const main = new MainTrace(traceStack.length, traceType, globalData);
  traceStack.push(main);
  try {
    return fn(main);
  } finally {
    traceStack.pop();
  }
}

/** Like newMain, and makes it the dynamic trace: everything is staged into it (omnistaging). */
export function newDynamic<R>(traceType: new (main: MainTrace) => Trace, globalData: unknown, fn: (main: MainTrace) => R): R {
  return newMain(traceType, globalData, (main) => {
    const prev = dynamicTrace;
    dynamicTrace = main;
    try {
      return fn(main);
    } finally {
      dynamicTrace = prev;
    }
  });
}

/**
 * For primitives over named axes (collectives): the main trace that binds the axes they name, or
 * null. `bind` then goes at least that high, so that a vmap binding the axis sees the equation
 * even when no argument is batched (JAX's AxisPrimitive.bind). Installed by kernel/batching.
 */
let axisTraceOf: ((prim: string, params: Params) => MainTrace | null) | null = null;
export function installAxisTrace(fn: (prim: string, params: Params) => MainTrace | null): void {
  axisTraceOf = fn;
}

function findTopTrace(xs: readonly Value[], axisMain: MainTrace | null = null): Trace {
  let top = axisMain && axisMain.level > 0 ? axisMain : traceStack[0];
  for (const x of xs) {
    if (x instanceof Tracer && x.trace.main.level > top.level) top = x.trace.main;
  }
  if (dynamicTrace && dynamicTrace.level > top.level) top = dynamicTrace;
  return new top.traceType(top);
}

/** Raised when a tracer is used outside the transformation that made it. */
export class UnexpectedTracerError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = "UnexpectedTracerError";
  }
}

function fullRaise(trace: Trace, val: Value): Value {
  if (!(val instanceof Tracer)) return trace.pure(val);
  const level = trace.main.level;
  if (val.trace.main === trace.main) return val;
  if (val.trace.main.level < level) return trace.lift(val);
  if (val.trace.main.level > level) {
    throw new UnexpectedTracerError(
      `Encountered an unexpected tracer: a value from a transformation that has already finished (${val.toString()}). ` +
        "This usually means a traced value escaped a function through a global or a closure.",
    );
  }
  throw new UnexpectedTracerError(`Different traces at the same level: ${val.trace.constructor.name}, ${trace.constructor.name}`);
}

export function fullLower(v: Value): Value {
  return v instanceof Tracer ? v.fullLower() : v;
}

/** Applies a primitive: finds the top trace among the arguments and lets it process the call. */
export function bind(prim: string, args: readonly Value[], params: Params = {}): Value[] {
  const top = findTopTrace(args, axisTraceOf?.(prim, params) ?? null);
  const tracers = args.map((a) => fullRaise(top, a));
  return top.processPrimitive(prim, tracers, params).map(fullLower);
}

/** `bind` for primitives with a single result. */
export function bind1(prim: string, args: readonly Value[], params: Params = {}): Value {
  return bind(prim, args, params)[0];
}

// ---- the primitive registry -----------------------------------------------------------------

const registry = new Map<string, PrimitiveRules>();

/** Registers a primitive with all its rules (one stanza, in kernel/lax). */
export function definePrimitive(name: string, rules: PrimitiveRules): string {
  if (registry.has(name)) throw new Error(`Primitive ${name} is defined twice`);
  registry.set(name, rules);
  return name;
}

export function rulesOf(prim: string): PrimitiveRules {
  const r = registry.get(prim);
  if (!r) throw new Error(`Unknown primitive: ${prim}`);
  return r;
}

export const primitiveNames = (): string[] => [...registry.keys()];
