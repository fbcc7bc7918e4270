"""Differential property test: random compositions of gpugrad ops against NumPy float64.

Hypothesis draws a program: a first input of a random shape, then a few steps, each applying an
op to the current value (elementwise unary ops and activations; binary ops with a new input of
a broadcast-compatible shape, or with an earlier value so that gradients accumulate;
reductions over random dims with or without keepdim; matmul with a new 1-d, 2-d or batched
operand on either side; reshape, transpose, permute, squeeze, expand, cat and stack; basic and
advanced indexing; softmax and log_softmax; clamp). Ops that need a domain (log, sqrt, a
divisor, a power's base) get a guard made of other ops (``log(x*x + 0.5)``).

The same program runs twice in float64: in gpugrad (forward, then backward from a random output
gradient) and in NumPy, where each primitive has a forward and a hand-written vector-Jacobian
product, and a reverse sweep over the program sums the gradients of each input (broadcast
dimensions summed back here, independently of gpugrad's engine). Forward values and the
gradients of every input must agree. A second test checks each NumPy vector-Jacobian product
against central differences, so the reference itself is tested.

Ties follow PyTorch's conventions: relu'(0) = 0, abs'(0) = 0, amax/amin and maximum/minimum
split the gradient evenly between equal values, max(dim) gives it to the first maximum, std has
a zero gradient on a constant slice, clamp passes the gradient at its bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

import gpugrad as gg
import gpugrad.nn.functional as F

MAX_SIZE = 48  # elements per value: programs stay small, and fast


# --- the primitives: gpugrad function, NumPy forward, NumPy vector-Jacobian product -----------


@dataclass(frozen=True)
class Prim:
    gg: Callable[..., Any]  # gpugrad, on Tensors (and keyword arguments)
    fwd: Callable[..., np.ndarray]  # NumPy float64, on arrays (same keywords)
    vjp: Callable[..., tuple[Any, ...]]  # (g, inputs, output, **kw) -> one gradient per input


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _gelu_grad(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + erf(x / np.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _mish(x: np.ndarray) -> np.ndarray:
    return x * np.tanh(_softplus(x))


def _mish_grad(x: np.ndarray) -> np.ndarray:
    t = np.tanh(_softplus(x))
    return t + x * (1.0 - t * t) * _sigmoid(x)


def _unary(fn: Callable[[Any], Any], ref: Callable[[np.ndarray], np.ndarray],
           dref: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Prim:
    """An elementwise op; ``dref(x, y)`` is its derivative."""
    return Prim(lambda t: fn(t), lambda x: ref(x), lambda g, xs, y: (g * dref(xs[0], y),))


UNARY = {
    "neg": _unary(lambda t: -t, np.negative, lambda x, y: -np.ones_like(x)),
    "exp": _unary(gg.exp, np.exp, lambda x, y: y),
    "log": _unary(gg.log, np.log, lambda x, y: 1.0 / x),
    "log1p": _unary(gg.log1p, np.log1p, lambda x, y: 1.0 / (1.0 + x)),
    "expm1": _unary(lambda t: t.expm1(), np.expm1, lambda x, y: y + 1.0),
    "sqrt": _unary(gg.sqrt, np.sqrt, lambda x, y: 0.5 / y),
    "sin": _unary(gg.sin, np.sin, lambda x, y: np.cos(x)),
    "cos": _unary(gg.cos, np.cos, lambda x, y: -np.sin(x)),
    "tanh": _unary(gg.tanh, np.tanh, lambda x, y: 1.0 - y * y),
    "sigmoid": _unary(gg.sigmoid, _sigmoid, lambda x, y: y * (1.0 - y)),
    "relu": _unary(gg.relu, lambda x: np.maximum(x, 0.0), lambda x, y: (x > 0) * 1.0),
    "abs": _unary(lambda t: t.abs(), np.abs, lambda x, y: np.sign(x)),
    "square": _unary(lambda t: t**2, np.square, lambda x, y: 2.0 * x),
    "cube": _unary(lambda t: t**3, lambda x: x**3, lambda x, y: 3.0 * x * x),
    "reciprocal": _unary(lambda t: 1.0 / t, lambda x: 1.0 / x, lambda x, y: -y * y),
    "rpow": _unary(lambda t: 2.0**t, lambda x: 2.0**x, lambda x, y: y * np.log(2.0)),
    "gelu": _unary(F.gelu, _gelu, lambda x, y: _gelu_grad(x)),
    "softplus": _unary(F.softplus, _softplus, lambda x, y: _sigmoid(x)),
    "softsign": _unary(F.softsign, lambda x: x / (1.0 + np.abs(x)),
                       lambda x, y: 1.0 / (1.0 + np.abs(x)) ** 2),
    "leaky_relu": _unary(lambda t: F.leaky_relu(t, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
                         lambda x, y: np.where(x > 0, 1.0, 0.1)),
    "elu": _unary(F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
                  lambda x, y: np.where(x > 0, 1.0, y + 1.0)),
    "silu": _unary(F.silu, lambda x: x * _sigmoid(x),
                   lambda x, y: _sigmoid(x) * (1.0 + x * (1.0 - _sigmoid(x)))),
    "mish": _unary(F.mish, _mish, lambda x, y: _mish_grad(x)),
}

# Unary ops and the guard that puts any real input in their domain (applied first).
GUARDED = {
    "exp": ["tanh"], "expm1": ["tanh"], "rpow": ["tanh"], "cube": ["tanh"],
    "log": ["square", "add_half"], "sqrt": ["square", "add_half"],
    "reciprocal": ["square", "add_half"], "log1p": ["abs"],
}


def _binary(fn: Callable[[Any, Any], Any], ref: Callable[[Any, Any], np.ndarray],
            da: Callable[..., np.ndarray], db: Callable[..., np.ndarray]) -> Prim:
    """A broadcasting binary op; ``da(a, b, y)``, ``db(a, b, y)`` are its partial derivatives
    (in the broadcast shape: the sweep sums them back)."""
    return Prim(fn, ref, lambda g, xs, y: (g * da(*xs, y), g * db(*xs, y)))


def _tie_split(a: np.ndarray, b: np.ndarray, win: np.ndarray) -> np.ndarray:
    return win * 1.0 + 0.5 * (a == b)


BINARY = {
    "add": _binary(lambda a, b: a + b, np.add, lambda a, b, y: np.ones_like(y),
                   lambda a, b, y: np.ones_like(y)),
    "sub": _binary(lambda a, b: a - b, np.subtract, lambda a, b, y: np.ones_like(y),
                   lambda a, b, y: -np.ones_like(y)),
    "mul": _binary(lambda a, b: a * b, np.multiply, lambda a, b, y: b + 0 * y,
                   lambda a, b, y: a + 0 * y),
    "div": _binary(lambda a, b: a / b, np.divide, lambda a, b, y: 1.0 / b + 0 * y,
                   lambda a, b, y: -y / b),
    "pow": _binary(lambda a, b: a**b, np.power, lambda a, b, y: b * a ** (b - 1.0),
                   lambda a, b, y: y * np.log(a)),
    "maximum": _binary(gg.maximum, np.maximum, lambda a, b, y: _tie_split(a, b, a > b),
                       lambda a, b, y: _tie_split(a, b, b > a)),
    "minimum": _binary(gg.minimum, np.minimum, lambda a, b, y: _tie_split(a, b, a < b),
                       lambda a, b, y: _tie_split(a, b, b < a)),
    "where": _binary(lambda a, b: gg.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
                     lambda a, b, y: (a > 0) + 0 * y, lambda a, b, y: (a <= 0) + 0 * y),
}
# What each binary op's operands must satisfy: (guard of a, guard of b).
BINARY_GUARDS = {
    "div": ([], ["square", "add_half"]),
    "pow": (["square", "add_half"], ["tanh"]),
}


def _axes(dim: Any, ndim: int) -> tuple[int, ...]:
    if ndim == 0:  # a 0-d tensor reduces over dim 0 or -1 as over nothing
        return ()
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(sorted(d % ndim for d in dims))


def _kept(a: np.ndarray, shape: tuple[int, ...], dim: Any, keepdim: bool) -> np.ndarray:
    """``a`` (a reduction's output or its gradient) shaped to broadcast against ``shape``."""
    if keepdim:
        return a
    axes = _axes(dim, len(shape))
    return a.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _count(shape: tuple[int, ...], dim: Any) -> int:
    return int(np.prod([shape[a] for a in _axes(dim, len(shape))]))


def _var_fwd(x: np.ndarray, dim: Any, keepdim: bool, correction: int) -> np.ndarray:
    d = x - x.mean(axis=_axes(dim, x.ndim), keepdims=True)
    return (d * d).sum(axis=_axes(dim, x.ndim), keepdims=keepdim) / (_count(x.shape, dim)
                                                                      - correction)


def _var_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray, dim: Any,
             keepdim: bool, correction: int) -> tuple[np.ndarray]:
    x = xs[0]
    d = x - x.mean(axis=_axes(dim, x.ndim), keepdims=True)
    return (_kept(g, x.shape, dim, keepdim) * 2.0 * d / (_count(x.shape, dim) - correction),)


