"""nn.functional activations, normalization and embeddings: values against float64 NumPy
references written here, gradients by directional central differences, on every device."""

import math
from dataclasses import dataclass

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F

from .conftest import host


def check_grad(fn, arrays, device, eps=1e-6, tol=1e-6, seed=3):
    """d/dt <w, f(x + t v)> at t=0 by a central difference (float64) vs sum_i <grad_i, v_i>.

    ``fn`` maps float64 tensors (one per array) to a tensor.
    """
    rng = np.random.default_rng(seed)
    ts = [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True) for a in arrays]
    out = fn(*ts)
    w = rng.standard_normal(out.shape)
    out.backward(gg.tensor(w, dtype=gg.float64, device=device))
    dirs = [rng.standard_normal(np.shape(a)) for a in arrays]
    analytic = sum(float((host(t.grad) * v).sum()) for t, v in zip(ts, dirs)
                   if t.grad is not None)

    def f(s):
        with gg.no_grad():
            xs = [gg.tensor(a + s * v, dtype=gg.float64, device=device)
                  for a, v in zip(arrays, dirs)]
            return float((host(fn(*xs)) * w).sum())

    numeric = (f(eps) - f(-eps)) / (2 * eps)
    assert analytic == pytest.approx(numeric, rel=tol, abs=tol)


def check_values(fn, ref, arrays, device, tol64=1e-12, tol32=3e-5):
    """fn on float64 tensors against ref(arrays) tightly; on float32 within float32 rounding."""
    want = np.asarray(ref(*arrays), dtype=np.float64)
    got = fn(*[gg.tensor(a, dtype=gg.float64, device=device) for a in arrays])
    assert got.dtype == gg.float64 and got.shape == want.shape
    np.testing.assert_allclose(host(got), want, rtol=tol64, atol=tol64)
    a32 = [np.asarray(a, np.float32) for a in arrays]
    got32 = fn(*[gg.tensor(a, dtype=gg.float32, device=device) for a in a32])
    assert got32.dtype == gg.float32
    want32 = np.asarray(ref(*[a.astype(np.float64) for a in a32]))
    np.testing.assert_allclose(host(got32), want32, rtol=tol32, atol=tol32)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _layer_norm(x, w, b, k, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _batch_norm_train(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)  # biased, as batch norm normalizes
    return (x - mu) / np.sqrt(var + eps) * w.reshape(view) + b.reshape(view)


def _norm(x, p, axis):
    if math.isinf(p):
        return np.abs(x).max(axis, keepdims=True)
    return (np.abs(x) ** p).sum(axis, keepdims=True) ** (1 / p)


@dataclass
class Case:
    name: str
    fn: object  # (*tensors) -> tensor
    ref: object  # (*arrays) -> array
    shapes: tuple
    domain: tuple = (-3.0, 3.0)
    grad: bool = True  # False where the gradient is not the derivative by design


RM, RV = np.array([0.3, -0.2, 0.1]), np.array([0.5, 2.0, 1.5])
IDX = np.array([[0, 4, 2], [4, 4, 1]])

CASES = [
    Case("silu", F.silu, lambda x: x * _sigmoid(x), ((3, 4),), (-6, 6)),
    Case("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), ((3, 4),), (-6, 6)),
    Case("elu", F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), ((3, 4),), (-4, 4)),
    Case("elu_alpha", lambda x: F.elu(x, alpha=0.7),
         lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)), ((3, 4),), (-4, 4)),
    Case("elu_near_zero", F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), ((5,),),
         (-1e-3, 1e-3)),
    Case("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), ((3, 4),)),
    Case("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1), ((3, 4),)),
    Case("hardtanh_range", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0),
         ((3, 4),)),
    Case("relu6", F.relu6, lambda x: np.clip(x, 0, 6), ((3, 4),), (-3, 9)),
    Case("prelu_channels", F.prelu,
         lambda x, w: np.where(x > 0, x, w[None, :, None] * x), ((2, 3, 4), (3,))),
    Case("prelu_shared", F.prelu, lambda x, w: np.where(x > 0, x, w * x), ((5, 3), (1,))),
    Case("softmin", lambda x: F.softmin(x, 1), lambda x: _softmax(-x, 1), ((3, 5),)),
    Case("log_softmax", lambda x: F.log_softmax(x, 0),
         lambda x: np.log(_softmax(x, 0)), ((3, 5),)),
    Case("normalize_l2", F.normalize, lambda x: x / _norm(x, 2, 1), ((3, 4),)),
    Case("normalize_l1_dim0", lambda x: F.normalize(x, p=1, dim=0),
         lambda x: x / _norm(x, 1, 0), ((3, 4),)),
    Case("normalize_l3", lambda x: F.normalize(x, p=3, dim=-1),
         lambda x: x / _norm(x, 3, -1), ((2, 3, 4),)),
    Case("normalize_inf", lambda x: F.normalize(x, p=float("inf")),
         lambda x: x / _norm(x, np.inf, 1), ((3, 4),)),
    Case("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
         lambda x, w, b: _layer_norm(x, w, b, 1), ((3, 4), (4,), (4,))),
    Case("layer_norm_2d_shape", lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
         lambda x, w, b: _layer_norm(x, w, b, 2), ((2, 3, 4), (3, 4), (3, 4))),
    Case("layer_norm_plain", lambda x: F.layer_norm(x, 5),
         lambda x: _layer_norm(x, 1.0, 0.0, 1), ((3, 5),)),
    Case("batch_norm_train_2d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         _batch_norm_train, ((6, 3), (3,), (3,))),
    Case("batch_norm_train_3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
         _batch_norm_train, ((4, 3, 5), (3,), (3,))),
    Case("batch_norm_eval",
         lambda x, w, b: F.batch_norm(x, gg.tensor(RM, dtype=x.dtype, device=x.device),
                                      gg.tensor(RV, dtype=x.dtype, device=x.device), w, b),
         lambda x, w, b: (x - RM[:, None]) / np.sqrt(RV[:, None] + 1e-5) * w[:, None]
         + b[:, None], ((2, 3, 4), (3,), (3,))),
    Case("embedding", lambda w: F.embedding(gg.tensor(IDX, device=w.device), w),
         lambda w: w[IDX], ((5, 3),)),
    Case("embedding_padding", lambda w: F.embedding(gg.tensor(IDX, device=w.device), w,
                                                    padding_idx=4),
         lambda w: w[IDX], ((5, 3),), grad=False),  # the padding row: test_embedding_padding
]


def _arrays(case, seed):
    rng = np.random.default_rng(seed)
    lo, hi = case.domain
    return [rng.uniform(lo, hi, size=s) for s in case.shapes]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_values_match_numpy(case, device):
    check_values(case.fn, case.ref, _arrays(case, 1), device)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=lambda c: c.name)
