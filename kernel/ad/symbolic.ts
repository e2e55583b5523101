/**
 * @file Jaxpr → readable formula, for the editor's derivative hovers. A scalar jaxpr (typically
 * of `grad(f)`) is evaluated over symbolic expressions, simplified (constant folding, 0/1
 * identities, like terms, powers of a common base, `e^a·e^b = e^(a+b)`), repeated subexpressions
 * are named (`where u = e^(x²)`), and the result printed in Unicode math:
 * `−2x·e^(−x²)·cos(u) − 2x·sin(u)`.
 */

import { ClosedJaxpr, Jaxpr, Lit, type Atom, type Var } from "../ir/jaxpr.js";

export type Expr =
  | { readonly k: "num"; readonly v: number }
  | { readonly k: "sym"; readonly name: string }
  | { readonly k: "add"; readonly terms: readonly Expr[] }
  | { readonly k: "mul"; readonly factors: readonly Expr[] }
  | { readonly k: "pow"; readonly base: Expr; readonly exp: Expr }
  | { readonly k: "fn"; readonly name: string; readonly args: readonly Expr[] };

export const num = (v: number): Expr => ({ k: "num", v });
export const sym = (name: string): Expr => ({ k: "sym", name });
const isNum = (e: Expr, v?: number): e is { k: "num"; v: number } => e.k === "num" && (v === undefined || e.v === v);

/** A canonical key: equal keys ⇔ equal expressions up to the order of terms and factors. */
export function key(e: Expr): string {
  switch (e.k) {
    case "num": return `${e.v}`;
    case "sym": return e.name;
    case "add": return `+(${e.terms.map(key).sort().join(",")})`;
    case "mul": return `*(${e.factors.map(key).sort().join(",")})`;
    case "pow": return `^(${key(e.base)},${key(e.exp)})`;
    case "fn": return `${e.name}(${e.args.map(key).join(",")})`;
  }
}

// ---- simplifying constructors -----------------------------------------------------------------

/** Splits a term into its numeric coefficient and the rest. */
function coeffOf(e: Expr): [number, Expr] {
  if (isNum(e)) return [e.v, num(1)];
  if (e.k === "mul") {
    const n = e.factors.filter((f) => isNum(f)).reduce((a, f) => a * (f as { v: number }).v, 1);
    const rest = e.factors.filter((f) => !isNum(f));
    return [n, rest.length === 1 ? rest[0] : { k: "mul", factors: rest }];
  }
  return [1, e];
}

export function add(...xs: Expr[]): Expr {
  const flat = xs.flatMap((x) => (x.k === "add" ? x.terms : [x]));
  const order: string[] = [];
  const acc = new Map<string, { c: number; rest: Expr }>();
  let constant = 0;
  for (const t of flat) {
    if (isNum(t)) {
      constant += t.v;
      continue;
    }
    const [c, rest] = coeffOf(t);
    const k = key(rest);
    const got = acc.get(k);
    if (got) got.c += c;
    else {
      acc.set(k, { c, rest });
      order.push(k);
    }
  }
  const terms = order.map((k) => acc.get(k)!).filter((t) => t.c !== 0).map((t) => mul(num(t.c), t.rest));
  if (constant !== 0) terms.push(num(constant));
  if (terms.length === 0) return num(0);
  return terms.length === 1 ? terms[0] : { k: "add", terms };
}

export function mul(...xs: Expr[]): Expr {
  const flat = xs.flatMap((x) => (x.k === "mul" ? x.factors : [x]));
  let c = 1;
  const order: string[] = [];
  const bases = new Map<string, { base: Expr; exps: Expr[] }>();
  let expArgs: Expr[] | null = null;
  for (const f of flat) {
    if (isNum(f)) {
      c *= f.v;
      continue;
    }
    if (f.k === "fn" && f.name === "exp") {
      // e^a · e^b = e^(a+b)
      expArgs = [...(expArgs ?? []), f.args[0]];
      if (!order.includes("exp")) order.push("exp");
      continue;
    }
    const [base, e] = f.k === "pow" ? [f.base, f.exp] : [f, num(1)];
    const k = key(base);
    const got = bases.get(k);
    if (got) got.exps.push(e);
    else {
      bases.set(k, { base, exps: [e] });
      order.push(k);
    }
  }
  if (c === 0) return num(0);
  const factors: Expr[] = [];
  for (const k of order) {
    if (k === "exp") {
      const arg = add(...expArgs!);
      if (!isNum(arg, 0)) factors.push(fn("exp", arg));
      continue;
    }
    const { base, exps } = bases.get(k)!;
    const p = pow(base, add(...exps));
    if (isNum(p)) c *= p.v;
    else factors.push(p);
  }
  // Symbols first (2x·e^…), then the rest in order of appearance.
  factors.sort((a, b) => rank(a) - rank(b));
  if (c !== 1 || factors.length === 0) factors.unshift(num(c));
  return factors.length === 1 ? factors[0] : { k: "mul", factors };
}