def _std_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray, dim: Any,
             keepdim: bool, correction: int) -> tuple[np.ndarray]:
    yk = _kept(y, xs[0].shape, dim, keepdim)
    (gv,) = _var_vjp(g, xs, y, dim, keepdim, correction)
    safe = np.where(yk == 0, 1.0, yk)
    return (np.where(yk == 0, 0.0, gv / (2.0 * safe)),)  # 0 on a constant slice (PyTorch)


def _extreme_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray, dim: Any,
                 keepdim: bool) -> tuple[np.ndarray]:
    """amax / amin: ties share the gradient evenly."""
    x = xs[0]
    mask = x == _kept(y, x.shape, dim, keepdim)
    count = mask.sum(axis=_axes(dim, x.ndim), keepdims=True)
    return (mask * _kept(g, x.shape, dim, keepdim) / count,)


def _dim_extreme(largest: bool) -> Prim:
    """max(dim) / min(dim) values: the gradient goes to the first extreme of each slice."""
    def fwd(x: np.ndarray, dim: int, keepdim: bool) -> np.ndarray:
        return (x.max if largest else x.min)(axis=dim, keepdims=keepdim)

    def vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray, dim: int,
            keepdim: bool) -> tuple[np.ndarray]:
        x = xs[0]
        idx = (x.argmax if largest else x.argmin)(axis=dim, keepdims=True)
        pos = np.arange(x.shape[dim]).reshape((-1,) + (1,) * (x.ndim - dim % x.ndim - 1))
        return ((pos == idx) * _kept(g, x.shape, dim, keepdim),)

    def run(t: Any, dim: int, keepdim: bool) -> Any:
        return (t.max if largest else t.min)(dim, keepdim=keepdim).values

    return Prim(run, fwd, vjp)


