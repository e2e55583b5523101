# Collectives naming a vmapped axis together with a shard_map mesh axis: the devices are numbered
# row-major over the names in the order given. x's rows 0-2 live on device x=0, rows 3-5 on x=1,
# and each block's rows are vmapped as 'i': row 3x + i is element (x, i).
import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import PartitionSpec as P

mesh = jax.make_mesh((2,), ("x",))
x = jnp.arange(12.0).reshape(6, 2)


def on_mesh(body, out_specs=P("x")):
    return jax.shard_map(jax.vmap(body, axis_name="i"), mesh=mesh, in_specs=P("x"), out_specs=out_specs)


print("all_gather (i, x):", on_mesh(lambda v: lax.all_gather(v, ("i", "x")))(x)[0].tolist())
print("axis_index (i, x):", on_mesh(lambda v: lax.axis_index(("i", "x")))(x).tolist())
print("ppermute (i, x):", on_mesh(lambda v: lax.ppermute(v, ("i", "x"), [(k, (k + 1) % 6) for k in range(6)]))(x)[:, 0].tolist())
w = jnp.arange(36.0).reshape(6, 6)
print("psum_scatter (i, x):", on_mesh(lambda v: lax.psum_scatter(v, ("i", "x")))(w).tolist())
print("psum (i, x):", on_mesh(lambda v: lax.psum(v, ("i", "x")), P())(x).tolist())
print("grad:", jax.grad(lambda x: on_mesh(lambda v: jnp.sum(lax.all_gather(v, ("i", "x"))[1] ** 2))(x).sum())(x).tolist())
try:
    jax.shard_map(lambda v: lax.psum(v, "x", axis_index_groups=[[0], [1]]), mesh=mesh, in_specs=P("x"), out_specs=P("x"))(x)
except NotImplementedError as e:
    print("NotImplementedError:", e)
