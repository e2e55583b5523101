"""Running cells: the namespace, the last expression displayed, outputs streamed, errors as
tracebacks of the user's code. The `rpc_*` functions answer protocol requests (JSON in and out)
for kernel/server/worker.ts.
"""

import ast
import builtins
import json
import linecache
import os
import sys
import traceback

import _jaxnb_bridge
import _jaxnb_kernel

from . import channel, display, introspect, streams, tracebacks

_state = {"count": 0}
_namespace = sys.modules["__main__"].__dict__


def _excepthook(etype, value, tb):
    # Pyodide formats an exception that crosses into JavaScript with sys.excepthook while it
    # captures the process's stderr: it must go there, not into the cell's output.
    traceback.print_exception(etype, value, tb, file=sys.__stderr__)


def _no_input(prompt=""):
    raise OSError("input() is not supported: a jaxnb kernel has no standard input")


def init(cwd):
    sys.stdout = streams.stdout
    sys.stderr = streams.stderr
    sys.excepthook = _excepthook
    builtins.display = display.display
    builtins.input = _no_input
    if cwd and os.path.isdir(cwd):
        os.chdir(cwd)
    _namespace.setdefault("__builtins__", builtins)
    return json.dumps({
        "implementation": "jaxnb",
        "languageVersion": sys.version.split()[0],
        "backend": _jaxnb_bridge.defaultBackend(),
    })


def _remember_source(filename, code, first_line):
    """linecache holds the source so tracebacks can quote it (cells have no file)."""
    old = linecache.cache.get(filename)
    lines = list(old[2]) if old and first_line > 1 else []
    new = code.splitlines(True)
    if new and not new[-1].endswith("\n"):
        new[-1] += "\n"
    start = first_line - 1
    lines.extend(["\n"] * max(0, start + len(new) - len(lines)))
    lines[start:start + len(new)] = new
    linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)


def _compile(code, filename, first_line, display_last):
    """Code objects for the cell's body and (if it ends in an expression to show) its value."""
    # Leading newlines put every line number (and SyntaxError positions) where the file has it.
    tree = ast.parse("\n" * (first_line - 1) + code, filename, "exec")
    last = None
    if display_last and tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec")
    return body, (compile(last, filename, "eval") if last is not None else None)


def _show_open_figures():
    """Figures left open at the end of a cell are displayed (Jupyter's inline backend)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt._show_open_figures()


def _run(code, filename, first_line, count):
    _remember_source(filename, code, first_line)
    try:
        # Interrupts take effect from here (one sent while this cell waited, at once) ...
        _jaxnb_kernel.user_code_starts()
        body, last = _compile(code, filename, first_line, count is not None)
        exec(body, _namespace)
        if last is not None:
            value = eval(last, _namespace)
            if value is not None:
                builtins._ = value
                streams.flush_all()
                display.publish_result(value, count)
        return None
    except BaseException as e:  # noqa: BLE001 — every error of user code is reported, never fatal
        return e
    finally:
        # ... to here: the report of the cell's end is never cut short.
        _jaxnb_kernel.user_code_ends()


def rpc_execute(params_json):
    p = json.loads(params_json)
    silent = bool(p.get("silent", False))
    count = None
    if not silent:
        _state["count"] += 1
        count = _state["count"]
    filename = p.get("filename") or f"Cell In[{count if count is not None else '*'}]"
    channel.current_cell = p["cellId"]
    try:
        error = _run(p["code"], filename, int(p.get("firstLine") or 1), count)
        streams.flush_all()
        try:
            _show_open_figures()
        except Exception as e:  # noqa: BLE001
            error = error or e
        if error is not None:
            streams.flush_all()
            ename, evalue, tb = tracebacks.format_exception(error)
            channel.send("error", {"ename": ename, "evalue": evalue, "traceback": tb})
    finally:
        streams.flush_all()
        channel.current_cell = None
    return json.dumps({"status": "ok" if error is None else "error", "executionCount": count})


def rpc_complete(params_json):
    p = json.loads(params_json)
    return json.dumps(introspect.complete(p["code"], int(p["cursorPos"]), _namespace))


def rpc_inspect(params_json):
    p = json.loads(params_json)
    return json.dumps(introspect.inspect_at(p["code"], int(p["cursorPos"]), _namespace))


def rpc_devices(_params_json):
    import jax

    default = {id(d) for d in jax.devices()}
    seen, out = set(), []
    for d in list(jax.devices()) + list(jax.devices("cpu")):
        if (d.platform, d.id) in seen:
            continue
        seen.add((d.platform, d.id))
        out.append({"id": d.id, "platform": d.platform, "deviceKind": d.device_kind, "repr": repr(d), "isDefault": id(d) in default})
    return json.dumps(out)