def _lse(x: np.ndarray, dim: Any, keepdim: bool) -> np.ndarray:
    m = x.max(axis=_axes(dim, x.ndim), keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=_axes(dim, x.ndim), keepdims=True)) + m
    return out if keepdim else out.reshape(_kept_away(x.shape, dim))


def _kept_away(shape: tuple[int, ...], dim: Any) -> tuple[int, ...]:
    axes = _axes(dim, len(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _softmax(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


REDUCE = {
    "sum": Prim(lambda t, dim, keepdim: t.sum(dim, keepdim=keepdim),
                lambda x, dim, keepdim: x.sum(axis=_axes(dim, x.ndim), keepdims=keepdim),
                lambda g, xs, y, dim, keepdim: (
                    np.broadcast_to(_kept(g, xs[0].shape, dim, keepdim), xs[0].shape),)),
    "mean": Prim(lambda t, dim, keepdim: t.mean(dim, keepdim=keepdim),
                 lambda x, dim, keepdim: x.mean(axis=_axes(dim, x.ndim), keepdims=keepdim),
                 lambda g, xs, y, dim, keepdim: (np.broadcast_to(
                     _kept(g, xs[0].shape, dim, keepdim), xs[0].shape)
                     / _count(xs[0].shape, dim),)),
    "amax": Prim(lambda t, dim, keepdim: t.amax(dim if dim is not None else (),
                                                keepdim=keepdim),
                 lambda x, dim, keepdim: x.max(axis=_axes(dim, x.ndim), keepdims=keepdim),
                 _extreme_vjp),
    "amin": Prim(lambda t, dim, keepdim: gg.amin(t, dim if dim is not None else (),
                                                 keepdim=keepdim),
                 lambda x, dim, keepdim: x.min(axis=_axes(dim, x.ndim), keepdims=keepdim),
                 _extreme_vjp),
    "logsumexp": Prim(lambda t, dim, keepdim: t.logsumexp(  # dim is required, as PyTorch's
        tuple(range(t.ndim)) if dim is None else dim, keepdim=keepdim), _lse,
                      lambda g, xs, y, dim, keepdim: (_kept(g, xs[0].shape, dim, keepdim) * np.exp(
                          xs[0] - _kept(y, xs[0].shape, dim, keepdim)),)),
    "var": Prim(lambda t, dim, keepdim, correction: t.var(dim, keepdim=keepdim,
                                                          correction=correction),
                _var_fwd, _var_vjp),
    "std": Prim(lambda t, dim, keepdim, correction: t.std(dim, keepdim=keepdim,
                                                          correction=correction),
                lambda x, dim, keepdim, correction: np.sqrt(_var_fwd(x, dim, keepdim,
                                                                     correction)),
                _std_vjp),
}
DIM_REDUCE = {"max_dim": _dim_extreme(True), "min_dim": _dim_extreme(False)}


def _mm_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray) -> tuple[Any, Any]:
    """matmul with NumPy's 1-d promotion; batch dimensions are summed back by the sweep."""
    a, b = xs
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = g2[..., None, :]
    if b.ndim == 1:
        g2 = g2[..., None]
    ga = g2 @ np.swapaxes(b2, -1, -2)
    gb = np.swapaxes(a2, -1, -2) @ g2
    if a.ndim == 1:
        ga = ga[..., 0, :]
    if b.ndim == 1:
        gb = gb[..., :, 0]
    return ga, gb


def _index_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray,
               key: Any) -> tuple[np.ndarray]:
    out = np.zeros_like(xs[0])
    items = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, np.ndarray) for k in items):
        np.add.at(out, key, g)  # repeated indices accumulate
    else:
        out[key] += g  # a view: each element once
    return (out,)


