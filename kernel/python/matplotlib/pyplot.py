"""`matplotlib.pyplot` for jaxnb: matplotlib's state-machine API drawing vega-lite charts.
A figure left open at the end of a cell is displayed (as Jupyter's inline backend does);
`show()` displays the open figures now. Arguments this module does not support raise a
TypeError naming them."""

from . import rcParams  # noqa: F401
from .axes import Axes, check_kwargs  # noqa: F401
from .figure import Figure

_figures = {}
_current = {"num": None}


def _new_num():
    return max(_figures, default=0) + 1


def figure(num=None, figsize=None, dpi=None, clear=False, **kwargs):
    """A new figure (or figure `num`, if it exists), made current."""
    check_kwargs("figure", kwargs, {"facecolor", "edgecolor", "frameon", "layout", "constrained_layout", "tight_layout"})
    if isinstance(num, Figure):
        fig = num
        num = fig.number
    elif num is not None and num in _figures:
        fig = _figures[num]
        if clear:
            fig.clf()
    else:
        num = num if num is not None else _new_num()
        fig = Figure(figsize=figsize, dpi=dpi, num=num)
    _figures[num] = fig
    _current["num"] = num
    return fig


def gcf():
    num = _current["num"]
    return _figures[num] if num in _figures else figure()


def gca():
    return gcf().gca()


def sca(ax):
    figure(ax.figure)
    ax.figure.axes.remove(ax)
    ax.figure.axes.append(ax)


def subplots(nrows=1, ncols=1, *, sharex=False, sharey=False, squeeze=True, figsize=None, dpi=None, **kwargs):
    """A new figure with a grid of Axes: `fig, ax = plt.subplots()`, `fig, axs = plt.subplots(2, 2)`."""
    check_kwargs("subplots", kwargs, {"layout", "constrained_layout", "tight_layout", "subplot_kw", "gridspec_kw"})
    fig = figure(figsize=figsize, dpi=dpi)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, sharex=sharex, sharey=sharey)


def subplot(nrows=1, ncols=1, index=1, **kwargs):
    return gcf().add_subplot(nrows, ncols, index, **kwargs)


def _on_axes(name):
    def f(*args, **kwargs):
        return getattr(gca(), name)(*args, **kwargs)

    f.__name__ = name
    f.__doc__ = getattr(Axes, name).__doc__
    return f


plot = _on_axes("plot")
scatter = _on_axes("scatter")
bar = _on_axes("bar")
barh = _on_axes("barh")
hist = _on_axes("hist")
fill_between = _on_axes("fill_between")
axhline = _on_axes("axhline")
axvline = _on_axes("axvline")
imshow = _on_axes("imshow")
text = _on_axes("text")
legend = _on_axes("legend")
grid = _on_axes("grid")


def title(label, **kwargs):
    gca().set_title(label, **kwargs)


def xlabel(label, **kwargs):
    gca().set_xlabel(label, **kwargs)


def ylabel(label, **kwargs):
    gca().set_ylabel(label, **kwargs)


def xlim(*args, **kwargs):
    ax = gca()
    if args or kwargs:
        ax.set_xlim(*args, **{{"xmin": "left", "xmax": "right"}.get(k, k): v for k, v in kwargs.items()})
    return ax.get_xlim()


def ylim(*args, **kwargs):
    ax = gca()
    if args or kwargs:
        ax.set_ylim(*args, **{{"ymin": "bottom", "ymax": "top"}.get(k, k): v for k, v in kwargs.items()})
    return ax.get_ylim()


def xscale(value, **kwargs):
    gca().set_xscale(value, **kwargs)


def yscale(value, **kwargs):
    gca().set_yscale(value, **kwargs)


def suptitle(t, **kwargs):
    gcf().suptitle(t, **kwargs)


def tight_layout(**kwargs):
    gcf().tight_layout(**kwargs)


def colorbar(mappable=None, **kwargs):
    """Color scales get their legend (a color bar) automatically."""


def savefig(fname, **kwargs):
    gcf().savefig(fname, **kwargs)


def clf():
    gcf().clf()


def cla():
    gca().cla()


def close(fig=None):
    """Closes the current figure, figure `fig` (a Figure or its number), or all with "all"."""
    if fig == "all":
        _figures.clear()
        _current["num"] = None
        return
    num = fig.number if isinstance(fig, Figure) else (fig if fig is not None else _current["num"])
    _figures.pop(num, None)
    if _current["num"] == num:
        _current["num"] = max(_figures, default=None)


def get_fignums():
    return sorted(_figures)


def fignum_exists(num):
    return num in _figures


def show(block=None):
    """Displays every open figure now, and closes them."""
    from _jaxnb.display import display

    for num in sorted(_figures):
        display(_figures[num])
    close("all")


def _show_open_figures():
    """End of a cell: figures left open are displayed (unless displayed since their last change) and closed."""
    from _jaxnb.display import display

    for num in sorted(_figures):
        if _figures[num]._touched:
            display(_figures[num])
    close("all")
