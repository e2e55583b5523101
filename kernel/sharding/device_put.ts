/**
 * @file Placing arrays: `devicePut(x, device | sharding)` (jax.device_put) and
 * `withShardingConstraint(x, sharding)` (jax.lax.with_sharding_constraint), whose primitive
 * `sharding_constraint` tells the partitioner the layout a value must have inside jit (outside
 * jit it relays the array out at once).
 */

import { Array as KArray } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { devicePut as toDevice } from "../backend/transfer.js";
import { toArray } from "../backend/eager.js";
import { type Value, Tracer, bind1, definePrimitive, getAval } from "../ir/core.js";
import { treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { Zero } from "../ir/rules.js";
import { linearJvp } from "../lax/helpers.js";
import { ShardedArray } from "./array.js";
import { NamedSharding, type Sharding, SingleDeviceSharding } from "./named_sharding.js";
import { PartitionSpec, type SpecEntry } from "./partition_spec.js";
import { blocksOf } from "./placement.js";

/** `x` laid out as `sharding` (a new sharded array, or `x` when it already is). */
function place(x: Value, sharding: NamedSharding, what: string): ShardedArray {
  const aval = getAval(x);
  sharding.checkShape(aval.shape, what);
  const s = sharding.canonical();
  if (x instanceof ShardedArray && x.sharding.equals(s)) return x;
  return new ShardedArray(aval, s, blocksOf(x, s.mesh, s.dims(aval.ndim)));
}

/** One leaf to a device or sharding (tracers get a sharding constraint, as JAX's device_put inside jit). */
function putLeaf(x: Value, to: Device | Sharding | undefined): Value {
  if (to instanceof NamedSharding) return x instanceof Tracer ? bindConstraint(x, to) : place(x, to, "device_put args");
  if (x instanceof Tracer) return x;
  const device = to instanceof SingleDeviceSharding ? to.device : (to as Device | undefined);
  if (x instanceof ShardedArray) {
    const d = device ?? x.sharding.mesh.devices[0];
    return KArray.fromHost(x.data(), x.shape, x.dtype, { device: d, weak: x.weakType });
  }
  return device ? toDevice(x, device) : toArray(x);
}

/**
 * `jax.device_put(x, device_or_sharding)` over a pytree: with a `NamedSharding`, each leaf is
 * split into blocks, one per mesh device (JAX's errors for ranks and indivisible dimensions).
 */
export function devicePut<T>(x: T, to?: Device | Sharding): T {
  const [leaves, tree] = treeFlatten(x);
  return treeUnflatten(tree, leaves.map((l) => putLeaf(l as Value, to))) as T;
}

// ---- the sharding_constraint primitive --------------------------------------------------------------

function bindConstraint(x: Value, s: NamedSharding): Value {
  return bind1("sharding_constraint", [x], { sharding: s, layout: null, context_mesh: null, unconstrained_dims: [] });
}

definePrimitive("sharding_constraint", {
  abstractEval: ([x], p) => {
    (p.sharding as NamedSharding).checkShape(x.shape, "with_sharding_constraint arguments");
    return [x];
  },
  // Linear: tangents and cotangents take the same layout.
  jvp: linearJvp("sharding_constraint"),
  transpose: ([ct], _args, p) => [ct instanceof Zero ? ct : bind1("sharding_constraint", [ct], p)],
  // The batch dimension is not split.
  batch: ([x], [d], p) => {
    const s = p.sharding as NamedSharding;
    if (d === null) return [[bind1("sharding_constraint", [x], p)], [null]];
    const entries: SpecEntry[] = [...s.spec.entries];
    while (entries.length < getAval(x).ndim - 1) entries.push(null);
    entries.splice(d, 0, null);
    return [[bind1("sharding_constraint", [x], { ...p, sharding: new NamedSharding(s.mesh, new PartitionSpec(...entries), { memoryKind: s.memoryKind }) })], [d]];
  },
  lower: { kind: "impl", impl: ([x], p) => [place(x, p.sharding as NamedSharding, "with_sharding_constraint arguments")] },
});

/**
 * `jax.lax.with_sharding_constraint(x, sharding)` over a pytree: inside jit, the layout the
 * partitioner must give the value; outside, the array relaid out.
 */
export function withShardingConstraint<T>(x: T, sharding: NamedSharding | PartitionSpec): T {
  if (!(sharding instanceof NamedSharding)) {
    throw new TypeError(
      "with_sharding_constraint requires a NamedSharding (a PartitionSpec needs a mesh from the context, e.g. `with jax.sharding.use_mesh(mesh):`, which jaxnb does not have)",
    );
  }
  const [leaves, tree] = treeFlatten(x);
  return treeUnflatten(tree, leaves.map((l) => bindConstraint(l as Value, sharding))) as T;
}
