"""Completion and inspection for the editor: names of the namespace, attributes after a dot,
and what an object is (type, shape/dtype of arrays, signature and docstring)."""

import builtins
import inspect
import keyword
import re

_DOTTED_BEFORE = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*\.?$")
_NAME_AROUND = re.compile(r"[A-Za-z_][\w.]*")


def _resolve(path, namespace):
    """The object a dotted name refers to, by attribute lookup only (no code is run)."""
    parts = path.split(".")
    if parts[0] in namespace:
        obj = namespace[parts[0]]
    elif hasattr(builtins, parts[0]):
        obj = getattr(builtins, parts[0])
    else:
        raise LookupError(path)
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def complete(code, cursor, namespace):
    m = _DOTTED_BEFORE.search(code[:cursor])
    if not m:
        return {"matches": [], "cursorStart": cursor, "cursorEnd": cursor}
    token = m.group(0)
    if "." in token:
        base, _, prefix = token.rpartition(".")
        try:
            obj = _resolve(base, namespace)
        except Exception:  # noqa: BLE001 — unknown names complete to nothing
            return {"matches": [], "cursorStart": cursor, "cursorEnd": cursor}
        names = dir(obj)
    else:
        prefix = token
        names = list(namespace) + dir(builtins) + keyword.kwlist
    hidden = not prefix.startswith("_")
    matches = sorted({n for n in names if n.startswith(prefix) and not (hidden and n.startswith("_"))})
    return {"matches": matches, "cursorStart": cursor - len(prefix), "cursorEnd": cursor}


def _name_at(code, cursor):
    for m in _NAME_AROUND.finditer(code):
        if m.start() <= cursor <= m.end():
            # Up to the dotted part under the cursor: `jnp.sum` when the cursor is on `sum`.
            end = code.find(".", cursor, m.end())
            return m.group(0)[: (end if end != -1 else m.end()) - m.start()].strip(".")
    return None


def describe(obj, name):
    out = {"found": True, "name": name, "type": type(obj).__name__}
    shape, dtype = getattr(obj, "shape", None), getattr(obj, "dtype", None)
    if isinstance(shape, tuple) and dtype is not None:
        out["shape"] = list(shape)
        out["dtype"] = str(dtype)
    if callable(obj):
        try:
            out["signature"] = f"{getattr(obj, '__name__', name)}{inspect.signature(obj)}"
        except (TypeError, ValueError):
            pass
    doc = inspect.getdoc(obj)
    if doc and not isinstance(obj, (int, float, str, bool)):
        out["doc"] = doc
    text = repr(obj)
    out["data"] = {"text/plain": text if len(text) <= 2000 else text[:2000] + "…"}
    return out


def inspect_at(code, cursor, namespace):
    name = _name_at(code, cursor)
    if not name:
        return {"found": False}
    try:
        obj = _resolve(name, namespace)
    except Exception:  # noqa: BLE001
        return {"found": False, "name": name}
    return describe(obj, name)