const rank = (e: Expr): number => (e.k === "sym" || (e.k === "pow" && e.base.k === "sym") ? 0 : 1);

export function pow(base: Expr, exp: Expr): Expr {
  if (isNum(exp, 0)) return num(1);
  if (isNum(exp, 1)) return base;
  if (isNum(base) && isNum(exp)) {
    const v = Math.pow(base.v, exp.v);
    if (Number.isFinite(v) && (Number.isInteger(v) || !Number.isInteger(base.v))) return num(v);
  }
  if (isNum(base, 1)) return num(1);
  if (base.k === "pow" && isNum(exp) && isNum(base.exp)) return pow(base.base, num(base.exp.v * exp.v));
  if (base.k === "mul" && isNum(exp) && Number.isInteger(exp.v)) return mul(...base.factors.map((f) => pow(f, exp)));
  if (base.k === "fn" && base.name === "exp") return fn("exp", mul(base.args[0], exp));
  return { k: "pow", base, exp };
}

export function fn(name: string, ...args: Expr[]): Expr {
  const a = args[0];
  if (args.length === 1 && isNum(a)) {
    if (a.v === 0 && (name === "sin" || name === "tanh")) return num(0);
    if (a.v === 0 && (name === "exp" || name === "cos")) return num(1);
    if (a.v === 1 && name === "log") return num(0);
  }
  if (name === "exp" && a.k === "fn" && a.name === "log") return a.args[0];
  if (name === "log" && a.k === "fn" && a.name === "exp") return a.args[0];
  return { k: "fn", name, args };
}

// ---- evaluation (for tests and sanity) ---------------------------------------------------------

export function evaluate(e: Expr, env: Record<string, number>): number {
  switch (e.k) {
    case "num": return e.v;
    case "sym": {
      if (!(e.name in env)) throw new Error(`no value for ${e.name}`);
      return env[e.name];
    }
    case "add": return e.terms.reduce((s, t) => s + evaluate(t, env), 0);
    case "mul": return e.factors.reduce((s, t) => s * evaluate(t, env), 1);
    case "pow": return Math.pow(evaluate(e.base, env), evaluate(e.exp, env));
    case "fn": {
      const xs = e.args.map((a) => evaluate(a, env));
      const f = FN_EVAL[e.name];
      if (!f) throw new Error(`cannot evaluate ${e.name}`);
      return f(...xs);
    }
  }
}

const FN_EVAL: Record<string, (...x: number[]) => number> = {
  exp: Math.exp, log: Math.log, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sinh: Math.sinh,
  cosh: Math.cosh, asin: Math.asin, acos: Math.acos, atan: Math.atan, abs: Math.abs, sign: Math.sign,
  log1p: Math.log1p, expm1: Math.expm1, σ: (x) => 1 / (1 + Math.exp(-x)), atan2: Math.atan2,
  max: Math.max, min: Math.min, where: (c, a, b) => (c ? a : b),
  ">": (a, b) => Number(a > b), "<": (a, b) => Number(a < b), "≥": (a, b) => Number(a >= b), "≤": (a, b) => Number(a <= b),
  "=": (a, b) => Number(a === b), "≠": (a, b) => Number(a !== b),
};

// ---- jaxpr → expression -------------------------------------------------------------------------

type Rule = (args: Expr[], params: Readonly<Record<string, unknown>>) => Expr;
const id: Rule = ([x]) => x;
const f1 = (name: string): Rule => ([x]) => fn(name, x);
const cmp = (op: string): Rule => ([a, b]) => fn(op, a, b);

