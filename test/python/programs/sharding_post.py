# The post's sharding sequence, unchanged but for checks (run with JAX_PLATFORMS=cpu): XLA_FLAGS is
# set through os.environ after arrays exist, then a (4, 1) mesh splits 10^7 points four ways.
import json
import jax
import jax.numpy as jnp


def func(x):
    return jnp.exp(-x ** 2) * jnp.cos(jnp.exp(x ** 2))


x_jnp = jnp.linspace(-2, 2, 10000)
y_jnp = func(x_jnp)
from jax import jit
func_jit = jit(func)
y_jit = func_jit(x_jnp)

import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
print(jax.device_count())

from jax.sharding import PartitionSpec as P, NamedSharding
mesh = jax.make_mesh((4, 1), ('x', 'y'))
x = jnp.linspace(-4, 4, 10000000)
y = jax.device_put(x, NamedSharding(mesh, P(('x', 'y'))))
jax.debug.visualize_array_sharding(y)

fx, fy, fj = func(x), func(y), func_jit(y)
idx = jnp.array([2500000, 3750000, 4999999, 5000000, 6000000, 7000000, 7499999])
g = jax.jit(jax.grad(lambda v: jnp.sum(func(v))))(y)
m22 = jax.make_mesh((2, 2), ('a', 'b'))
rows = jax.device_put(jnp.arange(24.0).reshape(4, 6), NamedSharding(m22, P('a')))
explicit = jax.make_mesh((2, 2), ('a', 'b'), axis_types=(jax.sharding.AxisType.Explicit,) * 2)
typed = jax.device_put(jnp.arange(24.0).reshape(4, 6), NamedSharding(explicit, P(('a', 'b'))))
print(json.dumps({
    "arrays_before_the_flag": [float(y_jnp[0]), float(y_jit[-1]), y_jnp.device.id],
    "sharding": repr(y.sharding),
    "shards": [[s.device.id, [[sl.start, sl.stop] for sl in s.index]] for s in y.addressable_shards],
    "eager_sharded": [repr(fy.sharding.spec), float(jnp.max(jnp.abs(fy - fx)))],
    "jit_sharded": [repr(fj.sharding.spec), float(jnp.max(jnp.abs(fj - fx)))],
    "x": x[idx].tolist(),
    "f": fj[idx].tolist(),
    "grad": [repr(g.sharding.spec), g[idx].tolist()],
    "vmap_grad": jax.vmap(jax.grad(func))(y)[idx].tolist(),
    "sum": [float(jnp.sum(fy)), float(jnp.sum(fx))],
    "devices": [str(d) for d in jax.devices()],
    "replicated": [y.is_fully_replicated, jax.device_put(x, NamedSharding(mesh, P())).is_fully_replicated],
    "device_is_sharding": y.device == y.sharding,
    "array_devices": sorted(d.id for d in y.devices()),
    "shards_2d": [[s.device.id, repr(s.index), s.replica_id] for s in rows.addressable_shards],
    "typeof": [repr(jax.typeof(y)), repr(jax.typeof(typed)), jax.typeof(typed).str_short()],
}))
