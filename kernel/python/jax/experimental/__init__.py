"""`jax.experimental`: nothing experimental is in jaxnb yet."""
