"""`Axes`: what a plot holds (lines, points, bars, areas, rules, images, text) and its
decorations (title, labels, limits, scales, legend, grid), compiled to one vega-lite layer chart.
Each artist becomes a layer with its own data; colors share one scale so the legend lists them."""

import math

from . import _styles

_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def values(x, what="data"):
    """Plain Python numbers of an array-like (JAX arrays are read once, as lists)."""
    if hasattr(x, "tolist") and hasattr(x, "shape"):
        x = x.tolist()
    if isinstance(x, (int, float)):
        return [x]
    out = []
    for v in x:
        if hasattr(v, "tolist") and hasattr(v, "shape"):
            v = v.tolist()
        out.append(v)
    return out


def _shape(x):
    s = getattr(x, "shape", None)
    if s is not None:
        return tuple(s)
    if isinstance(x, (list, tuple)):
        return (len(x),) + (_shape(x[0]) if x and isinstance(x[0], (list, tuple)) else ())
    return ()


def _num(v):
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def check_kwargs(func, kwargs, allowed):
    bad = sorted(k for k in kwargs if k not in allowed)
    if bad:
        raise TypeError(f"{func}() got argument(s) that jaxnb's matplotlib does not support: {', '.join(repr(b) for b in bad)}")


class Artist:
    """Something drawn on Axes; `get_label()` and friends as in matplotlib."""

    kind = "artist"

    def __init__(self, axes, label, color):
        self.axes = axes
        self._label = label
        self.color = color

    def get_label(self):
        return self._label

    def set_label(self, label):
        self._label = label

    def get_color(self):
        return self.color

    def set_color(self, c):
        self.color = _styles.color(c)

    def remove(self):
        self.axes.artists.remove(self)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} at {hex(id(self))}>"


class Line2D(Artist):
    kind = "line"
    __module__ = "matplotlib.lines"

    def __init__(self, axes, x, y, label, color, linewidth, dash, marker, markersize, alpha):
        super().__init__(axes, label, color)
        self.x, self.y = x, y
        self.linewidth, self.dash, self.marker, self.markersize, self.alpha = linewidth, dash, marker, markersize, alpha

    def get_xdata(self):
        return self.x

    def get_ydata(self):
        return self.y

    def set_data(self, x, y):
        self.x, self.y = values(x), values(y)

    def get_linewidth(self):
        return self.linewidth

    def layer(self, series):
        rows = [{"x": _num(a), "y": _num(b), "i": i, "series": series} for i, (a, b) in enumerate(zip(self.x, self.y))]
        mark = {"type": "line", "strokeWidth": self.linewidth, "clip": True}
        if self.dash == "none":
            mark["strokeOpacity"] = 0
        elif self.dash:
            mark["strokeDash"] = self.dash
        if self.marker:
            mark["point"] = {"shape": self.marker, "size": self.markersize**2, "filled": True}
        if self.alpha is not None:
            mark["opacity"] = self.alpha
        return rows, mark, {"order": {"field": "i", "type": "quantitative"}}


class PathCollection(Artist):
    kind = "scatter"
    __module__ = "matplotlib.collections"

    def __init__(self, axes, x, y, label, color, sizes, marker, alpha, cvalues, cmap, vmin, vmax):
        super().__init__(axes, label, color)
        self.x, self.y, self.sizes, self.marker, self.alpha = x, y, sizes, marker, alpha
        self.cvalues, self.cmap, self.vmin, self.vmax = cvalues, cmap, vmin, vmax

    def layer(self, series):
        rows = [{"x": _num(a), "y": _num(b), "series": series} for a, b in zip(self.x, self.y)]
        mark = {"type": "point", "filled": True, "shape": self.marker or "circle", "clip": True}
        extra = {}
        if len(self.sizes) == 1:
            mark["size"] = self.sizes[0]
        else:
            for r, s in zip(rows, self.sizes):
                r["size"] = s
            extra["size"] = {"field": "size", "type": "quantitative", "scale": None, "legend": None}
        if self.alpha is not None:
            mark["opacity"] = self.alpha
        if self.cvalues is not None:
            for r, c in zip(rows, self.cvalues):
                r["c"] = _num(c)
            scale = _styles.scheme(self.cmap)
            if self.vmin is not None or self.vmax is not None:
                scale["domain"] = [self.vmin, self.vmax]
            extra["color"] = {"field": "c", "type": "quantitative", "scale": scale, "title": None}
        return rows, mark, extra


