"""`jax.experimental`: `shard_map` (now `jax.shard_map`) is what jaxnb has here."""
