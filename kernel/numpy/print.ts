/**
 * @file repr and str of arrays exactly as JAX prints them: JAX's `Array(…, dtype=…)` wrapper
 * (jax/_src/array.py, including its spacing rule for a dtype that does not fit) around NumPy's
 * array2string (numpy/core/arrayprint.py, NumPy's default options: precision 8, linewidth 75,
 * threshold 1000, edgeitems 3): Dragon4-style shortest digits per dtype, a common width and
 * precision per array, the switch to scientific notation, line wrapping and summarization.
 */

import { type DType, isBool, isFloat } from "../ir/dtype.js";
import { shapeStr } from "../ir/shape.js";
import { H } from "../codegen/jsmath.js";

const PRECISION = 8;
const LINEWIDTH = 75;
const THRESHOLD = 1000;
const EDGEITEMS = 3;

/**
 * What the printer needs of an array: shape, dtype, weak type and its values, row-major, read one
 * at a time (a summarized million-element array is read at its edges only).
 */
export interface Printable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly weakType: boolean;
  readonly size: number;
  value(i: number): number | bigint;
}

/** A Printable over a list of values. */
export const printableOf = (shape: readonly number[], dtype: DType, weakType: boolean, values: readonly (number | bigint)[]): Printable =>
  ({ shape, dtype, weakType, size: values.length, value: (i) => values[i] });

// ---- digits --------------------------------------------------------------------------------------

/** Whether decimal string `s` reads back as exactly `x` in `dtype` (so it identifies x uniquely). */
function roundTrips(s: string, x: number, dtype: DType): boolean {
  const y = Number(s);
  switch (dtype) {
    case "float32": return Math.fround(y) === x;
    case "float16": return H.round_float16(y) === x;
    case "bfloat16": return H.round_bfloat16(y) === x;
    default: return y === x;
  }
}

/**
 * The shortest significant digits that identify finite x ≠ 0 among the values of its dtype, and
 * the decimal exponent of the first digit: x ≈ d.ddd × 10^exp.
 */
function shortest(x: number, dtype: DType): { digits: string; exp: number } {
  const ax = Math.abs(x);
  let s = ax.toExponential();
  if (dtype !== "float64") {
    for (let p = 0; p <= 16; p++) {
      const t = ax.toExponential(p);
      if (roundTrips(t, ax, dtype)) {
        s = t;
        break;
      }
    }
  }
  return splitExp(s);
}

function splitExp(s: string): { digits: string; exp: number } {
  const [m, e] = s.split("e");
  return { digits: m.replace(".", "").replace(/0+$/, "") || "0", exp: Number(e) };
}

/** Digits of |x| positionally: integer part and fraction (shortest unique, at most `precision` fractional digits). */
function positionalParts(x: number, dtype: DType, precision: number | null): { int: string; frac: string } {
  const ax = Math.abs(x);
  if (ax === 0) return { int: "0", frac: "" };
  const { digits, exp } = shortest(ax, dtype);
  const fracLen = digits.length - exp - 1;
  if (precision === null || fracLen <= precision) return placeDigits(digits, exp);
  // More digits than the precision allows: the exact value, rounded at the cutoff.
  const fixed = ax.toFixed(precision);
  const [i, f = ""] = fixed.split(".");
  return { int: i, frac: f.replace(/0+$/, "") };
}

/** Puts significant digits with exponent `exp` into integer and fraction parts. */
function placeDigits(digits: string, exp: number): { int: string; frac: string } {
  if (exp < 0) return { int: "0", frac: "0".repeat(-exp - 1) + digits };
  if (digits.length <= exp + 1) return { int: digits + "0".repeat(exp + 1 - digits.length), frac: "" };
  return { int: digits.slice(0, exp + 1), frac: digits.slice(exp + 1) };
}

/** Scientific digits of |x|: mantissa digits after the first (at most `precision`), and the exponent. */
function scientificParts(x: number, dtype: DType, precision: number | null): { lead: string; frac: string; exp: number } {
  const ax = Math.abs(x);
  if (ax === 0) return { lead: "0", frac: "", exp: 0 };
  let { digits, exp } = shortest(ax, dtype);
  if (precision !== null && digits.length - 1 > precision) ({ digits, exp } = splitExp(ax.toExponential(precision)));
  return { lead: digits[0], frac: digits.slice(1), exp };
}

// ---- NumPy's FloatingFormat (floatmode 'maxprec', sign '-') -------------------------------------------

class FloatFormat {
  private expFormat = false;
  private padLeft = 0;
  private padRight = 0;
  private precision: number = PRECISION;
  private minDigits = 0;
  private expSize = -1;

