"""Math ops: values of the non-differentiable ones, dtypes, errors, and every backward rule of
the math ops run again on Tensors (as a higher-order pass will run it)."""

import math

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host


def test_erf_values_and_dtypes(device):
    x = np.array([-3.0, -0.5, 0.0, 0.25, 1.0, 4.0])
    want = np.array([math.erf(v) for v in x])
    for dt in (gg.float32, gg.float64):
        got = gg.erf(gg.tensor(x, dtype=dt, device=device))
        assert got.dtype == dt
        np.testing.assert_allclose(host(got), want, rtol=1e-6 if dt == gg.float32 else 1e-15,
                                   atol=1e-7)
    h = gg.tensor(x, dtype=gg.float16, device=device).erf()
    assert h.dtype == gg.float16
    np.testing.assert_allclose(host(h), want, atol=1e-3)
    i = gg.tensor([0, 1, -2], device=device).erf()  # integers give the default float dtype
    assert i.dtype == gg.float32
    np.testing.assert_allclose(host(i), [0.0, math.erf(1), math.erf(-2)], rtol=1e-6)
    with pytest.raises(TypeError, match="must be Tensor"):
        gg.erf(1.0)


def test_float_results_of_integer_and_bool_inputs(device):
    i = gg.tensor([1, 2, 4], device=device)
    b = gg.tensor([True, False, True], device=device)
    for fn, ref in [(gg.log2, np.log2), (gg.log10, np.log10), (gg.exp2, np.exp2),
                    (gg.sinh, np.sinh), (gg.rsqrt, lambda a: 1 / np.sqrt(a)),
                    (gg.reciprocal, lambda a: 1 / a), (gg.atan, np.arctan),
                    (gg.sqrt, np.sqrt), (gg.exp, np.exp)]:
        out = fn(i)
        assert out.dtype == gg.float32, fn.__name__
        np.testing.assert_allclose(host(out), ref(np.array([1.0, 2.0, 4.0])), rtol=1e-6)
        assert fn(b).dtype == gg.float32
    assert gg.erfc(gg.tensor([0.5], dtype=gg.float64, device=device)).dtype == gg.float64


def test_dtype_keeping_ops(device):
    i = gg.tensor([-3, 0, 2], device=device)
    for fn in (gg.floor, gg.ceil, gg.round, gg.trunc, gg.fix, gg.sign, gg.sgn, gg.square,
               gg.abs, gg.nan_to_num):
        out = fn(i)
        assert out.dtype == gg.int64, fn.__name__
    assert host(gg.square(i)).tolist() == [9, 0, 4]
    assert host(gg.sign(i)).tolist() == [-1, 0, 1]
    b = gg.tensor([True, False], device=device)
    assert gg.sign(b).dtype == gg.bool and host(gg.sign(b)).tolist() == [True, False]
    assert gg.square(b).dtype == gg.int64 and host(gg.square(b)).tolist() == [1, 0]
    with pytest.raises(NotImplementedError, match="Bool"):
        gg.floor(b)
    with pytest.raises(NotImplementedError, match="Long"):
        gg.frac(i)
    with pytest.raises(NotImplementedError, match="Long"):
        gg.round(i, decimals=1)


def test_rounding_values(device):
    x = gg.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.7, 1.2], dtype=gg.float64, device=device)
    assert host(gg.round(x)).tolist() == [-2, -2, -0, 0, 2, 2, -2, 1]  # half to even
    assert host(gg.floor(x)).tolist() == [-3, -2, -1, 0, 1, 2, -2, 1]
    assert host(gg.ceil(x)).tolist() == [-2, -1, -0, 1, 2, 3, -1, 2]
    assert host(gg.trunc(x)).tolist() == [-2, -1, -0, 0, 1, 2, -1, 1]
    np.testing.assert_allclose(host(gg.frac(x)), [-0.5, -0.5, -0.5, 0.5, 0.5, 0.5, -0.7, 0.2],
                               atol=1e-15)
    y = gg.tensor([1.2345, -0.125, 1234.5, 1250.0], dtype=gg.float64, device=device)
    np.testing.assert_allclose(host(y.round(decimals=2)), [1.23, -0.12, 1234.5, 1250.0])
    np.testing.assert_allclose(host(y.round(decimals=-2)), [0.0, -0.0, 1200.0, 1200.0])
    z = gg.tensor([float("nan"), -0.0, 0.0, -3.0, float("inf")], device=device)
    assert host(gg.sign(z)).tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]  # NaN -> 0, as PyTorch


def test_rounding_gradients_are_zero(device):
    x = gg.tensor([0.3, -1.7, 2.5], dtype=gg.float64, device=device, requires_grad=True)
    (gg.floor(x) + gg.ceil(x) + gg.round(x, decimals=1) + gg.trunc(x) + gg.sign(x)).sum()\
        .backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0]
    assert gg.floor(x).grad_fn.node_name() == "FloorBackward0"


def test_nan_to_num_values_and_gradient(device):
    inf = float("inf")
    for dt, big in ((gg.float32, np.finfo(np.float32).max), (gg.float16, 65504.0),
                    (gg.float64, np.finfo(np.float64).max)):
        x = gg.tensor([float("nan"), inf, -inf, 1.5], dtype=dt, device=device)
        assert host(gg.nan_to_num(x)).tolist() == [0.0, big, -big, 1.5]
        assert x.nan_to_num(nan=2.0, posinf=3.0, neginf=-4.0).dtype == dt
        assert host(x.nan_to_num(2.0, 3.0, -4.0)).tolist() == [2.0, 3.0, -4.0, 1.5]
    x = gg.tensor([float("nan"), inf, -inf, 1.5], dtype=gg.float64, device=device,
                  requires_grad=True)
    (gg.nan_to_num(x, posinf=1.0, neginf=-1.0) * 2.0).sum().backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.0, 2.0]


def test_domain_edges_are_silent(device):
    with np.errstate(all="raise"):
        x = gg.tensor([-2.0, 0.0, 2.0], device=device)
        assert np.isnan(host(gg.asin(x))[0]) and np.isnan(host(gg.acosh(x))[1])
        assert host(gg.log2(x))[1] == -np.inf and host(gg.rsqrt(x))[1] == np.inf
        assert host(gg.reciprocal(x))[1] == np.inf and host(gg.atanh(x / 2))[2] == np.inf


