/**
 * @file The concrete `Array`: an abstract value plus a reference-counted buffer on a device.
 * Users never free by hand: a FinalizationRegistry releases buffers of collected arrays, and
 * `dispose()` releases early.
 */

import { ConcreteArray } from "../ir/core.js";
import { type DType, ITEMSIZE, isFloat, isBool } from "../ir/dtype.js";
import { ShapedArray, type Shape, prod } from "../ir/shape.js";
import type { HostData } from "../ir/rules.js";
import type { Buffer } from "./backend.js";
import { TYPED_ARRAY } from "./backend.js";
import { type Device, defaultDevice } from "./device.js";
import { H } from "../codegen/jsmath.js";

/** A device buffer shared by the arrays that view it. */
export class RcBuffer {
  private refs = 1;
  constructor(readonly device: Device, readonly buffer: Buffer) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.device.backend.free(this.buffer);
  }
}

const finalizer = new FinalizationRegistry<RcBuffer>((rc) => rc.release());

export class Array extends ConcreteArray {
  private rc: RcBuffer | null;
  /** The value of a scalar made from a host number (so jaxprs can print it as a literal). */
  private readonly hostScalar: number | boolean | undefined;
  /**
   * JAX's `_committed`: placed on its device explicitly (device_put with a device) or computed
   * from such arrays. Committed arrays decide where a computation runs (and must agree);
   * uncommitted ones move to where they are needed.
   */
  committed = false;

  constructor(readonly aval: ShapedArray, rc: RcBuffer, hostScalar?: number | boolean) {
    super();
    this.rc = rc;
    this.hostScalar = hostScalar;
    finalizer.register(this, rc, this);
  }

  get device(): Device {
    return this.live().device;
  }
  /** Every device holding part of the array (one; a sharded array has several, kernel/sharding). */
  devices(): Device[] {
    return [this.device];
  }
  get buffer(): Buffer {
    return this.live().buffer;
  }
  private live(): RcBuffer {
    if (!this.rc) throw new Error("Array has been deleted (dispose() was called)");
    return this.rc;
  }
  /** Another array over the same buffer (free reshapes, weak-type changes). */
  withAval(aval: ShapedArray): Array {
    if (aval.size !== this.aval.size || ITEMSIZE[aval.dtype] !== ITEMSIZE[this.aval.dtype]) throw new Error("withAval: size mismatch");
    return new Array(aval, this.live().retain());
  }
  /**
   * A copy on `device` (its bytes: storage is byte-identical on every backend, float16 as its
   * bits, bools as bytes), as committed as this array.
   */
  copyTo(device: Device): Array {
    const bytes = this.aval.size * ITEMSIZE[this.aval.dtype];
    const data = this.data();
    const buf = device.backend.alloc(bytes);
    device.backend.write(buf, new Uint8Array(data.buffer, data.byteOffset, bytes));
    const a = new Array(this.aval, new RcBuffer(device, buf));
    a.committed = this.committed;
    return a;
  }
  /** Releases the buffer now; the array is unusable afterwards. */
  dispose(): void {
    if (this.rc) {
      finalizer.unregister(this);
      this.rc.release();
      this.rc = null;
    }
  }
  get isDeleted(): boolean {
    return this.rc === null;
  }

  /** Waits until the work producing this array has run (JAX's block_until_ready). */
  blockUntilReady(): this {
    this.live().device.backend.sync?.();
    return this;
  }

  /** A copy of the elements, row-major, in the dtype's typed array (float16 as raw bits). */
  data(): HostData {
    const rc = this.live();
    return rc.device.backend.read(rc.buffer, this.aval.dtype, this.aval.size);
  }
  /** The elements as JS numbers (booleans as 0/1, float16 decoded). */
  toNumbers(): number[] {
    return hostToNumbers(this.data(), this.aval.dtype);
  }
  item(): number | boolean {
    if (this.aval.size !== 1) throw new TypeError(`item() needs an array of size 1, got shape (${this.aval.shape.join(", ")})`);
    if (this.hostScalar !== undefined) return this.hostScalar;
    const v = this.toNumbers()[0];
    return isBool(this.aval.dtype) ? v !== 0 : v;
  }
  scalarLiteral(): number | boolean | undefined {
    return this.hostScalar;
  }

