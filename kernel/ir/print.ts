/** @file Prints jaxprs in JAX's text form, e.g. `{ lambda ; a:f32[3]. let b:f32[3] = exp a in (b,) }`. */

import { type DType, isFloat, isBool } from "./dtype.js";
import { ClosedJaxpr, Jaxpr, Lit, Var, type Atom } from "./jaxpr.js";
import { ShapedArray } from "./shape.js";

/** JAX's variable names: a, b, …, z, ba, bb, … */
function encodeName(n: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n);
  return s;
}

/** The shortest decimal that reads back as the same value in `dtype`, in Python's repr style. */
export function pyFloatRepr(x: number, dtype: DType = "float64"): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const same = (s: string): boolean => {
    const y = Number(s);
    if (dtype === "float32") return Math.fround(y) === x;
    return y === x;
  };
  let digits = 1;
  let s = x.toPrecision(digits);
  while (!same(s) && digits < 17) s = x.toPrecision(++digits);
  const v = Number(s);
  const exp = v === 0 ? 0 : Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 16) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const en = Number(e);
    return `${mant}e${en < 0 ? "-" : "+"}${String(Math.abs(en)).padStart(2, "0")}`;
  }
  const p = String(v);
  return p.includes(".") || p.includes("e") ? p : `${p}.0`;
}

export function formatScalar(v: number | boolean, dtype: DType): string {
  if (typeof v === "boolean" || isBool(dtype)) return v ? "True" : "False";
  if (isFloat(dtype)) return pyFloatRepr(v, dtype);
  return String(v);
}

class Namer {
  private names = new Map<Var, string>();
  name(v: Var): string {
    let s = this.names.get(v);
    if (s === undefined) {
      s = encodeName(this.names.size);
      this.names.set(v, s);
    }
    return s;
  }
}

function atomStr(a: Atom, namer: Namer): string {
  if (a instanceof Lit) return `${formatScalar(a.val, a.aval.dtype)}:${a.aval.strShort()}`;
  return namer.name(a);
}

function paramStr(v: unknown, namer: Namer, indent: number): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const items = v.map((x) => paramStr(x, namer, indent));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (v instanceof ClosedJaxpr || v instanceof Jaxpr) return printJaxprWith(v, new Namer(), indent + 2);
  if (v instanceof ShapedArray) return v.strShort();
  if (typeof v === "function") return v.name || "<function>";
  if (typeof v === "object" && "toString" in v && v.toString !== Object.prototype.toString) return String(v);
  return JSON.stringify(v);
}

const WIDTH = 80;

function printJaxprWith(j: Jaxpr | ClosedJaxpr, namer: Namer, indent: number): string {
  const jaxpr = j instanceof ClosedJaxpr ? j.jaxpr : j;
  const binder = (v: Var): string => `${namer.name(v)}:${v.aval.strShort()}`;
  const consts = jaxpr.constvars.map(binder).join(" ");
  const ins = jaxpr.invars.map(binder).join(" ");
  const head = `{ lambda ${consts}${consts ? "" : ""}; ${ins}. let`;
  const eqns = jaxpr.eqns.map((e) => {
    const outs = e.outBinders.map(binder).join(" ");
    const keys = Object.keys(e.params);
    const params = keys.length ? `[${keys.map((k) => `${k}=${paramStr(e.params[k], namer, indent + 4)}`).join(" ")}]` : "";
    const args = e.inputs.map((a) => atomStr(a, namer)).join(" ");
    return `${outs} = ${e.primitive}${params}${args ? " " + args : ""}`;
  });
  const outs = jaxpr.outs.map((a) => atomStr(a, namer));
  const tail = `in (${outs.join(", ")}${outs.length === 1 ? "," : ""}) }`;
  const oneLine = `${head.replace(/ {2}/g, " ")} ${eqns.join("; ")}${eqns.length ? " " : ""}${tail}`.replace("{ lambda ; ", "{ lambda ; ");
  if (oneLine.length + indent <= WIDTH && !oneLine.includes("\n")) return oneLine;
  const pad = " ".repeat(indent);
  return [head, ...eqns.map((e) => `${pad}    ${e}`), `${pad}  ${tail}`].join("\n");
}

/** JAX's text form of a jaxpr. */
export function printJaxpr(j: Jaxpr | ClosedJaxpr): string {
  return printJaxprWith(j, new Namer(), 0);
}
