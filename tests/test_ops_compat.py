"""PyTorch forms that scripts use: logical and bitwise operators, mixed-dtype cat/stack,
rounded division, a number as the first operand, and in-place variants. References are NumPy
or worked by hand; dtypes and error types are PyTorch's."""

import numpy as np
import pytest

import gpugrad as gg


def _t(values, dtype, device):
    return gg.tensor(values, dtype=dtype, device=device)


def _np(t):
    return t.cpu().numpy()


# --- logical and bitwise --------------------------------------------------------------------


def test_mask_combinations(device):
    x = gg.tensor([-1.0, 0.25, 0.5, 2.0], device=device, requires_grad=True)
    m = (x > 0) & (x < 1)
    assert m.dtype == gg.bool and not m.requires_grad
    assert m.tolist() == [False, True, True, False]
    assert ((x < 0) | (x > 1)).tolist() == [True, False, False, True]
    assert ((x > 0) ^ (x > 0.3)).tolist() == [False, True, False, False]
    assert (~m).tolist() == [True, False, False, True]
    assert x[~m].tolist() == [-1.0, 2.0]
    mask = x > 1
    view = mask
    mask |= x < 0
    assert mask is view and mask.tolist() == [True, False, False, True]
    mask &= x < 0
    assert mask.tolist() == [True, False, False, False]
    mask ^= gg.tensor([True, True, False, False], device=device)
    assert mask.tolist() == [False, True, False, False]


@pytest.mark.parametrize("op, ref", [("__and__", np.bitwise_and), ("__or__", np.bitwise_or),
                                     ("__xor__", np.bitwise_xor)])
def test_bitwise_integers(device, op, ref):
    a = np.array([5, -3, 12, 0, 7], dtype=np.int64)
    b = np.array([3, 6, -1, 9, 7], dtype=np.int32)
    ta, tb = _t(a, gg.int64, device), _t(b, gg.int32, device)
    r = getattr(ta, op)(tb)
    assert r.dtype == gg.int64 and _np(r).tolist() == ref(a, b.astype(np.int64)).tolist()
    r = getattr(tb, op)(6)  # a Python int keeps int32
    assert r.dtype == gg.int32 and _np(r).tolist() == ref(b, 6).tolist()
    r = getattr(tb, "__r" + op[2:])(6)
    assert r.dtype == gg.int32 and _np(r).tolist() == ref(6, b).tolist()
    assert (ta & 1).tolist() == [1, 1, 0, 0, 1]  # odd entries


def test_bitwise_dtypes_and_numbers(device):
    b = _t([True, False, True], gg.bool, device)
    i32 = _t([1, 2, 3], gg.int32, device)
    assert (b & b).dtype == gg.bool and (b & True).dtype == gg.bool
    r = b & 1
    assert r.dtype == gg.int64 and r.tolist() == [1, 0, 1]
    r = 1 | b
    assert r.dtype == gg.int64 and r.tolist() == [1, 1, 1]
    r = i32 & True
    assert r.dtype == gg.int32 and r.tolist() == [1, 0, 1]
    r = gg.tensor(3, device=device) & i32  # a 0-d int64 tensor does not widen int32
    assert r.dtype == gg.int32 and r.tolist() == [1, 2, 3]
    r = b ^ _t([0, 2, 2], gg.int64, device)
    assert r.dtype == gg.int64 and r.tolist() == [1, 2, 3]
    assert gg.bitwise_and(3, _t([1, 2, 3], gg.int64, device)).tolist() == [1, 2, 3]
    assert gg.bitwise_xor(b, b).tolist() == [False, False, False]
    assert gg.bitwise_or(i32, 4).tolist() == [5, 6, 7]


def test_invert_and_bitwise_not(device):
    assert (~_t([True, False], gg.bool, device)).tolist() == [False, True]
    i = _t([0, 5, -6], gg.int64, device)
    assert (~i).tolist() == [-1, -6, 5] and gg.bitwise_not(i).tolist() == [-1, -6, 5]
    assert i.bitwise_not().dtype == gg.int64
    f = gg.tensor([1.0], device=device)
    with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
        _ = ~f
    with pytest.raises(NotImplementedError, match="bitwise_not_cpu.*Float"):
        gg.bitwise_not(f)