  static fromHost(data: HostData | readonly number[], shape: Shape, dtype: DType, opts: { device?: Device; weak?: boolean; committed?: boolean } = {}): Array {
    const device = opts.device ?? defaultDevice();
    const size = prod(shape);
    const typed = toTyped(data, dtype, size);
    const buf = device.backend.alloc(size * ITEMSIZE[dtype]);
    device.backend.write(buf, new Uint8Array(typed.buffer, typed.byteOffset, size * ITEMSIZE[dtype]));
    const a = new Array(new ShapedArray(shape, dtype, opts.weak ?? false), new RcBuffer(device, buf));
    a.committed = opts.committed ?? false;
    return a;
  }

  /** A 0-d array holding a host scalar (Python-like scalars become these in eager mode). */
  static scalar(v: number | boolean, dtype: DType, weak: boolean, device?: Device): Array {
    const d = device ?? defaultDevice();
    const typed = toTyped([typeof v === "boolean" ? Number(v) : v], dtype, 1);
    const buf = d.backend.alloc(ITEMSIZE[dtype]);
    d.backend.write(buf, new Uint8Array(typed.buffer, typed.byteOffset, ITEMSIZE[dtype]));
    const stored = hostToNumbers(typed, dtype)[0];
    return new Array(new ShapedArray([], dtype, weak), new RcBuffer(d, buf), isBool(dtype) ? stored !== 0 : stored);
  }

  /** An uninitialized array for a kernel to fill. */
  static empty(aval: ShapedArray, device: Device): Array {
    return new Array(aval, new RcBuffer(device, device.backend.alloc(aval.size * ITEMSIZE[aval.dtype])));
  }
}

/** Converts numbers to the typed array of a dtype, rounding as the dtype stores them. */
export function toTyped(data: HostData | readonly number[], dtype: DType, size: number): HostData {
  const C = TYPED_ARRAY[dtype];
  if (data instanceof C && !(dtype === "float16" || dtype === "bfloat16") && data.length === size) return data;
  const out = new C(new ArrayBuffer(size * ITEMSIZE[dtype]));
  const src = data as ArrayLike<number | bigint>;
  if (src.length !== size) throw new Error(`expected ${size} elements, got ${src.length}`);
  if (dtype === "int64" || dtype === "uint64") {
    const o = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < size; i++) {
      const v = src[i];
      o[i] = typeof v === "bigint" ? v : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    }
  } else if (dtype === "float16") {
    for (let i = 0; i < size; i++) out[i] = f32ToF16(Number(src[i]));
  } else if (dtype === "bfloat16") {
    for (let i = 0; i < size; i++) out[i] = f32ToBf16(Number(src[i]));
  } else if (dtype === "bool") {
    for (let i = 0; i < size; i++) out[i] = Number(src[i]) ? 1 : 0;
  } else if (isFloat(dtype)) {
    for (let i = 0; i < size; i++) out[i] = Number(src[i]);
  } else {
    for (let i = 0; i < size; i++) {
      const v = Number(src[i]);
      out[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
    }
  }
  return out;
}

export function hostToNumbers(d: HostData, dtype: DType): number[] {
  const out = new globalThis.Array<number>(d.length);
  if (dtype === "float16") for (let i = 0; i < d.length; i++) out[i] = H.f16ToF32(d[i] as number);
  else if (dtype === "bfloat16") for (let i = 0; i < d.length; i++) out[i] = H.load_bfloat16(d[i] as number);
  else for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

const f32ToF16 = H.store_float16;
const f32ToBf16 = H.store_bfloat16;
