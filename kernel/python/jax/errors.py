"""`jax.errors`: the exceptions JAX raises for tracers used where concrete values are needed and
for other misuse, with JAX's names (the runtime raises them by name; see jax/_src/bridge.py)."""


class JAXTypeError(TypeError):
    pass


class JAXIndexError(IndexError):
    pass


def _message(arg, default):
    """These take a message (from the runtime) or, as in JAX, the tracer involved."""
    if isinstance(arg, str):
        return arg
    aval = getattr(arg, "aval", None)
    return default.format(aval.str_short() if aval is not None else repr(arg))


class ConcretizationTypeError(JAXTypeError):
    def __init__(self, tracer_or_message, context=""):
        super().__init__(_message(
            tracer_or_message,
            "Abstract tracer value encountered where concrete value is expected: traced array with shape {}\n" + context,
        ))


class TracerBoolConversionError(ConcretizationTypeError):
    def __init__(self, tracer_or_message):
        TypeError.__init__(self, _message(
            tracer_or_message,
            "Attempted boolean conversion of traced array with shape {}.\n"
            "See https://docs.jax.dev/en/latest/errors.html#jax.errors.TracerBoolConversionError",
        ))


class TracerIntegerConversionError(JAXTypeError):
    def __init__(self, tracer_or_message):
        super().__init__(_message(
            tracer_or_message,
            "The __index__() method was called on traced array with shape {}\n"
            "See https://docs.jax.dev/en/latest/errors.html#jax.errors.TracerIntegerConversionError",
        ))


class TracerArrayConversionError(JAXTypeError):
    def __init__(self, tracer_or_message):
        super().__init__(_message(
            tracer_or_message,
            "The numpy.ndarray conversion method __array__() was called on traced array with shape {}.\n"
            "See https://docs.jax.dev/en/latest/errors.html#jax.errors.TracerArrayConversionError",
        ))


class NonConcreteBooleanIndexError(JAXIndexError):
    def __init__(self, tracer_or_message):
        super().__init__(_message(tracer_or_message, "Array boolean indices must be concrete; got {}"))


class UnexpectedTracerError(JAXTypeError):
    def __init__(self, msg):
        super().__init__(msg)


class KeyReuseError(JAXTypeError):
    pass


class JaxRuntimeError(RuntimeError):
    pass
