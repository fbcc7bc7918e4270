"""What a call depends on beyond its arrays: its signature (``key``), and what it can reach
(``reach``): the optimizers whose steps the capture must see whole, and the Python values
(module attributes, closure cells, the globals its code names) a replay guards."""

from __future__ import annotations

import functools
import types
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from ..nn.module import Module
from ..tensor import Tensor
from ._array import is_array


class NoKeyError(Exception):
    pass


_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def key(x: Any, leaves: list[Tensor]) -> Any:
    """What a program depends on in an argument (tensor leaves are collected in order)."""
    c = x.__class__
    if isinstance(x, Tensor):
        leaves.append(x)
        d = x._data
        dev = d.device.id if d.__class__ is not np.ndarray else -1
        return (d.__class__, d.shape, d.dtype.str, d.strides, dev, x._requires_grad)
    if c in _SCALARS:
        return (c, x)
    if c is tuple or c is list:
        return (c, tuple(key(y, leaves) for y in x))
    if c is dict:
        return (c, tuple((k, key(y, leaves)) for k, y in x.items()))
    if isinstance(x, (tuple, list)):  # a named tuple
        return (c, tuple(key(y, leaves) for y in x))
    if isinstance(x, (np.dtype, _dt.dtype, _dev.Device, slice)):
        return (c, x)
    if isinstance(x, np.ndarray) or is_array(x) or isinstance(x, np.generic):
        raise NoKeyError(type(x).__name__)  # its values would be fixed by the capture
    return (c, id(x))  # a module, an optimizer, any object: by identity (what the program
    #                    reads of it, tensors and numbers, is guarded)


class Found:
    def __init__(self) -> None:
        self.optimizers: list[Any] = []
        self.guards: list[tuple[str, Any, Any, Any]] = []  # (kind, holder, name, value)


_GUARDED = (bool, int, float, str, type(None))
_SKIP_ATTRS = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"}


def guarded(v: Any) -> Any:
    """The value to guard ``v`` by (a copy of a short list or tuple of plain values), or
    ``_NO`` where ``v`` is not one of those."""
    if type(v) in _GUARDED:
        return v
    if type(v) in (list, tuple) and len(v) <= 64 and all(type(x) in _GUARDED for x in v):
        return type(v)(v)
    return _NO


_NO = object()


def reach(fn: Any, args: tuple, kwargs: dict) -> Found:
    """The optimizers and the guarded Python values (module attributes, closure cells, the
    globals the code names) reachable from ``fn`` and its arguments, a few levels deep."""
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer

    found = Found()
    seen: set[int] = set()

    def guard_dict(d: dict, kind: str = "dict") -> None:
        for k, v in d.items():
            g = guarded(v)
            if k not in _SKIP_ATTRS and g is not _NO:
                found.guards.append((kind, d, k, g))

    def code_names(code: types.CodeType, out: set[str]) -> None:
        out.update(code.co_names)
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                code_names(c, out)

    def visit(obj: Any, depth: int) -> None:
        if depth > 4 or id(obj) in seen or isinstance(obj, (Tensor, type, types.ModuleType)):
            return
        if type(obj) in _GUARDED or isinstance(obj, np.ndarray):
            return
        seen.add(id(obj))
        if isinstance(obj, Module):
            for m in obj.modules():
                if id(m) not in seen:
                    seen.add(id(m))
                    guard_dict(m.__dict__)
                    for v in m.__dict__.values():
                        if not isinstance(v, (dict, Tensor)):
                            visit(v, depth + 1)
            return
        if isinstance(obj, Optimizer):
            found.optimizers.append(obj)
            return
        if isinstance(obj, LRScheduler):
            visit(obj.optimizer, depth + 1)
            return
        if isinstance(obj, (list, tuple, set, frozenset)):
            for y in list(obj)[:64]:
                visit(y, depth + 1)
            return
        if isinstance(obj, dict):
            for y in list(obj.values())[:64]:
                visit(y, depth + 1)
            return
        if isinstance(obj, functools.partial):
            visit(obj.func, depth + 1)
            visit(obj.args, depth + 1)
            visit(obj.keywords, depth + 1)
            return
        if isinstance(obj, types.MethodType):
            visit(obj.__self__, depth + 1)
            visit(obj.__func__, depth + 1)
            return
        inner = getattr(type(obj), "_compiled_fn", None)  # a CompiledFunction: its function
        if inner is not None:
            visit(obj._fn, depth + 1)
            return
        if isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    v = cell.cell_contents
                except ValueError:
                    continue
                g = guarded(v)
                if g is not _NO:
                    found.guards.append(("cell", cell, "", g))
                else:
                    visit(v, depth + 1)
            names: set[str] = set()
            code_names(obj.__code__, names)
            g = obj.__globals__
            for nm in names:
                if nm in g:
                    v = g[nm]
                    gv = guarded(v)
                    if gv is not _NO:
                        found.guards.append(("dict", g, nm, gv))
                    else:
                        visit(v, depth + 1)
            visit(obj.__defaults__, depth + 1)
            return
        d = getattr(obj, "__dict__", None)
        if isinstance(d, dict):
            guard_dict(d)
            for v in list(d.values())[:64]:
                visit(v, depth + 1)

    visit(fn, 0)
    visit(args, 1)
    visit(kwargs, 1)
    return found
