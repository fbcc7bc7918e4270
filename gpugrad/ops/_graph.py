"""The array namespace of higher-order gradients.

In a ``create_graph`` backward, a backward rule written for arrays (``self.xp.exp(x)``,
``self.xp.where(m, a, b)``...) runs on Tensors: the engine gives it this namespace as
``self.xp``, whose functions are the differentiable gpugrad ops with NumPy's names and
arguments. Only what backward rules use is here; a missing name raises AttributeError naming
it, so an op that needs more gets a ``graph_backward`` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import creation
from ..tensor import Tensor
from . import arrange, compare, reduce, scan, scatter, shape


def _t(x: Any, like: Tensor) -> Any:
    """``x`` as a Tensor on ``like``'s device when it is an array; numbers pass."""
    if isinstance(x, Tensor) or isinstance(x, (int, float, bool)):
        return x
    return Tensor._wrap(_dev.constant(x, like._data), None)


class TensorXP:
    """NumPy-named differentiable functions on Tensors, for backward rules (see module doc)."""

    ndarray = Tensor

    def __init__(self, like: Tensor) -> None:
        self.like = like  # gives the device and dtype of new tensors

    # --- creation ---------------------------------------------------------------------------
    def zeros_like(self, a: Any, dtype: Any = None) -> Tensor:
        return creation.zeros_like(_t(a, self.like), dtype=dtype)

    def ones_like(self, a: Any, dtype: Any = None) -> Tensor:
        return creation.ones_like(_t(a, self.like), dtype=dtype)

    def full_like(self, a: Any, fill_value: Any, dtype: Any = None) -> Tensor:
        return creation.full_like(_t(a, self.like), fill_value, dtype=dtype)

    def zeros(self, shape: Any, dtype: Any = None) -> Tensor:
        dt = self.like.dtype if dtype is None else dtype
        return creation.zeros(tuple(shape), dtype=dt, device=self.like.device)

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        return a

    def tensor(self, a: Any) -> Tensor:
        """An array (or number) as a constant Tensor on this device."""
        if isinstance(a, Tensor):
            return a
        if isinstance(a, (bool, int, float, np.generic)):
            a = np.asarray(a)
        return Tensor._wrap(_dev.constant(a, self.like._data), None)

    # --- elementwise ------------------------------------------------------------------------
    def where(self, cond: Any, a: Any, b: Any) -> Tensor:
        c = self.tensor(cond._data if isinstance(cond, Tensor) else cond)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = creation.full_like(self.like, a)
        return compare.where(c, _t(a, self.like), _t(b, self.like))

    @staticmethod
    def _unary(name: str) -> Any:  # a factory used in the class body
        def f(self: TensorXP, x: Any) -> Any:
            if not isinstance(x, Tensor):
                return getattr(_dev.array_module(x), name)(x)
            return getattr(x, name)()
        f.__name__ = name
        return f

    exp = _unary.__func__("exp")  # type: ignore[attr-defined]
    log = _unary.__func__("log")  # type: ignore[attr-defined]
    log1p = _unary.__func__("log1p")  # type: ignore[attr-defined]
    expm1 = _unary.__func__("expm1")  # type: ignore[attr-defined]
    sqrt = _unary.__func__("sqrt")  # type: ignore[attr-defined]
    abs = _unary.__func__("abs")  # type: ignore[attr-defined]
    sin = _unary.__func__("sin")  # type: ignore[attr-defined]
    cos = _unary.__func__("cos")  # type: ignore[attr-defined]
    tanh = _unary.__func__("tanh")  # type: ignore[attr-defined]
    erf = _unary.__func__("erf")  # type: ignore[attr-defined]

    def sign(self, x: Any) -> Any:
        """The sign is piecewise constant: its value, off the graph."""
        d = x._data if isinstance(x, Tensor) else x
        return _dev.array_module(d).sign(d)

    def isnan(self, x: Any) -> Any:
        d = x._data if isinstance(x, Tensor) else x
        return _dev.array_module(d).isnan(d)

    def isfinite(self, x: Any) -> Any:
        d = x._data if isinstance(x, Tensor) else x
        return _dev.array_module(d).isfinite(d)

    def square(self, x: Tensor) -> Tensor:
        return x * x

    def reciprocal(self, x: Tensor) -> Tensor:
        return 1.0 / x

    def maximum(self, a: Any, b: Any) -> Tensor:
        return compare.maximum(_t(a, self.like), _t(b, self.like))

    def minimum(self, a: Any, b: Any) -> Tensor:
        return compare.minimum(_t(a, self.like), _t(b, self.like))

    def matmul(self, a: Any, b: Any) -> Tensor:
        return _t(a, self.like) @ _t(b, self.like)

    # --- shape ------------------------------------------------------------------------------
    def reshape(self, a: Tensor, shape: Any) -> Tensor:
        return a.reshape(shape)

    def transpose(self, a: Tensor, axes: Any = None) -> Tensor:
        if axes is None:
            axes = tuple(range(a.ndim))[::-1]
        return a.permute(*[int(i) for i in axes])

    def swapaxes(self, a: Tensor, i: int, j: int) -> Tensor:
        return a.transpose(i, j)

    def moveaxis(self, a: Tensor, source: int, destination: int) -> Tensor:
        order = [n for n in range(a.ndim) if n != source % a.ndim]
        order.insert(destination % a.ndim, source % a.ndim)
        return a.permute(*order)

    def expand_dims(self, a: Tensor, axis: int) -> Tensor:
        return a.unsqueeze(axis)

    def broadcast_to(self, a: Tensor, shape: Any) -> Tensor:
        return _t(a, self.like).broadcast_to(tuple(shape))

    def concatenate(self, xs: Any, axis: int = 0) -> Tensor:
        return shape.cat([_t(x, self.like) for x in xs], dim=axis)

    def stack(self, xs: Any, axis: int = 0) -> Tensor:
        return shape.stack([_t(x, self.like) for x in xs], dim=axis)

    def split(self, a: Tensor, bounds: Any, axis: int = 0) -> list[Tensor]:
        edges = [0, *[int(b) for b in bounds], a.shape[axis]]
        idx = [slice(None)] * a.ndim
        out = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            idx[axis] = slice(lo, hi)
            out.append(a[tuple(idx)])
        return out

    def flip(self, a: Tensor, axis: Any = None) -> Tensor:
        dims = tuple(range(a.ndim)) if axis is None else axis
        return arrange.flip(a, dims if isinstance(dims, tuple) else (dims,))

    def take_along_axis(self, a: Tensor, indices: Any, axis: int) -> Tensor:
        return scatter.take_along_dim(a, self.tensor(indices), axis)

    def take(self, a: Tensor, i: int, axis: int = 0) -> Tensor:
        idx: list[Any] = [slice(None)] * a.ndim
        idx[axis] = i
        return a[tuple(idx)]

    # --- reductions -------------------------------------------------------------------------
    def sum(self, a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.sum(a, dim=axis, keepdim=keepdims)

    def mean(self, a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.mean(a, dim=axis, keepdim=keepdims)

    def cumsum(self, a: Tensor, axis: int) -> Tensor:
        return scan.cumsum(a, axis)
