# shard_map with collectives, with_sharding_constraint, and a 2-D sharded array (JAX_PLATFORMS=cpu).
import os, jax, jax.numpy as jnp
from jax.sharding import PartitionSpec as P, NamedSharding
from jax import lax
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
mesh = jax.make_mesh((4,), ("x",))
f = jax.shard_map(lambda a: lax.psum(jnp.sum(a), "x"), mesh=mesh, in_specs=P("x"), out_specs=P())
print(f(jnp.arange(8.0)))
g = jax.shard_map(lambda a: a * (lax.axis_index("x") + 1), mesh=mesh, in_specs=(P("x"),), out_specs=P("x"))
print(g(jnp.ones(8)))
y = lax.with_sharding_constraint(jnp.arange(8.0), NamedSharding(mesh, P("x")))
print(y.sharding.spec)
print(jax.jit(lambda a: lax.with_sharding_constraint(a * 2, NamedSharding(mesh, P("x"))))(jnp.arange(8.0)))
z = jax.device_put(jnp.arange(16.0).reshape(4, 4), NamedSharding(jax.make_mesh((2, 2), ("a", "b")), P("a", "b")))
print(jnp.sum(z), (z * 2).sharding.spec, jax.jit(lambda a: a.sum(axis=0))(z))
jax.debug.visualize_array_sharding(z)
f = jax.jit(lambda a: a * 2, in_shardings=NamedSharding(mesh, P("x")), out_shardings=NamedSharding(mesh, P()))
w = f(jnp.arange(8.0))
print(w, w.sharding.spec)
print([(s.device.id, s.index, s.data.tolist()) for s in jax.device_put(jnp.arange(4.0), NamedSharding(mesh, P("x"))).addressable_shards])
