"""The call's result: how to rebuild it from a replay's arrays, and the checks made on it at
capture (an output whose graph leads out, a tensor kept, Python state changed: taints)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from ..tensor import Tensor
from . import _program
from ._array import RECS, is_array
from ._reach import Found
from ._record import Recorder


def template(result: Any, r: Recorder, arg_paths: dict[int, int]) -> tuple[Any, list[int], list]:
    """How to rebuild the call's result from the replay's arrays."""
    out_vids: list[int] = []
    keep: list[Any] = []

    def t(x: Any) -> Any:
        c = x.__class__
        if isinstance(x, Tensor):
            keep.append(x)
            if id(x) in arg_paths:
                return ("arg", arg_paths[id(x)])
            if not r.is_created(x):
                return ("same", x)
            d = x._data
            fn = x._grad_fn
            if fn is not None and not _spent(fn):
                r.taint("an output requires grad (its backward would run outside the call)")
            if d.__class__ not in RECS:
                r.taint("an output tensor holds data the capture did not follow")
                return ("same", x)
            out_vids.append(d.vid)
            return ("tensor", len(out_vids) - 1, x._requires_grad, fn, c)
        if c in RECS:
            out_vids.append(x.vid)
            return ("array", len(out_vids) - 1)
        if c is tuple or c is list:
            return ("seq", c, [t(y) for y in x])
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return ("named", c, [t(y) for y in x])
        if c is dict:
            return ("dict", c, {k: t(y) for k, y in x.items()})
        if is_array(x):
            r.taint("the call returns an array the capture did not follow")
        return ("lit", x)

    return t(result), out_vids, keep


def _spent(fn: Any) -> bool:
    """Whether a backward from graph node ``fn`` would raise, as it does when it reaches a
    node already released by a backward (then the graph is released, its arrays freed)."""
    stack, seen, live = [fn], set(), []
    spent = False
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or node.__class__ is _ag.AccumulateGrad:
            continue
        seen.add(id(node))
        if node.next_fns is None:
            spent = True
            continue
        live.append(node)
        stack.extend(node.next_fns)
    if spent:
        for node in live:
            node.release()
    return spent


def check_alive(r: Recorder, keep: list[Any]) -> None:
    """A tensor made inside the call that outlives it (stored somewhere) is Python state the
    replay would not make: taint."""
    kept = {id(x) for x in keep}
    for t in r.alive_created():
        if id(t) not in kept:
            r.taint("a tensor made inside the call is kept after it (a side effect the replay "
                    "would not repeat)")
            return


def rng_snapshot() -> tuple:
    """Each default generator's seed, host generator object and draw count (``manual_seed``
    inside a call changes the first two, or restarts the count on CUDA)."""
    return ({d: (e._seed, e._rng, e._draws) for d, e in _dev._engines.items()},)


def _reseeded(before: dict) -> bool:
    now = {d: (e._seed, e._rng, e._draws) for d, e in _dev._engines.items()}
    for d, (seed, rng, draws) in before.items():
        cur = now.get(d)
        if cur is None or cur[0] != seed or cur[1] is not rng or cur[2] < draws:
            return True
    return False


def check_python_state(r: Recorder, found: Found, rng: tuple) -> None:
    """The guarded Python values, the optimizers' hyperparameters and the random generators
    must be as they were before the call: a call that changes them has side effects a replay
    would not repeat."""
    if _reseeded(rng[0]):
        r.taint("the call reseeds the random generators (manual_seed inside)")
    if r.watched_changed():
        r.taint("the call changes optimizer hyperparameters itself (a Python side effect the "
                "replay would not repeat)")
    for kind, holder, key, value in found.guards:
        now = holder.cell_contents if kind == "cell" else holder.get(key, _program._ABSENT)
        if now is not value and now != value:
            r.taint(f"the call changes the Python value {key or 'of a closure variable'!s} "
                    "(a side effect the replay would not repeat)")
            return


def builder(spec: Any) -> Any:
    """``build(arrays, leaves)``: the call's result from a replay's arrays (a single tensor,
    the usual result of a step, the fast way)."""
    if spec[0] == "tensor":
        i, grad, fn = spec[1], spec[2], spec[3]
        wrap = Tensor._wrap

        def one(arrays: tuple, leaves: list[Tensor]) -> Any:
            t = wrap(arrays[i], None)
            if grad:
                t._requires_grad, t._grad_fn = True, fn
            return t
        return one
    return functools.partial(_build, spec)


def _build(spec: Any, arrays: tuple, leaves: list[Tensor]) -> Any:
    kind = spec[0]
    if kind == "tensor":
        t = Tensor._wrap(arrays[spec[1]], None)
        if spec[2]:
            t._requires_grad, t._grad_fn = True, spec[3]
        return t
    if kind == "lit":
        return spec[1]
    if kind == "same":
        return spec[1]
    if kind == "arg":
        return leaves[spec[1]]
    if kind == "array":
        return arrays[spec[1]]
    if kind == "seq":
        return spec[1](_build(s, arrays, leaves) for s in spec[2])
    if kind == "named":
        return spec[1](*[_build(s, arrays, leaves) for s in spec[2]])
    return spec[1]((k, _build(s, arrays, leaves)) for k, s in spec[2].items())


def restore(x: Any) -> Any:
    """The capture call's own result, with any recorded array replaced by its real array."""
    c = x.__class__
    if c in RECS:
        return x.a
    if c is tuple or c is list:
        return c(restore(y) for y in x)
    if c is dict:
        return {k: restore(y) for k, y in x.items()}
    return x


def device_kind(leaves: list[Tensor], r: Recorder) -> str:
    for v in r.vals:
        if v.arr is not None:
            return "cpu" if isinstance(v.arr, np.ndarray) else "cuda"
    return "cpu"