/** How each scalar primitive reads as math; anything else prints as `name(args)`. */
const RULES: Record<string, Rule> = {
  add: ([a, b]) => add(a, b),
  add_any: ([a, b]) => add(a, b),
  sub: ([a, b]) => add(a, mul(num(-1), b)),
  mul: ([a, b]) => mul(a, b),
  div: ([a, b]) => mul(a, pow(b, num(-1))),
  neg: ([a]) => mul(num(-1), a),
  integer_pow: ([a], p) => pow(a, num(p.y as number)),
  square: ([a]) => pow(a, num(2)),
  pow: ([a, b]) => pow(a, b),
  sqrt: ([a]) => pow(a, num(0.5)),
  rsqrt: ([a]) => pow(a, num(-0.5)),
  cbrt: ([a]) => pow(a, num(1 / 3)),
  exp: ([a]) => fn("exp", a),
  exp2: ([a]) => fn("exp", mul(num(Math.LN2), a)),
  log: f1("log"), log1p: f1("log1p"), expm1: f1("expm1"), sin: f1("sin"), cos: f1("cos"), tan: f1("tan"),
  tanh: f1("tanh"), sinh: f1("sinh"), cosh: f1("cosh"), asin: f1("asin"), acos: f1("acos"), atan: f1("atan"),
  abs: f1("abs"), sign: f1("sign"), logistic: f1("σ"), erf: f1("erf"), lgamma: f1("lgamma"), digamma: f1("digamma"),
  atan2: ([a, b]) => fn("atan2", a, b),
  max: ([a, b]) => fn("max", a, b),
  min: ([a, b]) => fn("min", a, b),
  gt: cmp(">"), lt: cmp("<"), ge: cmp("≥"), le: cmp("≤"), eq: cmp("="), ne: cmp("≠"),
  select_n: ([p, a, b]) => fn("where", p, b, a),
  convert_element_type: id, broadcast_in_dim: id, reshape: id, squeeze: id, reduce_sum: id, copy: id, copy_p: id,
  stop_gradient: id, reduce_precision: id, transpose: id,
};

/** Evaluates a jaxpr over expressions (scalar programs; nested call jaxprs are inlined). */
export function exprsOfJaxpr(j: Jaxpr | ClosedJaxpr, inputs: readonly Expr[]): Expr[] {
  const jaxpr = j instanceof ClosedJaxpr ? j.jaxpr : j;
  const env = new Map<Var, Expr>();
  const read = (a: Atom): Expr => (a instanceof Lit ? num(Number(a.val)) : env.get(a) ?? sym("?"));
  jaxpr.constvars.forEach((v, i) => env.set(v, sym(`c${i}`)));
  jaxpr.invars.forEach((v, i) => env.set(v, inputs[i]));
  for (const e of jaxpr.eqns) {
    const args = e.inputs.map(read);
    const sub = Object.values(e.params).find((p) => p instanceof ClosedJaxpr || p instanceof Jaxpr) as Jaxpr | ClosedJaxpr | undefined;
    let outs: Expr[];
    const rule = RULES[e.primitive];
    if (rule) outs = [rule(args, e.params)];
    else if (sub && (sub instanceof ClosedJaxpr ? sub.jaxpr : sub).invars.length === args.length) outs = exprsOfJaxpr(sub, args);
    else outs = e.outBinders.map(() => fn(e.primitive, ...args));
    e.outBinders.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outs.map(read);
}

// ---- printing -------------------------------------------------------------------------------------

const SUPERSCRIPT: Record<string, string> = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };
const MINUS = "−";

function fmtNum(v: number): string {
  const s = Number.isInteger(v) ? String(Math.abs(v)) : String(Number(Math.abs(v).toPrecision(6)));
  return v < 0 ? `${MINUS}${s}` : s;
}

const isAtomic = (e: Expr): boolean => e.k === "sym" || (e.k === "num" && e.v >= 0) || e.k === "fn";