@pytest.mark.parametrize("expr", [lambda f, i: f & f, lambda f, i: f | 1, lambda f, i: i ^ 1.5,
                                  lambda f, i: gg.bitwise_and(f, i), lambda f, i: f << 1,
                                  lambda f, i: i >> 0.5])
def test_bitwise_floats_raise(device, expr):
    f = gg.tensor([1.0, 2.0], device=device)
    i = _t([1, 2], gg.int64, device)
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        expr(f, i)


def test_bitwise_bad_operand_types(device):
    i = _t([1, 2], gg.int64, device)
    with pytest.raises(TypeError):
        i & [1, 2]
    with pytest.raises(TypeError):
        gg.bitwise_or("a", i)


def test_shifts(device):
    i = _t([1, 2, 3, -8], gg.int64, device)
    assert (i << 1).tolist() == [2, 4, 6, -16]
    assert (i >> 1).tolist() == [0, 1, 1, -4]
    assert (1 << _t([0, 1, 5], gg.int64, device)).tolist() == [1, 2, 32]
    assert (64 >> _t([0, 1, 5], gg.int64, device)).tolist() == [64, 32, 2]
    i32 = _t([1, 2, 3], gg.int32, device)
    r = i32 << 2
    assert r.dtype == gg.int32 and r.tolist() == [4, 8, 12]
    r = _t([1, 2, 3], gg.int64, device) << i32
    assert r.dtype == gg.int64 and r.tolist() == [2, 8, 24]
    b = _t([True, False], gg.bool, device)
    assert (b << 1).dtype == gg.int64 and (b << 1).tolist() == [2, 0]
    assert gg.bitwise_left_shift(i32, 1).tolist() == [2, 4, 6]
    assert gg.bitwise_right_shift(i32, 1).tolist() == [0, 1, 1]
    # out-of-range shifts, as PyTorch: 0 to the left, the sign fill to the right
    assert (_t([1], gg.int64, device) << 64).tolist() == [0]
    assert (_t([1], gg.int64, device) << -1).tolist() == [0]
    assert (_t([-1, 5], gg.int32, device) >> 40).tolist() == [-1, 0]
    j = _t([3, 5], gg.int32, device)
    view = j
    j <<= 2
    assert j is view and j.dtype == gg.int32 and j.tolist() == [12, 20]
    j >>= 1
    assert j.tolist() == [6, 10]


def test_logical_functions(device):
    f = gg.tensor([1.5, 0.0, -2.0], device=device)
    i = _t([1, 0, 0], gg.int64, device)
    b = _t([True, False, True], gg.bool, device)
    for fn, ref in [(gg.logical_and, np.logical_and), (gg.logical_or, np.logical_or),
                    (gg.logical_xor, np.logical_xor)]:
        r = fn(f, i)
        assert r.dtype == gg.bool
        assert _np(r).tolist() == ref(_np(f), _np(i)).tolist()
        assert getattr(f, fn.__name__)(b).tolist() == ref(_np(f), _np(b)).tolist()
    assert gg.logical_not(f).tolist() == [False, True, False]
    assert i.logical_not().tolist() == [False, True, True]
    with pytest.raises(TypeError, match="argument 'other' .* must be Tensor, not int"):
        gg.logical_and(f, 1)
    with pytest.raises(TypeError, match="argument 'input' .* must be Tensor"):
        gg.logical_not([1, 0])


def test_logical_and_bitwise_in_place(device):
    f = gg.tensor([1.5, 0.0, -2.0], device=device)
    out = f.logical_and_(_t([1, 1, 0], gg.int64, device))
    assert out is f and f.dtype == gg.float32 and f.tolist() == [1.0, 0.0, 0.0]
    i = _t([0, 3, -1], gg.int64, device)
    v = i._version.v
    i.logical_not_()
    assert i.tolist() == [1, 0, 0] and i._version.v > v
    j = _t([6, 5], gg.int32, device)
    j.bitwise_and_(_t([3, 3], gg.int64, device))
    assert j.dtype == gg.int32 and j.tolist() == [2, 1]
    j.bitwise_xor_(1)
    assert j.tolist() == [3, 0]
    b = _t([True, False], gg.bool, device)
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired "
                                           "output type Bool"):
        b.bitwise_and_(_t([1, 1], gg.int64, device))
    assert b.tolist() == [True, False]
    b.bitwise_or_(True)
    assert b.tolist() == [True, True]


