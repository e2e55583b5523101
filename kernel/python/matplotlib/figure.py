"""`Figure`: a grid of Axes, displayed in notebooks as one vega-lite chart
(`application/vnd.vegalite.v5+json`) and saved as SVG (rendered by vega in the kernel process)
or as the vega-lite spec (JSON)."""

import json
import os

from .axes import _SCHEMA, Axes, check_kwargs

MIME = "application/vnd.vegalite.v5+json"


class Figure:
    __module__ = "matplotlib.figure"

    def __init__(self, figsize=None, dpi=None, num=None):
        from . import rcParams

        self.figsize = tuple(figsize) if figsize is not None else tuple(rcParams["figure.figsize"])
        self.dpi = float(dpi or rcParams["figure.dpi"])
        self.number = num
        self.axes = []
        self._grid = {}
        self.suptitle_text = None
        #: Changed since it was last displayed (figures left open at the end of a cell are shown once).
        self._touched = True

    def __repr__(self):
        w, h = (round(v * self.dpi) for v in self.figsize)
        return f"<Figure size {w}x{h} with {len(self.axes)} Axes>"

    # ---- layout ----

    def add_subplot(self, nrows=1, ncols=1, index=1, **kwargs):
        check_kwargs("add_subplot", kwargs, {"projection"} if kwargs.get("projection") in (None, "rectilinear") else set())
        if isinstance(nrows, int) and nrows > 100 and ncols == 1 and index == 1:
            nrows, ncols, index = nrows // 100, (nrows // 10) % 10, nrows % 10
        if not 1 <= index <= nrows * ncols:
            raise ValueError(f"num must be an integer with 1 <= num <= {nrows * ncols}, not {index}")
        pos = ((index - 1) // ncols, (index - 1) % ncols, nrows, ncols)
        for ax, p in self._grid.items():
            if p == pos:
                return ax
        ax = Axes(self)
        self.axes.append(ax)
        self._grid[ax] = pos
        self._touched = True
        return ax

    def subplots(self, nrows=1, ncols=1, squeeze=True, sharex=False, sharey=False):
        grid = [[self.add_subplot(nrows, ncols, r * ncols + c + 1) for c in range(ncols)] for r in range(nrows)]
        if squeeze and nrows == 1 and ncols == 1:
            return grid[0][0]
        if squeeze and (nrows == 1 or ncols == 1):
            return AxesArray([ax for row in grid for ax in row])
        return AxesArray([AxesArray(row) for row in grid])

    def gca(self):
        return self.axes[-1] if self.axes else self.add_subplot()

    def suptitle(self, t, **kwargs):
        self.suptitle_text = str(t)
        self._touched = True

    def set_size_inches(self, w, h=None):
        self.figsize = tuple(w) if h is None else (w, h)

    def get_size_inches(self):
        return self.figsize

    def tight_layout(self, **kwargs):
        """Layout is vega's: nothing to do."""

    def clf(self):
        self.axes.clear()
        self._grid.clear()
        self.suptitle_text = None
        self._touched = True

    # ---- output ----

    def to_vegalite(self):
        """The figure as a vega-lite v5 spec."""
        w, h = (v * self.dpi for v in self.figsize)
        if not self.axes:
            spec = {"width": round(w * 0.8), "height": round(h * 0.8), "layer": [{"data": {"values": []}, "mark": "point"}]}
        elif len(self.axes) == 1:
            spec = self.axes[0].spec(round(w * 0.8), round(h * 0.8))
        else:
            nrows = max(p[2] for p in self._grid.values())
            ncols = max(p[3] for p in self._grid.values())
            cell_w, cell_h = round(w * 0.8 / ncols), round(h * 0.75 / nrows)
            rows = []
            for r in range(nrows):
                row = [ax.spec(cell_w, cell_h) for ax in self.axes if self._grid[ax][0] == r]
                row_order = sorted(zip([self._grid[ax][1] for ax in self.axes if self._grid[ax][0] == r], row), key=lambda t: t[0])
                if row_order:
                    rows.append({"hconcat": [s for _, s in row_order]})
            spec = {"vconcat": rows, "resolve": {"scale": {"color": "independent"}}}
        spec = {"$schema": _SCHEMA, **spec, "config": {"view": {"stroke": "#444"}, "axis": {"grid": False}}}
        if self.suptitle_text:
            spec["title"] = self.suptitle_text if len(self.axes) != 1 else {"text": self.suptitle_text, "subtitle": spec.get("title", "")}
        return spec

    def _repr_mimebundle_(self, include=None, exclude=None):
        self._touched = False
        return {MIME: self.to_vegalite(), "text/plain": repr(self)}

    def show(self):
        from _jaxnb.display import display

        display(self)

    def savefig(self, fname, format=None, dpi=None, bbox_inches=None, transparent=None, **kwargs):  # noqa: A002
        """Saves as SVG (rendered by vega) or as the vega-lite spec (.json); other formats are an error."""
        check_kwargs("savefig", kwargs, {"facecolor", "edgecolor", "pad_inches", "metadata"})
        path = os.fspath(fname) if not hasattr(fname, "write") else None
        fmt = (format or (os.path.splitext(path)[1][1:] if path else "svg") or "svg").lower()
        spec = self.to_vegalite()
        if fmt == "svg":
            import _jaxnb_kernel

            text = str(_jaxnb_kernel.syncCall("svg", json.dumps(_finite(spec), allow_nan=False)))
        elif fmt in ("json", "vl", "vega-lite"):
            text = json.dumps(_finite(spec), allow_nan=False, indent=1)
        else:
            raise ValueError(
                f"Format {fmt!r} is not supported by jaxnb's matplotlib (supported formats: 'svg', and 'json' for the vega-lite spec)"
            )
        if path is None:
            fname.write(text.encode() if "b" in getattr(fname, "mode", "w") or hasattr(fname, "getbuffer") else text)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)


class AxesArray(list):
    """What `subplots` returns for several Axes: indexable like NumPy's object array (`axs[0, 1]`)."""

    def __getitem__(self, idx):
        if isinstance(idx, tuple):
            out = self
            for i in idx:
                out = list.__getitem__(out, i)
            return out
        got = list.__getitem__(self, idx)
        return AxesArray(got) if isinstance(idx, slice) else got

    @property
    def flat(self):
        for a in self:
            if isinstance(a, AxesArray):
                yield from a.flat
            else:
                yield a

    def flatten(self):
        return list(self.flat)

    ravel = flatten

    @property
    def shape(self):
        return (len(self), len(self[0])) if self and isinstance(self[0], AxesArray) else (len(self),)


def _finite(x):
    if isinstance(x, float):
        return x if x == x and x not in (float("inf"), float("-inf")) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x
