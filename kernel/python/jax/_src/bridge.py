"""The one door to the TypeScript runtime (kernel/python/bridge.ts, registered as the JS module
`_jaxnb_bridge`): every call goes through `B`, which turns JavaScript errors into the Python
exceptions JAX raises (TypeError, ValueError, jax.errors.*), so users never see a JsException.
"""

import _jaxnb_bridge
from pyodide.ffi import JsException

_BUILTIN_ERRORS = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "OverflowError": OverflowError,
    "ZeroDivisionError": ZeroDivisionError,
    "NotImplementedError": NotImplementedError,
    "AssertionError": AssertionError,
    "AttributeError": AttributeError,
    "MemoryError": MemoryError,
    "RuntimeError": RuntimeError,
    "NameError": NameError,
}

# Exceptions JAX raises from its internal modules (e.g. jax._src.named_sharding.DuplicateSpecError),
# registered by the modules that define them.
_INTERNAL_ERRORS = {}


def register_error(cls):
    _INTERNAL_ERRORS[cls.__name__] = cls


def _jax_error_class(name):
    from jax import errors

    return getattr(errors, name, None)


def convert_error(e):
    """The Python exception for a JavaScript error raised by the runtime."""
    name = str(getattr(e, "name", None) or "Error")
    message = str(getattr(e, "message", None) or e)
    if name in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[name](message)
    if name in _INTERNAL_ERRORS:
        return _INTERNAL_ERRORS[name](message)
    cls = _jax_error_class(name)
    if cls is not None:
        return cls(message)
    if name == "RangeError":
        if "call stack" in message:
            return RecursionError(message)
        return ValueError(message)
    return RuntimeError(f"{name}: {message}" if name != "Error" else message)


class _Bridge:
    """Attribute access gives the bridge's functions, wrapped so that errors convert."""

    def __getattr__(self, name):
        fn = getattr(_jaxnb_bridge, name)

        def call(*args):
            try:
                return fn(*args)
            except JsException as e:
                raise convert_error(e) from None

        call.__name__ = name
        setattr(self, name, call)
        return call


B = _Bridge()


def js_call(fn, *args):
    """Calls a function the runtime returned (a jitted or pulled-back function), converting errors."""
    try:
        return fn(*args)
    except JsException as e:
        raise convert_error(e) from None
