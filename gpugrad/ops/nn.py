"""Neural-network ops: softmax, log-softmax, fused cross-entropy, linear and linear+activation."""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from .. import kernels as K
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .activation import DERIVATIVES
from .reduce import norm_dims

__all__ = ["softmax", "log_softmax"]


def _lse(xp, x, axis):
    """log-sum-exp over ``axis`` with keepdims, finite for finite inputs of any magnitude."""
    m = xp.asarray(x.max(axis=axis, keepdims=True))
    m = xp.where(xp.isfinite(m), m, 0.0)  # rows of +-inf: no shift (keeps the dtype: NEP 50)
    e = _dev.fix_scalar(x - m)
    xp.exp(e, out=e)
    s = _dev.fix_scalar(e.sum(axis=axis, keepdims=True))
    with np.errstate(divide="ignore"):
        xp.log(s, out=s)
    s += m
    return s


class Softmax(Op):
    saved_output = True

    def forward(self, x, dim):
        self.dim = dim
        e = _dev.fix_scalar(x - x.max(axis=dim, keepdims=True))  # 0-d x: a NumPy scalar
        self.xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        self.y = e
        return e

    def backward(self, gy):
        y = self.y
        return (y * (gy - (gy * y).sum(axis=self.dim, keepdims=True)),)


class LogSoftmax(Op):
    saved_output = True

    def forward(self, x, dim):
        self.dim = dim
        self.y = y = _dev.fix_scalar(x - _lse(self.xp, x, dim))
        return y

    def backward(self, gy):
        return (gy - self.xp.exp(self.y) * gy.sum(axis=self.dim, keepdims=True),)


class CrossEntropy(Op):
    """Softmax + negative log-likelihood in one stable op, over logits (N, C) and classes (N,).

    Forward keeps the rows' log-sum-exp; backward is one fused pass
    ``(softmax - smoothed one-hot) * scale`` (the ``softmax_xent_bwd`` kernel).
    """

    saved_inputs = (0,)

    def forward(self, x, target, reduction="mean", label_smoothing=0.0, ignore_index=None):
        """``ignore_index`` None means no target is ignored (the caller checked)."""
        xp = self.xp
        n, c = x.shape
        valid = None if ignore_index is None else target != ignore_index
        t = target if valid is None else xp.where(valid, target, 0)
        lse = _lse(xp, x, 1)  # (N, 1)
        nll = lse[:, 0] - x[xp.arange(n), t]
        eps = float(label_smoothing)
        if eps:
            smooth = lse[:, 0] - x.mean(axis=1)  # -mean_c log p_c
            nll = nll * (1.0 - eps) + smooth * eps
        if valid is not None:
            nll = xp.where(valid, nll, 0.0).astype(x.dtype, copy=False)
        self.x, self.lse, self.t, self.valid = x, lse, t[:, None], valid
        self.reduction, self.eps, self.c = reduction, eps, c
        if reduction == "none":
            return nll
        if reduction == "sum":
            return nll.sum()
        self.count = count = n if valid is None else int(valid.sum())
        return nll.sum() / x.dtype.type(count) if count else nll.sum() * x.dtype.type("nan")

    def backward(self, gy):
        if self.reduction == "none":
            scale = gy[:, None]
        elif self.reduction == "sum":
            scale = gy
        else:
            scale = gy / gy.dtype.type(self.count)
        if self.valid is not None:
            scale = scale * self.valid[:, None]
        return (K.TABLE["softmax_xent_bwd"](self.x, self.lse, self.t, scale, self.eps, self.c),)

    def graph_backward(self, gy):
        x = self.saved_input(0)
        t = self.t[:, 0]
        n, c = x.shape
        q = np.full((n, c), self.eps / c)  # the smoothed one-hot target, a constant
        q[np.arange(n), _dev.to_host(t)] += 1.0 - self.eps
        q = self.xp.tensor(_dev.constant(q.astype(x._data.dtype), x._data))
        if self.reduction == "none":
            scale = gy[:, None]
        elif self.reduction == "sum":
            scale = gy
        else:
            scale = gy / float(self.count)
        if self.valid is not None:
            scale = scale * self.xp.tensor(self.valid[:, None].astype(x._data.dtype))
        return ((softmax(x, 1) - q) * scale,)


