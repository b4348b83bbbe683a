"""Debugging aids: naming nodes after variables, and graph dumps when a run fails.

``setDebug(True)``: when a forward or backward fails inside a gModule, an SVG
named after ``g.name`` (or ``nngraph_<n>in_<m>out``) is written in the working
directory with the failing node filled red; hovering a node shows where it
was created. The exception then propagates.
"""
import os
import sys

from .dot import dot
from .node import Node

_state = {'debug': False}


def setDebug(enable=True):
    """Turn the failure dumps on or off."""
    _state['debug'] = bool(enable)


def enabled():
    return _state['debug']


def write_failure_graph(gmodule, failed):
    """Write ``<name>.dot`` and ``<name>.svg`` of ``gmodule``'s forward graph, ``failed`` in red.

    Returns a sentence for the user's exception saying what was written. A rendering failure is
    reported in that sentence, never raised: the exception being debugged is the one that matters,
    and the ``.dot`` file is written either way.
    """
    prefix = gmodule.name or f"nngraph_{gmodule.nInputs}in_{len(gmodule.outputnodes)}out"
    base, n = prefix, 1
    while os.path.exists(prefix + '.svg') or os.path.exists(prefix + '.dot'):  # keep earlier dumps, as nngraph does
        prefix, n = f"{base}_{n}", n + 1
    print(f"saving {prefix}.svg", file=sys.stderr)
    try:
        dot(gmodule.fg, prefix, prefix, failed=failed)
    except Exception as err:   # noqa: BLE001 (any renderer failure: the user's error is the one to raise)
        return f"graph written to {prefix}.dot with the failing node in red; rendering the SVG failed: {err}"
    return f"graph written to {prefix}.svg with the failing node in red"


def annotateNodes(level=1):
    """Name each unnamed node held in a local variable of the calling function after that variable."""
    frame = sys._getframe(level)
    for var, value in frame.f_locals.items():
        if isinstance(value, Node) and not value.annotations.get('name'):
            value.annotate(name=var)
