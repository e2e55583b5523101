"""Rich display, as in Jupyter: MIME bundles from `_repr_*_` methods, and the `display` builtin."""

import base64
import uuid

from . import channel, streams

_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)


def _method(obj, name):
    # Classes have these as unbound functions: only instances display richly.
    if isinstance(obj, type):
        return None
    m = getattr(obj, name, None)
    return m if callable(m) else None


def mime_bundle(obj):
    """(data, metadata) for an object: its rich representations plus text/plain (always)."""
    data, metadata = {}, {}
    m = _method(obj, "_repr_mimebundle_")
    if m is not None:
        got = m(include=None, exclude=None)
        if isinstance(got, tuple):
            got, metadata = got
        data.update(got or {})
    for mime, name in _REPR_METHODS:
        if mime in data:
            continue
        m = _method(obj, name)
        if m is None:
            continue
        value = m()
        if isinstance(value, tuple):
            value, md = value
            metadata[mime] = md
        if value is None:
            continue
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        data[mime] = value
    if "text/plain" not in data:
        data["text/plain"] = repr(obj)
    return data, metadata


class DisplayHandle:
    """What `display(..., display_id=True)` returns: `update` replaces the output in place."""

    def __init__(self, display_id=None):
        self.display_id = display_id or uuid.uuid4().hex

    def __repr__(self):
        return f"<DisplayHandle display_id={self.display_id}>"

    def display(self, obj, **kwargs):
        display(obj, display_id=self.display_id, **kwargs)

    def update(self, obj, **kwargs):
        display(obj, display_id=self.display_id, update=True, **kwargs)


def display(*objs, include=None, exclude=None, metadata=None, raw=False, display_id=None, update=False, **kwargs):
    """Shows objects as cell outputs (Jupyter's `IPython.display.display`)."""
    if kwargs:
        raise TypeError(f"display() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    handle = None
    if display_id is True:
        handle = DisplayHandle()
        display_id = handle.display_id
    elif display_id is not None:
        handle = DisplayHandle(display_id)
    streams.flush_all()
    for obj in objs:
        if raw:
            data, md = dict(obj), {}
        else:
            data, md = mime_bundle(obj)
        if include is not None:
            data = {k: v for k, v in data.items() if k in include}
        if exclude is not None:
            data = {k: v for k, v in data.items() if k not in exclude}
        if metadata:
            md = {**md, **metadata}
        params = {"data": data, "metadata": md}
        if display_id is not None:
            params["displayId"] = display_id
        channel.send("update_display_data" if update else "display_data", params)
    return handle


def publish_result(value, execution_count):
    data, md = mime_bundle(value)
    channel.send("execute_result", {"executionCount": execution_count, "data": data, "metadata": md})
