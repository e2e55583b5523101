"""Colors, line styles, markers and format strings, as matplotlib spells them."""

import re

#: matplotlib's default color cycle ("tab10"), C0..C9.
CYCLE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_SHORT = {"b": "#1f77b4", "g": "#2ca02c", "r": "#d62728", "c": "#17becf", "m": "#9467bd", "y": "#bcbd22", "k": "#000000", "w": "#ffffff"}
_SHORT_BASE = {"b": "#0000ff", "g": "#008000", "r": "#ff0000", "c": "#00bfbf", "m": "#bf00bf", "y": "#bfbf00", "k": "#000000", "w": "#ffffff"}
LINESTYLES = {"-": None, "solid": None, "--": [6, 4], "dashed": [6, 4], "-.": [6, 3, 1, 3], "dashdot": [6, 3, 1, 3], ":": [1, 3], "dotted": [1, 3], "None": "none", "none": "none", "": "none", " ": "none"}
MARKERS = {"o": "circle", ".": "circle", ",": "square", "s": "square", "^": "triangle-up", "v": "triangle-down", "<": "triangle-left", ">": "triangle-right", "x": "cross", "+": "cross", "*": "diamond", "D": "diamond", "d": "diamond", "p": "diamond", "h": "diamond", "P": "cross", "X": "cross"}
_FMT = re.compile(r"^(?P<a>[bgrcmykw]?)(?P<m>[o.,s^v<>x+*DdphPX]?)(?P<l>--|-\.|-|:)?(?P<b>[bgrcmykw]?)(?P<m2>[o.,s^v<>x+*DdphPX]?)$")


def color(c):
    """A matplotlib color as a CSS color: names, hex, 'C3', single letters, RGB(A) tuples, gray levels."""
    if c is None:
        return None
    if isinstance(c, (tuple, list)):
        if len(c) not in (3, 4):
            raise ValueError(f"Invalid RGBA argument: {c!r}")
        r, g, b = (round(float(v) * 255) for v in c[:3])
        return f"rgba({r},{g},{b},{float(c[3])})" if len(c) == 4 else f"rgb({r},{g},{b})"
    if not isinstance(c, str):
        raise ValueError(f"Invalid RGBA argument: {c!r}")
    if re.fullmatch(r"C\d", c):
        return CYCLE[int(c[1]) % len(CYCLE)]
    if c in _SHORT_BASE:
        return _SHORT_BASE[c]
    if c.startswith("tab:"):
        names = ["blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive", "cyan"]
        if c[4:] in names:
            return CYCLE[names.index(c[4:])]
    try:
        level = float(c)
    except ValueError:
        return c
    v = round(level * 255)
    return f"rgb({v},{v},{v})"


def parse_fmt(fmt):
    """(color, linestyle, marker) of a format string like 'r--', 'go', 'k:'."""
    m = _FMT.match(fmt)
    if not m:
        raise ValueError(f"{fmt!r} is not a valid format string (unrecognized character)")
    c = m.group("a") or m.group("b") or None
    marker = m.group("m") or m.group("m2") or None
    line = m.group("l")
    if line is None and marker is not None:
        line = "None"
    return (_SHORT_BASE[c] if c else None), line, marker


def dash(linestyle):
    if linestyle is None:
        return None
    if isinstance(linestyle, tuple):
        return [float(v) for v in linestyle[1]] if linestyle[1] else None
    if linestyle not in LINESTYLES:
        raise ValueError(f"{linestyle!r} is not a valid value for linestyle; supported values are {', '.join(repr(k) for k in LINESTYLES)}")
    return LINESTYLES[linestyle]


def marker_shape(marker):
    if marker in (None, "", "None", "none"):
        return None
    if marker not in MARKERS:
        raise ValueError(f"Unrecognized marker style {marker!r}")
    return MARKERS[marker]


#: Colormaps by their matplotlib names, as vega color schemes.
CMAPS = {
    "viridis": "viridis", "plasma": "plasma", "inferno": "inferno", "magma": "magma", "cividis": "cividis",
    "gray": "greys", "Greys": "greys", "Blues": "blues", "Reds": "reds", "Greens": "greens", "RdBu": "redblue",
    "coolwarm": "blueorange", "bwr": "redblue", "hot": "orangered", "jet": "turbo", "turbo": "turbo",
    "Oranges": "oranges", "Purples": "purples", "YlOrRd": "yelloworangered", "spectral": "spectral", "Spectral": "spectral",
}


def scheme(cmap):
    name = getattr(cmap, "name", cmap) or "viridis"
    reverse = name.endswith("_r")
    base = name[:-2] if reverse else name
    if base not in CMAPS:
        raise ValueError(f"{name!r} is not a supported colormap; supported: {', '.join(sorted(CMAPS))}")
    return {"scheme": CMAPS[base], **({"reverse": True} if reverse ^ (base == "gray") else {})}
