"""`jax.random`: counter-based random numbers (threefry2x32, bit-identical to JAX), computed by
the runtime (kernel/random). Keys are explicit: split them, never reuse one."""

import inspect

from js import Object
from pyodide.ffi import to_js

from jax._src.array import from_js, to_option, to_value
from jax._src.bridge import B


def _call(ts_name, positional, options):
    opts = {k: to_option(v) for k, v in options.items() if v is not None}
    js_opts = to_js(opts, dict_converter=Object.fromEntries) if opts else None
    return from_js(B.random(ts_name, to_js([to_value(p) if not isinstance(p, (tuple, list)) else to_js(list(p)) for p in positional]), js_opts))


def _wrap(ts_name, required, py_name, doc):
    """A function with JAX's signature forwarding to the runtime: the `required` parameters
    positional, the others as options."""

    def make(template):
        sig = inspect.signature(template)

        def fn(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            return _call(ts_name, [a[n] for n in required], {k: v for k, v in a.items() if k not in required})

        fn.__name__ = fn.__qualname__ = py_name
        fn.__signature__ = sig
        fn.__doc__ = doc
        fn.__module__ = "jax.random"
        return fn

    return make


@_wrap("PRNGKey", ["seed"], "PRNGKey", "A legacy PRNG key (uint32[2]) from an integer seed.")
def PRNGKey(seed, *, impl=None): ...


@_wrap("key", ["seed"], "key", "A PRNG key from an integer seed.")
def key(seed, *, impl=None): ...


@_wrap("keyData", ["keys"], "key_data", "The uint32 words of a key.")
def key_data(keys): ...


@_wrap("wrapKeyData", ["key_bits_array"], "wrap_key_data", "A key from its uint32 words.")
def wrap_key_data(key_bits_array, *, impl=None): ...


@_wrap("split", ["key"], "split", "`num` new keys from one (stacked on a leading axis).")
def split(key, num=2): ...


@_wrap("foldIn", ["key", "data"], "fold_in", "A new key from a key and an integer.")
def fold_in(key, data): ...


@_wrap("bits", ["key"], "bits", "Uniform random unsigned integers.")
def bits(key, shape=(), dtype=None): ...


@_wrap("uniform", ["key"], "uniform", "Uniform samples in [minval, maxval).")
def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0): ...


@_wrap("normal", ["key"], "normal", "Standard normal samples.")
def normal(key, shape=(), dtype=None): ...


@_wrap("randint", ["key", "shape", "minval", "maxval"], "randint", "Uniform integers in [minval, maxval).")
def randint(key, shape, minval, maxval, dtype=None): ...


@_wrap("bernoulli", ["key"], "bernoulli", "True with probability p.")
def bernoulli(key, p=0.5, shape=None): ...


@_wrap("choice", ["key", "a"], "choice", "Samples from a (an array, or range(a) for an int).")
def choice(key, a, shape=(), replace=True, p=None, axis=0): ...


@_wrap("permutation", ["key", "x"], "permutation", "A random permutation of x (or of range(x) for an int).")
def permutation(key, x, axis=0, independent=False): ...


@_wrap("truncatedNormal", ["key", "lower", "upper"], "truncated_normal", "Normal samples truncated to [lower, upper].")
def truncated_normal(key, lower, upper, shape=None, dtype=None): ...


@_wrap("categorical", ["key", "logits"], "categorical", "Samples of categories with the given logits.")
def categorical(key, logits, axis=-1, shape=None, replace=True): ...


@_wrap("gumbel", ["key"], "gumbel", "Standard Gumbel samples.")
def gumbel(key, shape=(), dtype=None): ...


@_wrap("exponential", ["key"], "exponential", "Standard exponential samples.")
def exponential(key, shape=(), dtype=None): ...
