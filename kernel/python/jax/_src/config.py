"""`jax.config`: options read and set by name (`jax.config.update("jax_enable_x64", True)`),
kept in the runtime so the TypeScript side sees the same values. `JAX_ENABLE_X64` and
`JAX_PLATFORMS` in the environment set the initial values, as in JAX."""

import os

from .bridge import B

_TRUE = ("1", "true", "yes", "on", "t", "y")


class Config:
    def update(self, name, value):
        B.configUpdate(name, value)

    def read(self, name):
        return B.configRead(name)

    def __getattr__(self, name):
        if name.startswith("jax_"):
            return B.configRead(name)
        raise AttributeError(f"Unrecognized config option: {name}")

    def __repr__(self):
        return "<jax.config>"


config = Config()


def _init_from_environment():
    x64 = os.environ.get("JAX_ENABLE_X64")
    if x64 is not None:
        config.update("jax_enable_x64", x64.strip().lower() in _TRUE)
    platforms = os.environ.get("JAX_PLATFORMS")
    if platforms:
        config.update("jax_platforms", platforms.strip().lower())


_init_from_environment()
