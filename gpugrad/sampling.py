"""Sampling from distributions: ``normal``, ``bernoulli``, ``multinomial``, and Tensor's
in-place ``normal_``, ``uniform_``, ``bernoulli_``, ``random_`` and ``exponential_``.

Every sampler takes ``generator=`` (a ``gpugrad.Generator`` of the device's type; default: the
device's default generator). Samples are constants for autograd: PyTorch gives ``normal`` and
``bernoulli`` zero gradients with respect to their parameters; here their results do not
require grad.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _device as _dev
from ._typing import DeviceLike, DTypeLike
from .creation import _dtype, _new, _shape
from .ops import _registry
from .ops._registry import method
from .random import Generator, _float_only, check_randint_bounds
from .tensor import Tensor, _wrap

__all__ = ["normal", "bernoulli", "multinomial"]


def _uniform(dev: _dev.Device, shape: tuple[int, ...], np_dtype: Any, generator: Any) -> Any:
    return _dev.random_uniform(dev, shape, np_dtype, generator)


def _leaf(arr: Any) -> Tensor:
    return _wrap(arr, None)


def _float_dtype(t: Tensor, name: str) -> None:
    if not t.is_floating_point():
        raise NotImplementedError(f"{name}: expected a floating tensor, got {t.dtype}")


def normal(mean: Tensor | float, std: Tensor | float = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: DTypeLike | None = None,
           device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2), in PyTorch's four forms: ``normal(mean_tensor, std_tensor)``
    (broadcast; ``mean``'s dtype), ``normal(mean_tensor, std=1.0)``, ``normal(mean,
    std_tensor)`` (``std``'s shape and dtype), and ``normal(mean, std, size)`` with numbers
    (the default dtype unless ``dtype`` is given)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mt or st):
        if size is None:
            raise TypeError("normal(mean, std) with numbers needs a size: normal(mean, std, "
                            "size)")
        m, s = float(mean), float(std)
        if not s >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape, dev = _shape(size, "normal"), _dev.target_device(device)
        return _new(lambda xp, d: _dev.random_normal(dev, shape, d, generator) * s + m, dev,
                    _float_only(_dtype(dtype), "normal"), requires_grad)
    if size is not None or dtype is not None or device is not None:
        raise TypeError("normal() with a tensor mean or std takes no size, dtype or device: "
                        "the result has the tensors' shape, dtype and device")
    like = mean if mt else std
    assert isinstance(like, Tensor)
    _float_dtype(like, "normal")
    dev, np_dtype = like.device, like._data.dtype
    m_arr = mean._data if isinstance(mean, Tensor) else float(mean)
    s_arr = std._data if isinstance(std, Tensor) else float(std)
    if mt and st:
        _dev.same_device_or_raise(mean._data, std._data)  # type: ignore[union-attr]
    xp = _dev.xp_of(dev)
    if isinstance(std, Tensor):
        if not bool(xp.all(s_arr >= 0)):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not s_arr >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    try:
        shape = np.broadcast_shapes(np.shape(m_arr), np.shape(s_arr))
    except ValueError:
        raise RuntimeError(f"normal: the shapes of mean {list(np.shape(m_arr))} and std "
                           f"{list(np.shape(s_arr))} do not broadcast") from None
    with _dev.on_device(dev):
        z = _dev.random_normal(dev, shape, np_dtype, generator)
        out = (z * s_arr + m_arr).astype(np_dtype, copy=False)
    t = _leaf(out)
    if requires_grad:
        t.requires_grad = True
    return t


def _check_p(p: Any, name: str) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={p}")
    return p


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """0/1 samples shaped like ``input``, of its dtype: 1 with probability ``input`` (a
    floating tensor of values in [0, 1]) elementwise, or with probability ``p`` when given."""
    dev, np_dtype = input.device, input._data.dtype
    xp = _dev.xp_of(dev)
    if p is not None:
        prob: Any = _check_p(p, "bernoulli_")
    else:
        _float_dtype(input, "bernoulli")
        prob = input._data
        if not bool(xp.all((prob >= 0) & (prob <= 1))):
            raise RuntimeError("bernoulli: every probability in input must be in [0, 1] "
                               "(found a value outside, or NaN)")
    with _dev.on_device(dev):
        u = _uniform(dev, input.shape, np.float64 if np_dtype == np.float64 else np.float32,
                     generator)
        return _leaf((u < prob).astype(np_dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """``num_samples`` category indices per row of ``input`` (1-d: one distribution, 2-d: one
    per row), drawn with probabilities proportional to the non-negative weights. Without
    replacement each index is drawn at most once (zero-weight ones only after every positive
    one). int64, shape ``(num_samples,)`` or ``(rows, num_samples)``."""
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input.ndim}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"num_samples must be an int, not {type(num_samples).__name__}")
    k, n = int(num_samples), input.shape[-1]
    if k <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and k > n:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement ({k} > {n})")
    dev = input.device
    xp = _dev.xp_of(dev)
    w = input._data.astype(np.float64).reshape(-1, n)
    rows = w.shape[0]
    if rows and not bool(xp.all(xp.isfinite(w) & (w >= 0))):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(axis=1, keepdims=True)
    if rows and not bool(xp.all(total > 0)):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    with _dev.on_device(dev):
        if replacement:  # inverse CDF, all rows at once: row r's CDF shifted to [r, r + 1]
            u = _uniform(dev, (rows, k), np.float64, generator)
            cdf = xp.cumsum(w, axis=1) / total
            cdf = xp.where(cdf >= cdf[:, -1:], 1.0, cdf)  # the last positive weight ends at 1
            r = xp.arange(rows, dtype=np.float64)[:, None]
            idx = xp.searchsorted((cdf + r).reshape(-1), (u + r).reshape(-1), side="right")
            out = idx.reshape(rows, k) - xp.arange(rows)[:, None] * n
            # u + r may round up to r + 1 (u within r * 2**-53 of 1): keep such draws in the
            # row, on its last positive weight
            last = n - 1 - xp.argmax(w[:, ::-1] > 0, axis=1)
            out = xp.minimum(out, last[:, None])
        else:  # Efraimidis-Spirakis: the k largest log(v) / w, v uniform on (0, 1]
            v = 1.0 - _uniform(dev, (rows, n), np.float64, generator)
            pos = w > 0
            keys = xp.where(pos, xp.log(v) / xp.where(pos, w, 1.0), -np.inf)
            out = xp.argsort(-keys, axis=1, kind="stable")[:, :k]
        out = out.astype(np.int64)
    return _leaf(out.reshape(k) if input.ndim == 1 else out)


# --- in place --------------------------------------------------------------------------------


def _sample_into(t: Tensor, draw) -> Tensor:
    """Fill ``t`` with ``draw(array)``'s values, outside the graph (as ``Tensor._write``)."""
    def write(a):
        with _dev.on_device(t.device):
            a[...] = draw(a)

    return t._write(write)


