"""jax on jaxnb: JAX's Python API, computed by a TypeScript runtime (tracing to jaxprs,
autodiff, batching, a fusing JIT) on the CPU or WebGPU. See jaxnb's DESIGN.md."""

__version__ = "0.7.2+jaxnb"

from jax._src.config import config
from jax._src.array import Array
from jax._src.core import ShapeDtypeStruct
from jax._src.jit import jit, make_jaxpr, eval_shape
from jax._src.ad import grad, value_and_grad, jvp, vjp, linearize, jacfwd, jacrev, jacobian, hessian
from jax._src.batching import vmap
from jax._src.custom import custom_jvp, custom_vjp, checkpoint, remat
from jax._src.devices import (
    Device, devices, local_devices, device_count, local_device_count, default_backend, process_index, process_count,
)
from jax._src.shard_map import shard_map
from jax._src.api import device_put, device_get, block_until_ready, typeof, disable_jit, named_call, named_scope, make_mesh
from jax import numpy, lax, tree_util, tree, errors, dtypes

_LAZY = ("random", "nn", "scipy", "sharding", "debug", "experimental")


def __getattr__(name):
    # Heavier submodules load on first use (`jax.random.key(0)` works without importing it).
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"jax.{name}")
    raise AttributeError(f"module 'jax' has no attribute '{name}'")
