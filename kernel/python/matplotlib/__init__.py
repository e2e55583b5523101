"""jaxnb's matplotlib: the part of matplotlib's API notebooks use for plotting, drawn as
vega-lite v5 charts (`matplotlib.pyplot`). Not the real matplotlib: unsupported arguments raise
a TypeError naming them instead of being silently ignored."""

__version__ = "3.9.0+jaxnb"

rcParams = {"figure.figsize": [6.4, 4.8], "figure.dpi": 100.0, "lines.linewidth": 1.5, "axes.grid": False}


def use(backend, force=True):
    """Backends do not apply: figures are always vega-lite charts."""


def get_backend():
    return "module://jaxnb"