@method()
def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std**2), in place."""
    _float_dtype(input, "normal_")
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dev = input.device
    return _sample_into(input, lambda a: _dev.random_normal(dev, a.shape, a.dtype, generator)
                        * std + mean)


@method()
def uniform_(input: Tensor, a: float = 0.0, b: float = 1.0, *,
             generator: Generator | None = None) -> Tensor:
    """Fill with samples of U(a, b) (PyTorch's ``from``, ``to``), in place."""
    _float_dtype(input, "uniform_")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    dev = input.device
    return _sample_into(input, lambda arr: _dev.random_uniform(dev, arr.shape, arr.dtype,
                                                               generator) * (b - a) + a)


@method()
def bernoulli_(input: Tensor, p: float | Tensor = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcast to this one) or 0, in
    place; any dtype."""
    dev = input.device
    if isinstance(p, Tensor):
        _float_dtype(p, "bernoulli_")
        _dev.same_device_or_raise(input._data, p._data)
        xp = _dev.xp_of(dev)
        if not bool(xp.all((p._data >= 0) & (p._data <= 1))):
            raise RuntimeError("bernoulli_: every probability in p must be in [0, 1]")
        try:
            prob: Any = xp.broadcast_to(p._data, input.shape)
        except ValueError:
            raise RuntimeError(f"bernoulli_: p of shape {list(p.shape)} does not broadcast to "
                               f"the tensor's shape {list(input.shape)}") from None
    else:
        prob = _check_p(p, "bernoulli_")
    return _sample_into(input, lambda a: (_uniform(dev, a.shape, np.float64, generator) < prob)
                        .astype(a.dtype))


class _Unset:
    def __repr__(self) -> str:
        return "unset"


_UNSET: Any = _Unset()


@method()
def random_(input: Tensor, from_: int | None = None, to: Any = _UNSET, *,
            generator: Any = None) -> Tensor:
    """Fill with integers uniform on [from, to), in place, read as PyTorch reads them:
    ``random_()`` draws from 0 up to the dtype's largest exactly held integer (2**mantissa for
    floating dtypes) inclusive, ``random_(to)`` from [0, to), ``random_(from, to)`` from
    [from, to), and ``random_(from, None)`` from ``from`` up to that largest integer."""
    dt = input.dtype
    if to is _UNSET:
        low, high = (0, None) if from_ is None else (0, from_)
    else:
        low, high = (0 if from_ is None else from_), to
    if high is None:
        if dt.np.kind == "b":
            top = 1
        elif dt.np.kind in "iu":
            top = int(np.iinfo(dt.np).max)
        else:
            top = 2 ** (int(np.finfo(dt.np).nmant) + 1)
        high = top + 1
    low, high = int(low), int(high)
    check_randint_bounds(low, high, dt)
    dev = input.device
    return _sample_into(input, lambda a: _dev.random_integers(dev, low, high, a.shape, a.dtype,
                                                              generator))


@method()
def exponential_(input: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of the exponential distribution of rate ``lambd``, in place."""
    if not input.is_floating_point():
        raise RuntimeError(f"Exponential distribution is a continuous probability "
                           f"distribution. dtype must be a floating point but you specified "
                           f"{input.dtype}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    dev = input.device

    def draw(a):
        u = _dev.random_uniform(dev, a.shape, a.dtype, generator)
        return -_dev.array_module(u).log1p(-u) / lambd

    return _sample_into(input, draw)


_registry.bind(Tensor)  # the methods marked here, imported after gpugrad.ops bound its own