def test_inplace_unary(device):
    x = gg.tensor([0.25, -1.5, 2.0], device=device)
    base = x
    v = x[1:]
    assert x.exp_() is base
    np.testing.assert_allclose(host(x), np.exp([0.25, -1.5, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(host(v), np.exp([-1.5, 2.0]), rtol=1e-6)  # views see the write
    x.log_().sin_().arcsin_()
    np.testing.assert_allclose(host(x), [0.25, -1.5, np.pi - 2.0], rtol=1e-6)
    i = gg.tensor([1, -2, 3], device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        i.sqrt_()
    assert host(i).tolist() == [1, -2, 3]  # unchanged
    assert host(i.square_()).tolist() == [1, 4, 9] and host(i.sign_()).tolist() == [1, 1, 1]
    with pytest.raises(RuntimeError, match="Bool"):
        gg.tensor([True], device=device).square_()
    y = gg.tensor([1.26, -0.5], device=device)
    assert host(y.round_(decimals=1)).tolist() == pytest.approx([1.3, -0.5])
    assert host(y.nan_to_num_()).tolist() == pytest.approx([1.3, -0.5])
    assert host(y.clip_(0.0, 1.0)).tolist() == pytest.approx([1.0, 0.0])
    y.clip_(min=gg.tensor([0.0, 0.25], device=device))
    assert host(y).tolist() == pytest.approx([1.0, 0.25])


def test_inplace_unary_records_the_graph(device):
    leaf = gg.tensor([0.5, 1.0], dtype=gg.float64, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.sin_()
    h = leaf * 2.0
    assert h.exp_().square_() is h
    assert h.grad_fn.node_name() == "SquareBackward0"
    h.sum().backward()  # d/dx exp(2x)^2 = 4 exp(4x)
    np.testing.assert_allclose(host(leaf.grad), 4.0 * np.exp(4.0 * np.array([0.5, 1.0])))
    with gg.no_grad():
        leaf.cos_()  # allowed outside the graph
    np.testing.assert_allclose(host(leaf), np.cos([0.5, 1.0]))


def test_binary_result_dtypes(device):
    f = gg.tensor([1.5, -2.5, 0.5], device=device)
    d = f.double()
    i = gg.tensor([7, -7, 3], device=device)
    assert gg.atan2(f, d).dtype == gg.float64
    assert gg.atan2(i, f).dtype == gg.float32
    assert gg.atan2(i, i).dtype == gg.float32  # floating for integers too
    assert gg.atan2(f, i[0]).dtype == gg.float32
    assert gg.hypot(f, d).dtype == gg.float64
    assert gg.fmod(i, f).dtype == gg.float32
    assert gg.fmod(f, d[0]).dtype == gg.float32  # a 0-d tensor of the same kind: no promotion
    assert gg.fmod(i, d[0]).dtype == gg.float64  # ... of a higher kind: its dtype
    assert gg.fmod(i, 2.5).dtype == gg.float32 and gg.fmod(i, 2).dtype == gg.int64
    assert gg.remainder(i.int(), i).dtype == gg.int64
    assert gg.floor_divide(i, 2).dtype == gg.int64 and gg.floor_divide(i, 2.0).dtype == gg.float32
    with pytest.raises(NotImplementedError, match="Long"):
        gg.hypot(i, i)
    with pytest.raises(NotImplementedError, match="Long"):
        gg.logaddexp(i, i)
    with pytest.raises(NotImplementedError, match="Bool"):
        gg.remainder(gg.tensor([True], device=device), gg.tensor([True], device=device))
    for fn in (gg.atan2, gg.hypot, gg.logaddexp):
        with pytest.raises(TypeError, match="must be Tensor"):
            fn(f, 2.0)


def test_modulo_and_floor_division_values(device):
    a = gg.tensor([-7.0, 7.0, -7.0, 7.0, 5.5], dtype=gg.float64, device=device)
    b = gg.tensor([2.0, -2.0, -2.5, 2.5, 1.5], dtype=gg.float64, device=device)
    assert host(gg.fmod(a, b)).tolist() == [-1.0, 1.0, -2.0, 2.0, 1.0]  # sign of a
    assert host(gg.remainder(a, b)).tolist() == [1.0, -1.0, -2.0, 2.0, 1.0]  # sign of b
    assert host(a % b).tolist() == [1.0, -1.0, -2.0, 2.0, 1.0]
    assert host(gg.floor_divide(a, b)).tolist() == [-4.0, -4.0, 2.0, 2.0, 3.0]
    assert host(a // b).tolist() == [-4.0, -4.0, 2.0, 2.0, 3.0]
    i = gg.tensor([7, -7, 3], device=device)
    assert host(i % 2).tolist() == [1, 1, 1] and host(i // 2).tolist() == [3, -4, 1]
    assert host(-7 // gg.tensor([2, -2], device=device)).tolist() == [-4, 3]
    assert host(gg.remainder(-7, gg.tensor([2, -2], device=device))).tolist() == [1, -1]
    assert host(7 % gg.tensor([1.5, -2.5], device=device)).tolist() == [1.0, -0.5]
    for fn in (gg.fmod, gg.remainder, gg.floor_divide):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(i, 0)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(i, gg.tensor([1, 0, 1], device=device))
    with np.errstate(all="raise"):  # floating division by zero: NaN/inf, silently
        z = gg.tensor([7.0, -7.0], device=device)
        assert np.isnan(host(gg.fmod(z, 0.0))).all() and np.isnan(host(z % 0)).all()
        assert host(z // 0.0).tolist() == [np.inf, -np.inf]
    with pytest.raises(TypeError, match="must be Tensor"):
        gg.fmod(2.5, z)
    # floor_divide is outside the graph (PyTorch has no derivative for it)
    x = gg.tensor([3.0], requires_grad=True, device=device)
    assert not gg.floor_divide(x, 2.0).requires_grad


def test_atan2_hypot_logaddexp_values(device):
    y = gg.tensor([0.0, 1.0, -1.0, 0.0, 1.0], dtype=gg.float64, device=device)
    x = gg.tensor([0.0, 0.0, -1.0, -1.0, 1e-300], dtype=gg.float64, device=device)
    np.testing.assert_allclose(host(gg.atan2(y, x)), [0.0, np.pi / 2, -3 * np.pi / 4, np.pi,
                                                      np.pi / 2])
    big = gg.tensor([2e38], device=device)  # squares overflow float32, the result does not
    np.testing.assert_allclose(host(gg.hypot(big, big)), [2e38 * np.sqrt(2)], rtol=1e-6)
    inf = float("inf")
    a = gg.tensor([-inf, inf, 1000.0, -1000.0], dtype=gg.float64, device=device)
    assert host(gg.logaddexp(a, a)).tolist()[:2] == [-inf, inf]
    np.testing.assert_allclose(host(gg.logaddexp(a, a))[2:], [1000 + np.log(2), -1000 + np.log(2)])
    np.testing.assert_allclose(host(gg.logaddexp2(a, a))[2:], [1001.0, -999.0])


def test_lerp_values_and_errors(device):
    s = gg.tensor([1.0, 2.0, -3.0], device=device)
    e = gg.tensor([3.0, -2.0, 5.0], device=device)
    assert host(gg.lerp(s, e, 0.0)).tolist() == [1.0, 2.0, -3.0]
    assert host(gg.lerp(s, e, 1.0)).tolist() == [3.0, -2.0, 5.0]  # exact at both ends
    np.testing.assert_allclose(host(s.lerp(e, gg.tensor([0.25, 0.5, 2.0], device=device))),
                               [1.5, 0.0, 13.0])
    np.testing.assert_allclose(host(gg.lerp(s, e, gg.tensor(0.5, dtype=gg.float64,
                                                             device=device))), [2.0, 0.0, 1.0])
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        gg.lerp(s, e.double(), 0.5)
    with pytest.raises(RuntimeError, match="`weight` but got dtype double"):
        gg.lerp(s, e, gg.tensor([0.5, 0.5, 0.5], dtype=gg.float64, device=device))
    with pytest.raises(NotImplementedError, match="Long"):
        gg.lerp(gg.tensor([1], device=device), gg.tensor([2], device=device), 0.5)


def test_inplace_binary(device):
    a = gg.tensor([7.0, -7.0], device=device)
    ref = a
    a %= 3.0
    assert a is ref and host(a).tolist() == [1.0, 2.0]
    a //= 2.0
    assert host(a).tolist() == [0.0, 1.0]
    a.lerp_(gg.tensor([2.0, 3.0], device=device), 0.5)
    assert host(a).tolist() == [1.0, 2.0]
    a.atan2_(gg.tensor([1.0, 0.0], device=device))
    np.testing.assert_allclose(host(a), [np.pi / 4, np.pi / 2], rtol=1e-6)
    a.hypot_(gg.tensor([0.0, 0.0], device=device)).fmod_(1.0).remainder_(0.5)
    np.testing.assert_allclose(host(a), np.remainder(np.fmod([np.pi / 4, np.pi / 2], 1.0), 0.5),
                               rtol=1e-6)
    i = gg.tensor([7, -7], device=device)
    i.floor_divide_(2)
    assert host(i).tolist() == [3, -4]
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.remainder_(2.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        gg.tensor([7.0], device=device).fmod_(gg.tensor([2.0, 3.0], device=device))
    # in the graph
    w = gg.tensor([0.5, 2.0], dtype=gg.float64, device=device, requires_grad=True)
    h = w * 1.0
    h.lerp_(gg.tensor([1.0, 1.0], dtype=gg.float64, device=device), w)
    h.sum().backward()  # h = w + w (1 - w): dh/dw = 2 - 2w
    np.testing.assert_allclose(host(w.grad), [1.0, -2.0])


def test_clamp_with_tensor_bounds(device):
    def leaf(v):
        return gg.tensor(v, dtype=gg.float64, device=device, requires_grad=True)

    a, lo, hi = leaf([-1.0, 0.0, 2.0, 5.0]), leaf([0.0, 0.0, 0.0, 3.0]), leaf([1.0, 1.0, 1.0, 2.0])
    out = gg.clamp(a, lo, hi)
    assert host(out).tolist() == [0.0, 0.0, 1.0, 2.0]  # min > max: max
    out.sum().backward()  # PyTorch's gradients (checked by hand with torch 2.13)
    assert host(a.grad).tolist() == [0.0, 1.0, 0.0, 0.0]
    assert host(lo.grad).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert host(hi.grad).tolist() == [0.0, 0.0, 1.0, 1.0]
    f = gg.tensor([1.5, -2.5, 0.5], device=device)
    i = gg.tensor([1, 2, -3], device=device)
    assert host(gg.clamp(f, min=gg.tensor([0, 0, 1], device=device))).tolist() == [1.5, 0, 1]
    assert gg.clamp(f, min=gg.tensor([0, 0, 1], device=device)).dtype == gg.float32
    assert gg.clip(i, 0.5).dtype == gg.float32 and host(gg.clip(i, 0.5)).tolist() == [1, 2, 0.5]
    assert gg.clamp(i, max=gg.tensor(1, device=device)).dtype == gg.int64
    assert host(gg.clamp(f, 2, 1)).tolist() == [1.0, 1.0, 1.0]
    nan = float("nan")
    assert np.isnan(host(gg.clamp(gg.tensor([nan, 1.0], device=device), -1, 0.5))[0])
    with pytest.raises(RuntimeError, match="at least one of 'min' or 'max'"):
        gg.clamp(f)


def test_maximum_minimum_ties_and_nan_gradients(device):
    a = gg.tensor([1.0, 2.0, 3.0, float("nan")], dtype=gg.float64, device=device,
                  requires_grad=True)
    b = gg.tensor([1.0, 5.0, 0.0, 1.0], dtype=gg.float64, device=device, requires_grad=True)
    (gg.maximum(a, b) * gg.tensor([1.0, 10.0, 100.0, 1000.0], dtype=gg.float64,
                                  device=device)).sum().backward()
    assert host(a.grad).tolist() == [0.5, 0.0, 100.0, 1000.0]  # NaN: both get the gradient
    assert host(b.grad).tolist() == [0.5, 10.0, 0.0, 1000.0]
    a.grad = b.grad = None
    gg.minimum(a, b).sum().backward()
    assert host(a.grad).tolist() == [0.5, 1.0, 0.0, 1.0]
    assert host(b.grad).tolist() == [0.5, 0.0, 1.0, 1.0]


def test_floating_point_classes(device):
    inf, nan = float("inf"), float("nan")
    x = gg.tensor([1.0, inf, -inf, nan, -0.0], device=device)
    assert host(gg.isnan(x)).tolist() == [False, False, False, True, False]
    assert host(x.isinf()).tolist() == [False, True, True, False, False]
    assert host(gg.isfinite(x)).tolist() == [True, False, False, False, True]
    assert host(gg.isposinf(x)).tolist() == [False, True, False, False, False]
    assert host(x.isneginf()).tolist() == [False, False, True, False, False]
    assert host(gg.isreal(x)).all()
    i = gg.tensor([[1, 2]], device=device)
    for fn, want in ((gg.isnan, False), (gg.isinf, False), (gg.isfinite, True),
                     (gg.isposinf, False), (gg.isneginf, False)):
        out = fn(i)
        assert out.dtype == gg.bool and out.shape == (1, 2)
        assert host(out).tolist() == [[want, want]]
    assert not gg.isnan(x.requires_grad_()).requires_grad


# --- second derivatives (create_graph) -----------------------------------------------------------
#
# tests/test_ops.py checks the second derivatives of every op-table row at random points; the
# points it cannot reach (zeros of prod/cumprod, SVDs of every shape) are checked here. With
# create_graph=True the gradients must equal the plain backward's, and their own gradients must
# match central differences: s = sum_i <g_i(x, gy), v_i>; ds/dx along u is a Hessian-vector
# product (against differences of the plain backward) and ds/dgy the Jacobian of the function
# applied to v (against differences of the function itself).


def _array_grads(fn, arrays, w, device):
    ts = [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(gg.tensor(w, dtype=gg.float64, device=device))
    return [host(t.grad) for t in ts], host(out)


def check_second_order(fn, arrays, device, rng):
    """create_graph gradients of ``fn`` at ``arrays`` equal the plain ones, and their own
    gradients (w.r.t. the inputs and the output gradient) match central differences."""
    leaves = [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    w = rng.standard_normal(out.shape)
    gy = gg.tensor(w, dtype=gg.float64, device=device, requires_grad=True)
    grads = gg.autograd.grad(out, leaves, grad_outputs=gy, create_graph=True)
    want, _ = _array_grads(fn, arrays, w, device)
    for g, wnt in zip(grads, want):
        np.testing.assert_allclose(host(g), wnt, rtol=1e-10, atol=1e-12)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    us = [rng.standard_normal(a.shape) for a in arrays]
    s = sum((g * gg.tensor(v, dtype=gg.float64, device=device)).sum()
            for g, v in zip(grads, vs))
    if not s.requires_grad:
        return  # the gradient does not depend on x or gy (e.g. a zero gradient)
    second = gg.autograd.grad(s, leaves + [gy], allow_unused=True, materialize_grads=True)
    eps = 1e-6

    def inner(t):
        gs, _ = _array_grads(fn, [a + t * u for a, u in zip(arrays, us)], w, device)
        return sum(float((g * v).sum()) for g, v in zip(gs, vs))

    hvp = sum(float((host(g) * u).sum()) for g, u in zip(second[:-1], us))
    assert hvp == pytest.approx((inner(eps) - inner(-eps)) / (2 * eps), rel=1e-5, abs=1e-6)

    def f(t):
        with gg.no_grad():
            xs = [gg.tensor(a + t * v, dtype=gg.float64, device=device)
                  for a, v in zip(arrays, vs)]
            return host(fn(*xs))

    np.testing.assert_allclose(host(second[-1]), (f(eps) - f(-eps)) / (2 * eps), rtol=1e-5,
                               atol=1e-6)


def test_prod_and_cumprod_gradients_with_zeros(device):
    def grad(fn, v):
        x = gg.tensor(v, dtype=gg.float64, device=device, requires_grad=True)
        fn(x).sum().backward()
        return host(x.grad).tolist()

    # PyTorch's values (torch 2.13)
    assert grad(gg.prod, [3.0, 0.0, 2.0]) == [0.0, 6.0, 0.0]
    assert grad(gg.prod, [3.0, 0.0, 0.0]) == [0.0, 0.0, 0.0]
    assert grad(lambda x: x.prod(1), [[3.0, 0.0, 2.0], [1.0, 2.0, 4.0]]) == [[0.0, 6.0, 0.0],
                                                                             [8.0, 4.0, 2.0]]
    assert grad(lambda x: gg.cumprod(x, 0), [3.0, 0.0, 2.0, 0.0, 5.0]) == [1.0, 9.0, 0.0, 0.0, 0.0]
    assert grad(lambda x: gg.cumprod(x, 1), [[0.0, 2.0, 3.0], [2.0, 0.0, 0.0]]) == [
        [9.0, 0.0, 0.0], [1.0, 2.0, 0.0]]
    # the Tensor backward at points with zeros, with its second derivatives
    rng = np.random.default_rng(3)
    a = np.array([[3.0, 0.0, 2.0, -1.5], [0.0, 1.5, 0.0, 2.0], [0.5, -2.0, 1.0, 3.0]])
    for fn in (gg.prod, lambda x: x.prod(1), lambda x: gg.cumprod(x, 1),
               lambda x: gg.cumprod(x, 0)):
        check_second_order(fn, [a], device, rng)


def test_scan_values(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], device=device)
    assert host(gg.cumsum(f, 1)).tolist() == [[1.5, -1.0, -0.5], [3.0, 4.0, 5.0]]
    i = gg.tensor([[1, 2], [3, 4]], device=device).int()
    assert gg.cumsum(i, 0).dtype == gg.int64 and host(gg.cumprod(i, 1)).tolist() == [[1, 2],
                                                                                    [3, 12]]
    assert host(gg.cumsum(gg.tensor([True, False, True], device=device), 0)).tolist() == [1, 1, 2]
    assert gg.cumsum(f, 1, dtype=gg.float64).dtype == gg.float64
    with pytest.raises(TypeError, match="dim"):
        gg.cumsum(f)
    with pytest.raises(IndexError, match="Dimension out of range"):
        gg.cumsum(gg.tensor(3.0, device=device), 1)
    assert host(gg.cumsum(gg.tensor(3.0, device=device), 0)).tolist() == 3.0
    # cummax/cummin: ties go to the later index; NaN is kept once seen (PyTorch's values)
    r = gg.cummax(gg.tensor([1.0, 3, 3, 2, 3], device=device), 0)
    assert host(r.values).tolist() == [1, 3, 3, 3, 3]
    assert host(r.indices).tolist() == [0, 1, 2, 2, 4]
    r = gg.cummin(gg.tensor([1.0, 0, 0, 2, 0], device=device), 0)
    assert host(r.indices).tolist() == [0, 1, 2, 2, 4]
    r = gg.cummax(gg.tensor([1.0, float("nan"), 3.0, 2.0], device=device), 0)
    assert np.isnan(host(r.values)[1:]).all() and host(r.indices).tolist() == [0, 1, 1, 1]
    r = gg.cummax(gg.tensor([[2, 1, 5, 5, 0, 7]], device=device), 1)
    assert host(r.values).tolist() == [[2, 2, 5, 5, 5, 7]] and r.values.dtype == gg.int64
    x = gg.tensor([3.0, 1.0, 5.0, 5.0], dtype=gg.float64, device=device, requires_grad=True)
    gg.cummax(x, 0).values.sum().backward()
    assert host(x.grad).tolist() == [2.0, 0.0, 1.0, 1.0]  # PyTorch's: to the indices
    # logcumsumexp stays finite where a global shift would underflow
    big = gg.tensor([-1000.0, 0.0, -1000.0], dtype=gg.float64, device=device)
    np.testing.assert_allclose(host(gg.logcumsumexp(big, 0)), [-1000.0, 0.0, 0.0], atol=1e-12)
    with pytest.raises(NotImplementedError):
        gg.logcumsumexp(gg.tensor([1, 2], device=device), 0)


def test_reduction_keyword_aliases(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], dtype=gg.float64, device=device)
    a = host(f)
    np.testing.assert_allclose(host(f.sum(1, keepdims=True)), a.sum(1, keepdims=True))
    np.testing.assert_allclose(host(gg.sum(f, axis=0)), a.sum(0))
    assert host(f.argmax(axis=1)).tolist() == [0, 0]
    assert host(gg.argmin(f, axis=1, keepdims=True)).tolist() == [[1], [1]]
    np.testing.assert_allclose(host(f.mean(axis=(0, 1), keepdims=True)), [[a.mean()]])
    np.testing.assert_allclose(host(f.std(axis=1)), a.std(1, ddof=1))
    np.testing.assert_allclose(host(f.var(axis=1, keepdims=True, correction=0)),
                               a.var(1, keepdims=True))
    np.testing.assert_allclose(host(f.logsumexp(axis=1)), np.log(np.exp(a).sum(1)))
    assert host(f.max(axis=1).values).tolist() == [1.5, 3.0]
    assert host(f.min(axis=0, keepdims=True).indices).tolist() == [[0, 0, 0]]
    np.testing.assert_allclose(host(f.amax(axis=1)), a.max(1))
    np.testing.assert_allclose(host(gg.amin(f, axis=(0, 1), keepdims=True)), [[-2.5]])
    np.testing.assert_allclose(host(f.prod(axis=1, keepdims=True)), a.prod(1, keepdims=True))
    assert host(f.any(axis=0)).tolist() == [True, True, True]
    assert host(gg.all(f > 0, axis=1, keepdims=True)).tolist() == [[False], [True]]
    assert host(gg.count_nonzero(f - 1.0, axis=0)).tolist() == [2, 1, 1]
    assert host(gg.cumsum(f, axis=1)).tolist() == [[1.5, -1.0, -0.5], [3.0, 4.0, 5.0]]
    for call in (lambda: f.sum(1, axis=1), lambda: f.sum(dim=1, axis=1),
                 lambda: f.mean(1, keepdim=True, keepdims=True), lambda: f.amax(0, axis=1),
                 lambda: f.argmax(1, axis=1), lambda: gg.var(f, 1, axis=1)):
        with pytest.raises(TypeError, match="multiple values"):
            call()


def test_var_std_forms(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], dtype=gg.float64, device=device)
    a = host(f)
    np.testing.assert_allclose(host(f.var(False)), a.var())  # var(unbiased)
    np.testing.assert_allclose(host(f.var(1, False)), a.var(1))
    np.testing.assert_allclose(host(f.var(1, True, True)), a.var(1, ddof=1, keepdims=True))
    np.testing.assert_allclose(host(gg.var(f, 1, correction=0.5)),
                               ((a - a.mean(1, keepdims=True)) ** 2).sum(1) / 2.5)
    np.testing.assert_allclose(host(gg.var(f, correction=3)), a.var() * 6 / 3)
    v, m = gg.var_mean(f, 1)
    np.testing.assert_allclose(host(v), a.var(1, ddof=1))
    np.testing.assert_allclose(host(m), a.mean(1))
    s, m = gg.std_mean(f, dim=1, correction=0, keepdim=True)
    np.testing.assert_allclose(host(s), a.std(1, keepdims=True))
    assert m.shape == (2, 1)
    assert type(gg.var_mean(f)) is tuple
    with pytest.raises(RuntimeError, match="floating point"):
        gg.var(gg.tensor([1, 2], device=device))
    with pytest.raises(TypeError, match="either 'unbiased' or 'correction'"):
        gg.var(f, 1, unbiased=False, correction=1)
    one = gg.tensor([1.0], device=device, requires_grad=True)
    with np.errstate(all="ignore"):
        assert np.isnan(host(gg.std(one)))  # N - correction = 0
    same = gg.tensor([2.0, 2.0], dtype=gg.float64, device=device, requires_grad=True)
    gg.std(same).backward()
    assert host(same.grad).tolist() == [0.0, 0.0]  # PyTorch's 0, not NaN


def test_prod_sum_dtypes_and_errors(device):
    i = gg.tensor([[1, 2, -3], [4, 5, 6]], device=device)
    assert host(gg.prod(i)).tolist() == -720 and gg.prod(i).dtype == gg.int64
    assert host(gg.prod(i, 1)).tolist() == [-6, 120]
    assert gg.prod(i.int()).dtype == gg.int64 and gg.sum(i.int()).dtype == gg.int64
    assert gg.prod(gg.tensor([True, False], device=device)).dtype == gg.int64
    assert gg.sum(gg.tensor([True, True], device=device)).dtype == gg.int64
    assert gg.sum(i, dtype=gg.float64).dtype == gg.float64
    assert gg.prod(i, 1, dtype=gg.float32).dtype == gg.float32
    with pytest.raises(TypeError, match="must be int"):
        gg.prod(i.float(), dim=(0, 1))
    assert gg.prod(gg.tensor(3.0, device=device), 0, keepdim=True).shape == ()
    with pytest.raises(TypeError, match="'dim'"):
        gg.logsumexp(i.float())


def test_logical_and_counting(device):
    i = gg.tensor([[1, 0, 3], [4, 5, 6]], device=device)
    assert gg.any(i).dtype == gg.bool and host(gg.any(i)).tolist() is True
    assert host(gg.all(i)).tolist() is False
    assert host(i.all(dim=1, keepdim=True)).tolist() == [[False], [True]]
    assert host(gg.all(i, dim=(0, 1))).tolist() is False
    assert host(gg.any(gg.zeros(0, device=device))).tolist() is False
    assert host(gg.all(gg.zeros(0, device=device))).tolist() is True
    assert host(gg.count_nonzero(i)).tolist() == 5
    assert host(i.count_nonzero(0)).tolist() == [2, 1, 2]
    assert host(gg.count_nonzero(i, dim=(0, 1))).tolist() == 5
    assert gg.count_nonzero(i).dtype == gg.int64


def test_aminmax(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], device=device)
    r = gg.aminmax(f)
    assert host(r.min).tolist() == -2.5 and host(r.max).tolist() == 3.0
    r = f.aminmax(dim=1, keepdim=True)
    assert host(r.min).tolist() == [[-2.5], [1.0]] and host(r.max).tolist() == [[1.5], [3.0]]
    x = gg.tensor([3.0, 1.0, 5.0, 5.0], dtype=gg.float64, device=device, requires_grad=True)
    gg.aminmax(x).max.backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 0.5, 0.5]  # ties share, as PyTorch


def test_sort_argsort_topk(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], device=device)
    r = gg.sort(f)
    assert type(r) is gg.return_types.sort
    assert host(r.values).tolist() == [[-2.5, 0.5, 1.5], [1.0, 1.0, 3.0]]
    assert host(r.indices).tolist() == [[1, 2, 0], [1, 2, 0]]
    r = f.sort(-1, True)  # descending keeps equal elements in order
    assert host(r.indices).tolist() == [[0, 2, 1], [0, 1, 2]]
    assert host(gg.sort(f, 0, True).indices).tolist() == [[1, 1, 1], [0, 0, 0]]
    assert host(f.argsort(1, True)).tolist() == [[0, 2, 1], [0, 1, 2]]
    assert host(gg.argsort(f, dim=0, descending=True, stable=True)).tolist() == [[1, 1, 1],
                                                                                 [0, 0, 0]]
    nan = float("nan")
    v = gg.tensor([3.0, nan, 1.0, 2.0], device=device)
    assert host(gg.sort(v).indices).tolist() == [2, 3, 0, 1]  # NaN last
    assert host(gg.sort(v, descending=True).indices).tolist() == [1, 0, 3, 2]  # NaN first
    assert host(gg.topk(v, 2).indices).tolist() == [1, 0]
    t = gg.topk(f, 2)
    assert host(t.values).tolist() == [[1.5, 0.5], [3.0, 1.0]]
    assert host(t.indices).tolist() == [[0, 2], [0, 1]]
    t = f.topk(2, dim=0, largest=False)
    assert host(t.values).tolist() == [[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]]
    assert gg.topk(f, 0).values.shape == (2, 0)
    for k in (4, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            gg.topk(f, k)
    with pytest.raises(IndexError, match="Dimension out of range"):
        gg.sort(f, dim=3)
    s = gg.sort(gg.tensor(5.0, device=device))
    assert s.values.shape == () and host(s.indices).tolist() == 0
    i = gg.tensor([3, 1, 2], device=device)
    assert gg.sort(i).values.dtype == gg.int64 and host(gg.msort(i)).tolist() == [1, 2, 3]
    x = gg.tensor([3.0, 1.0, 5.0, 4.0], dtype=gg.float64, device=device, requires_grad=True)
    (gg.topk(x, 2).values * gg.tensor([1.0, 2.0], dtype=gg.float64, device=device)).sum()\
        .backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 1.0, 2.0]


def test_kthvalue_median_mode(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], device=device)
    r = gg.kthvalue(f, 2)
    assert host(r.values).tolist() == [0.5, 1.0] and host(r.indices).tolist() == [2, 2]
    r = f.kthvalue(1, 0, True)
    assert host(r.values).tolist() == [[1.5, -2.5, 0.5]] and r.indices.shape == (1, 3)
    for k in (0, 4):
        with pytest.raises(RuntimeError, match="kthvalue"):
            gg.kthvalue(f, k)
    nan = float("nan")
    assert host(gg.median(gg.tensor([3.0, 1, 2, 4], device=device))).tolist() == 2.0  # lower
    m = gg.median(gg.tensor([[3.0, 1, 2, 4], [1, 1, 2, 2]], device=device), 1)
    assert host(m.values).tolist() == [2.0, 1.0] and host(m.indices).tolist() == [2, 1]
    assert np.isnan(host(gg.median(gg.tensor([3.0, nan, 2, 4], device=device))))
    m = gg.median(gg.tensor([[3.0, nan, 2, 4]], device=device), 1)
    assert np.isnan(host(m.values)[0]) and host(m.indices).tolist() == [1]
    assert host(gg.nanmedian(gg.tensor([3.0, nan, 2, 4], device=device))).tolist() == 3.0
    m = gg.nanmedian(gg.tensor([[nan, nan]], device=device), 1)
    assert np.isnan(host(m.values)[0]) and host(m.indices).tolist() == [0]
    assert np.isnan(host(gg.median(gg.zeros(0, device=device))))
    m = gg.median(f, dim=1, keepdim=True)
    assert host(m.values).tolist() == [[0.5], [1.0]] and host(m.indices).tolist() == [[2], [2]]
    x = gg.tensor([3.0, 1.0, 1.0, 2.0], dtype=gg.float64, device=device, requires_grad=True)
    gg.median(x).backward()
    assert host(x.grad).tolist() == [0.0, 0.5, 0.5, 0.0]  # shared by the equal elements
    x.grad = None
    gg.median(x, 0).values.backward()
    assert host(x.grad).tolist() == [0.0, 0.0, 1.0, 0.0]  # to the index (PyTorch's)
    r = gg.mode(gg.tensor([[3.0, 1, 1, 3, 2], [2, 2, 5, 5, 5]], device=device))
    assert host(r.values).tolist() == [1.0, 5.0] and host(r.indices).tolist() == [2, 4]
    r = gg.tensor([3, 1, 1, 3, 2], device=device).mode()
    assert host(r.values).tolist() == 1 and host(r.indices).tolist() == 2
    r = gg.mode(gg.tensor(5.0, device=device))
    assert host(r.values).tolist() == 5.0 and host(r.indices).tolist() == 0
    with pytest.raises(IndexError, match="non-zero size"):
        gg.mode(gg.zeros(1, 0, device=device), 1)


def test_unique(device):
    t = gg.tensor([3, 1, 2, 3, 1], device=device)
    assert host(gg.unique(t)).tolist() == [1, 2, 3]
    u, inv, cnt = gg.unique(t, return_inverse=True, return_counts=True)
    assert host(u).tolist() == [1, 2, 3] and host(inv).tolist() == [2, 0, 1, 2, 0]
    assert host(cnt).tolist() == [2, 1, 2] and inv.dtype == gg.int64
    u, inv = gg.tensor([[3, 1], [3, 1]], device=device).unique(return_inverse=True)
    assert host(inv).tolist() == [[1, 0], [1, 0]]  # shaped like the input
    u, inv = gg.unique(gg.tensor([[1, 2], [1, 2], [0, 5]], device=device), dim=0,
                       return_inverse=True)
    assert host(u).tolist() == [[0, 5], [1, 2]] and host(inv).tolist() == [1, 1, 0]
    assert host(gg.unique(gg.tensor(2, device=device))).tolist() == [2]
    nan = float("nan")
    got = host(gg.unique(gg.tensor([2.0, nan, nan], device=device)))
    assert got[0] == 2.0 and np.isnan(got[1:]).all() and got.shape == (3,)  # NaNs stay apart


def test_matmul_family_errors(device):
    def t(*shape, dtype=gg.float32):
        return gg.ones(shape, dtype=dtype, device=device)

    d = gg.float64
    cases = [
        (lambda: t(3, 4) @ t(4, 3, dtype=d),
         "expected m1 and m2 to have the same dtype, but got: float != double"),
        (lambda: gg.matmul(t(4), t(4, 3, dtype=d)), "expected m1 and m2 to have the same dtype"),
        (lambda: gg.matmul(t(4), t(4, dtype=d)),
         "dot : expected both vectors to have same dtype, but found Float and Double"),
        (lambda: gg.matmul(t(3, 4), t(4, dtype=d)),
         "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
        (lambda: gg.matmul(t(2, 3, 4), t(2, 4, 3, dtype=d)),
         "expected scalar type Float but found Double"),
        (lambda: gg.matmul(t(3, 4, dtype=gg.int64), t(4, 2)),
         "expected m1 and m2 to have the same dtype, but got: long int != float"),
        (lambda: t(3, 4) @ t(3, 4), r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"),
        (lambda: t(2, 3, 4) @ t(5, 6),
         r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 5x6\)"),
        (lambda: t(3) @ t(4), "inconsistent tensor size, expected tensor \\[3\\] and src \\[4\\]"),
        (lambda: t(2, 3, 4) @ t(3), r"size mismatch, got input \(6\), mat \(6x4\), vec \(3\)"),
        (lambda: t(2, 2, 3) @ t(3, 3, 2),
         r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
         "dimension 0"),
        (lambda: gg.mm(t(3), t(3, 3)), "self must be a matrix"),
        (lambda: gg.mm(t(3, 3), t(3)), "mat2 must be a matrix"),
        (lambda: gg.mm(t(3, 4), t(4, 2, dtype=d)), "expected m1 and m2 to have the same dtype"),
        (lambda: gg.bmm(t(3, 4), t(3, 4)), "batch1 must be a 3D tensor"),
        (lambda: gg.bmm(t(1, 3, 4), t(1, 1, 3, 4)), "batch2 must be a 3D tensor"),
        (lambda: gg.bmm(t(2, 3, 4), t(3, 4, 5)),
         r"Expected size for first two dimensions of batch2 tensor to be: \[2, 4\] but got: "
         r"\[3, 4\]"),
        (lambda: gg.bmm(t(1, 2, 3), t(1, 3, 2, dtype=d)),
         "expected scalar type Float but found Double"),
        (lambda: gg.mv(t(3, 4), t(3, 4)), "vector \\+ matrix @ vector expected, got 1, 2, 2"),
        (lambda: gg.mv(t(2, 3), t(4)), r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
        (lambda: gg.dot(t(3, 4), t(3, 4)), "1D tensors expected, but got 2D and 2D tensors"),
        (lambda: gg.dot(t(3), t(3, dtype=gg.int64)),
         "dot : expected both vectors to have same dtype, but found Float and Long"),
        (lambda: gg.outer(t(2, 2), t(2)), "outer: Expected 1-D argument self, but got 2-D"),
        (lambda: gg.outer(t(2), t(1, 2)), "outer: Expected 1-D argument vec2, but got 2-D"),
        (lambda: gg.addmm(t(2, 2), t(2), t(3, 2)), "mat1 must be a matrix, got 1-D tensor"),
        (lambda: gg.addmm(t(2, 2, dtype=d), t(2, 3), t(3, 2)),
         "self and mat2 must have the same dtype, but got Double and Float"),
        (lambda: gg.baddbmm(t(3, 2, 2), t(3, 2, 3), t(3, 3, 2, dtype=d)),
         "expected scalar type Float but found Double"),
    ]
    for call, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            call()
    with pytest.raises(NotImplementedError, match="Bool"):
        gg.matmul(t(2, 2, dtype=gg.bool), t(2, 2, dtype=gg.bool))
    with pytest.raises(TypeError):
        gg.mm(t(2, 2), 3.0)


def test_matmul_family_values(device):
    rng = np.random.default_rng(0)
    a, b = rng.integers(-5, 5, (3, 4)), rng.integers(-5, 5, (4, 2))
    got = gg.tensor(a, device=device) @ gg.tensor(b, device=device)
    assert got.dtype == gg.int64 and host(got).tolist() == (a @ b).tolist()
    f = gg.tensor([1.0, 2.0], device=device)
    assert gg.outer(f, gg.tensor([1.0, 2.0, 3.0], dtype=gg.float64, device=device)).dtype \
        == gg.float64  # outer promotes (it is a product)
    assert gg.ger(f, f).shape == (2, 2)
    nan = gg.full((2, 2), float("nan"), device=device)
    out = gg.addmm(nan, gg.ones(2, 3, device=device), gg.ones(3, 2, device=device), beta=0)
    assert host(out).tolist() == [[3.0, 3.0], [3.0, 3.0]]  # beta = 0: input ignored, NaN too
    out = gg.addmm(gg.zeros(2, 2, device=device), gg.ones(2, 3, device=device),
                   gg.ones(3, 2, device=device), beta=0.5, alpha=2)
    assert host(out).tolist() == [[6.0, 6.0], [6.0, 6.0]]
    assert gg.baddbmm(gg.zeros(2, 2, device=device), gg.ones(3, 2, 3, device=device),
                      gg.ones(3, 3, 2, device=device)).shape == (3, 2, 2)
    assert host(gg.inner(gg.tensor(2.0, device=device), f)).tolist() == [2.0, 4.0]


def test_einsum_parsing_and_errors(device):
    def t(*shape, dtype=gg.float32):
        return gg.ones(shape, dtype=dtype, device=device)

    assert gg.einsum("ij,jk", t(2, 3), t(1, 4)).shape == (2, 4)  # size 1 broadcasts
    assert gg.einsum("bij,bjk->bik", t(2, 2, 3), t(1, 3, 4)).shape == (2, 2, 4)
    assert gg.einsum("i,j", t(2), t(3)).shape == (2, 3)
    assert gg.einsum("ba", t(2, 3)).shape == (3, 2)  # implicit output: sorted letters
    assert gg.einsum("...ij->...ji", t(2, 3, 4)).shape == (2, 4, 3)
    assert gg.einsum("i...->...", t(2, 3, 4)).shape == (3, 4)
    assert gg.einsum("i...,...->i...", t(2, 3, 1), t(4)).shape == (2, 3, 4)
    assert host(gg.einsum("Ab,bA", t(2, 3), t(3, 2))).tolist() == 6.0
    assert host(gg.einsum("i j , j -> i", t(2, 3), t(3))).tolist() == [3.0, 3.0]
    assert host(gg.einsum("i,i", [t(2), t(2)])).tolist() == 2.0
    assert host(gg.einsum(",->", gg.tensor(2.0, device=device),
                          gg.tensor(3.0, device=device))).tolist() == 6.0
    assert host(gg.einsum(t(2, 3), [0, Ellipsis], [Ellipsis])).tolist() == [2.0, 2.0, 2.0]
    i = gg.tensor([1, 2], device=device)
    assert gg.einsum("i,i", i, i).dtype == gg.int64 and host(gg.einsum("i,i", i, i)) == 5
    errors = [
        (lambda: gg.einsum("i,i->", t(3), t(3, dtype=gg.float64)),
         RuntimeError, "expected scalar type Float but found Double"),
        (lambda: gg.einsum("ij,jk", t(3, 4), t(3, 4)), RuntimeError,
         "subscript j has size 3 for operand 1 which does not broadcast with previously seen "
         "size 4"),
        (lambda: gg.einsum("ij,jk->ik", t(2, 3)), RuntimeError,
         "fewer operands were provided than specified in the equation"),
        (lambda: gg.einsum("ij", t(2, 3), t(3)), RuntimeError,
         "more operands were provided than specified in the equation"),
        (lambda: gg.einsum("ij->iij", t(2, 3)), RuntimeError,
         "output subscript i appears more than once in the output"),
        (lambda: gg.einsum("ij->k", t(2, 3)), RuntimeError,
         "output subscript k does not appear in the equation for any input operand"),
        (lambda: gg.einsum("ijk->ij", t(2, 3)), RuntimeError,
         r"the number of subscripts in the equation \(3\) does not match the number of "
         r"dimensions \(2\) for operand 0 and no ellipsis was given"),
        (lambda: gg.einsum("ab...,...->", t(2), t(2)), RuntimeError,
         r"the number of subscripts in the equation \(2\) is more than the number of "
         r"dimensions \(1\) for operand 0"),
        (lambda: gg.einsum("ii->i", t(2, 3)), RuntimeError,
         "subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"),
        (lambda: gg.einsum("i.j->i", t(2, 2)), RuntimeError,
         "found '.' for operand 0 that is not part of any ellipsis"),
        (lambda: gg.einsum("i1->i", t(2, 2)), RuntimeError,
         r"invalid subscript given at index 1 in the equation string, subscripts must be in "
         r"\[a-zA-Z\]"),
        (lambda: gg.einsum("i->i"), ValueError, "at least one operand"),
        (lambda: gg.einsum("i", 5), TypeError, "expected Tensor as element 0"),
    ]
    for call, kind, msg in errors:
        with pytest.raises(kind, match=msg):
            call()


def test_norm_values_gradients_and_errors(device):
    f = gg.tensor([[1.5, -2.5, 0.5], [3.0, 1.0, 1.0]], dtype=gg.float64, device=device)
    a = host(f)
    np.testing.assert_allclose(host(gg.norm(f)), np.sqrt((a * a).sum()))
    np.testing.assert_allclose(host(gg.norm(f, p=1, dim=(0, 1))), 9.5)  # a vector norm
    np.testing.assert_allclose(host(gg.norm(f, p="nuc", dim=(0, 1))), np.linalg.norm(a, "nuc"))
    assert host(gg.norm(f, p=0)).tolist() == 6.0
    assert gg.norm(f.float(), 2, dim=1, dtype=gg.float64).dtype == gg.float64
    assert gg.norm(f, "fro", keepdim=True).shape == (1, 1)
    assert gg.norm(f, dim=1, axis=None).shape == (2,)
    L = gg.linalg
    np.testing.assert_allclose(host(L.norm(f, float("inf"))), 5.0)
    np.testing.assert_allclose(host(L.norm(f, dim=(0, 1), ord=2)), np.linalg.norm(a, 2))
    np.testing.assert_allclose(host(L.vector_norm(f, 0)), 6.0)
    np.testing.assert_allclose(host(L.matrix_norm(f, -1)), 1.5)
    np.testing.assert_allclose(host(L.svdvals(f)), np.linalg.svd(a, compute_uv=False))
    assert L.vector_norm(gg.zeros(0, device=device)).tolist() == 0.0
    assert L.matrix_norm(gg.ones(2, 3, 4, device=device), "nuc", dim=(0, 2)).shape == (3,)
    # PyTorch's gradients at the kinks
    def grad(fn, v):
        x = gg.tensor(v, dtype=gg.float64, device=device, requires_grad=True)
        fn(x).backward()
        return host(x.grad).tolist()

    assert grad(gg.norm, [0.0, 0.0]) == [0.0, 0.0]
    assert grad(lambda x: gg.norm(x, 1), [0.0, 1.0]) == [0.0, 1.0]
    assert grad(lambda x: gg.norm(x, 0.5), [0.0, 1.0]) == [0.0, 1.0]
    assert grad(lambda x: gg.norm(x, float("inf")), [-2.0, 1.0, 2.0]) == [-0.5, 0.0, 0.5]
    assert grad(lambda x: L.vector_norm(x, float("-inf")), [-1.0, 1.0, 2.0]) == [-0.5, 0.5, 0.0]
    assert grad(lambda x: L.vector_norm(x, -1), [-1.0, 0.0, 2.0]) == [0.0, 0.0, 0.0]
    assert grad(lambda x: L.vector_norm(x, 0), [-1.0, 1.0, 2.0]) == [0.0, 0.0, 0.0]
    assert grad(lambda x: L.matrix_norm(x.reshape(2, 2), 1), [1.0, -2.0, -3.0, 4.0]) == [
        0.0, -1.0, 0.0, 1.0]
    x = gg.tensor(host(f), dtype=gg.float64, device=device, requires_grad=True)
    (g,) = gg.autograd.grad(L.svdvals(x).sum(), x)  # d(nuclear norm) = U V^T
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(host(g), u @ vh)
    i = gg.tensor([[1, 2]], device=device)
    errors = [
        (lambda: gg.norm(i), "linalg.vector_norm: Expected a floating point or complex tensor "
                             "as input. Got Long"),
        (lambda: L.matrix_norm(i), "linalg.matrix_norm: Expected a floating point"),
        (lambda: gg.norm(f[None], p="nuc"), "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
        (lambda: gg.norm(f, "abc"), "linalg.matrix_norm: Order abc not supported."),
        (lambda: L.matrix_norm(f, 3), "linalg.matrix_norm: Order 3 not supported."),
        (lambda: L.matrix_norm(f[0]), "The input tensor A must have at least 2 dimensions."),
        (lambda: L.matrix_norm(f, dim=(0, 0)), r"dims must be different. Got \(0, 0\)"),
        (lambda: L.norm(f, "fro", dim=1), "linalg.matrix_norm: dim must be a 2-tuple. Got 1"),
        (lambda: L.norm(f[None], 1), "If dim is not specified but ord is, the input must be 1D "
                                     "or 2D. Got 3D."),
        (lambda: L.vector_norm(gg.zeros(0, device=device), float("inf")),
         "cannot compute the inf norm on an empty tensor"),
    ]
    for call, msg in errors:
        with pytest.raises(RuntimeError, match=msg):
            call()
    with pytest.raises(TypeError, match="must be Number"):
        L.vector_norm(f, "fro")


def test_linear_dtype_errors_as_pytorch(device):
    F = gg.nn.functional
    d = gg.float64

    def t(*shape, dtype=gg.float32):
        return gg.ones(shape, dtype=dtype, device=device)

    cases = [
        (lambda: F.linear(t(2, 3, dtype=d), t(4, 3)),
         "expected m1 and m2 to have the same dtype, but got: double != float"),
        (lambda: F.linear(t(2, 3, dtype=d), t(4, 3), t(4)),
         "mat1 and mat2 must have the same dtype, but got Double and Float"),
        (lambda: F.linear(t(2, 3), t(4, 3, dtype=d), t(4)),
         "self and mat2 must have the same dtype, but got Float and Double"),
        (lambda: F.linear(t(2, 3), t(4, 3), t(4, dtype=d)),
         "self and mat2 must have the same dtype, but got Double and Float"),
        (lambda: F.linear(t(2, 3, dtype=gg.int64), t(4, 3)),
         "expected m1 and m2 to have the same dtype, but got: long int != float"),
        (lambda: gg.nn.Linear(3, 4).to(device)(t(2, 3, dtype=d)),
         "mat1 and mat2 must have the same dtype, but got Double and Float"),
        (lambda: gg.nn.Linear(3, 4, bias=False).to(device)(t(5, 2, 3, dtype=d)),
         "expected m1 and m2 to have the same dtype, but got: double != float"),
        (lambda: F.linear_act(t(2, 3, dtype=d), t(4, 3), t(4), "relu"),
         "mat1 and mat2 must have the same dtype"),
    ]
    for call, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            call()


def test_singular_value_second_derivatives(device):
    rng = np.random.default_rng(4)
    for shape in ((3, 3), (4, 3), (3, 5), (2, 4, 3)):
        k = min(shape[-2:])
        weights = gg.tensor(np.linspace(0.5, 2.0, k), dtype=gg.float64, device=device)
        check_second_order(lambda a, w=weights: gg.linalg.svdvals(a) * w,
                           [rng.standard_normal(shape)], device, rng)
    check_second_order(lambda a: gg.linalg.matrix_norm(a, "nuc"),
                       [rng.standard_normal((3, 4))], device, rng)
    x = gg.tensor(rng.standard_normal((3, 3)), dtype=gg.float64, device=device,
                  requires_grad=True)
    (g,) = gg.autograd.grad(gg.linalg.svdvals(x).sum(), x, create_graph=True)
    gg.autograd.grad(g.sum(), x, retain_graph=True)  # second derivatives: available
    with pytest.raises(NotImplementedError, match="third derivatives of singular values"):
        gg.autograd.grad(g.sum(), x, create_graph=True)  # a graph of them: not


def test_result_dtype_agrees_with_result_type(device):
    from gpugrad.ops.arith import result_dtype

    def t(dtype, shape=(2,)):
        return gg.ones(shape, dtype=dtype, device=device)

    dtypes = (gg.bool, gg.int32, gg.int64, gg.float16, gg.float32, gg.float64)
    operands = [t(d) for d in dtypes] + [t(d, ()) for d in dtypes] + [True, 2, 2.5]
    for a in operands:
        for b in operands:
            if isinstance(a, gg.Tensor) or isinstance(b, gg.Tensor):
                assert result_dtype(a, b) == gg.result_type(a, b).np, (a, b)