def _expanded(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    lead = len(shape) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if s == -1 else s
                                    for i, s in enumerate(shape)))


def _cat_vjp(g: np.ndarray, xs: tuple[np.ndarray, ...], y: np.ndarray,
             dim: int) -> tuple[np.ndarray, ...]:
    n = xs[0].shape[dim]
    return tuple(np.split(g, [n], axis=dim))


def _keyed(key: Any) -> Any:
    """A key for gpugrad: NumPy index arrays become Tensors."""
    if isinstance(key, tuple):
        return tuple(_keyed(k) for k in key)
    return gg.tensor(key) if isinstance(key, np.ndarray) else key


OTHER = {
    "add_half": Prim(lambda t: t + 0.5, lambda x: x + 0.5, lambda g, xs, y: (g,)),
    "matmul": Prim(lambda a, b: a @ b, np.matmul, _mm_vjp),
    "reshape": Prim(lambda t, shape: t.reshape(shape), lambda x, shape: x.reshape(shape),
                    lambda g, xs, y, shape: (g.reshape(xs[0].shape),)),
    "view": Prim(lambda t, shape: t.view(*shape), lambda x, shape: x.reshape(shape),
                 lambda g, xs, y, shape: (g.reshape(xs[0].shape),)),
    "flatten": Prim(lambda t, start: t.flatten(start),
                    lambda x, start: x.reshape(x.shape[:start] + (-1,)),
                    lambda g, xs, y, start: (g.reshape(xs[0].shape),)),
    "permute": Prim(lambda t, dims: t.permute(*dims), lambda x, dims: x.transpose(dims),
                    lambda g, xs, y, dims: (g.transpose(np.argsort(dims)),)),
    "transpose": Prim(lambda t, d0, d1: t.transpose(d0, d1),
                      lambda x, d0, d1: np.swapaxes(x, d0, d1),
                      lambda g, xs, y, d0, d1: (np.swapaxes(g, d0, d1),)),
    "T": Prim(lambda t: t.T, lambda x: x.T, lambda g, xs, y: (g.T,)),
    "unsqueeze": Prim(lambda t, dim: t.unsqueeze(dim), lambda x, dim: np.expand_dims(x, dim),
                      lambda g, xs, y, dim: (g.reshape(xs[0].shape),)),
    "squeeze": Prim(lambda t, dim: t.squeeze(dim), lambda x, dim: np.squeeze(x, dim),
                    lambda g, xs, y, dim: (g.reshape(xs[0].shape),)),
    "expand": Prim(lambda t, shape: t.expand(*shape), _expanded,
                   lambda g, xs, y, shape: (g,)),
    "index": Prim(lambda t, key: t[_keyed(key)], lambda x, key: x[key], _index_vjp),
    "cat": Prim(lambda a, b, dim: gg.cat([a, b], dim),
                lambda a, b, dim: np.concatenate([a, b], axis=dim), _cat_vjp),
    "stack": Prim(lambda a, b, dim: gg.stack([a, b], dim),
                  lambda a, b, dim: np.stack([a, b], axis=dim),
                  lambda g, xs, y, dim: (np.take(g, 0, axis=dim), np.take(g, 1, axis=dim))),
    "softmax": Prim(lambda t, dim: t.softmax(dim), _softmax,
                    lambda g, xs, y, dim: (y * (g - (g * y).sum(axis=dim, keepdims=True)),)),
    "log_softmax": Prim(lambda t, dim: F.log_softmax(t, dim),
                        lambda x, dim: x - _lse(x, dim, True),
                        lambda g, xs, y, dim: (g - np.exp(y) * g.sum(axis=dim, keepdims=True),)),
    "clamp": Prim(lambda t, lo, hi: t.clamp(lo, hi), lambda x, lo, hi: np.clip(x, lo, hi),
                  lambda g, xs, y, lo, hi: (g * ((lo is None or xs[0] >= lo)
                                                 & (hi is None or xs[0] <= hi)),)),
}

