/**
 * @file Prints jaxprs in JAX's text form, e.g. `{ lambda ; a:f32[3]. let b:f32[3] = exp a in (b,) }`.
 * Layout follows JAX's pretty printer: documents of text, breaks, groups and nesting; a group is
 * printed flat when it fits in what is left of the 80-column line, else its breaks become
 * newlines (Lindig's "strictly pretty", checking only the group itself, as JAX does).
 */

import { type DType, isFloat, isBool, SHORT_NAME } from "./dtype.js";
import { ClosedJaxpr, Jaxpr, JaxprEqn, Lit, Var, type Atom } from "./jaxpr.js";
import { ShapedArray } from "./shape.js";

// ---- documents ------------------------------------------------------------------------------

export type Doc =
  | { readonly t: "text"; readonly s: string }
  | { readonly t: "concat"; readonly docs: readonly Doc[] }
  | { readonly t: "brk"; readonly s: string }
  | { readonly t: "group"; readonly doc: Doc }
  | { readonly t: "nest"; readonly n: number; readonly doc: Doc };

export const text = (s: string): Doc => ({ t: "text", s });
export const concat = (...docs: Doc[]): Doc => ({ t: "concat", docs });
export const brk = (s = " "): Doc => ({ t: "brk", s });
export const group = (doc: Doc): Doc => ({ t: "group", doc });
export const nest = (n: number, doc: Doc): Doc => ({ t: "nest", n, doc });
export const nil: Doc = concat();
export function join(sep: Doc, docs: readonly Doc[]): Doc {
  const xs: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) xs.push(sep);
    xs.push(d);
  });
  return concat(...xs);
}

function fits(doc: Doc, width: number): boolean {
  const agenda: Doc[] = [doc];
  while (width >= 0 && agenda.length) {
    const d = agenda.pop()!;
    switch (d.t) {
      case "text": case "brk": width -= d.s.length; break;
      case "concat": for (let i = d.docs.length - 1; i >= 0; i--) agenda.push(d.docs[i]); break;
      case "group": case "nest": agenda.push(d.doc); break;
    }
  }
  return width >= 0;
}

