"""The op table's checks on every device: forward, gradient, dtypes/shapes, CPU parity."""

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.autograd import AccumulateGrad, Op

from .conftest import host
from .optable import CASES, NOT_IN_TABLE


def _inputs(case, seed, dtype, device, shapes=None):
    rng = np.random.default_rng(seed)
    lo, hi = case.domain
    arrays = [rng.uniform(lo, hi, size=s) for s in (case.shapes if shapes is None else shapes)]
    tensors = [gg.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    return arrays, tensors


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forward_matches_numpy_float64(case, device):
    arrays, tensors = _inputs(case, 1, gg.float32, device)
    ref = np.asarray(case.ref(*[a.astype(np.float32).astype(np.float64) for a in arrays]))
    out = case.fn(*tensors)
    assert out.shape == ref.shape
    np.testing.assert_allclose(host(out), ref, rtol=case.fwd_tol, atol=case.fwd_tol)
    arrays, tensors = _inputs(case, 1, gg.float64, device)
    np.testing.assert_allclose(host(case.fn(*tensors)), case.ref(*arrays), rtol=case.f64_tol,
                               atol=case.f64_tol)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient_matches_central_difference(case, device):
    """d/dt <w, f(x + t v)> at t=0, numerically (two evaluations) vs sum_i <grad_i, v_i>."""
    arrays, tensors = _inputs(case, 2, gg.float64, device)
    rng = np.random.default_rng(3)
    out = case.fn(*tensors)
    w = rng.standard_normal(out.shape)
    out.backward(gg.tensor(w, dtype=gg.float64, device=device))
    dirs = [rng.standard_normal(a.shape) for a in arrays]
    analytic = sum(float((host(t.grad) * v).sum()) for t, v in zip(tensors, dirs))

    def f(t):
        with gg.no_grad():
            xs = [gg.tensor(a + t * v, dtype=gg.float64, device=device)
                  for a, v in zip(arrays, dirs)]
            return float((host(case.fn(*xs)) * w).sum())

    numeric = (f(case.eps) - f(-case.eps)) / (2 * case.eps)
    tol = 1e-6 if case.eps <= 1e-6 else 1e-4
    assert analytic == pytest.approx(numeric, rel=tol, abs=tol)


def _elementwise_0d(case):
    """Whether the row's op takes 0-d inputs to a 0-d output (the elementwise ops)."""
    xs = [gg.tensor(0.75, dtype=gg.float64) for _ in case.shapes]
    try:
        with gg.no_grad():
            out = case.fn(*xs)
        return out.shape == () and bool(np.isfinite(out.item()))  # std of one value: NaN
    except Exception:
        return False


ZERO_D = [c for c in CASES if _elementwise_0d(c)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_second_order_matches_central_difference(case, device):
    _check_second_order(case, device, case.shapes)


@pytest.mark.parametrize("case", ZERO_D, ids=lambda c: c.id)
def test_second_order_on_0d_inputs(case, device):
    """The same check with every input 0-d: NumPy computes those as scalars, which the saved
    output must still be (the output tensor) in a create_graph backward."""
    _check_second_order(case, device, [()] * len(case.shapes))


def test_zero_d_rows_cover_the_elementwise_ops():
    names = {c.name for c in ZERO_D}
    assert {"add", "div", "pow_tensor", "exp", "sqrt", "tanh", "sigmoid"} <= names
    assert len(ZERO_D) > 40


def _check_second_order(case, device, shapes):
    """create_graph: with s(x, w) = <u, d<w, f(x)>/dx>, the gradient of s along (v, vw) equals
    the central difference of the first-order gradients along (v, vw)."""
    arrays, tensors = _inputs(case, 6, gg.float64, device, shapes)
    rng = np.random.default_rng(7)
    out = case.fn(*tensors)
    w0 = rng.standard_normal(out.shape)
    us = [rng.standard_normal(a.shape) for a in arrays]
    dirs = [rng.standard_normal(a.shape) for a in arrays]
    dw = rng.standard_normal(out.shape)
    w = gg.tensor(w0, dtype=gg.float64, device=device, requires_grad=True)
    grads = gg.autograd.grad(out, tensors, w, create_graph=True)
    s = sum((g * gg.tensor(u, dtype=gg.float64, device=device)).sum()
            for g, u in zip(grads, us))
    if s.requires_grad:
        second = gg.autograd.grad(s, [*tensors, w], allow_unused=True)
        analytic = sum(float((host(g) * v).sum()) for g, v in zip(second, [*dirs, dw])
                       if g is not None)
    else:  # f is linear in x and w enters nowhere: s is a constant
        analytic = 0.0

    def first(t):
        xs = [gg.tensor(a + t * v, dtype=gg.float64, device=device, requires_grad=True)
              for a, v in zip(arrays, dirs)]
        o = case.fn(*xs)
        gs = gg.autograd.grad(o, xs, gg.tensor(w0 + t * dw, dtype=gg.float64, device=device))
        return sum(float((host(g) * u).sum()) for g, u in zip(gs, us))

    numeric = (first(case.eps) - first(-case.eps)) / (2 * case.eps)
    tol = 1e-5 if case.eps <= 1e-6 else 1e-4
    assert analytic == pytest.approx(numeric, rel=tol, abs=tol)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradient_dtype_and_shape(case, device):
    for dtype in (gg.float32, gg.float64):
        _, tensors = _inputs(case, 4, dtype, device)
        out = case.fn(*tensors)
        out.backward(gg.ones_like(out))
        for t in tensors:
            assert t.grad is not None
            assert t.grad.shape == t.shape
            assert t.grad.dtype == t.dtype
            assert t.grad.device == t.device
            assert np.all(np.isfinite(host(t.grad)))


@pytest.mark.cuda
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cuda_float32_matches_cpu(case):
    if not gg.cuda.is_available():
        pytest.skip("CUDA is not available")
    outs, grads = {}, {}
    for dev in ("cpu", "cuda"):
        _, tensors = _inputs(case, 5, gg.float32, dev)
        out = case.fn(*tensors)
        out.backward(gg.ones_like(out))
        outs[dev], grads[dev] = host(out), [host(t.grad) for t in tensors]
    np.testing.assert_allclose(outs["cuda"], outs["cpu"], rtol=1e-5, atol=1e-5)
    for gc, gcpu in zip(grads["cuda"], grads["cpu"]):
        np.testing.assert_allclose(gc, gcpu, rtol=1e-4, atol=1e-5)


def _op_classes():
    """Every concrete op class in gpugrad.ops (Activation is the shared base of five)."""
    found, todo = set(), list(Op.__subclasses__())
    while todo:
        c = todo.pop()
        todo.extend(c.__subclasses__())
        if c.__module__.startswith("gpugrad.ops") and c.__name__ != "Activation":
            found.add(c.__name__)
    return found


def _graph_classes(t):
    seen, stack, names = set(), [t.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen or isinstance(fn, AccumulateGrad):
            continue
        seen.add(id(fn))
        names.add(type(fn).__name__)
        stack.extend(fn.next_fns)
    return names


def test_every_op_class_has_a_row():
    covered = set()
    for case in CASES:
        _, tensors = _inputs(case, 0, gg.float64, "cpu")
        covered |= _graph_classes(case.fn(*tensors))
    missing = _op_classes() - covered - set(NOT_IN_TABLE)
    assert not missing, f"op classes without a row in tests/optable.py: {sorted(missing)}"
    assert len(covered) > 40