function fmt(e: Expr, names: Map<string, string>): string {
  const named = names.get(key(e));
  if (named) return named;
  switch (e.k) {
    case "num": return fmtNum(e.v);
    case "sym": return e.name;
    case "add": {
      let s = "";
      e.terms.forEach((t, i) => {
        const [c] = coeffOf(t);
        const neg = c < 0;
        const body = fmt(neg ? mul(num(-1), t) : t, names);
        s += i === 0 ? (neg ? `${MINUS}${body}` : body) : neg ? ` ${MINUS} ${body}` : ` + ${body}`;
      });
      return s;
    }
    case "mul": {
      const num_: Expr[] = [];
      const den: Expr[] = [];
      let c = 1;
      for (const f of e.factors) {
        if (isNum(f)) c *= f.v;
        else if (f.k === "pow" && isNum(f.exp) && f.exp.v < 0 && f.base.k !== "fn") den.push(pow(f.base, num(-f.exp.v)));
        else num_.push(f);
      }
      const parts = num_.map((f) => (f.k === "add" ? `(${fmt(f, names)})` : fmt(f, names)));
      let head = "";
      if (c === -1) head = MINUS;
      else if (c !== 1 || parts.length === 0) head = fmtNum(c);
      let body = parts.join("·");
      // "2x", not "2·x": a coefficient sits right before a symbol or a parenthesis.
      if (head && parts.length && head !== MINUS && !/^[a-zA-Zα-ωσ√(]/.test(parts[0])) body = `·${body}`;
      let s = parts.length ? head + body : head || "1";
      if (den.length) {
        const d = den.map((f) => (f.k === "add" || f.k === "mul" ? `(${fmt(f, names)})` : fmt(f, names))).join("·");
        s = `${parts.length || head !== "" ? s : "1"}/${den.length > 1 ? `(${d})` : d}`;
      }
      return s;
    }
    case "pow": {
      const b = isAtomic(e.base) && e.base.k !== "fn" ? fmt(e.base, names) : `(${fmt(e.base, names)})`;
      if (isNum(e.exp) && Number.isInteger(e.exp.v)) return b + String(e.exp.v).split("").map((ch) => SUPERSCRIPT[ch]).join("");
      if (isNum(e.exp, 0.5)) return `√${isAtomic(e.base) ? fmt(e.base, names) : `(${fmt(e.base, names)})`}`;
      return `${b}^(${fmt(e.exp, names)})`;
    }
    case "fn": {
      if (e.name === "exp") return `e^(${fmt(e.args[0], names)})`;
      if (e.args.length === 2 && /^[<>≤≥=≠]$/.test(e.name)) return `${fmt(e.args[0], names)} ${e.name} ${fmt(e.args[1], names)}`;
      return `${e.name}(${e.args.map((a) => fmt(a, names)).join(", ")})`;
    }
  }
}

function size(e: Expr): number {
  switch (e.k) {
    case "num": case "sym": return 1;
    case "add": return 1 + e.terms.reduce((s, t) => s + size(t), 0);
    case "mul": return 1 + e.factors.reduce((s, t) => s + size(t), 0);
    case "pow": return 1 + size(e.base) + size(e.exp);
    case "fn": return 1 + e.args.reduce((s, t) => s + size(t), 0);
  }
}

function children(e: Expr): readonly Expr[] {
  switch (e.k) {
    case "add": return e.terms;
    case "mul": return e.factors;
    case "pow": return [e.base, e.exp];
    case "fn": return e.args;
    default: return [];
  }
}

const LETTERS = ["u", "v", "w", "p", "q", "r", "s", "t"];

/**
 * Prints expressions, naming subexpressions (function applications of size ≥ 3) that occur at
 * least twice: `["f′(x) = −2x·e^(−x²)·cos(u) − 2x·sin(u)", "where u = e^(x²)"]`.
 */
export function formatWithSharing(lhs: readonly string[], exprs: readonly Expr[], reserved: readonly string[] = []): string[] {
  const counts = new Map<string, { e: Expr; n: number }>();
  const visit = (e: Expr): void => {
    if (e.k === "fn" && size(e) >= 3) {
      const k = key(e);
      const c = counts.get(k);
      if (c) {
        c.n++;
        return; // inner repeats are counted once per occurrence of the outer one
      }
      counts.set(k, { e, n: 1 });
    }
    children(e).forEach(visit);
  };
  exprs.forEach(visit);
  const letters = LETTERS.filter((l) => !reserved.includes(l));
  const shared = [...counts.values()].filter((c) => c.n >= 2).sort((a, b) => size(a.e) - size(b.e)).slice(0, letters.length);
  const names = new Map<string, string>();
  const defs: string[] = [];
  shared.forEach((c, i) => {
    defs.push(`${letters[i]} = ${fmt(c.e, names)}`);
    names.set(key(c.e), letters[i]);
  });
  const lines = exprs.map((e, i) => `${lhs[i]} = ${fmt(e, names)}`);
  if (defs.length) lines.push(`where ${defs.join(", ")}`);
  return lines;
}

export function formatExpr(e: Expr): string {
  return fmt(e, new Map());
}