def test_mask_messages_name_existing_functions():
    b = gg.tensor([True, False])
    for fn in (lambda: -b, lambda: 1 - b):
        with pytest.raises(RuntimeError, match="logical_not"):
            fn()
    assert (~b).tolist() == gg.logical_not(b).tolist() == [False, True]
    with pytest.raises(RuntimeError, match="logical_xor"):
        b - b
    assert (b ^ b).tolist() == gg.logical_xor(b, b).tolist() == [False, False]


# --- cat and stack of mixed dtypes ----------------------------------------------------------


@pytest.mark.parametrize("name", ["cat", "concat", "concatenate", "stack", "hstack", "vstack",
                                  "dstack", "column_stack"])
def test_join_promotes(device, name):
    fn = getattr(gg, name)
    f32 = gg.tensor([1.0, 2.0], device=device)
    f16 = gg.tensor([1.0, 2.0], dtype=gg.float16, device=device)
    f64 = gg.tensor([1.0, 2.0], dtype=gg.float64, device=device)
    i64 = _t([3, 4], gg.int64, device)
    i32 = _t([5, 6], gg.int32, device)
    b = _t([True, False], gg.bool, device)
    for pair, want in [((f32, i64), gg.float32), ((f16, i64), gg.float16),
                       ((b, i64), gg.int64), ((b, i32), gg.int32), ((i32, i64), gg.int64),
                       ((f16, f64), gg.float64), ((f32, f16), gg.float32),
                       ((b, f32), gg.float32)]:
        r = fn(list(pair))
        assert r.dtype == want, (pair[0].dtype, pair[1].dtype)
        ref = getattr(np, name if name not in ("cat", "concat") else "concatenate")(
            [_np(p).astype(np.float64) for p in pair])
        np.testing.assert_array_equal(_np(r).astype(np.float64), ref)


def test_cat_gradients_in_own_dtypes(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = gg.tensor([3.0, 4.0], dtype=gg.float64, device=device, requires_grad=True)
    z = gg.cat([x, y, _t([5, 6], gg.int64, device)])
    assert z.dtype == gg.float64
    (z * gg.arange(6.0, dtype=gg.float64, device=device)).sum().backward()
    assert x.grad.dtype == gg.float32 and x.grad.tolist() == [0.0, 1.0]
    assert y.grad.dtype == gg.float64 and y.grad.tolist() == [2.0, 3.0]
    h = gg.tensor([1.0, 2.0], dtype=gg.float16, device=device, requires_grad=True)
    s = gg.stack([h, _t([1, 2], gg.int64, device)])
    assert s.dtype == gg.float16
    (s * 3).sum().backward()
    assert h.grad.dtype == gg.float16 and h.grad.tolist() == [3.0, 3.0]


# --- div with rounding modes ----------------------------------------------------------------


def test_div_rounding_integers(device):
    a, b = np.array([7, -7, 6, -9]), np.array([2, 2, -4, -3])
    ta, tb = _t(a, gg.int64, device), _t(b, gg.int64, device)
    r = gg.div(ta, tb, rounding_mode="trunc")
    assert r.dtype == gg.int64 and r.tolist() == [3, -3, -1, 3]
    r = gg.div(ta, tb, rounding_mode="floor")
    assert r.dtype == gg.int64 and r.tolist() == (a // b).tolist() == [3, -4, -2, 3]
    assert ta.divide(tb, rounding_mode="trunc").tolist() == [3, -3, -1, 3]
    r = gg.div(ta, tb)
    assert r.dtype == gg.float32 and r.tolist() == [3.5, -3.5, -1.5, 3.0]
    assert gg.true_divide(ta, tb).tolist() == [3.5, -3.5, -1.5, 3.0]
    assert gg.floor_divide(ta, tb).tolist() == [3, -4, -2, 3]
    r = gg.div(7, tb, rounding_mode="floor")
    assert r.dtype == gg.int64 and r.tolist() == [3, 3, -2, -3]
    i32 = _t([7, -7], gg.int32, device)
    assert gg.div(i32, 2, rounding_mode="trunc").dtype == gg.int32
    r = gg.div(i32, 2.5, rounding_mode="floor")
    assert r.dtype == gg.float32 and r.tolist() == [2.0, -3.0]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        gg.div(ta, 0, rounding_mode="floor")


def test_div_rounding_floats(device):
    a = np.array([7.0, -7.0, 6.5, -0.5], dtype=np.float32)
    t = gg.tensor(a, device=device)
    assert gg.div(t, 2, rounding_mode="floor").tolist() == np.floor(a / 2).tolist()
    assert t.div(-2.0, rounding_mode="trunc").tolist() == np.trunc(a / -2).tolist()
    assert gg.div(t, 2, rounding_mode=None).tolist() == (a / 2).tolist()
    r = gg.div(t, 0, rounding_mode="trunc")
    assert r.tolist() == [np.inf, -np.inf, np.inf, -np.inf]
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or "
                                           "'floor' but found 'round'"):
        gg.div(t, 2, rounding_mode="round")
    b = _t([True, False], gg.bool, device)
    with pytest.raises(NotImplementedError, match="div_floor_cpu.*Bool"):
        gg.div(b, b, rounding_mode="floor")


def test_div_rounding_gradient_is_zero(device):
    x = gg.tensor([3.0, -5.0], device=device, requires_grad=True)
    y = gg.tensor([2.0, 2.0], device=device, requires_grad=True)
    for mode in ("trunc", "floor"):
        z = gg.div(x, y, rounding_mode=mode)
        assert z.requires_grad
        z.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]
        x.grad = y.grad = None


