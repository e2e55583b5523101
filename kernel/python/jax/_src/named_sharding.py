"""JAX's exception for a PartitionSpec that names a mesh axis twice (jax._src.named_sharding)."""

from .bridge import register_error


class DuplicateSpecError(Exception):
    """A mesh axis used for more than one dimension of a NamedSharding's spec."""


register_error(DuplicateSpecError)
