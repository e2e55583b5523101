# jnp's scalar-type constructors make strongly typed 0-d arrays (JAX's scalar_types.py calls
# asarray with the dtype), so they promote like arrays, not like Python scalars.
import jax
import jax.numpy as jnp

f32 = jnp.float32(1.0)
print(repr(f32), f32.weak_type, jax.typeof(f32))
print((jnp.float32(1.0) + jnp.float16(1)).dtype, (jnp.float16(1) * 2.0).dtype, (jnp.float16(1) + 1).dtype)
print((jnp.bfloat16(1.0) + jnp.float16(1.0)).dtype, (jnp.int32(3) * jnp.float16(1)).dtype, (jnp.int8(1) + jnp.uint8(1)).dtype)
print(repr(jnp.int32(3)), repr(jnp.int32(2.7)), repr(jnp.bool_(1)), repr(jnp.float32(2.5) + jnp.int32(1)))
print(jnp.asarray(1.0, dtype=jnp.float16).weak_type, jnp.array(1.0, dtype="float32").weak_type, jnp.asarray(1.0).weak_type)
print(jax.jit(lambda x: x * jnp.float32(2.0))(jnp.ones(2, jnp.float16)).dtype)
print(repr(jnp.zeros(())), jnp.asarray(()).shape, repr(jnp.ones([2, 0]).shape))
