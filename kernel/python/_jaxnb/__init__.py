"""The kernel's Python side: running cells, displaying values, streams, tracebacks, completion.

Not part of the public API: users import `jax` and `matplotlib.pyplot`.
"""
