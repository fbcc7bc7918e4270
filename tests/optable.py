"""The op table: every differentiable op with an independent NumPy float64 reference.

Each row: a name, the gpugrad function of the inputs, the NumPy reference of the same inputs,
the input shapes (broadcasting pairs included) and the input domain. The same rows drive the
forward, gradient, dtype/shape and CPU/CUDA parity checks, and the guard that every op class
appears in some row's graph.
"""

import math
from dataclasses import dataclass, field

import numpy as np

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad.ops.convert import ToDevice

_erf = np.vectorize(math.erf)


@dataclass
class Case:
    name: str
    fn: object
    ref: object
    shapes: tuple
    domain: tuple = (-2.0, 2.0)
    eps: float = 1e-6  # finite-difference step (float64)
    fwd_tol: float = 2e-5  # float32 forward tolerance vs float64
    f64_tol: float = 1e-12  # float64 forward tolerance
    ints: dict = field(default_factory=dict)  # extra non-differentiable inputs (arrays)

    @property
    def id(self):
        return self.name


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _gelu(x):
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _leaky(x, s=0.01):
    return np.where(x > 0, x, s * x)


def _xent(x, t, eps=0.0, ignore=-100, reduction="mean"):
    n, c = x.shape
    logp = x - _lse(x, 1, keepdims=True)
    valid = t != ignore
    tt = np.where(valid, t, 0)
    loss = -(1 - eps) * logp[np.arange(n), tt] - eps * logp.mean(1)
    loss = loss * valid
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / valid.sum()


# float64 references of every fused activation record (gpugrad.kernels.ACTIVATIONS), with its
# default parameters; test_kernels checks that this covers every record.
ACTIVATION_REFS = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda z: np.maximum(z, 0),
    "gelu": _gelu,
    "gelu_tanh": _gelu_tanh,
    "leaky_relu": _leaky,
    "softsign": lambda z: z / (1 + np.abs(z)),
}

T3 = np.array([2, 0, 4, 1, 4])
IDX = np.array([0, 2, 2, 1])  # repeated index: the gradient must accumulate
MASK = np.array([[True, False, True, True], [False, True, False, False], [True, True, True, False]])