def test_div_in_place_rounding(device):
    i = _t([7, -7], gg.int64, device)
    v = i._version.v
    out = i.div_(2, rounding_mode="floor")
    assert out is i and i.dtype == gg.int64 and i.tolist() == [3, -4] and i._version.v > v
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        i.div_(2)
    assert i.tolist() == [3, -4]
    f = gg.tensor([7.0, -7.0], device=device)
    f.divide_(2.0, rounding_mode="trunc")
    assert f.tolist() == [3.0, -3.0]
    f.true_divide_(2.0)
    assert f.tolist() == [1.5, -1.5]


# --- a Python number first ------------------------------------------------------------------


def test_number_first_operand(device):
    a = np.array([3.0, -2.0, 0.5], dtype=np.float32)
    f = gg.tensor(a, device=device)
    i = _t([3, -2, 4], gg.int64, device)
    assert gg.pow(2, f).tolist() == (np.float32(2) ** a).tolist()
    r = gg.pow(2, i)
    assert r.dtype == gg.int64 and r.tolist() == [8, 0, 16]
    r = gg.pow(2.5, i)
    assert r.dtype == gg.float32 and np.allclose(_np(r), 2.5 ** np.array([3.0, -2.0, 4.0]))
    assert gg.add(1, f).tolist() == (1 + a).tolist()
    r = gg.add(1.5, i)
    assert r.dtype == gg.float32 and r.tolist() == [4.5, -0.5, 5.5]
    assert gg.add(1, f, alpha=2).tolist() == (1 + 2 * a).tolist()
    assert gg.mul(2, f).tolist() == gg.multiply(2, f).tolist() == (2 * a).tolist()
    assert gg.sub(1, f).tolist() == gg.subtract(1, f).tolist() == (1 - a).tolist()
    assert gg.sub(1, f, alpha=2).tolist() == (1 - 2 * a).tolist()
    assert np.allclose(_np(gg.div(1, f)), 1 / a)
    r = gg.div(1, i)
    assert r.dtype == gg.float32 and np.allclose(_np(r), [1 / 3, -0.5, 0.25])
    assert np.allclose(_np(gg.true_divide(1, f)), 1 / a)
    r = gg.add(1, 2)
    assert r.dtype == gg.int64 and r.item() == 3 and r.ndim == 0
    assert gg.mul(2.0, 3).dtype == gg.float32 and gg.mul(2.0, 3).item() == 6.0


