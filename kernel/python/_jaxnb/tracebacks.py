"""Tracebacks as users should see them: the frames of their code, without the kernel's and the
`jax` package's internals (as JAX filters its tracebacks), and line numbers of the cell or file.
"""

import os
import traceback

#: Our Python package lives here inside Pyodide (see kernel/server/worker.ts).
_INTERNAL_ROOT = "/jaxnb/python/"
_PYODIDE_INTERNAL = ("/lib/python3", "<frozen ", "/pyodide/", "_pyodide")

FILTER_NOTE = (
    "--------------------\n"
    "For simplicity, JAX has removed its internal frames from the traceback of the following "
    "exception. Set JAX_TRACEBACK_FILTERING=off to include these."
)


def _filtering_on():
    return os.environ.get("JAX_TRACEBACK_FILTERING", "auto").lower() not in ("off", "0", "false")


def _is_runner(frame):
    return frame.filename.startswith(_INTERNAL_ROOT + "_jaxnb/")


def _is_internal(frame):
    name = frame.filename
    # Frames of the TypeScript runtime (Pyodide shows JavaScript frames with their URLs).
    if "://" in name or name.endswith((".js", ".mjs", ".ts")):
        return True
    return name.startswith(_INTERNAL_ROOT) or name.startswith(_PYODIDE_INTERNAL)


def _filter(te, seen):
    """Removes internal frames from a TracebackException and its chain; True if frames of the
    `jax` package were among them (then the note JAX prints is added)."""
    if id(te) in seen:
        return False
    seen.add(id(te))
    frames = [f for f in te.stack if not _is_runner(f)]
    kept = frames if not _filtering_on() else [f for f in frames if not _is_internal(f)]
    removed = any(f.filename.startswith(_INTERNAL_ROOT + "jax/") or "://" in f.filename for f in frames if f not in kept)
    te.stack = traceback.StackSummary.from_list(kept)
    for nxt in (te.__cause__, te.__context__):
        if nxt is not None:
            removed = _filter(nxt, seen) or removed
    for sub in getattr(te, "exceptions", None) or ():
        removed = _filter(sub, seen) or removed
    return removed


def format_exception(exc):
    """(ename, evalue, traceback lines) for an error output."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    removed = _filter(te, set())
    lines = []
    for chunk in te.format():
        lines.extend(chunk.rstrip("\n").split("\n"))
    if removed:
        # The note goes just before the final "Type: message" lines, as JAX prints it.
        tail = list(te.format_exception_only())
        n_tail = sum(len(t.rstrip("\n").split("\n")) for t in tail)
        lines[len(lines) - n_tail:len(lines) - n_tail] = FILTER_NOTE.split("\n")
    return type(exc).__name__, str(exc), lines