def test_gradients_match_central_differences(case, device):
    check_grad(case.fn, _arrays(case, 2), device)


def test_elu_is_accurate_near_zero_in_float32(device):
    """exp(x) - 1 in float32 would lose about half the digits here; the composite does not."""
    x = np.array([-1e-3, -1e-5, -3e-7], np.float32)
    got = host(F.elu(gg.tensor(x, device=device)))
    np.testing.assert_allclose(got, np.expm1(x.astype(np.float64)), rtol=2e-6)


def test_activations_are_finite_at_extremes(device):
    x = gg.tensor([-1e4, -50.0, 50.0, 1e4], device=device, requires_grad=True)
    for fn in (F.silu, F.mish, F.elu, F.softsign):
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(host(y)).all() and np.isfinite(host(x.grad)).all(), fn.__name__
        x.grad = None
    np.testing.assert_allclose(host(F.elu(x)), [-1, -1, 50, 1e4], rtol=1e-6)
    np.testing.assert_allclose(host(F.mish(x)), [0, -50 * np.tanh(np.log1p(np.exp(-50.0))),
                                                 50, 1e4], rtol=1e-6, atol=1e-12)


def test_embedding_padding_row_gets_no_gradient(device):
    w = gg.tensor(np.arange(15.0).reshape(5, 3), device=device, requires_grad=True)
    out = F.embedding(gg.tensor(IDX, device=device), w, padding_idx=-1)  # row 4
    out.backward(gg.ones_like(out))
    counts = np.bincount(IDX.ravel(), minlength=5).astype(float)
    counts[4] = 0
    np.testing.assert_array_equal(host(w.grad), np.repeat(counts[:, None], 3, 1))
    np.testing.assert_array_equal(host(out)[0, 1], [12, 13, 14])  # values still looked up


def test_embedding_errors(device):
    w = gg.randn(5, 3, device=device)
    with pytest.raises(IndexError, match="index 5 is out of range for 5"):
        F.embedding(gg.tensor([1, 5], device=device), w)
    with pytest.raises(RuntimeError, match="integer"):
        F.embedding(gg.tensor([1.0], device=device), w)
    with pytest.raises(NotImplementedError, match="max_norm"):
        F.embedding(gg.tensor([1], device=device), w, max_norm=1.0)


def test_normalize_zero_vector_gradient_is_finite(device):
    x = gg.zeros(2, 3, dtype=gg.float64, device=device, requires_grad=True)
    y = F.normalize(x)
    y.backward(gg.ones_like(y))
    assert host(y).sum() == 0
    np.testing.assert_allclose(host(x.grad), 1e12)  # d(x / eps)/dx, as PyTorch's clamp gives


def test_one_hot(device):
    t = gg.tensor([[0, 2], [1, 2]], device=device)
    oh = F.one_hot(t)
    assert oh.dtype == gg.int64 and oh.shape == (2, 2, 3)
    np.testing.assert_array_equal(host(oh), np.eye(3, dtype=np.int64)[[[0, 2], [1, 2]]])
    assert F.one_hot(t, 5).shape == (2, 2, 5)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(t, 2)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(gg.tensor([-1, 0], device=device))
    with pytest.raises(RuntimeError, match="index tensors"):
        F.one_hot(gg.tensor([0.0], device=device))


def test_norm_input_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*input of size \[3, 5\]"):
        F.layer_norm(gg.randn(3, 5), (4,))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(gg.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(gg.randn(2, 3), gg.zeros(4), gg.ones(4))
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        F.hardtanh(gg.randn(3), 1.0, -1.0)
    with pytest.raises(RuntimeError, match="weight has 2 elements"):
        F.prelu(gg.randn(4, 3), gg.ones(2))


def test_batch_norm_functional_updates_running_stats(device):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(5, 2, 4))
    rm, rv = gg.zeros(2, device=device), gg.ones(2, device=device)
    F.batch_norm(gg.tensor(x, device=device), rm, rv, training=True, momentum=0.25)
    np.testing.assert_allclose(host(rm), 0.25 * x.mean((0, 2)), rtol=1e-5)
    np.testing.assert_allclose(host(rv), 0.75 + 0.25 * x.var((0, 2), ddof=1), rtol=1e-5)