  constructor(data: readonly number[], private readonly dtype: DType) {
    const finite = data.filter(Number.isFinite);
    const nonzero = finite.filter((v) => v !== 0).map(Math.abs);
    if (nonzero.length) {
      const mx = Math.max(...nonzero), mn = Math.min(...nonzero);
      // NumPy compares in the array's own precision; these thresholds are exact in float32 too.
      if (mx >= 1e8 || mn < 0.0001 || mx / mn > 1000) this.expFormat = true;
    }
    if (finite.length === 0) {
      this.padLeft = 0;
      this.padRight = 0;
      this.expSize = -1;
    } else if (this.expFormat) {
      const parts = finite.map((v) => scientificParts(v, dtype, PRECISION));
      this.expSize = Math.max(...parts.map((p) => Math.max(2, String(Math.abs(p.exp)).length)));
      this.precision = Math.max(...parts.map((p) => p.frac.length));
      this.minDigits = this.precision;
      this.padLeft = Math.max(...finite.map((v, i) => parts[i].lead.length + (v < 0 || Object.is(v, -0) ? 1 : 0)));
      this.padRight = this.expSize + 2 + this.precision;
    } else {
      const parts = finite.map((v) => positionalParts(v, dtype, PRECISION));
      this.padLeft = Math.max(...finite.map((v, i) => parts[i].int.length + (v < 0 || Object.is(v, -0) ? 1 : 0)));
      this.padRight = Math.max(...parts.map((p) => p.frac.length));
      this.minDigits = 0;
    }
    if (finite.length !== data.length) {
      const neginf = data.some((v) => v === -Infinity);
      const offset = this.padRight + 1;
      this.padLeft = Math.max(this.padLeft, 3 - offset, 3 + (neginf ? 1 : 0) - offset);
    }
  }

  format(x: number): string {
    if (!Number.isFinite(x)) {
      const s = Number.isNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
      return " ".repeat(Math.max(0, this.padLeft + this.padRight + 1 - s.length)) + s;
    }
    const sign = x < 0 || Object.is(x, -0) ? "-" : "";
    if (this.expFormat) {
      let p = scientificParts(x, this.dtype, this.precision);
      // Fewer unique digits than the common precision: Dragon4 prints further exact digits.
      if (p.frac.length < this.minDigits && x !== 0) {
        const { digits, exp } = splitExp(Math.abs(x).toExponential(this.minDigits));
        p = { lead: digits[0], frac: digits.slice(1), exp };
      }
      const frac = p.frac.padEnd(this.minDigits, "0");
      const e = String(Math.abs(p.exp)).padStart(Math.max(2, this.expSize), "0");
      return `${(sign + p.lead).padStart(this.padLeft)}.${frac}e${p.exp < 0 ? "-" : "+"}${e}`;
    }
    const p = positionalParts(x, this.dtype, this.precision);
    return `${(sign + p.int).padStart(this.padLeft)}.${p.frac.padEnd(this.padRight)}`;
  }
}

type Formatter = (x: number | bigint) => string;

/** NumPy's per-dtype element formatter, fitted to the (possibly summarized) data. */
function formatterFor(data: readonly (number | bigint)[], dtype: DType, zeroD: boolean): Formatter {
  if (isBool(dtype)) {
    const t = zeroD ? "True" : " True";
    return (x) => (Number(x) ? t : "False");
  }
  if (isFloat(dtype)) {
    const f = new FloatFormat(data.map(Number), dtype);
    return (x) => f.format(Number(x));
  }
  const width = data.length ? Math.max(...data.map((v) => String(v).length)) : 0;
  return (x) => String(x).padStart(width);
}

// ---- array2string -----------------------------------------------------------------------------------

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const st = new globalThis.Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/** The elements the formatter is fitted to: all of them, or when summarizing those NumPy's _leading_trailing keeps. */
function edgeData(a: Printable): (number | bigint)[] {
  const st = strides(a.shape);
  const out: (number | bigint)[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === a.shape.length) {
      out.push(a.value(offset));
      return;
    }
    const n = a.shape[axis];
    const idx = a.size > THRESHOLD && n > 2 * EDGEITEMS ? [...Array.from({ length: EDGEITEMS }, (_, i) => i), ...Array.from({ length: EDGEITEMS }, (_, i) => n - EDGEITEMS + i)] : Array.from({ length: n }, (_, i) => i);
    for (const i of idx) walk(axis + 1, offset + i * st[axis]);
  };
  walk(0, 0);
  return out;
}

function extendLine(s: string, line: string, word: string, width: number, nextPrefix: string): [string, string] {
  const needsWrap = line.length + word.length > width && line.length > nextPrefix.length;
  if (needsWrap) {
    s += line.trimEnd() + "\n";
    line = nextPrefix;
  }
  return [s, line + word];
}

/** NumPy's _extendLine_pretty: multi-line words (nested rows) keep their own alignment. */
function extendLinePretty(s: string, line: string, word: string, width: number, nextPrefix: string): [string, string] {
  const words = word.split("\n");
  if (words.length === 1) return extendLine(s, line, word, width, nextPrefix);
  const maxLen = Math.max(...words.map((w) => w.length));
  let indent: string;
  if (line.length + maxLen > width && line.length > nextPrefix.length) {
    s += line.trimEnd() + "\n";
    line = nextPrefix + words[0];
    indent = nextPrefix;
  } else {
    indent = " ".repeat(line.length);
    line += words[0];
  }
  for (const w of words.slice(1)) {
    s += line.trimEnd() + "\n";
    line = indent + w;
  }
  return [s, line + " ".repeat(maxLen - words[words.length - 1].length)];
}