class BarContainer(Artist):
    kind = "bar"
    __module__ = "matplotlib.container"

    def __init__(self, axes, pos, length, width, base, horizontal, label, color, alpha, categories):
        super().__init__(axes, label, color)
        self.pos, self.length, self.width, self.base = pos, length, width, base
        self.horizontal, self.alpha, self.categories = horizontal, alpha, categories

    def __len__(self):
        return len(self.pos)

    def layer(self, series):
        p, q = ("y", "x") if self.horizontal else ("x", "y")
        rows = []
        for i, (c, h, w, b) in enumerate(zip(self.pos, self.length, self.width, self.base)):
            row = {q: _num(b), f"{q}2": _num(b + h), "series": series}
            if self.categories is not None:
                row[p] = self.categories[i]
            else:
                row[p], row[f"{p}2"] = c - w / 2, c + w / 2
            rows.append(row)
        mark = {"type": "bar", "clip": True}
        if self.alpha is not None:
            mark["opacity"] = self.alpha
        extra = {f"{q}2": {"field": f"{q}2"}}
        if self.categories is None:
            extra[f"{p}2"] = {"field": f"{p}2"}
        else:
            extra[p] = {"field": p, "type": "nominal", "sort": None}
            if self.categories is not None:
                mark["width" if not self.horizontal else "height"] = {"band": 0.8}
        return rows, mark, extra


class PolyCollection(Artist):
    kind = "area"
    __module__ = "matplotlib.collections"

    def __init__(self, axes, x, y1, y2, label, color, alpha, horizontal=False):
        super().__init__(axes, label, color)
        self.x, self.y1, self.y2, self.alpha, self.horizontal = x, y1, y2, alpha, horizontal

    def layer(self, series):
        rows = [{"x": _num(a), "y": _num(b), "y2": _num(c), "i": i, "series": series} for i, (a, b, c) in enumerate(zip(self.x, self.y1, self.y2))]
        mark = {"type": "area", "opacity": 0.5 if self.alpha is None else self.alpha, "clip": True}
        return rows, mark, {"y2": {"field": "y2"}, "order": {"field": "i", "type": "quantitative"}}


class RuleLine(Artist):
    """axhline / axvline."""

    kind = "rule"
    __module__ = "matplotlib.lines"

    def __init__(self, axes, value, vertical, label, color, linewidth, dash, alpha):
        super().__init__(axes, label, color)
        self.value, self.vertical, self.linewidth, self.dash, self.alpha = value, vertical, linewidth, dash, alpha

    def layer(self, series):
        key = "x" if self.vertical else "y"
        mark = {"type": "rule", "strokeWidth": self.linewidth}
        if self.dash and self.dash != "none":
            mark["strokeDash"] = self.dash
        if self.alpha is not None:
            mark["opacity"] = self.alpha
        return [{key: _num(self.value), "series": series}], mark, {}


class Text(Artist):
    kind = "text"
    __module__ = "matplotlib.text"

    def __init__(self, axes, x, y, s, color, fontsize):
        super().__init__(axes, None, color)
        self.x, self.y, self.s, self.fontsize = x, y, s, fontsize

    def layer(self, series):
        mark = {"type": "text", "align": "left", "baseline": "middle", "fontSize": self.fontsize or 12}
        if self.color:
            mark["color"] = self.color
        return [{"x": _num(self.x), "y": _num(self.y), "text": str(self.s)}], mark, {"text": {"field": "text"}}


