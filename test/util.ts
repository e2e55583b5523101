/** @file Shared test helpers: fixtures, array comparison within tolerances, devices to run on. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import "../kernel/index.js";
import { Array } from "../kernel/backend/array.js";
import { type Device, cpuDevice, webgpuDevices } from "../kernel/backend/device.js";
import type { DType } from "../kernel/ir/dtype.js";
import { type Value, JaxValue } from "../kernel/ir/core.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** An array as the fixture script writes it (non-finite floats as strings). */
export interface FixtureArray {
  shape: number[];
  dtype: string;
  data: (number | boolean | string)[];
}

export function loadFixture<T = unknown>(area: string): T {
  return JSON.parse(readFileSync(path.join(here, "fixtures", `${area}.json`), "utf8")) as T;
}

export const decode = (v: number | boolean | string): number =>
  v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : typeof v === "boolean" ? Number(v) : Number(v);

/** A fixture array as a kernel Array on a device. */
export function fromFixture(a: FixtureArray, device?: Device): Array {
  return Array.fromHost(a.data.map(decode), a.shape, a.dtype as DType, { device });
}

export const DEFAULT_TOL: Record<string, { rtol: number; atol: number }> = {
  float16: { rtol: 2e-3, atol: 2e-3 },
  bfloat16: { rtol: 1e-2, atol: 1e-2 },
  float32: { rtol: 2e-6, atol: 1e-6 },
  float64: { rtol: 1e-12, atol: 1e-12 },
};

/** Asserts shape, dtype and values (NaN equals NaN; infinities must match exactly). */
export function assertClose(actual: Value, expected: FixtureArray | { shape: number[]; dtype: string; data: number[] }, opts: { rtol?: number; atol?: number; checkDtype?: boolean; msg?: string } = {}): void {
  // The message is built only on failure: printing an array needs kernel/numpy's repr.
  if (!(actual instanceof Array)) assert.fail(`${opts.msg ?? ""}: expected a concrete Array, got ${String(actual)}`);
  const msg = opts.msg ? `${opts.msg}: ` : "";
  assert.deepEqual([...actual.shape], expected.shape, `${msg}shape`);
  if (opts.checkDtype !== false) assert.equal(actual.dtype, expected.dtype, `${msg}dtype`);
  const tol = DEFAULT_TOL[actual.dtype] ?? { rtol: 0, atol: 0 };
  const rtol = opts.rtol ?? tol.rtol;
  const atol = opts.atol ?? tol.atol;
  const got = actual.toNumbers();
  const want = expected.data.map(decode);
  for (let i = 0; i < want.length; i++) {
    const a = got[i], e = want[i];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${msg}element ${i}: got ${a}, want NaN`);
    else if (!Number.isFinite(e)) assert.equal(a, e, `${msg}element ${i}`);
    else assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${msg}element ${i}: got ${a}, want ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * The devices every kernel test runs on: the CPU, and WebGPU when an adapter exists (and
 * JAX_PLATFORMS allows it: JAX_PLATFORMS=cpu runs the CPU only). Arrays made without a device go
 * to the CPU in tests (test/setup.ts); the kernel's own default, without JAX_PLATFORMS, is WebGPU
 * when an adapter exists (tested in test/backend/webgpu.test.ts).
 */
export function testDevices(): Device[] {
  const allowed = (process.env.JAX_PLATFORMS ?? "").split(",").map((p) => p.trim().toLowerCase());
  return [cpuDevice(), ...(allowed.includes("webgpu") || allowed.includes("gpu") ? webgpuDevices() : [])];
}

/** Whether a device can hold and compute `dtype` (WebGPU has no 64-bit types: WGSL lacks them). */
export const deviceSupports = (device: Device, dtype: DType | string): boolean =>
  device.platform !== "webgpu" || !["float64", "int64", "uint64"].includes(dtype);

export const isArray = (x: unknown): x is Array => x instanceof Array;
export const isJaxValue = (x: unknown): x is JaxValue => x instanceof JaxValue;
