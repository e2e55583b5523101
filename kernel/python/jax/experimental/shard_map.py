"""`jax.experimental.shard_map.shard_map` (the older home of `jax.shard_map`)."""

from jax._src.shard_map import shard_map  # noqa: F401