def test_number_first_gradients(device):
    x = gg.tensor([3.0, -5.0], dtype=gg.float64, device=device, requires_grad=True)
    (gg.pow(2, x) + gg.sub(1, x) + gg.div(1, x) + gg.mul(3, x) + gg.add(2, x)).sum().backward()
    xv = np.array([3.0, -5.0])
    np.testing.assert_allclose(_np(x.grad), 2**xv * np.log(2) - 1 - 1 / xv**2 + 3 + 1)


def test_number_first_refused(device):
    f = gg.tensor([1.0, 2.0], device=device)
    b = _t([True, False], gg.bool, device)
    for fn in (gg.maximum, gg.minimum, gg.atan2, gg.hypot):
        with pytest.raises(TypeError, match="argument 'input' .* must be Tensor, not int"):
            fn(1, f)
    with pytest.raises(TypeError):
        gg.pow(2, 3)
    with pytest.raises(RuntimeError, match="bool tensor is not supported"):
        gg.sub(1, b)


# --- in-place and method variants -----------------------------------------------------------


@pytest.mark.parametrize("name, ref", [
    ("relu_", lambda a: np.maximum(a, 0)), ("sigmoid_", lambda a: 1 / (1 + np.exp(-a))),
    ("tanh_", np.tanh), ("neg_", np.negative), ("negative_", np.negative)])
def test_activation_in_place(device, name, ref):
    a = np.array([-1.5, 0.0, 0.5, 2.0])
    x = gg.tensor(a, dtype=gg.float64, device=device)
    v = x._version.v
    assert getattr(x, name)() is x and x._version.v == v + 1
    np.testing.assert_allclose(_np(x), ref(a), rtol=1e-12)
    if hasattr(gg, name):
        y = gg.tensor(a, dtype=gg.float64, device=device)
        assert getattr(gg, name)(y) is y
        np.testing.assert_allclose(_np(y), ref(a), rtol=1e-12)


def test_in_place_on_graph(device):
    w = gg.tensor([-1.0, 0.5, 2.0], dtype=gg.float64, device=device, requires_grad=True)
    h = w * 3.0
    h.relu_()
    h.pow_(2)
    h.sum().backward()
    # d/dw (relu(3w))^2 = 2 * relu(3w) * 3 * [w > 0]
    np.testing.assert_allclose(_np(w.grad), [0.0, 9.0, 36.0])
    leaf = gg.tensor([1.0], device=device, requires_grad=True)
    for op in (lambda t: t.relu_(), lambda t: t.unsqueeze_(0), lambda t: t.t_()):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            op(leaf)
    assert leaf.shape == (1,)


def test_pow_neg_clamp_in_place_dtypes(device):
    i = _t([1, 2, 3], gg.int64, device)
    assert i.pow_(2).tolist() == [1, 4, 9]
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        i.pow_(0.5)
    assert i.tolist() == [1, 4, 9]
    with pytest.raises(RuntimeError, match="Negation.*bool tensor"):
        _t([True], gg.bool, device).neg_()
    x = gg.tensor([1.0, -2.0, 3.0], device=device)
    assert x.clamp_min(0).tolist() == gg.clamp_min(x, 0).tolist() == [1.0, 0.0, 3.0]
    assert x.clamp_max(0).tolist() == [0.0, -2.0, 0.0]
    assert gg.clamp_max(x, gg.tensor([0.0, 0.0, 5.0], device=device)).tolist() == [0.0, -2.0,
                                                                                     3.0]
    y = x.clone()
    assert y.clamp_min_(-1).tolist() == [1.0, -1.0, 3.0] and y.clamp_max_(2).tolist() == [
        1.0, -1.0, 2.0]


def test_cumsum_in_place(device):
    x = gg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert x.cumsum_(0) is x and x.tolist() == [[1.0, 2.0], [4.0, 6.0]]
    x.cumsum_(dim=1)
    assert x.tolist() == [[1.0, 3.0], [4.0, 10.0]]
    i = _t([1, 2, 3], gg.int32, device)
    i.cumsum_(0)
    assert i.dtype == gg.int32 and i.tolist() == [1, 3, 6]


