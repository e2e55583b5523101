/** @file The kernel's TypeScript API (usable without VS Code or Python). */

import "./backend/eager.js";
export * as lax from "./lax/index.js";
export { jnp, jnp as numpy } from "./numpy/api.js";
export * as random from "./random/index.js";
export * from "./ad/index.js";
export { vmap, vmapFlat, vmapJaxpr, type AxisSpec, type VmapOptions } from "./batching/index.js";
export { Array } from "./backend/array.js";
export { Device, devices, defaultBackend, defaultDevice, setPlatforms } from "./backend/device.js";
export { devicePut, devicesOf, blockUntilReady } from "./backend/transfer.js";
export * as sharding from "./sharding/index.js";
export { makeJaxpr, evalJaxpr, ClosedJaxpr, Jaxpr } from "./ir/jaxpr.js";
export { printJaxpr } from "./ir/print.js";
export { ShapedArray } from "./ir/shape.js";
export { config } from "./ir/dtype.js";
