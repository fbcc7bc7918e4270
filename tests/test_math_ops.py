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
    assert repr(gg.floor(x).grad_fn) == "<FloorBackward>"


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


def test_inplace_unary_records_the_graph(device):
    leaf = gg.tensor([0.5, 1.0], dtype=gg.float64, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.sin_()
    h = leaf * 2.0
    assert h.exp_().square_() is h
    assert repr(h.grad_fn) == "<SquareBackward>"
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


# --- backward rules run on Tensors --------------------------------------------------------------
#
# A higher-order pass runs an op's backward with the output gradient as a Tensor, ``self.xp``
# replaced by differentiable gpugrad functions under NumPy's names, and every saved input/output
# array replaced by its Tensor; or the op's ``graph_backward`` where it has one. ``_graph_grads``
# does exactly that for the top node of a row; the result must equal the array backward, and its
# own gradients (a Hessian-vector product, and the Jacobian-vector product through ``gy``) must
# match central differences of the array backward and of the op.


class _GraphXp:
    """The array functions a backward rule may call, as differentiable gpugrad functions."""

    @staticmethod
    def where(c, a, b):
        return gg.where(c, a, b)

    @staticmethod
    def zeros_like(a, dtype=None):
        return gg.zeros_like(a)

    @staticmethod
    def ones_like(a, dtype=None):
        return gg.ones_like(a)

    @staticmethod
    def full_like(a, v, dtype=None):
        return gg.full_like(a, v)

    exp, log, log1p, expm1 = (staticmethod(f) for f in (gg.exp, gg.log, gg.log1p, gg.expm1))
    sqrt, abs, sign, sin = (staticmethod(f) for f in (gg.sqrt, gg.abs, gg.sign, gg.sin))
    cos, tanh, square = (staticmethod(f) for f in (gg.cos, gg.tanh, gg.square))
    reciprocal, maximum, minimum = (staticmethod(f) for f in (gg.reciprocal, gg.maximum,
                                                              gg.minimum))
    matmul = staticmethod(gg.matmul)

    @staticmethod
    def swapaxes(a, i, j):
        return a.transpose(i, j)

    @staticmethod
    def moveaxis(a, src, dst):
        order = [d for d in range(a.ndim) if d != src % a.ndim]
        order.insert(dst % a.ndim, src % a.ndim)
        return a.permute(*order)

    @staticmethod
    def expand_dims(a, axis):
        return a.unsqueeze(axis)

    @staticmethod
    def broadcast_to(a, shape):
        return gg.broadcast_to(a, shape)

    @staticmethod
    def reshape(a, shape):
        return a.reshape(shape)

    @staticmethod
    def transpose(a, axes=None):
        return a.permute(*(axes if axes is not None else range(a.ndim)[::-1]))

    @staticmethod
    def concatenate(seq, axis=0):
        return gg.cat(list(seq), axis)

    @staticmethod
    def stack(seq, axis=0):
        return gg.stack(list(seq), axis)

    @staticmethod
    def sum(a, axis=None, keepdims=False):
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(a, axis=None, keepdims=False):
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def cumsum(a, axis):
        return gg.cumsum(a, axis=axis)

    @staticmethod
    def take_along_axis(a, idx, axis):
        from gpugrad.ops.sort import take_along

        return take_along(a, idx, axis)


def _graph_grads(out, leaves, gy):
    """The top node of ``out`` run again on Tensors: gradients (Tensors, in the graph) per input."""
    node = out.grad_fn
    twin = object.__new__(type(node))
    for slot in ("needs", "next_fns", "meta", "versions", "retain"):
        setattr(twin, slot, getattr(node, slot))
    by_id = {id(t._data): t for t in leaves}
    by_id[id(out._data)] = out
    twin.__dict__.update({k: by_id.get(id(v), v) for k, v in node.__dict__.items()})
    twin.xp = _GraphXp
    run = getattr(twin, "graph_backward", None) or twin.backward
    return run(gy)


def _math_rows():
    from . import optable  # noqa: F401  (imports optable_math after Case is defined)
    from .optable_math import CASES

    return CASES


def _array_grads(case, arrays, w, device):
    ts = [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True) for a in arrays]
    out = case.fn(*ts)
    out.backward(gg.tensor(w, dtype=gg.float64, device=device))
    return [host(t.grad) for t in ts], host(out)


def _to_shape(g, shape):
    """``g`` (a Tensor) summed back to ``shape`` with differentiable ops (as the engine does)."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(dim=tuple(range(lead)))
    axes = tuple(d for d, n in enumerate(shape) if n == 1 and g.shape[d] != 1)
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    return g


@pytest.mark.parametrize("case", _math_rows(), ids=lambda c: c.id)
def test_backward_runs_on_tensors(case, device):
    rng = np.random.default_rng(7)
    lo, hi = case.domain
    arrays = [rng.uniform(lo, hi, size=s) for s in case.shapes]
    leaves = [gg.tensor(a, dtype=gg.float64, device=device, requires_grad=True) for a in arrays]
    out = case.fn(*leaves)
    node = out.grad_fn
    if node is None or any(f is not None and type(f).__name__ != "AccumulateGrad"
                           for f in node.next_fns):
        pytest.skip("the row's top node is not one op applied to the inputs")
    w = rng.standard_normal(out.shape)
    gy = gg.tensor(w, dtype=gg.float64, device=device, requires_grad=True)
    grads = _graph_grads(out, leaves, gy)
    want, _ = _array_grads(case, arrays, w, device)
    used = []  # (leaf index, its gradient from the Tensor backward)
    for g, nxt in zip(grads, node.next_fns):
        if nxt is None:
            continue
        i = next(k for k, t in enumerate(leaves) if t is nxt.leaf())
        assert isinstance(g, gg.Tensor), f"input {i}: the backward did not compute on Tensors"
        g = _to_shape(g, arrays[i].shape)
        np.testing.assert_allclose(host(g), want[i], rtol=1e-10, atol=1e-12)
        used.append((i, g))
    # Second order: s = sum_i <g_i(x, gy), v_i>. ds/dx along u is a Hessian-vector product
    # (checked against central differences of the array backward); ds/dgy is the Jacobian of
    # the op applied to v (checked against central differences of the op).
    vs = [rng.standard_normal(arrays[i].shape) for i, _ in used]
    us = [rng.standard_normal(a.shape) for a in arrays]
    s = sum((g * gg.tensor(v, dtype=gg.float64, device=device)).sum()
            for (_, g), v in zip(used, vs))
    if not isinstance(s, gg.Tensor) or not s.requires_grad:
        return
    s.backward()
    eps = 1e-6

    def inner(t):
        gs, _ = _array_grads(case, [a + t * u for a, u in zip(arrays, us)], w, device)
        return sum(float((gs[i] * v).sum()) for (i, _), v in zip(used, vs))

    hvp = sum(float((host(t.grad) * u).sum()) for t, u in zip(leaves, us) if t.grad is not None)
    assert hvp == pytest.approx((inner(eps) - inner(-eps)) / (2 * eps), rel=1e-5, abs=1e-6)

    dirs = [np.zeros_like(a) for a in arrays]
    for (i, _), v in zip(used, vs):
        dirs[i] = v

    def f(t):
        with gg.no_grad():
            xs = [gg.tensor(a + t * d, dtype=gg.float64, device=device)
                  for a, d in zip(arrays, dirs)]
            return host(case.fn(*xs))

    jvp = (f(eps) - f(-eps)) / (2 * eps)
    got = host(gy.grad) if gy.grad is not None else np.zeros_like(w)
    np.testing.assert_allclose(got, jvp, rtol=1e-5, atol=1e-6)
