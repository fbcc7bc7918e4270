"""Reductions: sum, mean, var, max/min (with indices), amax/amin, logsumexp."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def norm_dims(dim, ndim: int):
    """``dim`` (None, int or tuple, negatives allowed) as a sorted tuple of axes, checked."""
    if dim is None:
        return _ALL[ndim] if ndim < 8 else tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                f"{max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % max(ndim, 1))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dim} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


_ALL = [tuple(range(n)) for n in range(8)]


def _expand(xp, g, shape):
    """``g`` broadcast to ``shape`` as a new array (cheaper than a broadcast view for small
    shapes, and a leaf may keep it without a copy)."""
    out = xp.empty(shape, g.dtype)
    out[...] = g
    return out


def _kept(gy, shape, axes, keepdim):
    """``gy`` reshaped so it broadcasts against the input ``shape`` (the reduced axes as 1)."""
    if keepdim:
        return gy
    return gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


class Sum(Function):
    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        return x.sum(axis=None if dim is None else axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        return (_expand(self.xp, _kept(gy, shape, self.axes, self.keepdim), shape),)


class Mean(Function):
    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        g = _kept(gy, shape, self.axes, self.keepdim) / float(self.n)
        return (_expand(self.xp, g, shape),)


class Var(Function):
    """Variance with Bessel's correction ``correction`` (1: unbiased, PyTorch's default)."""

    def forward(self, x, dim=None, correction=1, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        self.denom = denom = max(n - correction, 0)
        self.diff = d = x - x.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(axis=axes, keepdims=keepdim) / x.dtype.type(denom)

    def backward(self, gy):
        g = _kept(gy, self.diff.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * self.diff * (2.0 / self.denom if self.denom else float("nan")),)


class AMax(Function):
    """Max over ``dim`` (all by default); ties share the gradient evenly."""

    saved_inputs = (0,)
    saved_output = True
    largest = True

    def forward(self, x, dim=None, keepdim=False):
        if x.size == 0:
            raise RuntimeError("max(): cannot reduce an empty tensor without an identity")
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.x = x
        red = x.max if self.largest else x.min
        self.y = y = red(axis=axes, keepdims=keepdim)
        return y

    def backward(self, gy):
        x = self.x
        y = _kept(self.y, x.shape, self.axes, self.keepdim)
        mask = x == y
        count = mask.sum(axis=self.axes, keepdims=True)
        return (mask * (_kept(gy, x.shape, self.axes, self.keepdim) / count),)


class AMin(AMax):
    largest = False


class MaxDim(Function):
    """The values of ``max(dim)``; the indices come from ``argmax`` and carry no gradient."""

    largest = True

    def forward(self, x, dim, keepdim=False):
        (axis,) = norm_dims(dim, x.ndim) or (0,)
        arg = x.argmax if self.largest else x.argmin
        idx = arg(axis=axis, keepdims=True) if x.ndim else self.xp.zeros((), np.int64)
        self.axis, self.keepdim = axis, keepdim
        self.idx = idx
        y = self.xp.take_along_axis(x, idx, axis=axis) if x.ndim else x.copy()
        self.indices = idx if keepdim or not x.ndim else idx.squeeze(axis)
        return y if keepdim or not x.ndim else y.squeeze(axis)

    def backward(self, gy):
        shape = self.meta[0][0]
        if not shape:
            return (gy,)
        axis = self.axis
        pos = self.xp.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
        g = _kept(gy, shape, (axis,), self.keepdim)
        return ((pos == self.idx) * g,)


class MinDim(MaxDim):
    largest = False


class LogSumExp(Function):
    saved_inputs = (0,)
    saved_output = True

    def forward(self, x, dim=None, keepdim=False):
        xp = self.xp
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.x, self.yk = x, y
        return y if keepdim else y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))

    def backward(self, gy):
        g = _kept(gy, self.x.shape, self.axes, self.keepdim)
        return (g * self.xp.exp(self.x - self.yk),)
