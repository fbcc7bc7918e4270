"""Elementwise chains run chunk by chunk.

A run of consecutive elementwise ufunc calls over arrays of one shape (``lr * g`` then
``p -= ...``; ``y <= 0``, ``~``, ``* gy``) gives the same numbers when every call handles the
arrays a slice at a time: each element is computed on its own. Run that way, the values made
and used up inside the run need only a chunk of memory (they stay in cache, too). Only ufuncs
whose results are exactly rounded are chunked (arithmetic, comparisons, sqrt...), never the
transcendental ones, whose vectorized loops might treat a chunk's tail differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._record import Node, Ref

EXACT = {np.add, np.subtract, np.multiply, np.true_divide, np.negative, np.positive,
         np.absolute, np.maximum, np.minimum, np.fmax, np.fmin, np.less, np.less_equal,
         np.greater, np.greater_equal, np.equal, np.not_equal, np.logical_and, np.logical_or,
         np.logical_not, np.logical_xor, np.invert, np.bitwise_and, np.bitwise_or,
         np.bitwise_xor, np.sqrt, np.square, np.copysign, np.floor, np.ceil, np.trunc,
         np.isfinite, np.isnan, np.isinf, np.signbit}
CHUNK = 16384          # elements per chunk (64 KiB of float32)
MIN_BYTES = 1 << 18    # arrays smaller than this run whole


@dataclass(eq=False)
class Chain:
    """Nodes ``start`` to ``stop`` (exclusive) over arrays of ``size`` elements; ``temps``:
    values made and used up inside (a chunk of memory each)."""

    start: int
    stop: int
    size: int
    temps: set[int] = field(default_factory=set)


def _operands(n: Node) -> list[Any]:
    return list(n.args) + [n.kwargs["out"]] if "out" in n.kwargs else list(n.args)


def find(b: Any) -> list[Chain]:
    """The chains of builder ``b``'s nodes worth chunking (on the CPU: a GPU takes a whole
    array in one launch)."""
    if b.xp is not np:
        return []
    vals = b.vals

    def chainable(n: Node) -> tuple[int, ...] | None:
        if n.op != "call" or n.fn not in EXACT or set(n.kwargs) - {"out"} or len(n.outs) > 1:
            return None
        shape = None
        for a in _operands(n) + [Ref(v) for v in n.outs]:
            if a.__class__ is Ref:
                v = vals[a.vid]
                if not v.shape:
                    if a.vid in n.outs:
                        return None
                    continue  # a 0-d operand broadcasts to every chunk alike
                if not v.contig or (shape is not None and v.shape != shape):
                    return None
                shape = v.shape
            elif isinstance(a, np.ndarray):
                return None
        if shape is None:
            return None
        for v in n.outs:
            if b.mode.get(vals[v].sid) not in ("planned", "fresh") or not vals[v].is_root:
                return None
        return shape

    chains: list[Chain] = []
    nodes = b.nodes
    i = 0
    while i < len(nodes):
        shape = chainable(nodes[i])
        if shape is None:
            i += 1
            continue
        j = i + 1
        while (j < len(nodes) and chainable(nodes[j]) == shape
               and nodes[j].errstate == nodes[i].errstate and nodes[j].block == nodes[i].block):
            j += 1
        size = int(np.prod(shape))
        itemsize = max(vals[v].dtype.itemsize for k in range(i, j) for v in
                       nodes[k].reads + nodes[k].outs if vals[v].shape)
        if size * itemsize >= MIN_BYTES:
            chains.append(Chain(i, j, size))
        i = j
    # temps: planned storages made in a chain and used nowhere else
    uses: dict[int, set[int]] = {}
    for k, n in enumerate(nodes):
        for v in n.reads + n.writes + n.outs:
            uses.setdefault(vals[v].sid, set()).add(k)
    for c in chains:
        inside = set(range(c.start, c.stop))
        for k in range(c.start, c.stop):
            for v in nodes[k].outs:
                s = vals[v].sid
                if b.mode.get(s) == "planned" and uses[s] <= inside and s not in b.escaping:
                    c.temps.add(v)
    return chains
