"""PyTorch's custom-function API: ``class F(gpugrad.autograd.Function)`` with static
``forward(ctx, ...)`` and ``backward(ctx, *grads)``, used through ``F.apply(...)``.

``forward`` runs on Tensors with graph recording off; the outputs it returns become the outputs
of one graph node, whose backward calls the user's ``backward`` with a gradient Tensor per
output (None/zeros for outputs that got none) and expects one gradient (or None) per input of
``forward``. Under ``create_graph`` the user's backward runs with recording on, so a backward
written with gpugrad ops is differentiable again.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _device as _dev
from . import (
    TensorBase,
    _edge,
    _mode,
    no_grad,
)


class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable``, ``mark_dirty``,
    ``set_materialize_grads``; any other attribute may be set freely."""

    def __init__(self) -> None:
        self.needs_input_grad: tuple[bool, ...] = ()
        self._saved: tuple[Any, ...] | None = ()
        self._saved_versions: list[Any] = []
        self._non_diff: set[int] = set()
        self._dirty: set[int] = set()
        self.materialize_grads = True
        self._freed = False

    def save_for_backward(self, *tensors: Any) -> None:
        """Save Tensors (or None) for backward; an in-place change to one of them before
        backward makes ``saved_tensors`` raise."""
        for k, t in enumerate(tensors):
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(f"save_for_backward can only save tensors (or None), but "
                                f"argument {k} is of type {type(t).__name__}")
        self._saved = tensors
        self._saved_versions = [None if t is None else (t._version, t._version.v)
                                for t in tensors]

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to ``save_for_backward``, checked for in-place changes."""
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        for k, vs in enumerate(self._saved_versions):
            if vs is not None and vs[0].v != vs[1]:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: saved tensor {k} is at version {vs[0].v}; expected "
                    f"version {vs[1]} instead.")
        return tuple(self._saved or ())

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Outputs that get no gradient (integer results, indices)."""
        self._non_diff.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Any) -> None:
        """Inputs that forward changed in place (their version counters are bumped)."""
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """Whether gradients that are None reach backward as zeros (True, the default)."""
        self.materialize_grads = bool(value)


class _FunctionNode:
    """The graph node of one ``Function.apply`` call. With several outputs, each output's
    tensor points at a small ``_Output`` node that forwards its gradient here, so the engine
    sees one node per tensor; this node runs once every output's gradient has arrived."""

    fn_cls: Any  # the Function subclass
    retain = None
    versions = ()
    _hooks = None

    def __init__(self, ctx: FunctionCtx, args: tuple[Any, ...], n_out: int) -> None:
        self.ctx = ctx
        self.n_out = n_out
        self.non_diff: set[int] = set()
        self.needs = ctx.needs_input_grad
        self.next_fns: Any = [_edge(a) if n else None for a, n in zip(args, self.needs)]
        self.meta: list[Any] = [(a._data.shape, a._data.dtype) if n else None
                                for a, n in zip(args, self.needs)]
        self.in_xp: list[Any] = [_dev.array_module(a._data) if n else None
                      for a, n in zip(args, self.needs)]
        self.wrap = next(a for a, n in zip(args, self.needs) if n)._wrap
        self.out_meta: list[Any] = [None] * n_out

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def bind_output(self, k: int, t: Any) -> None:
        self.out_meta[k] = (t._data.shape, t._data.dtype, _dev.array_module(t._data))
        if self.n_out == 1:
            t._grad_fn, t._requires_grad = self, True
        else:
            t._grad_fn, t._requires_grad = _Output(self, k), True

    def _grads(self, gy: Any, graph: bool) -> list[Any]:
        """The gradient of each output as a Tensor (zeros or None where none arrived)."""
        parts = gy.parts if isinstance(gy, _Parts) else {0: gy}
        grads: list[Any] = []
        for k in range(self.n_out):
            g = parts.get(k)
            meta = self.out_meta[k]
            if g is None:
                if meta is not None and self.ctx.materialize_grads:
                    shape, dt, xp = meta
                    grads.append(self.wrap(xp.zeros(shape, dt), None))
                else:
                    grads.append(None)
            else:
                grads.append(g if graph else self.wrap(g, None))
        return grads

    def _call(self, gy: Any, graph: bool) -> tuple[Any, ...]:
        grads = self._grads(gy, graph)
        if graph:
            res = self.fn_cls.backward(self.ctx, *grads)
        else:
            with no_grad():
                res = self.fn_cls.backward(self.ctx, *grads)
        res = res if isinstance(res, tuple) else (res,)
        n_in = len(self.needs)
        if len(res) < n_in:
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(res)})")
        if any(r is not None for r in res[n_in:]):
            raise RuntimeError(f"function {self.name} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(res)})")
        out = []
        for k, (r, need) in enumerate(zip(res, self.needs)):
            if not need or r is None:
                out.append(None if not need else self._zeros_for(k, graph))
                continue
            if not isinstance(r, TensorBase):
                raise TypeError(f"function {self.name} returned a {type(r).__name__} as the "
                                f"gradient of input {k}; expected a Tensor or None")
            shape = self.meta[k][0]
            if r._data.shape != shape:
                try:
                    np.broadcast_shapes(shape, r._data.shape)
                except ValueError:
                    raise RuntimeError(f"function {self.name} returned an invalid gradient at "
                                       f"index {k} - got {list(r._data.shape)} but expected "
                                       f"shape compatible with {list(shape)}") from None
            out.append(r if graph else r._data)
        return tuple(out)

    def _zeros_for(self, k: int, graph: bool) -> Any:
        shape, dt = self.meta[k]
        z = self.in_xp[k].zeros(shape, dt)
        return self.wrap(z, None) if graph else z

    def backward(self, gy: Any) -> tuple[Any, ...]:
        return self._call(gy, False)

    def graph_backward(self, gy: Any) -> tuple[Any, ...]:
        return self._call(gy, True)

    def release(self) -> None:
        self.ctx._freed = True
        self.ctx._saved = None
        self.next_fns = None


