"""Sending protocol notifications to the client, and the cell they belong to."""

import json
import math

import _jaxnb_kernel

#: The cell whose outputs are being produced (set by the kernel around each execution).
current_cell = None


def _finite(x):
    """JSON has no NaN or infinities: they become null (vega-lite draws nulls as gaps)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def to_json(obj):
    try:
        return json.dumps(obj, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(obj), allow_nan=False)


def send(method, params):
    """A notification for the current cell (outputs outside any cell are dropped)."""
    if current_cell is None:
        return
    _jaxnb_kernel.notify(method, to_json({"cellId": current_cell, **params}))
