"""Neural-network ops: softmax, log-softmax, fused cross-entropy, linear and linear+activation,
layer and batch normalization."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import kernels as K
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .activation import DERIVATIVES
from .reduce import norm_dims

__all__ = ["softmax", "log_softmax"]


def _max_or_zero(x, axis):
    """The max over ``axis`` (keepdims) to shift by; zeros for an empty x (max has no identity
    where the axis is empty, and the result is empty anyway)."""
    return x.max(axis=axis, keepdims=True) if x.size else x.sum(axis=axis, keepdims=True)


def _lse(xp, x, axis):
    """log-sum-exp over ``axis`` with keepdims, finite for finite inputs of any magnitude."""
    m = xp.asarray(_max_or_zero(x, axis))
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
        e = _dev.fix_scalar(x - _max_or_zero(x, dim))  # 0-d x: a NumPy scalar
        self.xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    def backward(self, gy):
        y = self._out
        return (y * (gy - (gy * y).sum(axis=self.dim, keepdims=True)),)


class LogSoftmax(Op):
    saved_output = True

    def forward(self, x, dim):
        self.dim = dim
        return x - _lse(self.xp, x, dim)

    def backward(self, gy):
        return (gy - self.xp.exp(self._out) * gy.sum(axis=self.dim, keepdims=True),)


class CrossEntropy(Op):
    """Softmax + negative log-likelihood in one stable op, over logits (N, C) and classes (N,).

    Forward keeps the rows' log-sum-exp; backward is one fused pass
    ``(softmax - smoothed one-hot) * scale`` (the ``softmax_xent_bwd`` kernel).
    """

    saved_inputs = (0,)
    per_call_name = True
    backward_name = "NllLossBackward0"  # after release

    def _call_name(self) -> str:  # PyTorch adds the smoothing term after its nll_loss
        return "NllLossBackward0" if not self.eps else "AddBackward0"

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
    per_call_name = True
    backward_name = "AddmmBackward0"  # after release

    def _call_name(self) -> str:
        # PyTorch: addmm (or mm) for a batch of rows, a view around it for other shapes
        bias, ndim = len(self.needs) == 3, self._args[0].ndim
        if ndim == 2:
            return "AddmmBackward0" if bias else "MmBackward0"
        if bias:
            return "ViewBackward0"
        return "SqueezeBackward4" if ndim == 1 else "UnsafeViewBackward0"

    def forward(self, x, weight, bias=None):
        if bias is not None:
            _check_bias(bias, weight)
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


def _check_bias(bias, weight) -> None:
    """A bias must broadcast over the output features (else the error would name x and weight)."""
    if bias.ndim == 1 and bias.shape[0] == weight.shape[0]:  # the common case
        return
    if bias.shape[-1:] not in ((), (1,), (weight.shape[0],)):
        raise RuntimeError(f"linear: bias of shape {list(bias.shape)} does not match the "
                           f"{weight.shape[0]} output features of weight {list(weight.shape)}")


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


#: Activation name -> (its record, its ``bias_<name>`` and ``<name>_bwd`` kernel rows), for
#: LinearAct.
_FUSED = {name: (spec, K.TABLE["bias_" + name], K.TABLE[name + "_bwd"])
          for name, spec in K.ACTIVATIONS.items()}


class LinearAct(Op):
    """``act(x @ weight.T + bias)``: the hidden layer of an MLP, bias-add and activation fused.

    ``act`` names a record of ``kernels.ACTIVATIONS``; ``params`` are its extra parameters
    (leaky_relu's slope).
    """

    saved_inputs = (0, 1, 2)
    saved_output = True

    def forward(self, x, weight, bias, act="tanh", params=()):
        spec, bias_act, _ = _FUSED[act]
        _check_bias(bias, weight)
        y = Linear.forward(self, x, weight)
        z = y.reshape(-1, y.shape[-1])
        self.spec, self.params = spec, params
        self.saved = z
        if spec.saves == "y":
            bias_act(bias, *params, z)  # z <- act(z + b), in place
            return y
        out = self.xp.empty_like(z)
        bias_act(bias, *params, z, out)  # z <- z + b, out <- act(z + b)
        return out.reshape(y.shape)

    def backward(self, gy):
        g2 = gy.reshape(-1, gy.shape[-1])
        gz = _FUSED[self.spec.name][2](self.saved, g2, *self.params)
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

# --- normalization ----------------------------------------------------------------------------


def _wide(a):
    """float16 arrays as float32 (normalization computes half precision in float), others as
    they are."""
    return a.astype(np.float32) if a.__class__ is not float and a.dtype == np.float16 else a


def moments(x, axes: tuple[int, ...], eps: float):
    """Mean, biased variance and ``rstd = 1 / sqrt(var + eps)`` of array ``x`` over ``axes``
    (kept as size-1 axes): in x's dtype, in float32 for float16."""
    xp = _dev.array_module(x)
    x = _wide(x)
    mean = x.mean(axis=axes, keepdims=True)
    d = x - mean
    d *= d
    var = d.mean(axis=axes, keepdims=True)
    rstd = var + eps
    xp.sqrt(rstd, out=rstd)
    xp.divide(1.0, rstd, out=rstd)
    return mean, var, rstd


class _Normalize:
    """``y = (x - mean) * rstd * weight + bias`` in one pass (the ``norm_fwd`` kernel row), the
    statistics taken over ``self.axes``. Inputs: x, weight, bias (Tensors, or the numbers 1.0
    and 0.0 where absent); ``self.view`` is the shape the parameters take to broadcast against
    x (None: as they are) and ``self.paxes`` the axes their gradients are summed over.

    With ``batch_stats`` the statistics are x's own, so backward differentiates through them:
    ``dx = rstd * (g - mean(g) - xhat * mean(g * xhat))`` with ``g = dy * weight`` (two
    reductions, then the ``norm_bwd`` row); otherwise they are constants and ``dx = g * rstd``.
    float16 is computed in float32 (statistics included) and rounded at the end. Saves x,
    weight and the statistics (``graph_backward`` recomputes them from x). A mixin of the op
    classes below, not an op of its own.
    """

    saved_inputs = (0, 1)
    axes: tuple[int, ...]
    paxes: tuple[int, ...]
    view: tuple[int, ...] | None
    batch_stats: bool

    def _normalize(self, x, weight, bias, mean, rstd, eps):
        self.x, self.w, self.mean, self.rstd, self.eps = x, weight, mean, rstd, eps
        y = K.TABLE["norm_fwd"](_wide(x), mean, rstd, self._param(_wide(weight)),
                                self._param(_wide(bias)))
        return y.astype(x.dtype, copy=False)

    def _param(self, p):
        return p if self.view is None or p.__class__ is float else p.reshape(self.view)

    def _sum_p(self, g):
        """A parameter's gradient: ``g`` summed over the axes the parameter was broadcast on."""
        return g.sum(self.paxes) if self.paxes else g

    def backward(self, gy):
        needs, axes, rstd, w = self.needs, self.axes, self.rstd, _wide(self.w)
        gy = _wide(gy)
        xhat = K.TABLE["norm_fwd"](_wide(self.x), self.mean, rstd, 1.0, 0.0)
        t = gy * xhat
        gw = self._sum_p(t) if needs[1] else None
        gb = self._sum_p(gy) if needs[2] else None
        if not needs[0]:
            return None, gw, gb
        g = gy if w.__class__ is float else gy * self._param(w)
        if not self.batch_stats:
            return g * rstd, gw, gb
        if w.__class__ is not float:  # t becomes g * xhat (a new array if gw is t itself)
            wv = self._param(w)
            t = t * wv if gw is t else self.xp.multiply(t, wv, out=t)
        mgx = t.mean(axis=axes, keepdims=True)
        mg = g.mean(axis=axes, keepdims=True)
        return K.TABLE["norm_bwd"](xhat, g, rstd, mg, mgx), gw, gb

    def graph_backward(self, gy):
        """The same gradients from differentiable ops on Tensors (for higher-order gradients)."""
        x, w, axes = self.x, self.w, self.axes
        if self.batch_stats:
            xc = x - x.mean(axes, keepdim=True)
            rstd = 1.0 / ((xc * xc).mean(axes, keepdim=True) + self.eps).sqrt()
        else:
            xc, rstd = x - self.mean, self.rstd
        xhat = xc * rstd
        g = gy if w.__class__ is float else gy * self._param(w)
        if self.batch_stats:
            gx = rstd * (g - g.mean(axes, keepdim=True)
                         - xhat * (g * xhat).mean(axes, keepdim=True))
        else:
            gx = g * rstd
        needs = self.needs
        return (gx if needs[0] else None, self._sum_p(gy * xhat) if needs[1] else None,
                self._sum_p(gy) if needs[2] else None)


class LayerNorm(_Normalize, Op):
    """Layer normalization over the last ``k`` axes of x, with an elementwise affine map whose
    parameters have the shape of those axes."""

    batch_stats = True
    view = None

    def forward(self, x, weight, bias, k=1, eps=1e-5):
        self.axes = tuple(range(x.ndim - k, x.ndim))
        self.paxes = tuple(range(x.ndim - k))
        mean, _, rstd = moments(x, self.axes, eps)
        return self._normalize(x, weight, bias, mean, rstd, eps)


class BatchNorm(_Normalize, Op):
    """Batch normalization of (N, C, *) over every axis but the channels (1), with per-channel
    parameters (C,). ``mean`` and ``var`` (arrays shaped to broadcast against x, in the dtype
    ``moments`` gives) are the batch's statistics (``batch_stats``, training) or the running
    ones (evaluation)."""

    def forward(self, x, weight, bias, mean=None, var=None, batch_stats=True, eps=1e-5):
        self.axes = self.paxes = (0,) + tuple(range(2, x.ndim))
        self.view = (x.shape[1],) + (1,) * (x.ndim - 2)
        self.batch_stats = batch_stats
        rstd = var + eps
        self.xp.sqrt(rstd, out=rstd)
        self.xp.divide(1.0, rstd, out=rstd)
        return self._normalize(x, weight, bias, mean, rstd, eps)


def _dim(dim: int | None, ndim: int, input: Tensor, name: str) -> int | None:
    if not input.is_floating_point():  # PyTorch has no integer kernel either
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {input.dtype}; "
                           "convert it first (x.float())")
    if ndim == 0:  # a 0-d tensor: softmax is 1, log_softmax 0
        norm_dims(0 if dim is None else dim, 0)
        return None
    if dim is None:  # PyTorch's legacy default for softmax
        return 0 if ndim in (1, 3) else 1
    return norm_dims(dim, ndim)[0]


@method()
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, computed stably; ``dtype`` casts the input first."""
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(input, dim=_dim(dim, input.ndim, input, "softmax"))


@method()
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)``: the log of ``softmax``, computed stably; ``dtype`` casts the
    input first."""
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, dim=_dim(dim, input.ndim, input, "log_softmax"))
