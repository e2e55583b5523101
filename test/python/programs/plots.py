# %%
# Figures left open at the end of a cell are shown; each gives one vega-lite chart.
import os

import jax.numpy as jnp
import matplotlib.pyplot as plt

t = jnp.linspace(0.1, 3, 50)
plt.figure(figsize=(5, 3))
plt.plot(t, jnp.sin(t) + 2, "r--", label="sin")
plt.scatter(t[::10], jnp.cos(t[::10]) + 2, label="points")
plt.title("Waves")
plt.xlabel("t")
plt.yscale("log")
plt.legend()
plt.savefig("out-plot.svg")

# %%
n, bins, _ = plt.hist(jnp.sin(jnp.arange(1000) * 0.1), bins=8)

# %%
fig, axs = plt.subplots(2, 2)
axs[0, 0].plot([1, 2, 3])
axs[1, 1].bar(["a", "b"], [3, 4])
axs[1, 0].set_title("empty")
fig.suptitle("grid")

# %%
plt.imshow(jnp.arange(12.0).reshape(3, 4))
