"""Hooks installed for the length of one capture (and taken out after it).

``TensorBase._data`` and ``_grad`` become descriptors that, in the capturing thread, hand out
recorded values (``Recorder.slot_get``) and take them (``slot_set``); other threads see the
real arrays. ``_device.sample_hook`` records random draws. Optimizer steps are wrapped on the
reachable optimizers (``island_call``); scheduler steps, on their classes; any other
optimizer's ``_update`` taints the capture.
"""

from __future__ import annotations

import functools
from typing import Any

from .. import _device as _dev
from ..autograd import TensorBase
from ._array import _MISSING, RECS, _contains_rec, _tls, active
from ._record import _SLOTS, Node, Recorder, _group_snapshot


class _SlotHook:
    """A tensor slot that, in a capturing thread, hands out and takes recorded values."""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.slot = _SLOTS[attr]

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        v = self.slot.__get__(obj, owner)
        r = getattr(_tls, "rec", None)
        if r is None:
            return v.a if v.__class__ in RECS else v
        return r.slot_get(obj, self.attr, v)

    def __set__(self, obj: Any, value: Any) -> None:
        r = getattr(_tls, "rec", None)
        if r is not None:
            try:
                self.slot.__get__(obj, None)
                fresh = False
            except AttributeError:
                fresh = self.attr == "_data"
            value = r.slot_set(obj, self.attr, value, fresh)
        elif value.__class__ in RECS:
            value = value.a
        self.slot.__set__(obj, value)


def install(r: Recorder, optimizers: list[Any]) -> Any:
    """Start recording ``r`` in this thread; returns what ``uninstall`` needs.

    ``optimizers``: those the call can reach; their ``step`` is wrapped (on the instance, over
    whatever wraps it already, such as a scheduler's counter) so that the capture sees each
    step whole. A step of any other optimizer taints the capture (its ``_update`` tells).
    """
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer

    patches: list[tuple[Any, str, Any]] = [(TensorBase, a, _SlotHook(a)) for a in _SLOTS]
    for cls in [LRScheduler, *_subclasses(LRScheduler)]:
        f = cls.__dict__.get("step")
        if f is not None:
            patches.append((cls, "step", _island_method(f)))
    for cls in [Optimizer, *_subclasses(Optimizer)]:
        f = cls.__dict__.get("_update")
        if f is not None:
            patches.append((cls, "_update", _unseen_update(f)))
    for opt in optimizers:
        patches.append((opt, "step", _optimizer_step(opt, opt.step)))
    patches.append((_dev, "sample_hook", r.sample))
    saved: list[tuple[Any, str, Any]] = []
    for obj, name, value in patches:
        d = obj.__dict__
        saved.append((obj, name, d[name] if name in d else _MISSING))
        setattr(obj, name, value)
    _tls.rec = r
    _tls.in_step = False
    return saved


def uninstall(r: Recorder, saved: Any) -> None:
    """Stop recording: put every patched attribute back and every tensor's real arrays."""
    _tls.rec = None
    for obj, name, value in reversed(saved):
        if value is _MISSING:
            delattr(obj, name)
        else:
            setattr(obj, name, value)
    r.recording = False
    for ref in r.touched:
        t = ref()
        if t is None:
            continue
        for slot in _SLOTS.values():
            try:
                v = slot.__get__(t, None)
            except AttributeError:
                continue
            if v.__class__ in RECS:
                slot.__set__(t, v.a)


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    c: type
    for c in cls.__subclasses__():
        out.append(c)
        out.extend(_subclasses(c))
    return out


def _recording(r: Recorder | None) -> bool:
    return (r is not None and r.recording and not r.island
            and not getattr(_tls, "in_step", False))