export function formatDoc(doc: Doc, width = 80): string {
  const lines: string[] = [];
  let line = "";
  const agenda: { indent: number; flat: boolean; doc: Doc }[] = [{ indent: 0, flat: false, doc }];
  while (agenda.length) {
    const { indent, flat, doc: d } = agenda.pop()!;
    switch (d.t) {
      case "text": line += d.s; break;
      case "brk":
        if (flat) line += d.s;
        else {
          lines.push(line);
          line = " ".repeat(indent);
        }
        break;
      case "concat": for (let i = d.docs.length - 1; i >= 0; i--) agenda.push({ indent, flat, doc: d.docs[i] }); break;
      case "group": agenda.push({ indent, flat: fits(d.doc, width - line.length), doc: d.doc }); break;
      case "nest": agenda.push({ indent: indent + d.n, flat, doc: d.doc }); break;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

// ---- scalars --------------------------------------------------------------------------------

/** Python's repr of a float (shortest round-trip digits; scientific below 1e-4 and from 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, e] = x.toExponential().split("e");
  const en = Number(e);
  if (en < -4 || en >= 16) return `${mant}e${en < 0 ? "-" : "+"}${String(Math.abs(en)).padStart(2, "0")}`;
  // In [1e-4, 1e16) JavaScript prints the same shortest digits in fixed notation.
  const s = String(x);
  return s.includes(".") ? s : `${s}.0`;
}

/** How a literal of a dtype prints in a jaxpr (JAX prints `str(np.asarray(val).item())`). */
export function formatScalar(v: number | boolean, dtype: DType): string {
  if (typeof v === "boolean" || isBool(dtype)) return v ? "True" : "False";
  if (isFloat(dtype)) return pyFloatRepr(dtype === "float32" ? Math.fround(v) : v);
  return String(v);
}

/** Python's `str` of a param value (tuples, None, booleans, dtypes, numbers). */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const items = v.map(pyStr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (v instanceof ShapedArray) return v.strShort();
  if (typeof v === "function") return v.name || "<function>";
  if (typeof v === "object" && v.toString !== Object.prototype.toString) return String(v);
  return JSON.stringify(v);
}

// ---- jaxprs ---------------------------------------------------------------------------------

/** Names variables a, b, …, z, ba, bb, … across a jaxpr and the jaxprs nested in it. */
export class PpContext {
  private readonly names = new Map<Var, string>();
  readonly shared = new Map<Jaxpr, string>();
  private next = 0;
  name(v: Var): string {
    let s = this.names.get(v);
    if (s === undefined) {
      s = encodeName(this.next++);
      this.names.set(v, s);
    }
    return s;
  }
  /**
   * Names the not-yet-named `vs` like the variables `like` (JAX's suggest_same_var_names, used by
   * call primitives so that a body's inputs and outputs read as the equation's), each name once.
   */
  suggest(vs: readonly Atom[], like: readonly Atom[]): void {
    const used = new Set<string>();
    vs.forEach((v, i) => {
      const l = like[i];
      if (!(v instanceof Var) || this.names.has(v) || !(l instanceof Var)) return;
      const n = this.name(l);
      if (used.has(n)) return;
      used.add(n);
      this.names.set(v, n);
    });
  }
}

function encodeName(n: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n);
  return s;
}

const avalStr = (a: ShapedArray): string => `${SHORT_NAME[a.dtype]}[${a.shape.join(",")}]`;

function ppAtom(a: Atom, ctx: PpContext): string {
  if (a instanceof Lit) return `${formatScalar(a.val, a.aval.dtype)}:${avalStr(a.aval)}`;
  return ctx.name(a);
}

export function ppVars(vs: readonly Atom[], ctx: PpContext, opts: { separator?: string; shapes?: boolean } = {}): Doc {
  const items = vs.map((v) => text(opts.shapes && v instanceof Var ? `${ctx.name(v)}:${avalStr(v.aval)}` : ppAtom(v, ctx)));
  return nest(2, group(join(concat(text(opts.separator ?? ""), group(brk())), items)));
}

const jaxprOf = (j: unknown): Jaxpr | undefined => (j instanceof ClosedJaxpr ? j.jaxpr : j instanceof Jaxpr ? j : undefined);

function ppParam(k: string, v: unknown, ctx: PpContext): Doc {
  let d: Doc;
  const j = jaxprOf(v);
  if (j) d = ppJaxpr(j, ctx);
  else if (Array.isArray(v) && v.length > 0 && v.every((x) => jaxprOf(x))) {
    d = group(concat(nest(2, concat(text("("), brk(""), join(brk(), v.map((x) => ppJaxpr(jaxprOf(x)!, ctx))))), brk(""), text(")")));
  } else d = text(pyStr(v));
  return concat(text(`${k}=`), d);
}

export function ppParams(params: Readonly<Record<string, unknown>>, ctx: PpContext, keys = Object.keys(params).sort()): Doc {
  if (!keys.length) return nil;
  return group(concat(nest(2, concat(text("["), brk(""), join(brk(), keys.map((k) => ppParam(k, params[k], ctx))))), brk(""), text("]")));
}

/** A custom printer for a primitive's equations (JAX's pp_eqn_rules). */
export type PpEqnRule = (eqn: JaxprEqn, ctx: PpContext) => Doc;
const ppEqnRules = new Map<string, PpEqnRule>();
export function registerPpEqnRule(prim: string, rule: PpEqnRule): void {
  ppEqnRules.set(prim, rule);
}

export function ppEqnDefault(eqn: JaxprEqn, ctx: PpContext, params: Readonly<Record<string, unknown>> = eqn.params): Doc {
  // The outputs are named first, then the params' sub-jaxprs, as JAX's _pp_eqn does.
  const lhs = ppVars(eqn.outBinders, ctx, { shapes: true });
  const rhs = [text(eqn.primitive), ppParams(params, ctx), concat(text(" "), ppVars(eqn.inputs, ctx))];
  if (!eqn.outBinders.length) return concat(...rhs);
  return concat(lhs, text(" = "), ...rhs);
}

function ppEqn(eqn: JaxprEqn, ctx: PpContext): Doc {
  return (ppEqnRules.get(eqn.primitive) ?? ppEqnDefault)(eqn, ctx);
}

function ppSkeleton(jaxpr: Jaxpr, ctx: PpContext): Doc {
  const constvars = ppVars(jaxpr.constvars, ctx, { shapes: true });
  const invars = ppVars(jaxpr.invars, ctx, { shapes: true });
  const eqns = join(brk("; "), jaxpr.eqns.map((e) => ppEqn(e, ctx)));
  const outs = concat(text("("), ppVars(jaxpr.outs, ctx, { separator: "," }), text(jaxpr.outs.length !== 1 ? ")" : ",)"));
  return concat(group(nest(2, concat(
    text("{ "), text("lambda "), constvars, text("; "), invars, text(". "), text("let"),
    nest(2, concat(brk(), eqns)), brk(), text("in "), outs,
  ))), text(" }"));
}

export function ppJaxpr(jaxpr: Jaxpr, ctx: PpContext): Doc {
  const shared = ctx.shared.get(jaxpr);
  return shared !== undefined ? text(shared) : ppSkeleton(jaxpr, ctx);
}

/** Nested jaxprs of an equation's params. */
function subJaxprs(params: Readonly<Record<string, unknown>>): Jaxpr[] {
  const out: Jaxpr[] = [];
  for (const v of Object.values(params)) {
    const j = jaxprOf(v);
    if (j) out.push(j);
    else if (Array.isArray(v)) for (const x of v) { const jx = jaxprOf(x); if (jx) out.push(jx); }
  }
  return out;
}

/** JAX's text form of a jaxpr; nested jaxprs used twice (or large ones) are printed once, first. */
export function printJaxpr(j: Jaxpr | ClosedJaxpr, width = 80): string {
  const top = j instanceof ClosedJaxpr ? j.jaxpr : j;
  const ctx = new PpContext();
  const counts = new Map<Jaxpr, number>();
  const names = new Map<Jaxpr, string>();
  const queue: Jaxpr[] = [top];
  while (queue.length) {
    const jx = queue.shift()!;
    counts.set(jx, (counts.get(jx) ?? 0) + (jx !== top && jx.eqns.length > 10 ? 2 : 1));
    for (const e of jx.eqns) {
      const name = e.params.name;
      const subs = subJaxprs(e.params);
      queue.push(...subs);
      if (typeof name === "string") for (const s of subs) if (!names.has(s)) names.set(s, name.replace(/^<|>$/g, ""));
    }
  }
  const nameCounts = new Map<string, number>();
  const docs: Doc[] = [];
  for (const [jx, c] of counts) {
    if (c === 1) continue;
    let name = names.get(jx) ?? "jaxpr";
    const n = nameCounts.get(name) ?? 0;
    if (n > 0) {
      nameCounts.set(name, n + 1);
      name += String(n);
    }
    nameCounts.set(name, (nameCounts.get(name) ?? 0) + 1);
    docs.push(concat(text("let "), text(name), text(" = "), ppSkeleton(jx, ctx), text(" in"), brk()));
    ctx.shared.set(jx, name);
  }
  docs.push(ppJaxpr(top, ctx));
  return formatDoc(concat(...docs), width);
}
