/** @file Shapes, NumPy broadcasting, and `ShapedArray` (the abstract value of an array). */

import { type DType, SHORT_NAME } from "./dtype.js";

export type Shape = readonly number[];

export const prod = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export const shapeEq = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Python's tuple repr of a shape: `()`, `(3,)`, `(2, 3)`. */
export const shapeStr = (s: Shape): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);

/** Row-major strides in elements. */
export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/** NumPy broadcasting of several shapes; the error names every shape, as JAX's does. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i;
      const d = s[i];
      if (out[j] === 1) out[j] = d;
      else if (d !== 1 && d !== out[j]) {
        throw new TypeError(`Incompatible shapes for broadcasting: shapes=[${shapes.map(shapeStr).join(", ")}]`);
      }
    }
  }
  return out;
}

/** Normalizes a possibly negative axis; the error is NumPy's AxisError text. */
export function canonicalAxis(axis: number, ndim: number): number {
  if (!Number.isInteger(axis)) throw new TypeError(`axis must be an integer, got ${axis}`);
  if (axis < -ndim || axis >= ndim) throw new RangeError(`axis ${axis} is out of bounds for array of dimension ${ndim}`);
  return axis < 0 ? axis + ndim : axis;
}

export function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new TypeError(`Shapes must be sequences of non-negative integers, got ${shapeStr(shape)}`);
  }
}

/** The abstract value of an array: shape, dtype and weak type (JAX's ShapedArray). */
export class ShapedArray {
  readonly shape: Shape;
  constructor(shape: Shape, readonly dtype: DType, readonly weakType = false) {
    checkShape(shape);
    this.shape = Object.freeze([...shape]);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return prod(this.shape);
  }
  /** `f32[3,4]`, as jaxprs print it. */
  strShort(): string {
    return `${SHORT_NAME[this.dtype]}[${this.shape.join(",")}]`;
  }
  toString(): string {
    return `ShapedArray(${this.dtype}[${this.shape.join(",")}]${this.weakType ? ", weak_type=True" : ""})`;
  }
  equals(o: ShapedArray): boolean {
    return this.dtype === o.dtype && this.weakType === o.weakType && shapeEq(this.shape, o.shape);
  }
  /** A cache key for (shape, dtype, weak type). */
  key(): string {
    return `${this.dtype}${this.weakType ? "~" : ""}[${this.shape.join(",")}]`;
  }
  update(p: { shape?: Shape; dtype?: DType; weakType?: boolean }): ShapedArray {
    return new ShapedArray(p.shape ?? this.shape, p.dtype ?? this.dtype, p.weakType ?? this.weakType);
  }
  strongType(): ShapedArray {
    return this.weakType ? new ShapedArray(this.shape, this.dtype, false) : this;
  }
}
