/** @file `kernel/batching`: vmap, its flat and jaxpr-level forms, and the batching interpreter. */

export { vmap, vmapFlat, flattenAxes, mappedAxisSize, type AxisSpec, type VmapOptions } from "./vmap.js";
export { vmapJaxpr, batchJaxpr, unmappedAval } from "./jaxpr.js";
export {
  BatchTrace, BatchTracer, type AxisData, type OutDimSpec, batchSubtrace, matchAxis, broadcastBatch,
  currentBatchAxis, lookupAxis, withAxis,
} from "./trace.js";