def _optimizer_step(opt: Any, step: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        r = active()
        if not _recording(r):
            return step(*args, **kwargs)
        _tls.in_step = True
        try:
            return island_call(r, opt, step, args, kwargs, "optimizer")  # type: ignore[arg-type]
        finally:
            _tls.in_step = False

    return wrapped


def _island_method(f: Any) -> Any:
    @functools.wraps(f)
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        r = active()
        if not _recording(r):
            return f(self, *args, **kwargs)
        _tls.in_step = True
        try:
            return island_call(r, self, functools.partial(f, self), args, kwargs,  # type: ignore[arg-type]
                               "island")
        finally:
            _tls.in_step = False

    return step


def _unseen_update(f: Any) -> Any:
    @functools.wraps(f)
    def _update(self: Any, *args: Any, **kwargs: Any) -> Any:
        r = active()
        if _recording(r):
            r.taint("an optimizer step that the capture cannot see whole "  # type: ignore[union-attr]
                    "(pass the optimizer where the compiled function can reach it)")
        return f(self, *args, **kwargs)

    return _update


def _state_snapshot(opt: Any) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for g in opt.param_groups:
        for p in g["params"]:
            st = opt.state.get(p)
            if st is None:
                out[id(p)] = None  # type: ignore[assignment]
            else:
                out[id(p)] = tuple((k, ("tensor", id(v)) if isinstance(v, TensorBase) else v)
                                   for k, v in st.items())
    return out


def island_call(r: Recorder, obj: Any, f: Any, args: tuple, kwargs: dict, kind: str) -> Any:
    """An optimizer's or a scheduler's ``step`` (``f``, bound) inside the call.

    A scheduler, and an optimizer whose step changes Python state (Adam's step count) or is
    given arguments, is an island: the replay calls it as it is. Any other optimizer step (SGD)
    is recorded as a fast block, replayed while the optimizer's hyperparameters and state are
    the capture's, and replaced by the island when they are not.
    """
    start = len(r.nodes)
    v0 = r.version_snapshot()
    if kind != "optimizer" or args or kwargs:
        if any(_contains_rec(a) for a in args) or any(_contains_rec(a) for a in kwargs.values()):
            r.taint("a step given tensor data")
        r.island = True
        try:
            res = f(*args, **kwargs)
        finally:
            r.island = False
        r.nodes.append(Node("island", fn=functools.partial(f, *args, **kwargs)))
        _discount_versions(r, v0)
        r.watch()  # a scheduler changes hyperparameters: so does its replay
        return res
    groups, state = _group_snapshot(obj), _state_snapshot(obj)
    if r.watched.get(id(obj), groups) != groups:
        r.taint("the call changes its optimizer's hyperparameters itself (a Python side effect "
                "the replay would not repeat)")
    taint0 = r.tainted
    res = f()
    same = (_group_snapshot(obj) == groups and _state_snapshot(obj) == state
            and r.tainted == taint0 and res is None)
    nodes = r.nodes[start:]
    produced = {v for n in nodes for v in n.outs}
    v1 = r.version_snapshot()
    island = Node("island", fn=f,
                  reads=sorted({v for n in nodes for v in n.reads} - produced),
                  writes=sorted({v for n in nodes for v in n.writes} - produced))
    if same and nodes and all(n.op == "call" for n in nodes):
        paths = []
        for g in obj.param_groups:
            for p in g["params"]:
                for k, v in (obj.state.get(p) or {}).items():
                    if isinstance(v, TensorBase):
                        paths.append((p, k, v))
        bumps = {k: v1[k] - v0.get(k, r.versions[k][1]) for k in v1
                 if v1[k] != v0.get(k, r.versions[k][1])}
        b = len(r.blocks)
        r.blocks.append({"opt": obj, "groups": groups, "paths": paths, "island": island,
                         "bumps": bumps, "produced": produced})
        for n in nodes:
            n.block = b
    else:
        del r.nodes[start:]
        r.nodes.append(island)
        r.island_produced |= produced
    _discount_versions(r, v0)
    return res


def _discount_versions(r: Recorder, v0: dict[int, int]) -> None:
    """Version increments inside a step are the step's own (replayed with it)."""
    for k, v in r.version_snapshot().items():
        c, first = r.versions[k]
        r.versions[k] = (c, first + (v - v0.get(k, first)))
