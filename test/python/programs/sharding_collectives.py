# shard_map over 64 points split in 4 blocks, each collective's result as JSON (JAX_PLATFORMS=cpu).
import json
import logging
import os
import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import PartitionSpec as P

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
mesh = jax.make_mesh((4,), ("x",))
x = jnp.linspace(-2, 2, 64)


def body(b):
    return {
        "psum": lax.psum(b, "x"),
        "pmean": lax.pmean(b, "x"),
        "pmax": lax.pmax(b, "x"),
        "all_gather": lax.all_gather(b, "x"),
        "all_gather_tiled": lax.all_gather(b, "x", tiled=True),
        "ppermute": lax.ppermute(b, "x", perm=[(0, 1), (1, 2), (2, 3), (3, 0)]),
        "psum_scatter": lax.psum_scatter(b, "x", tiled=True),
        "axis_index": lax.axis_index("x")[None],
        "block_sum": jnp.sum(b, keepdims=True),
    }


specs = {"psum": P(), "pmean": P(), "pmax": P(), "all_gather": P(), "all_gather_tiled": P(),
         "ppermute": P("x"), "psum_scatter": P("x"), "axis_index": P("x"), "block_sum": P("x")}
out = jax.shard_map(body, mesh=mesh, in_specs=P("x"), out_specs=specs)(x)
jitted = jax.jit(jax.shard_map(body, mesh=mesh, in_specs=P("x"), out_specs=specs))(x)
# A primitive without a sharding rule is computed on one device; the runtime logs it (DEBUG).
records = []
handler = logging.Handler()
handler.emit = lambda record: records.append(record.getMessage())
logging.getLogger("jax._src.sharding").addHandler(handler)
logging.getLogger("jax._src.sharding").setLevel(logging.DEBUG)
split = jax.device_put(x, jax.sharding.NamedSharding(mesh, P("x")))
sliced = lax.dynamic_slice(split, (1,), (4,))
bits = lax.bitcast_convert_type(split, jnp.int32)
total = jax.shard_map(lambda b: lax.psum(jnp.sum(b * b), "x"), mesh=mesh, in_specs=P("x"), out_specs=P())
print(json.dumps({
    **{k: v.tolist() for k, v in out.items()},
    "jit_agrees": all(bool(jnp.array_equal(out[k], jitted[k])) for k in out),
    "grad": jax.grad(total)(x).tolist(),
    "gathered": [sliced.tolist(), bits.tolist(), records],
}))
