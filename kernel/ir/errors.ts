/**
 * @file JAX's errors for tracers used where a concrete value is needed (jax.errors:
 * ConcretizationTypeError, TracerBoolConversionError, TracerIntegerConversionError), and
 * `concreteOrError`, the one place that turns a value into a concrete one or raises them.
 * The `name` is the Python class name, so the Python layer can map each to `jax.errors.<name>`.
 */

import { type Value, ConcreteArray, Tracer } from "./core.js";

const ERROR_PAGE = "https://docs.jax.dev/en/latest/errors.html";

/** `traced array with shape f32[3]`, as JAX's Tracer._error_repr. */
const errorRepr = (t: Tracer): string => `traced array with shape ${t.aval.strShort()}`;

/** JAX's errors end with a link to their section of the errors page. */
function withPage(message: string, name: string): string {
  return `${message}\nSee ${ERROR_PAGE}#jax.errors.${name}`;
}

/** An abstract tracer (jit, vmap, make_jaxpr) used where a concrete value is needed. */
export class ConcretizationTypeError extends TypeError {
  constructor(tracer: Tracer, context = "", name = "ConcretizationTypeError") {
    super(withPage(`Abstract tracer value encountered where concrete value is expected: ${errorRepr(tracer)}\n${context}\n`, name));
    this.name = name;
  }
}

/** `bool(x)` (a Python `if`, `while`, `and`, `or`, `not`) on an abstract tracer. */
export class TracerBoolConversionError extends ConcretizationTypeError {
  constructor(tracer: Tracer) {
    super(tracer);
    this.name = "TracerBoolConversionError";
    this.message = withPage(`Attempted boolean conversion of ${errorRepr(tracer)}.`, this.name);
  }
}

/** `operator.index(x)` / `hex(x)` on an abstract tracer (an int where a static int is needed). */
export class TracerIntegerConversionError extends TypeError {
  constructor(tracer: Tracer) {
    super(withPage(`The __index__() method was called on ${errorRepr(tracer)}`, "TracerIntegerConversionError"));
    this.name = "TracerIntegerConversionError";
  }
}

/**
 * The concrete value of `x` (JAX's concrete_or_error): values that are not tracers are returned
 * as they are; tracers give their concrete value when they have one (JVP tracers of concrete
 * primals do), else `ConcretizationTypeError` with `context` (e.g. "The problem arose with the
 * `float` function.").
 */
export function concreteOrError(x: Value, context = ""): ConcreteArray | number | boolean {
  if (!(x instanceof Tracer)) {
    if (x instanceof ConcreteArray || typeof x === "number" || typeof x === "boolean") return x;
    throw new TypeError(`Expected a concrete value, got ${String(x)}`);
  }
  const c = x.toConcrete();
  if (c === null) throw new ConcretizationTypeError(x, context);
  return c;
}

/** Python's `bool(x)` for a JAX value: size-1 arrays only; abstract tracers raise TracerBoolConversionError. */
export function toBool(x: Value): boolean {
  if (x instanceof Tracer && x.toConcrete() === null) throw new TracerBoolConversionError(x);
  const c = concreteOrError(x);
  if (typeof c !== "object") return Boolean(c);
  if (c.size !== 1) {
    const e = new Error("The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()");
    e.name = "ValueError";
    throw e;
  }
  return Boolean(c.item());
}

/** Python's `operator.index(x)`: an integer array of size 1; abstract tracers raise TracerIntegerConversionError. */
export function toIndex(x: Value): number {
  if (x instanceof Tracer && x.toConcrete() === null) throw new TracerIntegerConversionError(x);
  const c = concreteOrError(x);
  const v = typeof c === "object" ? c.item() : c;
  if (typeof v !== "number" || !Number.isInteger(v) || (typeof c === "object" && !/int|bool/.test(c.dtype))) {
    throw new TypeError("only integer scalar arrays can be converted to a scalar index");
  }
  return v;
}