/** numpy.array2string(a, separator, prefix, suffix) with NumPy's default print options. */
export function array2string(a: Printable, opts: { separator: string; prefix: string; suffix: string }): string {
  if (a.size === 0) return "[]";
  const summarize = a.size > THRESHOLD;
  const fmt = formatterFor(edgeData(a), a.dtype, a.shape.length === 0);
  const width = LINEWIDTH - opts.suffix.length;
  const sep = opts.separator;
  const st = strides(a.shape);
  const recurse = (axis: number, offset: number, hanging: string, currWidth: number): string => {
    const left = a.shape.length - axis;
    if (left === 0) return fmt(a.value(offset));
    const nextHanging = hanging + " ";
    const nextWidth = currWidth - 1;
    const n = a.shape[axis];
    const showSummary = summarize && 2 * EDGEITEMS < n;
    const leading = showSummary ? EDGEITEMS : 0;
    const trailing = showSummary ? EDGEITEMS : n;
    const at = (i: number): number => offset + (i < 0 ? n + i : i) * st[axis];
    let s = "";
    if (left === 1) {
      const elemWidth = currWidth - Math.max(sep.trimEnd().length, 1);
      let line = hanging;
      for (let i = 0; i < leading; i++) {
        [s, line] = extendLinePretty(s, line, recurse(axis + 1, at(i), nextHanging, nextWidth), elemWidth, hanging);
        line += sep;
      }
      if (showSummary) {
        [s, line] = extendLine(s, line, "...", elemWidth, hanging);
        line += sep;
      }
      for (let i = trailing; i > 1; i--) {
        [s, line] = extendLinePretty(s, line, recurse(axis + 1, at(-i), nextHanging, nextWidth), elemWidth, hanging);
        line += sep;
      }
      [s, line] = extendLinePretty(s, line, recurse(axis + 1, at(-1), nextHanging, nextWidth), elemWidth, hanging);
      s += line;
    } else {
      const lineSep = sep.trimEnd() + "\n".repeat(left - 1);
      for (let i = 0; i < leading; i++) s += hanging + recurse(axis + 1, at(i), nextHanging, nextWidth) + lineSep;
      if (showSummary) s += hanging + "..." + lineSep;
      for (let i = trailing; i > 1; i--) s += hanging + recurse(axis + 1, at(-i), nextHanging, nextWidth) + lineSep;
      s += hanging + recurse(axis + 1, at(-1), nextHanging, nextWidth);
    }
    return "[" + s.slice(hanging.length) + "]";
  };
  return recurse(0, 0, " " + " ".repeat(opts.prefix.length), width);
}

// ---- repr and str ---------------------------------------------------------------------------------------

/** JAX's Array.__repr__: `Array([…], dtype=float32)`, `weak_type=True` for weak types. */
export function arrayRepr(a: Printable): string {
  const prefix = "Array(";
  const dtypeStr = a.weakType ? `dtype=${a.dtype}, weak_type=True)` : `dtype=${a.dtype})`;
  const s = a.size === 0 ? `[], shape=${shapeStr(a.shape)}` : array2string(a, { separator: ", ", prefix, suffix: "," });
  // JAX's own arithmetic (len(s) - s.rfind('\n') + 1), kept so the output matches JAX exactly.
  const lastLineLen = s.length - s.lastIndexOf("\n") + 1;
  const sep = lastLineLen + dtypeStr.length + 1 > LINEWIDTH ? " ".repeat(prefix.length) : " ";
  return `${prefix}${s},${sep}${dtypeStr}`;
}

/** Python's repr of a float of a dtype (NumPy scalar str): shortest digits, scientific outside [1e-4, 1e16). */
export function scalarStr(x: number, dtype: DType): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (x === 0) return `${sign}0.0`;
  const { digits, exp } = shortest(x, dtype);
  if (exp < -4 || exp >= 16) {
    const frac = digits.slice(1);
    return `${sign}${digits[0]}${frac ? "." + frac : ""}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const p = placeDigits(digits, exp);
  return `${sign}${p.int}.${p.frac || "0"}`;
}

/** NumPy's str(array): elements separated by spaces; a 0-d array prints as its scalar. */
export function arrayStr(a: Printable): string {
  if (a.shape.length === 0) {
    const v = a.value(0);
    if (isBool(a.dtype)) return Number(v) ? "True" : "False";
    return isFloat(a.dtype) ? scalarStr(Number(v), a.dtype) : String(v);
  }
  return array2string(a, { separator: " ", prefix: "", suffix: "" });
}