class AxesImage(Artist):
    kind = "image"
    __module__ = "matplotlib.image"

    def __init__(self, axes, rows, cmap, vmin, vmax, origin, extent):
        super().__init__(axes, None, None)
        self.rows, self.cmap, self.vmin, self.vmax, self.origin, self.extent = rows, cmap, vmin, vmax, origin, extent

    def layer(self, series):
        nr, nc = len(self.rows), len(self.rows[0]) if self.rows else 0
        if self.extent is None:
            x_of = lambda c: (c - 0.5, c + 0.5)  # noqa: E731
            y_of = lambda r: (r - 0.5, r + 0.5)  # noqa: E731
            reverse = self.origin == "upper"
        else:
            left, right, bottom, top = (float(v) for v in self.extent)
            dx = (right - left) / max(nc, 1)
            start, step = (top, (bottom - top) / max(nr, 1)) if self.origin == "upper" else (bottom, (top - bottom) / max(nr, 1))
            x_of = lambda c: (left + c * dx, left + (c + 1) * dx)  # noqa: E731
            y_of = lambda r: (start + r * step, start + (r + 1) * step)  # noqa: E731
            reverse = False
        data = []
        for r, row in enumerate(self.rows):
            y0, y1 = y_of(r)
            for c, v in enumerate(row):
                x0, x1 = x_of(c)
                data.append({"x": x0, "x2": x1, "y": y0, "y2": y1, "v": _num(v)})
        scale = _styles.scheme(self.cmap)
        if self.vmin is not None or self.vmax is not None:
            finite = [d["v"] for d in data if d["v"] is not None]
            scale["domain"] = [self.vmin if self.vmin is not None else min(finite), self.vmax if self.vmax is not None else max(finite)]
        color = {"field": "v", "type": "quantitative", "scale": scale, "title": None}
        extra = {"x2": {"field": "x2"}, "y2": {"field": "y2"}, "color": color}
        if reverse:
            extra["y"] = {"scale": {"reverse": True}}
        return data, {"type": "rect"}, extra


_LINE_KW = {"label", "color", "c", "linewidth", "lw", "linestyle", "ls", "marker", "markersize", "ms", "alpha", "zorder", "scalex", "scaley"}