class Linear(Op):
    """``x @ weight.T + bias`` over the last axis of x, in one node."""

    saved_inputs = (0, 1)

    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({x.size // max(x.shape[-1], 1)}x"
                f"{x.shape[-1]} and {weight.shape[1]}x{weight.shape[0]})"
            )
        self.x2 = x2 = x.reshape(-1, x.shape[-1])
        self.w = weight
        y = x2 @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(self, gy):
        return _linear_grads(self, gy.reshape(-1, gy.shape[-1]))

    def graph_backward(self, gy):
        return _linear_graph_grads(self, gy.reshape(-1, gy.shape[-1]))


def _linear_grads(node, g2):
    """Gradients of x, weight and bias of a linear map, given the gradient of its output (2-d)."""
    n = node.needs
    gx = (g2 @ node.w).reshape(node.meta[0][0]) if n[0] else None
    gw = g2.T @ node.x2 if n[1] else None
    gb = g2.sum(axis=0) if len(n) > 2 and n[2] else None
    return gx, gw, gb


def _linear_graph_grads(node, g2):
    """``_linear_grads`` on Tensors (a create_graph backward)."""
    n = node.needs
    x, w = node.saved_input(0), node.saved_input(1)
    gx = (g2 @ w).reshape(node.meta[0][0]) if n[0] else None
    gw = g2.transpose(0, 1) @ x.reshape(-1, x.shape[-1]) if n[1] else None
    gb = g2.sum(0) if len(n) > 2 and n[2] else None
    return gx, gw, gb


class LinearAct(Op):
    """``act(x @ weight.T + bias)``: the hidden layer of an MLP, bias-add and activation fused.

    ``act`` names a record of ``kernels.ACTIVATIONS``; ``params`` are its extra parameters
    (leaky_relu's slope).
    """

    saved_inputs = (0, 1, 2)
    saved_output = True

    def forward(self, x, weight, bias, act="tanh", params=()):
        spec = K.ACTIVATIONS[act]
        y = Linear.forward(self, x, weight)
        z = y.reshape(-1, y.shape[-1])
        self.spec, self.params = spec, params
        if spec.saves_output:
            K.TABLE["bias_" + act](bias, *params, z)  # z <- act(z + b), in place
            self.saved = z
            return y
        out = self.xp.empty_like(z)
        K.TABLE["bias_" + act](bias, *params, z, out)  # z <- z + b, out <- act(z + b)
        self.saved = z
        return out.reshape(y.shape)

    def backward(self, gy):
        g2 = gy.reshape(-1, gy.shape[-1])
        gz = K.TABLE[self.spec.name + "_bwd"](self.saved, g2, *self.params)
        return _linear_grads(self, gz)

    def graph_backward(self, gy):
        name = self.spec.name
        if self.spec.saves_output:
            saved = self._out
        else:  # the pre-activation, recomputed from the inputs so that it is differentiable
            x, w, b = self.saved_input(0), self.saved_input(1), self.saved_input(2)
            saved = x @ w.transpose(0, 1) + b
        saved = saved.reshape(-1, saved.shape[-1])
        g2 = gy.reshape(-1, gy.shape[-1])
        return _linear_graph_grads(self, g2 * DERIVATIVES[name](self.xp, saved, *self.params))


def _dim(dim: int | None, ndim: int) -> int | None:
    if ndim == 0:  # a 0-d tensor: softmax is 1, log_softmax 0
        norm_dims(0 if dim is None else dim, 0)
        return None
    if dim is None:  # PyTorch's legacy default for softmax
        return 0 if ndim in (1, 3) else 1
    return norm_dims(dim, ndim)[0]


@method()
def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, computed stably."""
    return Softmax.apply(input, dim=_dim(dim, input.ndim))


@method()
def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """``x - logsumexp(x, dim)``: the log of ``softmax``, computed stably."""
    return LogSoftmax.apply(input, dim=_dim(dim, input.ndim))