class _Parts:
    """The gradients of several outputs of one Function node, by output index; summed by key."""

    __slots__ = ("parts", "shape", "dtype")
    _grad_fn = None

    def __init__(self, parts: dict[int, Any]) -> None:
        self.parts = parts
        self.shape = _PARTS_SHAPE
        self.dtype = _PARTS_DTYPE

    @property
    def _data(self) -> _Parts:  # the engine reads ``g._data.dtype`` on the create_graph path
        return self

    def __add__(self, other: _Parts) -> _Parts:
        merged = dict(self.parts)
        for k, g in other.parts.items():
            merged[k] = g if k not in merged else merged[k] + g
        return _Parts(merged)


_PARTS_SHAPE = ("parts",)
_PARTS_DTYPE = object()


class _Output:
    """The node of output ``k`` of a multi-output Function: passes its gradient on, tagged."""

    retain = None
    versions = ()
    _hooks = None

    def __init__(self, fn: _FunctionNode, k: int) -> None:
        self.fn = fn
        self.k = k
        self.needs = (True,)
        self.next_fns: Any = [fn]
        self.meta = [(_PARTS_SHAPE, _PARTS_DTYPE)]

    @property
    def name(self) -> str:
        return f"{self.fn.name}[{self.k}]"

    def backward(self, gy: Any) -> tuple[Any, ...]:
        return (_Parts({self.k: gy}),)

    graph_backward = backward

    def release(self) -> None:
        self.next_fns = None


class _FunctionMeta(type):
    """Gives every Function subclass its own backward-node class (named like PyTorch's)."""

    def __init__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> None:
        super().__init__(name, bases, ns)
        cls._backward_cls = type(f"{name}Backward", (_FunctionNode,), {"fn_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base class of user-defined differentiable functions, as ``torch.autograd.Function``.

    Example::

        class Exp(gpugrad.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, gy):
                (y,) = ctx.saved_tensors
                return gy * y

        y = Exp.apply(x)

    ``forward(ctx, *args, **kwargs)`` may also be written without ``ctx`` together with a
    ``setup_context(ctx, inputs, output)`` static method (PyTorch 2's form).
    """

    _backward_cls: type

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward to be "
                                  "differentiated")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError

    vjp = backward

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Function subclasses are not instantiated: call "
                           f"{type(self).__name__}.apply(...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and, when an input requires grad, record one graph node."""
        ctx = FunctionCtx()
        needs = tuple(isinstance(a, TensorBase) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if setup:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        for a in args:
            if isinstance(a, TensorBase) and id(a) in ctx._dirty:
                a._version.v += 1
        if not (any(needs) and _mode.enabled):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        node = cls._backward_cls(ctx, args, len(outs))
        result = []
        for k, o in enumerate(outs):
            if not isinstance(o, TensorBase):
                result.append(o)
                continue
            if id(o) in ctx._non_diff or o._data.dtype.kind != "f":
                node.non_diff.add(k)
                result.append(o)
                continue
            if any(o is a for a in args) or o._grad_fn is not None or o._requires_grad:
                o = o._wrap(o._data, None)  # an input returned as is: a new tensor, same data
            node.bind_output(k, o)
            result.append(o)
        return tuple(result) if isinstance(out, tuple) else result[0]


def once_differentiable(fn: Any) -> Any:
    """Mark a Function's backward as not differentiable again: it runs with recording off
    even under ``create_graph``."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            return fn(ctx, *grads)

    return wrapper