CASES = [
    # elementwise, with broadcasting pairs and Python numbers
    Case("add", lambda a, b: a + b, lambda a, b: a + b, ((3, 4), (4,))),
    Case("add_bcast", lambda a, b: a + b, lambda a, b: a + b, ((2, 1, 3), (4, 1))),
    Case("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, ((3,),)),
    Case("sub", lambda a, b: a - b, lambda a, b: a - b, ((3, 1), (1, 4))),
    Case("rsub_number", lambda a: 1 - a, lambda a: 1 - a, ((3,),)),
    Case("mul", lambda a, b: a * b, lambda a, b: a * b, ((2, 3, 4), (3, 1))),
    Case("rmul_number", lambda a: 2 * a, lambda a: 2 * a, ((5,),)),
    Case("div", lambda a, b: a / b, lambda a, b: a / b, ((3, 4), (4,)), (0.5, 2.0)),
    Case("rdiv_number", lambda a: 10.0 / a, lambda a: 10.0 / a, ((4,),), (0.5, 2.0)),
    Case("pow_tensor", lambda a, b: a**b, lambda a, b: a**b, ((3, 4), (3, 4)), (0.5, 2.0)),
    Case("pow_2", lambda a: a**2, lambda a: a**2, ((3, 4),)),
    Case("pow_3", lambda a: a**3, lambda a: a**3, ((3, 4),)),
    Case("pow_half", lambda a: a**0.5, lambda a: a**0.5, ((3, 4),), (0.5, 2.0)),
    Case("pow_neg", lambda a: a**-1.5, lambda a: a**-1.5, ((3,),), (0.5, 2.0)),
    Case("rpow_number", lambda a: 2.0**a, lambda a: 2.0**a, ((3, 4),)),
    Case("neg", lambda a: -a, lambda a: -a, ((3, 4),)),
    Case("abs", lambda a: a.abs(), np.abs, ((3, 4),)),
    Case("exp", gg.exp, np.exp, ((3, 4),)),
    Case("log", gg.log, np.log, ((3, 4),), (0.5, 2.0)),
    Case("sqrt", gg.sqrt, np.sqrt, ((3, 4),), (0.5, 2.0)),
    Case("sin", gg.sin, np.sin, ((3, 4),)),
    Case("cos", gg.cos, np.cos, ((3, 4),)),
    Case("log1p", gg.log1p, np.log1p, ((3, 4),), (-0.5, 2.0)),
    Case("expm1", lambda a: a.expm1(), np.expm1, ((3, 4),)),
    Case("softsign", F.softsign, lambda a: a / (1 + np.abs(a)), ((3, 4),), (-3.0, 3.0)),
    Case("tanh", gg.tanh, np.tanh, ((3, 4),), (-3.0, 3.0)),
    Case("sigmoid", gg.sigmoid, _sigmoid, ((3, 4),), (-6.0, 6.0)),
    Case("relu", gg.relu, lambda a: np.maximum(a, 0), ((3, 4),)),
    Case("leaky_relu", lambda a: F.leaky_relu(a, 0.1), lambda a: _leaky(a, 0.1), ((3, 4),)),
    Case("leaky_relu_steep", lambda a: F.leaky_relu(a, 2.5), lambda a: _leaky(a, 2.5), ((3, 4),)),
    Case("gelu", F.gelu, _gelu, ((3, 4),), (-4.0, 4.0)),
    Case("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), _gelu_tanh, ((3, 4),), (-4.0, 4.0)),
    Case("softplus", F.softplus, lambda a: np.log1p(np.exp(a)), ((3, 4),), (-5.0, 5.0)),
    Case("softplus_beta", lambda a: F.softplus(a, beta=2.0, threshold=3.0),
         lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2), ((3, 4),), (-3.0, 3.0)),
    Case("clamp", lambda a: a.clamp(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), ((4, 5),)),
    Case("clamp_min", lambda a: gg.clamp(a, min=0.1), lambda a: np.maximum(a, 0.1), ((4, 5),)),
    Case("hardtanh", lambda a: F.hardtanh(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7),
         ((4, 5),)),
    Case("maximum", gg.maximum, np.maximum, ((3, 4), (4,))),
    Case("minimum", gg.minimum, np.minimum, ((3, 4), (3, 1))),
    Case("where", lambda a, b: gg.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
         ((3, 4), (3, 4))),
    Case("tanh_0d", gg.tanh, np.tanh, ((),)),
    Case("sigmoid_relu_0d", lambda a: a.sigmoid() + a.relu(),
         lambda a: _sigmoid(a) + np.maximum(a, 0), ((),)),
    Case("mul_0d_bcast", lambda a, b: a * b, lambda a, b: a * b, ((), (3,))),
    Case("clone", lambda a: a.clone() * 3, lambda a: a * 3, ((3,),)),
    Case("to_device", lambda a: ToDevice.apply(a, device=gg.device("cpu")) * 2, lambda a: a * 2,
         ((3,),)),  # the op itself; a real host <-> GPU move is tested in test_devices.py
    Case("cast", lambda a: a.float() * 2, lambda a: a * 2, ((3, 2),), eps=1e-2, f64_tol=1e-6),
    # reductions
    Case("sum_all", lambda a: a.sum(), np.sum, ((3, 4),)),
    Case("sum_dim", lambda a: a.sum(dim=1), lambda a: a.sum(1), ((3, 4, 2),)),
    Case("sum_dims_keep", lambda a: a.sum((0, 2), keepdim=True),
         lambda a: a.sum((0, 2), keepdims=True), ((3, 4, 2),)),
    Case("mean", lambda a: a.mean(-1), lambda a: a.mean(-1), ((3, 4),)),
    Case("mean_all", lambda a: a.mean(), np.mean, ((3, 4),)),
    Case("var", lambda a: a.var(1), lambda a: a.var(1, ddof=1), ((3, 5),)),
    Case("var_biased_all", lambda a: a.var(unbiased=False), lambda a: a.var(), ((3, 5),)),
    Case("std", lambda a: a.std(0, keepdim=True), lambda a: a.std(0, ddof=1, keepdims=True),
         ((4, 3),)),
    Case("amax", lambda a: a.amax(1), lambda a: a.max(1), ((3, 5),)),
    Case("amin_all", lambda a: a.amin(), np.min, ((3, 5),)),
    Case("max_all", lambda a: a.max(), np.max, ((3, 5),)),
    Case("max_dim", lambda a: a.max(1).values, lambda a: a.max(1), ((3, 5),)),
    Case("min_dim_keep", lambda a: a.min(0, keepdim=True)[0], lambda a: a.min(0, keepdims=True),
         ((3, 5),)),
    Case("logsumexp", lambda a: a.logsumexp(1), lambda a: _lse(a, 1), ((3, 5),)),
    # shape
    Case("reshape", lambda a: a.reshape(4, 3) * 1.5, lambda a: a.reshape(4, 3) * 1.5, ((3, 4),)),
    Case("view_infer", lambda a: a.view(-1), lambda a: a.reshape(-1), ((3, 4),)),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.reshape(2, -1), ((2, 3, 4),)),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), ((2, 3, 4),)),
    Case("transpose", lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), ((2, 3, 4),)),
    Case("T", lambda a: a.T, lambda a: a.T, ((3, 4),)),
    Case("squeeze", lambda a: a.squeeze(1), lambda a: a.squeeze(1), ((3, 1, 4),)),
    Case("squeeze_all", lambda a: a.squeeze(), lambda a: a.squeeze(), ((3, 1, 4, 1),)),
    Case("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], ((3, 4),)),
    Case("expand", lambda a: a.expand(2, 3, 4), lambda a: np.broadcast_to(a, (2, 3, 4)),
         ((3, 1),)),
    Case("broadcast_to", lambda a: gg.broadcast_to(a, (3, 4)),
         lambda a: np.broadcast_to(a, (3, 4)), ((4,),)),
    Case("cat", lambda a, b: gg.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
         ((2, 3), (2, 5))),
    Case("stack", lambda a, b: gg.stack([a, b], -1), lambda a, b: np.stack([a, b], -1),
         ((2, 3), (2, 3))),
    Case("index_basic", lambda a: a[1:, None, ..., ::2], lambda a: a[1:, None, ..., ::2],
         ((3, 4, 5),)),
    Case("index_int", lambda a: a[-1, 2], lambda a: a[-1, 2], ((3, 4),)),
    Case("index_ints", lambda a: a[gg.tensor(IDX)], lambda a: a[IDX], ((3, 4),)),
    Case("index_pairs", lambda a: a[gg.arange(4), gg.tensor([1, 0, 3, 3])],
         lambda a: a[np.arange(4), [1, 0, 3, 3]], ((4, 5),)),
    Case("index_mask", lambda a: a[gg.tensor(MASK)], lambda a: a[MASK], ((3, 4),)),
    # linear algebra
    Case("matmul_2d", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4, 5))),
    Case("matmul_1d_1d", gg.matmul, np.matmul, ((4,), (4,))),
    Case("matmul_2d_1d", lambda a, b: a @ b, lambda a, b: a @ b, ((3, 4), (4,))),
    Case("matmul_1d_3d", lambda a, b: a @ b, lambda a, b: a @ b, ((4,), (2, 4, 3))),
    Case("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 3, 4), (2, 4, 5))),
    Case("matmul_bcast", lambda a, b: a @ b, lambda a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2))),
    # nn
    Case("softmax", lambda a: F.softmax(a, 1), lambda a: _softmax(a, 1), ((3, 5),)),
    Case("softmax_dim0", lambda a: gg.softmax(a, 0), lambda a: _softmax(a, 0), ((3, 5),)),
    Case("log_softmax", lambda a: F.log_softmax(a, -1),
         lambda a: a - _lse(a, -1, keepdims=True), ((3, 5),)),
    Case("cross_entropy", lambda a: F.cross_entropy(a, gg.tensor(T3)), lambda a: _xent(a, T3),
         ((5, 6),)),
    Case("cross_entropy_sum_smooth",
         lambda a: F.cross_entropy(a, gg.tensor(T3), reduction="sum", label_smoothing=0.1),
         lambda a: _xent(a, T3, eps=0.1, reduction="sum"), ((5, 6),)),
    Case("cross_entropy_none_ignore",
         lambda a: F.cross_entropy(a, gg.tensor([2, -100, 4, 1, 0]), reduction="none"),
         lambda a: _xent(a, np.array([2, -100, 4, 1, 0]), reduction="none"), ((5, 6),)),
    Case("nll_loss", lambda a: F.nll_loss(a, gg.tensor(T3)),
         lambda a: -a[np.arange(5), T3].mean(), ((5, 6),)),
    Case("mse_loss", lambda a, b: F.mse_loss(a, b), lambda a, b: ((a - b) ** 2).mean(),
         ((4, 3), (4, 3))),
    Case("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         ((5, 3), (4, 3), (4,))),
    Case("linear_3d_nobias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
         ((2, 5, 3), (4, 3))),
    *[
        Case(f"linear_{act}", lambda x, w, b, act=act: F.linear_act(x, w, b, act),
             lambda x, w, b, ref=ref: ref(x @ w.T + b), ((5, 3), (4, 3), (4,)))
        for act, ref in ACTIVATION_REFS.items()
    ],
]

# Rows kept in their own modules (one per group of ops), merged here.
from . import optable_index, optable_math, optable_norm  # noqa: E402

CASES += optable_math.CASES + optable_index.CASES + optable_norm.CASES

# Op classes that no row can reach, and where they are tested instead (none at present).
NOT_IN_TABLE: dict[str, str] = {
    "SvdValsGrad": "tests/test_math_ops.py (only second derivatives of singular values reach it)",
}
