# Sharding errors, as `name -> ExceptionType: message` lines (run with JAX_PLATFORMS=cpu).
import os
import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import PartitionSpec as P, NamedSharding

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
mesh = jax.make_mesh((4, 1), ("x", "y"))


def report(name, fn):
    try:
        fn()
        print(f"{name} -> no error")
    except Exception as e:  # noqa: BLE001
        kind = type(e).__name__ if type(e).__module__ == "builtins" else f"{type(e).__module__}.{type(e).__name__}"
        print(f"{name} -> {kind}: {str(e).splitlines()[0]}")


report("unknown axis", lambda: NamedSharding(mesh, P("z")))
report("repeated axis", lambda: NamedSharding(mesh, P("x", "x")))
report("indivisible", lambda: jax.device_put(jnp.arange(10.0), NamedSharding(mesh, P("x"))))
report("rank", lambda: jax.device_put(jnp.arange(8.0), NamedSharding(mesh, P("x", "y", None))))
report("too few devices", lambda: jax.make_mesh((8,), ("x",)))
report("mesh names", lambda: jax.sharding.Mesh(jax.devices(), ("x", "y")))
report("jit in_shardings", lambda: jax.jit(lambda a: a, in_shardings=NamedSharding(mesh, P("x")))(jnp.arange(6.0)))
report("jit in_shardings path", lambda: jax.jit(lambda x, params: x, in_shardings=(None, {"w": NamedSharding(mesh, P("x"))}))(1.0, {"w": jnp.arange(10.0)}))
report("jit out_shardings", lambda: jax.jit(lambda a: (a, a), out_shardings=NamedSharding(mesh, P("x")))(jnp.arange(6.0)))
report("committed devices", lambda: jax.device_put(jnp.arange(3.0), jax.devices()[0]) + jax.device_put(jnp.arange(3.0), jax.devices()[1]))
report("shard_map indivisible", lambda: jax.shard_map(lambda a: a, mesh=mesh, in_specs=P("x"), out_specs=P("x"))(jnp.arange(6.0)))
report("unbound axis", lambda: jax.shard_map(lambda a: lax.psum(a, "z"), mesh=mesh, in_specs=P("x"), out_specs=P())(jnp.arange(8.0)))
report("psum outside", lambda: lax.psum(jnp.arange(4.0), "x"))
report("visualize 3-D", lambda: jax.debug.visualize_array_sharding(jnp.zeros((2, 2, 2))))