def test_shape_in_place(device):
    x = gg.zeros(2, 1, 3, device=device)
    v = x._version.v
    assert x.squeeze_(1) is x and x.shape == (2, 3) and x._version.v == v + 1
    x.unsqueeze_(0)
    assert x.shape == (1, 2, 3)
    x.squeeze_()
    x.t_()
    assert x.shape == (3, 2)
    x.transpose_(0, 1)
    assert x.shape == (2, 3)
    z = gg.zeros(2, 1, 1, device=device)
    assert z.squeeze_((1, 2)).shape == (2,)
    # a view of the old shape still shares the storage
    a = gg.tensor([1.0, 2.0], device=device)
    b = a.view(1, 2)
    a.unsqueeze_(1)
    a[1, 0] = 7.0
    assert a.shape == (2, 1) and b.tolist() == [[1.0, 7.0]]
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        gg.zeros(1, 2, 3, device=device).t_()


def test_shape_in_place_gradients(device):
    w = gg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=gg.float64, device=device,
                  requires_grad=True)
    h = w * 2.0
    h.unsqueeze_(0)
    h.transpose_(0, 2)
    assert h.shape == (3, 2, 1)
    h.squeeze_()
    h.t_()
    assert h.shape == (2, 3)
    (h * gg.arange(6.0, dtype=gg.float64, device=device).reshape(2, 3)).sum().backward()
    np.testing.assert_allclose(_np(w.grad), 2.0 * np.arange(6.0).reshape(2, 3))


def test_addcmul_addcdiv(device):
    a = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    t1 = np.array([2.0, 4.0, 8.0], dtype=np.float32)
    x, y = gg.tensor(a, device=device), gg.tensor(t1, device=device)
    np.testing.assert_allclose(_np(gg.addcmul(x, x, y, value=2)), a + 2 * a * t1)
    np.testing.assert_allclose(_np(x.addcdiv(x, y, value=2)), a + 2 * a / t1)
    np.testing.assert_allclose(_np(gg.addcdiv(x, x, y)), a + a / t1)
    i = _t([1, 2], gg.int64, device)
    r = gg.addcmul(i, i, i, value=2)
    assert r.dtype == gg.int64 and r.tolist() == [3, 10]
    r = gg.addcmul(gg.tensor([1.0, 2.0], device=device), i, i, value=2.5)
    assert r.dtype == gg.float32 and r.tolist() == [3.5, 12.0]
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        gg.addcdiv(i, i, i)
    z = x.clone()
    assert z.addcmul_(y, y, value=0.5) is z
    np.testing.assert_allclose(_np(z), a + 0.5 * t1 * t1)
    z.addcdiv_(y, y)
    np.testing.assert_allclose(_np(z), a + 0.5 * t1 * t1 + 1)


# --- strides, mT, repeat_interleave, isin, nansum, nanmean, diff -----------------------------


def test_stride_and_mT(device):
    c = gg.arange(24.0, device=device).reshape(2, 3, 4)
    assert c.stride() == (12, 4, 1) and c.stride(1) == 4 and c.stride(-1) == 1
    m = c[0]
    assert m.t().stride() == (1, 4)
    assert gg.tensor(1.0, device=device).stride() == ()
    assert c.mT.shape == (2, 4, 3) and c.mH.shape == (2, 4, 3)
    np.testing.assert_array_equal(_np(c.mT), np.swapaxes(np.arange(24.0).reshape(2, 3, 4), 1, 2))
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        _ = gg.zeros(3, device=device).mT


def test_repeat_interleave_values(device):
    i = _t([1, 2, 3], gg.int64, device)
    assert gg.repeat_interleave(i, 2).tolist() == [1, 1, 2, 2, 3, 3]
    assert i.repeat_interleave(_t([1, 0, 2], gg.int64, device)).tolist() == [1, 3, 3]
    assert gg.repeat_interleave(_t([2, 1], gg.int64, device)).tolist() == [0, 0, 1]
    c = gg.arange(6.0, device=device).reshape(2, 3)
    assert gg.repeat_interleave(c, 2, dim=1).tolist() == [[0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5]]
    assert gg.repeat_interleave(c, _t([1, 2], gg.int64, device), dim=0).tolist() == [
        [0, 1, 2], [3, 4, 5], [3, 4, 5]]
    with pytest.raises(RuntimeError, match="same size as input along dim"):
        gg.repeat_interleave(c, _t([1, 2, 3], gg.int64, device), dim=0)
    with pytest.raises(RuntimeError, match="negative"):
        gg.repeat_interleave(c, -1)


