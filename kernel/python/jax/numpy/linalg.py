"""`jax.numpy.linalg`: functions of the runtime's signature table named `linalg.*`."""

from jax._src.numpy_api import build_namespace as _build

globals().update({k.split(".", 1)[1]: v for k, v in _build().items() if k.startswith("linalg.")})
