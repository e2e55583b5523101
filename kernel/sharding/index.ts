/**
 * @file Sharding: CPU devices as a mesh, NamedSharding layouts, sharded arrays, SPMD execution
 * of eager ops and jitted programs, shard_map with collectives, and visualize_array_sharding.
 * Importing this module installs the sharded evaluator (kernel/sharding/eager.ts).
 */

import "./eager.js";
export { Mesh, makeMesh, type AxisType } from "./mesh.js";
export { PartitionSpec, P, UNCONSTRAINED } from "./partition_spec.js";
export { NamedSharding, SingleDeviceSharding, Sharding } from "./named_sharding.js";
export { ShardedArray, type Shard } from "./array.js";
export { devicePut, withShardingConstraint } from "./device_put.js";
export { shardMap, type ShardMapOptions } from "./shard_map.js";
export { psum, pmean, pmax, pmin, allGather, psumScatter, ppermute, axisIndex } from "./collectives.js";
export { shardingLog, onShardingLog } from "./log.js";
export { jit, type ShardedJitOptions, type ShardingTree } from "./jit.js";
export { shardingData, shardingText, type ShardingData } from "./visualize.js";
export { setCpuDeviceCount, cpuDeviceCount } from "../backend/cpu-threads.js";