PRIMS: dict[str, Prim] = {**UNARY, **BINARY, **REDUCE, **DIM_REDUCE, **OTHER}


# --- programs ---------------------------------------------------------------------------------


@dataclass
class Program:
    """Values numbered in order of creation: inputs (``leaf``) and op results."""

    steps: list[tuple[str, tuple[int, ...], dict[str, Any]]] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)  # NumPy forward, as it is built
    leaves: list[int] = field(default_factory=list)

    def leaf(self, value: np.ndarray) -> int:
        self.steps.append(("leaf", (), {}))
        self.values.append(value)
        self.leaves.append(len(self.values) - 1)
        return len(self.values) - 1

    def apply(self, name: str, args: tuple[int, ...], **kw: Any) -> int:
        self.steps.append((name, args, kw))
        self.values.append(np.asarray(PRIMS[name].fwd(*(self.values[i] for i in args), **kw)))
        return len(self.values) - 1

    def chain(self, names: list[str], v: int) -> int:
        for name in names:
            v = self.apply(name, (v,))
        return v

    def shape(self, v: int) -> tuple[int, ...]:
        return self.values[v].shape


sides = st.integers(1, 4)


def _leaf_values(draw: Any, shape: tuple[int, ...]) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(-1.5, 1.5, shape)


@st.composite
def broadcast_partner(draw: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with ``shape``: aligned sizes equal or 1 (either side), maybe
    leading dimensions more or fewer; the broadcast result stays within MAX_SIZE."""
    nd = draw(st.integers(0, len(shape) + 1))
    out = []
    for i in range(nd):
        j = len(shape) - nd + i
        if j < 0:
            out.append(draw(st.integers(1, 3)))
        elif shape[j] == 1:
            out.append(draw(st.sampled_from([1, 1, 2, 3])))
        else:
            out.append(draw(st.sampled_from([shape[j], 1])))
    result = np.broadcast_shapes(shape, tuple(out))
    if int(np.prod(result)) > MAX_SIZE:
        return tuple(1 for _ in out)  # all ones: the result keeps ``shape``
    return tuple(out)


def _dims(draw: Any, ndim: int) -> Any:
    """None, one dim (maybe negative) or a tuple of distinct dims."""
    if ndim == 0:
        return draw(st.sampled_from([None, 0, -1]))
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return None
    if kind == "one":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


def step_unary(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    name = name or draw(st.sampled_from(sorted(UNARY)))
    return p.chain(GUARDED.get(name, []) + [name], v)


def step_binary(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    name = name or draw(st.sampled_from(sorted(BINARY)))
    earlier = [u for u in range(v) if p.shape(u) == p.shape(v) or p.shape(u) == ()]
    if earlier and draw(st.booleans()):
        other = draw(st.sampled_from(earlier))  # reuse: gradients accumulate
    else:
        other = p.leaf(_leaf_values(draw, draw(broadcast_partner(p.shape(v)))))
    a, b = (v, other) if draw(st.booleans()) else (other, v)
    ga, gb = BINARY_GUARDS.get(name, ([], []))
    return p.apply(name, (p.chain(ga, a), p.chain(gb, b)))


def step_reduce(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    shape = p.shape(v)
    name = name or draw(st.sampled_from(sorted(REDUCE) + sorted(DIM_REDUCE)))
    keepdim = draw(st.booleans())
    if name in DIM_REDUCE:
        dim = draw(st.integers(-max(len(shape), 1), max(len(shape), 1) - 1))
        if not shape:
            return p.apply("sum", (v,), dim=None, keepdim=False)
        return p.apply(name, (v,), dim=dim, keepdim=keepdim)
    dim = _dims(draw, len(shape))
    if name in ("var", "std"):
        n = _count(shape, dim) if shape else 1
        correction = draw(st.sampled_from([0, 1])) if n > 1 else 0
        return p.apply(name, (v,), dim=dim, keepdim=keepdim, correction=correction)
    return p.apply(name, (v,), dim=dim, keepdim=keepdim)


def step_matmul(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    shape = p.shape(v)
    if not shape:
        v = p.apply("unsqueeze", (v,), dim=0)
        shape = (1,)
    k = draw(sides)
    if draw(st.booleans()):  # v @ w: w is (n,), (n, k) or (batch, n, k)
        n = shape[-1]
        form = draw(st.sampled_from(["vec", "mat", "batch"]))
        batch = draw(st.sampled_from([1, shape[-3] if len(shape) > 2 else 2]))
        wshape = {"vec": (n,), "mat": (n, k), "batch": (batch, n, k)}[form]
        out = np.broadcast_shapes(shape[:-2], wshape[:-2]) if len(wshape) > 2 else ()
        if int(np.prod(out)) * int(np.prod(shape[-2:])) * k > MAX_SIZE:
            wshape = (n,)
        w = p.leaf(_leaf_values(draw, wshape))
        return p.apply("matmul", (v, w))
    n = shape[-2] if len(shape) > 1 else shape[0]  # w @ v: w is (n,) or (k, n)
    wshape = (n,) if draw(st.booleans()) or int(np.prod(shape)) // n * k > MAX_SIZE else (k, n)
    w = p.leaf(_leaf_values(draw, wshape))
    return p.apply("matmul", (w, v))


def _factorizations(n: int) -> list[tuple[int, ...]]:
    out = [(n,), (1, n), (n, 1)]
    out += [(a, n // a) for a in range(2, n) if n % a == 0]
    out += [(a, b, n // (a * b)) for a in range(2, n) for b in range(2, n)
            if n % (a * b) == 0 and n // (a * b) > 1]
    return out


def step_shape(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    shape = p.shape(v)
    nd = len(shape)
    kinds = ["reshape", "view", "unsqueeze", "expand"]
    if nd >= 1:
        kinds += ["flatten", "permute", "cat", "stack"]
    if nd >= 2:
        kinds += ["transpose", "T"]
    if 1 in shape:
        kinds += ["squeeze"]
    kind = name if name in kinds else draw(st.sampled_from(kinds))
    n = int(np.prod(shape))
    if kind in ("reshape", "view"):
        new = draw(st.sampled_from(_factorizations(n)))
        if draw(st.booleans()):
            i = draw(st.integers(0, len(new) - 1))
            new = new[:i] + (-1,) + new[i + 1:]
        return p.apply(kind, (v,), shape=new)
    if kind == "unsqueeze":
        return p.apply(kind, (v,), dim=draw(st.integers(-nd - 1, nd)))
    if kind == "expand":
        lead = (draw(st.integers(1, 3)),) if n * 3 <= MAX_SIZE else ()
        target = lead + tuple(draw(st.integers(1, 2)) if s == 1 else s for s in shape)
        if int(np.prod(target)) > MAX_SIZE:
            target = shape
        if target and draw(st.booleans()):  # -1 keeps a size
            i = draw(st.integers(len(lead), len(target) - 1)) if nd else 0
            if i >= len(lead):
                target = target[:i] + (-1,) + target[i + 1:]
        return p.apply(kind, (v,), shape=target)
    if kind == "flatten":
        return p.apply(kind, (v,), start=draw(st.integers(0, nd - 1)))
    if kind == "permute":
        return p.apply(kind, (v,), dims=tuple(draw(st.permutations(range(nd)))))
    if kind == "transpose":
        return p.apply(kind, (v,), d0=draw(st.integers(-nd, nd - 1)),
                       d1=draw(st.integers(-nd, nd - 1)))
    if kind == "T":
        return p.apply(kind, (v,))
    if kind == "squeeze":
        return p.apply(kind, (v,), dim=draw(st.sampled_from([i for i, s in enumerate(shape)
                                                              if s == 1])))
    if kind == "stack":
        other = p.leaf(_leaf_values(draw, shape))
        return p.apply(kind, (v, other), dim=draw(st.integers(-nd - 1, nd)))
    dim = draw(st.integers(0, nd - 1))  # cat: the new part has its own size along dim
    other = p.leaf(_leaf_values(draw, shape[:dim] + (draw(st.integers(1, 2)),) + shape[dim + 1:]))
    return p.apply(kind, (v, other), dim=dim - nd if draw(st.booleans()) else dim)


def step_index(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    shape = p.shape(v)
    if not shape:
        return p.apply("index", (v,), key=(None, Ellipsis) if draw(st.booleans()) else None)
    kind = name or draw(st.sampled_from(["basic", "ints", "mask"]))
    if kind == "ints":  # repeated and negative indices along one dimension
        dim = draw(st.integers(0, len(shape) - 1))
        idx = np.array(draw(st.lists(st.integers(-shape[dim], shape[dim] - 1), min_size=1,
                                     max_size=4)))
        return p.apply("index", (v,), key=(slice(None),) * dim + (idx,))
    if kind == "mask":
        seed = draw(st.integers(0, 2**32 - 1))
        mask = np.random.default_rng(seed).random(shape) < 0.5
        mask.flat[draw(st.integers(0, mask.size - 1))] = True  # never empty
        return p.apply("index", (v,), key=mask)
    key: list[Any] = []
    for n in shape:
        item = draw(st.sampled_from(["int", "slice", "all", "none"]))
        if item == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif item == "slice":
            start = draw(st.integers(0, n - 1))
            key.append(slice(start, draw(st.integers(start + 1, n)), draw(st.integers(1, 2))))
        elif item == "none":
            key += [None, slice(None)]
        else:
            key.append(slice(None))
    if draw(st.booleans()):  # a trailing part left to the ellipsis
        key = key[:draw(st.integers(0, len(key)))] + [Ellipsis]
    return p.apply("index", (v,), key=tuple(key))


def step_softmax(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    nd = len(p.shape(v))
    if nd == 0:
        v = p.apply("unsqueeze", (v,), dim=0)
        nd = 1
    name = name or draw(st.sampled_from(["softmax", "log_softmax"]))
    return p.apply(name, (v,), dim=draw(st.integers(-nd, nd - 1)))


def step_clamp(draw: Any, p: Program, v: int, name: str | None = None) -> int:
    lo = draw(st.sampled_from([None, -1.0, -0.5, 0.0]))
    hi = draw(st.sampled_from([None, 0.25, 1.0])) if lo is not None else draw(
        st.sampled_from([0.25, 1.0]))
    return p.apply("clamp", (v,), lo=lo, hi=hi)


STEPS = [step_unary, step_unary, step_binary, step_binary, step_reduce, step_matmul,
         step_shape, step_index, step_softmax, step_clamp]


# Every op a program can start with, and the step that applies it.
FIRST: dict[str, Callable[..., int]] = {
    **{name: step_unary for name in UNARY}, **{name: step_binary for name in BINARY},
    **{name: step_reduce for name in [*REDUCE, *DIM_REDUCE]}, "matmul": step_matmul,
    **{name: step_shape for name in ["reshape", "view", "unsqueeze", "expand", "flatten",
                                     "permute", "cat", "stack", "transpose", "T", "squeeze"]},
    **{"index_" + kind: step_index for kind in ["basic", "ints", "mask"]},
    "softmax": step_softmax, "log_softmax": step_softmax, "clamp": step_clamp,
}


@st.composite
def programs(draw: Any, first: str | None = None) -> Program:
    """A first input, then ``first`` (when given: so that every op is drawn), then 0 to 5
    random steps (1 to 6 when ``first`` is None)."""
    p = Program()
    shape = list(draw(st.lists(sides, min_size=2 if first in ("transpose", "T") else 0,
                               max_size=3)))
    if first == "squeeze" and 1 not in shape:
        shape.insert(draw(st.integers(0, len(shape))), 1)
    v = p.leaf(_leaf_values(draw, tuple(shape)))
    if first is not None:
        v = FIRST[first](draw, p, v, first.removeprefix("index_"))
    for _ in range(draw(st.integers(0 if first else 1, 5 if first else 6))):
        v = draw(st.sampled_from(STEPS))(draw, p, v)
    return p


# --- running a program ------------------------------------------------------------------------


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A broadcast gradient summed back to ``shape`` (leading axes, then axes of size 1)."""
    g = np.asarray(g)
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def reference_grads(p: Program, gy: np.ndarray) -> dict[int, np.ndarray]:
    """The reverse sweep over the program, with the NumPy vector-Jacobian products."""
    grads: dict[int, np.ndarray] = {len(p.values) - 1: gy}
    for i in range(len(p.steps) - 1, -1, -1):
        name, args, kw = p.steps[i]
        if name == "leaf" or i not in grads:
            continue
        xs = tuple(p.values[a] for a in args)
        for a, ga in zip(args, PRIMS[name].vjp(grads.pop(i), xs, p.values[i], **kw)):
            ga = _sum_to(ga, p.values[a].shape)
            grads[a] = grads[a] + ga if a in grads else ga
    return {leaf: grads.get(leaf, np.zeros_like(p.values[leaf])) for leaf in p.leaves}


def run_gpugrad(p: Program, gy: np.ndarray) -> tuple[Any, dict[int, np.ndarray]]:
    vals: list[Any] = []
    for name, args, kw in p.steps:
        if name == "leaf":
            vals.append(gg.tensor(p.values[len(vals)], dtype=gg.float64, requires_grad=True))
        else:
            vals.append(PRIMS[name].gg(*(vals[a] for a in args), **kw))
    out = vals[-1]
    out.backward(gg.tensor(gy, dtype=gg.float64))
    grads = {}
    for leaf in p.leaves:
        g = vals[leaf].grad
        grads[leaf] = np.zeros(p.values[leaf].shape) if g is None else g.numpy()
    return out, grads


def _close(got: np.ndarray, want: np.ndarray, what: str, rtol: float) -> None:
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def check_against_numpy(p: Program, seed: int) -> None:
    """Forward and every input's gradient of ``p`` in gpugrad against the NumPy reference."""
    want = p.values[-1]
    gy = np.random.default_rng(seed).standard_normal(want.shape)
    out, grads = run_gpugrad(p, gy)
    assert out.dtype == gg.float64 and out.shape == want.shape
    _close(out.detach().numpy(), want, f"forward of {p.steps}", 1e-10)
    ref = reference_grads(p, gy)
    for leaf in p.leaves:
        assert grads[leaf].shape == p.values[leaf].shape
        _close(grads[leaf], ref[leaf], f"gradient of input {leaf} of {p.steps}", 1e-8)


@pytest.mark.parametrize("first", sorted(FIRST))
@settings(max_examples=5, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_programs_starting_with_each_op_match_numpy(first: str, data: Any) -> None:
    check_against_numpy(data.draw(programs(first)), data.draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_match_numpy(p: Program, seed: int) -> None:
    check_against_numpy(p, seed)


# --- the reference checked by central differences ---------------------------------------------


@pytest.mark.parametrize("first", sorted(FIRST))
@settings(max_examples=3, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_reference_vjps_match_central_differences(first: str, data: Any) -> None:
    """d/dt <gy, f(x + t dx)> at t = 0 equals sum_i <grad_i, dx_i> for the NumPy reference,
    away from kinks (relu, abs, max, clamp: programs whose values sit within 1e-4 of a kink
    are passed over by comparing only smooth ones: the difference is then still exact)."""
    p = data.draw(programs(first))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    gy = rng.standard_normal(p.values[-1].shape)
    dx = {leaf: rng.standard_normal(p.values[leaf].shape) for leaf in p.leaves}
    ref = reference_grads(p, gy)
    eps = 1e-6

    def objective(t: float) -> float:
        vals: list[np.ndarray] = []
        for name, args, kw in p.steps:
            if name == "leaf":
                i = len(vals)
                vals.append(p.values[i] + t * dx[i])
            else:
                vals.append(np.asarray(PRIMS[name].fwd(*(vals[a] for a in args), **kw)))
        return float((vals[-1] * gy).sum())

    if _near_kink(p, eps * 100):
        return
    numeric = (objective(eps) - objective(-eps)) / (2 * eps)
    analytic = sum(float((ref[leaf] * dx[leaf]).sum()) for leaf in p.leaves)
    rounding = 1e-15 * float(np.abs(p.values[-1] * gy).sum()) / eps  # of the difference
    assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)) + 10 * rounding, (
        numeric, analytic, p.steps)


def _near_kink(p: Program, tol: float) -> bool:
    """Whether a non-smooth op of the program sees an input within ``tol`` of its kink (or a
    tie), where a central difference straddles two branches."""
    for i, (name, args, kw) in enumerate(p.steps):
        xs = [p.values[a] for a in args]
        if name in ("relu", "abs", "leaky_relu", "elu") and np.any(np.abs(xs[0]) < tol):
            return True
        if name == "where" and np.any(np.abs(xs[0]) < tol):
            return True
        if name in ("maximum", "minimum") and np.any(np.abs(xs[0] - xs[1]) < tol):
            return True
        if name == "clamp" and any(b is not None and np.any(np.abs(xs[0] - b) < tol)
                                   for b in (kw["lo"], kw["hi"])):
            return True
        if name in ("amax", "amin", "max_dim", "min_dim"):
            x = xs[0]
            dim = kw["dim"]
            axes = _axes(dim, x.ndim) if x.ndim else ()
            s = np.sort(x, axis=None) if not axes else None
            if s is not None and s.size > 1 and np.any(np.diff(s) < tol):
                return True
            if axes:
                moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0)))
                flat = np.sort(moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,)), axis=-1)
                if flat.shape[-1] > 1 and np.any(np.diff(flat, axis=-1) < tol):
                    return True
        if name == "std" and np.any(p.values[i] < tol):
            return True
    return False