def test_isin(device):
    i = _t([1, 2, 3], gg.int64, device)
    r = gg.isin(i, _t([2, 5], gg.int64, device))
    assert r.dtype == gg.bool and r.tolist() == [False, True, False]
    assert gg.isin(i, 2).tolist() == [False, True, False]
    assert gg.isin(2, i).item() is True
    assert gg.isin(i, _t([2, 3], gg.int64, device), invert=True).tolist() == [True, False, False]
    c = gg.arange(6.0, device=device).reshape(2, 3)
    assert gg.isin(c, gg.tensor([2.0, 3.0], device=device)).tolist() == [[False, False, True],
                                                                         [True, False, False]]


def test_nansum_nanmean(device):
    nan = float("nan")
    x = gg.tensor([1.0, nan, 3.0], device=device, requires_grad=True)
    assert gg.nansum(x).item() == 4.0 and x.nansum().item() == 4.0
    assert gg.nanmean(x).item() == 2.0
    gg.nansum(x * 2).backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0]
    x.grad = None
    gg.nanmean(x).backward()
    assert x.grad.tolist() == [0.5, 0.0, 0.5]
    m = gg.tensor([[1.0, nan], [nan, nan]], device=device)
    r = gg.nanmean(m, dim=1)
    assert r[0].item() == 1.0 and np.isnan(r[1].item())
    assert gg.nansum(m, 1, keepdim=True).tolist() == [[1.0], [0.0]]
    i = _t([1, 2, 3], gg.int64, device)
    assert gg.nansum(i).dtype == gg.int64 and gg.nansum(i).item() == 6
    assert gg.nansum(i, dtype=gg.float64).dtype == gg.float64
    with pytest.raises(RuntimeError, match="nanmean\\(\\): expected input to have floating"):
        gg.nanmean(i)


def test_diff(device):
    i = _t([1, 2, 4, 7], gg.int64, device)
    assert gg.diff(i).tolist() == [1, 2, 3] and gg.diff(i).dtype == gg.int64
    assert i.diff(n=2).tolist() == [1, 1]
    assert gg.diff(i, n=0).tolist() == [1, 2, 4, 7]
    assert gg.diff(i, n=5).tolist() == []
    r = gg.diff(i, prepend=_t([0], gg.int64, device), append=_t([10], gg.int64, device))
    assert r.tolist() == [1, 1, 2, 3, 3]
    c = gg.tensor([[0.0, 1.0, 4.0], [9.0, 16.0, 25.0]], device=device)
    np.testing.assert_array_equal(_np(gg.diff(c)), np.diff(_np(c)))
    np.testing.assert_array_equal(_np(gg.diff(c, dim=0)), np.diff(_np(c), axis=0))
    b = _t([True, False, False], gg.bool, device)
    assert gg.diff(b).dtype == gg.bool and gg.diff(b).tolist() == [True, False]
    with pytest.raises(RuntimeError, match="at least one-dimensional"):
        gg.diff(gg.tensor(1.0, device=device))
    with pytest.raises(RuntimeError, match="order must be non-negative"):
        gg.diff(c, n=-1)


def test_functions_with_a_number_operand_take_parameters_too():
    """A Parameter (a Tensor subclass) as ``input`` beside a number is a tensor operand, not
    a number (values as PyTorch's)."""
    p = gg.nn.Parameter(gg.tensor([-1.0, 0.0, 2.0]))
    assert gg.add(p, 2).tolist() == [1.0, 2.0, 4.0] and p.add(2).tolist() == [1.0, 2.0, 4.0]
    assert gg.sub(p, 2).tolist() == [-3.0, -2.0, 0.0] and gg.sub(2, p).tolist() == [3.0, 2.0, 0.0]
    assert p.mul(3).tolist() == [-3.0, 0.0, 6.0] and gg.div(p, 2).tolist() == [-0.5, 0.0, 1.0]
    assert gg.pow(p, 2).tolist() == [1.0, 0.0, 4.0]
    gg.nn.functional.hardtanh(p).sum().backward()
    assert p.grad.tolist() == [0.0, 1.0, 0.0]  # hardtanh's rule, not clamp's, for Parameters