class Axes:
    """One plot area of a Figure (`fig.add_subplot`, `plt.subplots`, `plt.gca()`)."""

    __module__ = "matplotlib.axes"

    def __init__(self, figure):
        self.figure = figure
        self.artists = []
        self.title = None
        self.xlabel = None
        self.ylabel = None
        self.xlim = None
        self.ylim = None
        self.xscale = "linear"
        self.yscale = "linear"
        self.show_legend = None
        self.legend_labels = None
        self.grid_on = False
        self._cycle = 0

    def __repr__(self):
        return f"<Axes: title={{'center': {self.title or ''!r}}}>"

    def _next_color(self):
        c = _styles.CYCLE[self._cycle % len(_styles.CYCLE)]
        self._cycle += 1
        return c

    def _add(self, artist):
        self.artists.append(artist)
        self.figure._touched = True
        return artist

    # ---- plotting ----

    def plot(self, *args, **kwargs):
        """Lines (and markers): plot(y), plot(x, y), plot(x, y, fmt), and several such groups."""
        check_kwargs("plot", kwargs, _LINE_KW)
        groups, rest = [], list(args)
        while rest:
            if len(rest) >= 2 and not isinstance(rest[1], str):
                x, y, rest = rest[0], rest[1], rest[2:]
            else:
                y, rest = rest[0], rest[1:]
                x = None
            fmt = rest.pop(0) if rest and isinstance(rest[0], str) else ""
            groups.append((x, y, fmt))
        lines = []
        for x, y, fmt in groups:
            fcolor, fline, fmarker = _styles.parse_fmt(fmt) if fmt else (None, None, None)
            ys = values(y)
            columns = [ys] if not ys or not isinstance(ys[0], list) else [list(col) for col in zip(*ys)]
            xs = values(x) if x is not None else list(range(len(columns[0]) if columns else 0))
            for col in columns:
                if len(xs) != len(col):
                    raise ValueError(f"x and y must have same first dimension, but have shapes ({len(xs)},) and ({len(col)},)")
                c = _styles.color(kwargs.get("color", kwargs.get("c"))) or fcolor or self._next_color()
                ls = kwargs.get("linestyle", kwargs.get("ls", fline))
                marker = kwargs.get("marker", fmarker)
                lw = float(kwargs.get("linewidth", kwargs.get("lw", 1.5)))
                ms = float(kwargs.get("markersize", kwargs.get("ms", 6.0)))
                lines.append(self._add(Line2D(self, xs, col, kwargs.get("label"), c, lw, _styles.dash(ls), _styles.marker_shape(marker), ms, kwargs.get("alpha"))))
        return lines

    def scatter(self, x, y, s=None, c=None, marker=None, cmap=None, vmin=None, vmax=None, alpha=None, label=None, **kwargs):
        """Points at (x, y): sizes `s` (points²), colors `c` (one color, or values mapped through cmap)."""
        check_kwargs("scatter", kwargs, {"color", "zorder", "edgecolors", "linewidths"})
        xs, ys = values(x), values(y)
        if len(xs) != len(ys):
            raise ValueError("x and y must be the same size")
        sizes = values(s) if s is not None and not isinstance(s, (int, float)) else [float(s if s is not None else 36.0)]
        cvalues = None
        color = _styles.color(kwargs.get("color"))
        if c is not None:
            if isinstance(c, str) or (isinstance(c, tuple) and len(c) in (3, 4) and len(xs) != len(c)):
                color = _styles.color(c)
            else:
                cvalues = values(c)
        color = color or self._next_color()
        return self._add(PathCollection(self, xs, ys, label, color, sizes, _styles.marker_shape(marker or "o"), alpha, cvalues, cmap, vmin, vmax))

    def _bars(self, func, pos, length, thickness, base, horizontal, kwargs):
        check_kwargs(func, kwargs, {"color", "label", "alpha", "align", "edgecolor", "zorder", "tick_label"})
        ps = values(pos)
        n = len(ps)
        ls = values(length) if not isinstance(length, (int, float)) else [length] * n
        ws = values(thickness) if not isinstance(thickness, (int, float)) else [thickness] * n
        bs = values(base) if base is not None and not isinstance(base, (int, float)) else [base or 0] * n
        if not (len(ls) == len(ws) == len(bs) == n):
            raise ValueError(f"{func}: the sizes of the positions ({n}) and of the bar lengths ({len(ls)}) do not match")
        categories = [str(p) for p in ps] if any(isinstance(p, str) for p in ps) else None
        if kwargs.get("tick_label") is not None:
            categories = [str(t) for t in values(kwargs["tick_label"])]
        if categories is None and kwargs.get("align", "center") == "edge":
            ps = [p + w / 2 for p, w in zip(ps, ws)]
        c = kwargs.get("color")
        color = _styles.color(c) if isinstance(c, (str, tuple)) or c is None else _styles.color(values(c)[0])
        return self._add(BarContainer(self, ps, ls, ws, bs, horizontal, kwargs.get("label"), color or self._next_color(), kwargs.get("alpha"), categories))

    def bar(self, x, height, width=0.8, bottom=None, **kwargs):
        return self._bars("bar", x, height, width, bottom, False, kwargs)

    def barh(self, y, width, height=0.8, left=None, **kwargs):
        return self._bars("barh", y, width, height, left, True, kwargs)

    def hist(self, x, bins=10, range=None, density=False, weights=None, cumulative=False, histtype="bar", color=None, label=None, alpha=None, **kwargs):  # noqa: A002
        """Histogram: counts of x in `bins` equal bins (or at the given edges). Returns (n, bins, patches)."""
        check_kwargs("hist", kwargs, {"edgecolor", "zorder", "rwidth"})
        if histtype not in ("bar", "stepfilled"):
            raise ValueError(f"hist(histtype={histtype!r}) is not supported by jaxnb's matplotlib; use 'bar' or 'stepfilled'")
        data = [v for v in _flatten(values(x)) if v is not None and math.isfinite(v)]
        w = [float(v) for v in _flatten(values(weights))] if weights is not None else [1.0] * len(data)
        if isinstance(bins, int):
            lo, hi = range if range is not None else ((min(data), max(data)) if data else (0.0, 1.0))
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = [lo + (hi - lo) * i / bins for i in builtins_range(bins + 1)]
        else:
            edges = [float(e) for e in values(bins)]
        counts = [0.0] * (len(edges) - 1)
        for v, wt in zip(data, w):
            if edges[0] <= v <= edges[-1]:
                k = min(_bisect(edges, v), len(counts) - 1)
                counts[k] += wt
        if density:
            total = sum(counts)
            counts = [c / (total * (edges[i + 1] - edges[i])) if total else 0.0 for i, c in enumerate(counts)]
        if cumulative:
            acc = 0.0
            for i, c in enumerate(counts):
                acc += c
                counts[i] = acc
        centers = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        widths = [b - a for a, b in zip(edges[:-1], edges[1:])]
        patches = self._bars("hist", centers, counts, widths, None, False, {"color": color, "label": label, "alpha": alpha})
        return counts, edges, patches

    def fill_between(self, x, y1, y2=0, where=None, alpha=None, color=None, label=None, **kwargs):
        check_kwargs("fill_between", kwargs, {"zorder", "linewidth", "lw", "edgecolor", "interpolate", "step"})
        xs = values(x)
        n = len(xs)
        a = values(y1) if not isinstance(y1, (int, float)) else [y1] * n
        b = values(y2) if not isinstance(y2, (int, float)) else [y2] * n
        if where is not None:
            mask = values(where)
            a = [v if m else None for v, m in zip(a, mask)]
        return self._add(PolyCollection(self, xs, a, b, label, _styles.color(color) or self._next_color(), alpha))

    def _rule(self, func, value, vertical, kwargs):
        check_kwargs(func, kwargs, {"color", "c", "linestyle", "ls", "linewidth", "lw", "label", "alpha", "zorder", "xmin", "xmax", "ymin", "ymax"})
        c = _styles.color(kwargs.get("color", kwargs.get("c"))) or _styles.CYCLE[0]
        lw = float(kwargs.get("linewidth", kwargs.get("lw", 1.5)))
        return self._add(RuleLine(self, value, vertical, kwargs.get("label"), c, lw, _styles.dash(kwargs.get("linestyle", kwargs.get("ls"))), kwargs.get("alpha")))

    def axhline(self, y=0, **kwargs):
        return self._rule("axhline", float(y), False, kwargs)

    def axvline(self, x=0, **kwargs):
        return self._rule("axvline", float(x), True, kwargs)

    def imshow(self, X, cmap=None, aspect=None, interpolation=None, vmin=None, vmax=None, origin="upper", extent=None, **kwargs):
        """An image of a 2-D array as a heatmap (values mapped through `cmap`)."""
        check_kwargs("imshow", kwargs, {"alpha", "zorder", "norm"})
        rows = values(X)
        if not rows or not isinstance(rows[0], list) or isinstance(rows[0][0], list):
            raise TypeError(f"imshow takes a 2-D array of values; got shape {_shape(X)}")
        return self._add(AxesImage(self, rows, cmap or "viridis", vmin, vmax, origin, extent))

    def text(self, x, y, s, fontsize=None, color=None, **kwargs):
        check_kwargs("text", kwargs, {"ha", "va", "horizontalalignment", "verticalalignment", "zorder"})
        return self._add(Text(self, x, y, s, _styles.color(color), fontsize))

    # ---- decorations ----

    def set_title(self, label, **kwargs):
        self.title = str(label)

    def set_xlabel(self, label, **kwargs):
        self.xlabel = str(label)

    def set_ylabel(self, label, **kwargs):
        self.ylabel = str(label)

    def get_title(self):
        return self.title or ""

    def get_xlabel(self):
        return self.xlabel or ""

    def get_ylabel(self):
        return self.ylabel or ""

    def set_xlim(self, left=None, right=None):
        if isinstance(left, (tuple, list)):
            left, right = left
        self.xlim = (left, right)

    def set_ylim(self, bottom=None, top=None):
        if isinstance(bottom, (tuple, list)):
            bottom, top = bottom
        self.ylim = (bottom, top)

    def get_xlim(self):
        return self.xlim

    def get_ylim(self):
        return self.ylim

    def _scale(self, value):
        if value not in ("linear", "log", "symlog"):
            raise ValueError(f"{value!r} is not a supported scale; jaxnb's matplotlib supports 'linear', 'log' and 'symlog'")
        return value

    def set_xscale(self, value, **kwargs):
        self.xscale = self._scale(value)

    def set_yscale(self, value, **kwargs):
        self.yscale = self._scale(value)

    def legend(self, *args, loc=None, **kwargs):
        check_kwargs("legend", kwargs, {"fontsize", "frameon", "title", "ncol", "framealpha"})
        if args:
            self.legend_labels = [str(a) for a in (args[0] if len(args) == 1 else args[1])]
        self.show_legend = True

    def grid(self, visible=True, which="major", axis="both", **kwargs):
        self.grid_on = bool(visible) if visible is not None else not self.grid_on

    def cla(self):
        self.__init__(self.figure)

    def get_lines(self):
        return [a for a in self.artists if isinstance(a, Line2D)]

    # ---- the chart ----

    def spec(self, width, height):
        """This Axes as a vega-lite layer chart."""
        artists = list(self.artists)
        if self.legend_labels:
            for a, lab in zip([a for a in artists if a.kind in ("line", "scatter", "bar", "area")], self.legend_labels):
                a.set_label(lab)
        series = [(a, a.get_label() if a.get_label() and not str(a.get_label()).startswith("_") else f"_{i}") for i, a in enumerate(artists)]
        named = [(a, s) for a, s in series if a.color is not None and a.kind not in ("image", "text")]
        color_scale = {"domain": [s for _, s in named], "range": [a.color for a, _ in named]}
        labelled = [s for _, s in named if not s.startswith("_")]
        legend = {"title": None, "values": labelled} if self.show_legend and labelled else None

        def axis_enc(key, label, lim, scale_type):
            enc = {"field": key, "type": "quantitative", "title": label}
            scale = {"zero": False}
            if scale_type != "linear":
                scale["type"] = scale_type
            if lim is not None and None not in lim:
                scale["domain"] = [float(lim[0]), float(lim[1])]
                if lim[0] > lim[1]:
                    scale["domain"] = [float(lim[1]), float(lim[0])]
                    scale["reverse"] = True
            enc["scale"] = scale
            enc["axis"] = {"grid": self.grid_on}
            return enc

        layers = []
        for a, s in series:
            rows, mark, extra = a.layer(s)
            enc = {"x": axis_enc("x", self.xlabel, self.xlim, self.xscale), "y": axis_enc("y", self.ylabel, self.ylim, self.yscale)}
            if a.kind not in ("image", "text") and a.color is not None:
                enc["color"] = {"field": "series", "type": "nominal", "scale": color_scale, "legend": legend}
            for k, v in extra.items():
                enc[k] = _merge(enc.get(k), v)
            if a.kind == "rule":
                enc.pop("x" if not a.vertical else "y")
            if a.kind == "text":
                enc["text"] = {"field": "text"}
            layers.append({"data": {"values": rows}, "mark": mark, "encoding": enc})
        if not layers:
            layers.append({"data": {"values": []}, "mark": "point"})
        chart = {"width": width, "height": height, "layer": layers}
        if self.title:
            chart["title"] = self.title
        return chart


builtins_range = range


def _merge(base, extra):
    """An artist's encoding channel over the Axes' (scales merged; nominal axes have no zero)."""
    if base is None:
        return extra
    merged = {**base, **extra}
    if "scale" in base and "scale" in extra:
        merged["scale"] = {**base["scale"], **extra["scale"]}
    if merged.get("type") == "nominal":
        merged.pop("scale", None)
    return merged


def _bisect(edges, v):
    lo, hi = 0, len(edges) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[mid + 1] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _flatten(xs):
    for v in xs:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v

