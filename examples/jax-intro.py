# %% [markdown]
# # My Brief Introduction to JAX
#
# The docs say
#
# > JAX is a Python library for accelerator-oriented array computation and program transformation, designed for high-performance numerical computing and large-scale machine learning.
#
# From what I understood, JAX is a library similar to NumPy but offers the following key differences:
#
# 1. Code can be run on multiple backends such CPU and TPU.
# 2. Provides a Just-in-Time compiler to speed up computations.
# 3. Allows for automatic differentiation of functions.
#
# ## Quick Demo
#
# JAX's `jnp` module is primarily used for calculations and is called similarly to NumPy's.

# %%
import jax.numpy as jnp
import matplotlib.pyplot as plt # To be used for plotting later on.

# %% [markdown]
# Now a function such as $f(x) = e^{-x^2}cos(e^{x^2})$ can be defined with

# %%
def func(x):
    return jnp.exp(-x ** 2) * jnp.cos(jnp.exp(x ** 2))

# %% [markdown]
# To plot it, we create an array of inputs (x values) and apply the function on it.

# %%
x_jnp = jnp.linspace(-2, 2, 10000)
y_jnp = func(x_jnp)

# %% [markdown]
# Before plotting this, I'd also want to test out the autograd function in JAX.

# %%
from jax import grad, vmap # To vectorize functions.
derivative = grad(func) # This will now only take in a single input.
derivative_vec = vmap(derivative) # Now this can be applied on to arrays.
y_prime = derivative_vec(x_jnp)

# %% [markdown]
# Finally, plotting the two functions gives this:

# %%
plt.plot(x_jnp, y_jnp, label="f(x)")
plt.plot(x_jnp, y_prime, label="f'(x)")
plt.legend()

# %% [markdown]
# ## Speeding it Up
#
# While JAX provides convenient functions for arithmetic, it would be nice for it to be fast. To achieve this, there are two key ways:
#
# 1. Just-in-Time Compilation (JIT)
# 2. Sharding
#
# The JIT combines several smaller operations into one, reducing memory overhead, and caches intermediate results. It also optimizes code for the specific hardware it is being run on. However for a function to be optimized by the JIT, it needs to be pure (no modifying variables or printing), input array shapes should be fixed and standard control flow should not be used like `if` or `for`. If the function matches the conditions, it can be passed to the JIT like this:

# %%
from jax import jit
func_jit = jit(func)
y_jit = func_jit(x_jnp)

# %% [markdown]
# Alternatively, the `@jit` decorator can be added to the top of the function.
#
# Sharding allows for the same program to run on multiple data at the same time (SPMD). I'll be testing this out on four CPU cores I set

# %%
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"

# %% [markdown]
# Now the output of `jax.device_count()` shows `4`.

# %%
import jax
jax.device_count()

# %% [markdown]
# Sharding would split the data across these cores (represented as a "mesh") and perform calculations in parallel.

# %%
from jax.sharding import PartitionSpec as P, NamedSharding
mesh = jax.make_mesh((4, 1), ('x', 'y'))
x = jnp.linspace(-4, 4, 10000000) # data
y = jax.device_put(x, NamedSharding(mesh, P(('x', 'y')))) # splitting the data
jax.debug.visualize_array_sharding(y)

# %% [markdown]
# In `jax.make_mesh((a, b), ...)` the product of `a` and `b` should match the total number of cores. `visualize_array_sharding` shows the layout of how the data is sharded. In my case the data is one dimensional with four cores.
#
# Now any function applied on `y` will be processed in parallel. Sharding can also be combined with the JIT to increase speed. We can apply `func` on the sharded or non-sharded data, along with its jitted version. This gives four methods to compare:
#
# 1. Baseline
# 2. JIT
# 3. Sharding
# 4. Sharding + JIT

# %%
import time

def median_ms(f, arg, repeats=3):
    f(arg).block_until_ready()  # warm-up (and compilation for the jitted versions)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(arg).block_until_ready()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]

methods = ["Baseline", "JIT", "Sharding", "Sharding + JIT"]
timings = [median_ms(func, x), median_ms(func_jit, x), median_ms(func, y), median_ms(func_jit, y)]
for method, ms in zip(methods, timings):
    print(f"{method:>15}: {ms:8.1f} ms ({timings[0] / ms:.1f}x)")
plt.bar(methods, timings)
plt.ylabel("median time (ms)")
plt.title("func on 10,000,000 points")

# %% [markdown]
# ## Conclusion
#
# That concludes what I've learnt so far by mainly going through JAX documentation. In my next post I plan to do something more involved. Thanks for reading!
