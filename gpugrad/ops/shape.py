"""Shape ops: reshape, permute, expand, cat, stack, and indexing (basic and advanced)."""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from ..autograd import Function


class Reshape(Function):
    is_view = True

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, gy):
        return (gy.reshape(self.meta[0][0]),)


class Permute(Function):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gy):
        return (gy.transpose(np.argsort(self.dims)),)


class Expand(Function):
    """broadcast_to / expand: the engine sums the gradient back to the input's shape."""

    is_view = True

    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, gy):
        return (gy,)


class Cat(Function):
    def forward(self, *xs, dim=0):
        self.dim = dim
        self.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return self.xp.concatenate(xs, axis=dim)

    def backward(self, gy):
        return tuple(self.xp.split(gy, self.bounds, axis=self.dim))


class Stack(Function):
    def forward(self, *xs, dim=0):
        self.dim = dim
        return self.xp.stack(xs, axis=dim)

    def backward(self, gy):
        n = gy.shape[self.dim]
        return tuple(self.xp.take(gy, i, axis=self.dim) for i in range(n))


class Index(Function):
    """``x[key]`` with ints, slices, None and Ellipsis: a view; backward assigns into zeros."""

    is_view = True

    def forward(self, x, key):
        self.key = key
        return x[key]

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        g[self.key] = gy
        return (g,)


class Gather(Function):
    """``x[key]`` where key holds integer or boolean arrays: repeated indices accumulate."""

    def forward(self, x, key):
        self.key = key
        return x[key]

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        _dev.scatter_add(g, self.key, gy)
        return (g,)
