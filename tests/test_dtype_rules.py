"""Type promotion as PyTorch's: ``promote_types``, ``result_type``, ``can_cast``, and the dtypes
and values of arithmetic, ``maximum``/``minimum``/``where`` and in-place ops on mixed operands.

The expected dtypes are written out by hand from PyTorch's rules (checked against PyTorch); the
expected values come from float64 NumPy."""

import itertools

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host

B, I32, I64, F16, F32, F64 = gg.bool, gg.int32, gg.int64, gg.float16, gg.float32, gg.float64
ORDER = [B, I32, I64, F16, F32, F64]

# promote_types: row dtype with column dtype (symmetric), in ORDER.
PROMOTE = {
    B: [B, I32, I64, F16, F32, F64],
    I32: [I32, I32, I64, F16, F32, F64],
    I64: [I64, I64, I64, F16, F32, F64],
    F16: [F16, F16, F16, F16, F32, F64],
    F32: [F32, F32, F32, F32, F32, F64],
    F64: [F64, F64, F64, F64, F64, F64],
}


@pytest.fixture
def default_float64():
    gg.set_default_dtype(gg.float64)
    yield
    gg.set_default_dtype(gg.float32)


def test_promote_types_table():
    for a, row in PROMOTE.items():
        for b, want in zip(ORDER, row):
            assert gg.promote_types(a, b) is want, (a, b)
            assert gg.promote_types(b, a) is want, (b, a)
    assert gg.promote_types("int32", np.float16) is F16  # names and NumPy dtypes resolve


def test_can_cast_never_lowers_the_category():
    for a, b in itertools.product(ORDER, ORDER):
        cat = {B: 0, I32: 1, I64: 1, F16: 2, F32: 2, F64: 2}
        assert gg.can_cast(a, b) is (cat[a] <= cat[b]), (a, b)
    assert gg.can_cast(F64, F16) and gg.can_cast(I64, I32) and not gg.can_cast(F16, I64)


def test_result_type_ranks_dimensioned_zero_dim_and_numbers():
    t = {d: gg.tensor([1, 0], dtype=d) for d in ORDER}
    z = {d: gg.tensor(1, dtype=d) for d in ORDER}
    cases = [
        (t[I32], 1.5, F32), (t[I32], 2, I32), (t[I32], True, I32), (t[B], 2, I64),
        (t[B], 1.5, F32), (t[B], True, B), (t[F16], 1.5, F16), (t[F16], 2**40, F16),
        (t[I32], z[I64], I32), (t[I32], z[F64], F64), (t[F16], z[F64], F16),
        (t[B], z[I32], I32), (t[I64], t[F16], F16), (t[I32], t[I64], I64),
        (t[F16], t[F32], F32), (t[F32], t[I64], F32), (z[I64], z[F16], F16),
        (z[F16], 1.5, F16), (z[I32], 1.5, F32), (1, 2.0, F32), (2, 3, I64), (True, False, B),
        (True, 2, I64), (2.5, t[I32], F32), (t[I64], np.float64(2.0), F32),
    ]
    for a, b, want in cases:
        assert gg.result_type(a, b) is want, (a, b)
    with pytest.raises(TypeError, match="Tensor or a Python number"):
        gg.result_type(t[F32], "x")


def test_default_float_dtype_is_what_python_floats_become(default_float64):
    i = gg.tensor([1, 2], dtype=gg.int32)
    assert gg.result_type(i, 1.5) is F64
    out = i + 1.5
    assert out.dtype is F64 and out.tolist() == [2.5, 3.5]
    assert (i / 2).dtype is F64
    assert (gg.tensor([1.0], dtype=gg.float32) + 1.5).dtype is F32  # a float tensor keeps its own


# (a dtype, b dtype or number, result dtype) for + - * and maximum/minimum, on tensors of shape
# (2, 3) and (3,): broadcasting and promotion together.
MIXED = [
    (I32, I64, I64), (I32, F16, F16), (F16, F32, F32), (F32, I64, F32), (B, I32, I32),
    (I64, F64, F64), (B, F16, F16), (I32, 1.5, F32), (B, 1.5, F32), (B, 2, I64),
    (F16, 2.5, F16), (I32, 3, I32),
]


def _make(dt, shape, device, rng):
    if dt is B:
        return gg.tensor(rng.random(shape) < 0.5, device=device)
    vals = rng.integers(1, 6, size=shape) if not dt.is_floating_point else \
        rng.uniform(0.5, 4.0, size=shape)
    return gg.tensor(vals, dtype=dt, device=device)


@pytest.mark.parametrize("da, db, want", MIXED, ids=str)
def test_binary_ops_promote_as_pytorch(device, da, db, want):
    rng = np.random.default_rng(0)
    a = _make(da, (2, 3), device, rng)
    b = db if not isinstance(db, gg.dtype) else _make(db, (3,), device, rng)
    ha = host(a).astype(np.float64)
    hb = float(db) if not isinstance(db, gg.dtype) else host(b).astype(np.float64)
    ops = [("add", lambda x, y: x + y, np.add), ("mul", lambda x, y: x * y, np.multiply),
           ("radd", lambda x, y: y + x, np.add),
           ("maximum", gg.maximum, np.maximum), ("minimum", gg.minimum, np.minimum)]
    if da is not B and db is not B:
        ops.append(("sub", lambda x, y: x - y, np.subtract))
    for name, fn, ref in ops:
        out = fn(a, b)
        assert out.dtype is want, (name, da, db)
        assert out.device == a.device
        tol = 2e-3 if want is F16 else 1e-6
        np.testing.assert_allclose(host(out), ref(ha, hb).astype(want.np), rtol=tol,
                                   err_msg=name)


def test_division_of_integers_gives_the_default_float(device):
    a = gg.tensor([1, 2, -7], dtype=gg.int32, device=device)
    b = gg.tensor([2, 4, 2], device=device)
    for out in (a / b, a / 2, 7 / a, gg.div(a, b), a.div(b)):
        assert out.dtype is F32
    np.testing.assert_array_equal(host(a / b), [0.5, 0.5, -3.5])
    np.testing.assert_allclose(host(7 / a), [7.0, 3.5, -1.0])
    t = gg.tensor([True, False], device=device)
    assert (t / t[:1]).dtype is F32 and host(t / t[:1]).tolist() == [1.0, 0.0]
    assert (gg.tensor([1.0], dtype=F16, device=device) / a[:1]).dtype is F16


def test_integer_powers(device):
    i = gg.tensor([0, 1, 2, -1, -2, 3], device=device)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        gg.tensor([True], device=device) ** -1
    sq = i ** 2
    assert sq.dtype is I64 and host(sq).tolist() == [0, 1, 4, 1, 4, 9]
    # negative tensor exponents: 1 for base 1, +-1 for base -1, else 0 (PyTorch's integer pow)
    e = gg.tensor([-1, -1, -1, -1, -1, -2], device=device)
    out = i ** e
    assert out.dtype is I64 and host(out).tolist() == [0, 1, 0, -1, 0, 0]
    out = gg.tensor([-1, -1, 1], dtype=gg.int32, device=device) ** gg.tensor([-2, -3, -5],
                                                                               device=device)
    assert out.dtype is I64 and host(out).tolist() == [1, -1, 1]
    two = 2 ** gg.tensor([-1, 3], device=device)
    assert two.dtype is I64 and host(two).tolist() == [0, 8]
    assert (3 ** gg.tensor([True, False], device=device)).dtype is I64
    half = i ** 0.5
    assert half.dtype is F32
    np.testing.assert_allclose(host(half)[:3], [0.0, 1.0, np.sqrt(2)], rtol=1e-6)
    assert (2.5 ** i).dtype is F32


def test_float_tensor_to_an_integer_tensor_power_stays_float(device):
    x = gg.tensor([1.5, 2.0, 3.0], device=device, requires_grad=True)
    e = gg.tensor([2, 3, -1], device=device)
    y = x ** e
    assert y.dtype is F32
    np.testing.assert_allclose(host(y), [2.25, 8.0, 1 / 3], rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype is F32
    np.testing.assert_allclose(host(x.grad), [3.0, 12.0, -1 / 9], rtol=1e-6)


def test_gradients_keep_each_inputs_dtype(device):
    x = gg.tensor([1.0, 2.0], dtype=F16, device=device, requires_grad=True)
    y = gg.tensor([3.0, 4.0], dtype=F64, device=device, requires_grad=True)
    z = x * y
    assert z.dtype is F64 and host(z).tolist() == [3.0, 8.0]
    (z.sum() + (y / x).sum() + (x - y).sum()).backward()
    assert x.grad.dtype is F16 and y.grad.dtype is F64
    # d/dx = y - y / x^2 + 1, d/dy = x + 1 / x - 1
    np.testing.assert_allclose(host(x.grad), [3 - 3 + 1, 4 - 1 + 1], rtol=1e-3)
    np.testing.assert_allclose(host(y.grad), [1 + 1 - 1, 2 + 0.5 - 1], rtol=1e-12)
    w = gg.tensor([0.5, -1.0], device=device, requires_grad=True)
    k = gg.tensor([3, 4], device=device)
    (w * k + k).sum().backward()
    assert w.grad.dtype is F32 and host(w.grad).tolist() == [3.0, 4.0]


def test_zero_dim_tensors_do_not_promote_within_a_category(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    s = gg.tensor(0.5, dtype=F64, device=device, requires_grad=True)
    y = x * s
    assert y.dtype is F32
    y.sum().backward()
    assert s.grad.dtype is F64 and s.grad.item() == 3.0 and host(x.grad).tolist() == [0.5, 0.5]
    i = gg.tensor([1, 2], dtype=gg.int32, device=device)
    assert (i + gg.tensor(5, device=device)).dtype is I32
    assert (i + gg.tensor(1.5, dtype=F64, device=device)).dtype is F64


def test_where_promotes_its_two_values(device):
    c = gg.tensor([True, False], device=device)
    cases = [
        (gg.tensor([1, 2], dtype=gg.int32, device=device),
         gg.tensor([0.5, 0.25], dtype=F16, device=device), F16, [1.0, 0.25]),
        (gg.tensor([1, 2], dtype=gg.int32, device=device), 1.5, F32, [1.0, 1.5]),
        (gg.tensor([1.0, 2.0], dtype=F16, device=device), 1.5, F16, [1.0, 1.5]),
        (1, 2.5, F32, [1.0, 2.5]), (1, 2, I64, [1, 2]),
        (gg.tensor([1, 2], device=device), gg.tensor([7], dtype=gg.int32, device=device), I64,
         [1, 7]),
    ]
    for a, b, want, vals in cases:
        out = gg.where(c, a, b)
        assert out.dtype is want, (a, b)
        assert host(out).tolist() == vals
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = gg.tensor([3.0, 4.0], dtype=F64, device=device, requires_grad=True)
    out = gg.where(c, x, y)
    assert out.dtype is F64
    (out * gg.tensor([10.0, 20.0], dtype=F64, device=device)).sum().backward()
    assert x.grad.dtype is F32 and host(x.grad).tolist() == [10.0, 0.0]
    assert y.grad.dtype is F64 and host(y.grad).tolist() == [0.0, 20.0]


def test_maximum_of_int_and_float_gives_float_and_float_gradients(device):
    x = gg.tensor([0.5, 3.0], device=device, requires_grad=True)
    k = gg.tensor([1, 2], dtype=gg.int32, device=device)
    m = gg.maximum(k, x)
    assert m.dtype is F32 and host(m).tolist() == [1.0, 3.0]
    m.sum().backward()
    assert x.grad.dtype is F32 and host(x.grad).tolist() == [0.0, 1.0]
    assert gg.minimum(gg.tensor([1, 5], device=device), gg.tensor(1.5, device=device)).dtype is F32


@pytest.mark.parametrize("target, other, result", [
    (I64, 1.5, "Float"), (I64, "float_tensor", "Float"), (I32, "div2", "Float"),
    (B, 1, "Long"), (I32, "zero_dim_float", "Float"),
])
def test_in_place_refuses_a_result_it_cannot_hold(device, target, other, result):
    a = gg.tensor([1, 0], dtype=target, device=device)
    before = host(a).tolist()
    name = {I64: "Long", I32: "Int", B: "Bool"}[target]
    msg = f"result type {result} can't be cast to the desired output type {name}"
    with pytest.raises(RuntimeError, match=msg):
        if other == "float_tensor":
            a += gg.tensor([1.0, 2.0], device=device)
        elif other == "div2":
            a /= 2
        elif other == "zero_dim_float":
            a *= gg.tensor(2.0, device=device)
        else:
            a += other
    assert host(a).tolist() == before and a.dtype is target
    with pytest.raises(RuntimeError, match=msg):
        if other == "div2":
            a.div_(2)
        elif other == "float_tensor":
            a.add_(gg.tensor([1.0, 2.0], device=device))
        elif other == "zero_dim_float":
            a.mul_(gg.tensor(2.0, device=device))
        else:
            a.add_(other)


def test_in_place_keeps_its_dtype_when_the_cast_is_allowed(device):
    h = gg.tensor([1.0, 2.0], dtype=F16, device=device)
    h += gg.tensor([0.5, 0.25], device=device)
    assert h.dtype is F16 and host(h).tolist() == [1.5, 2.25]
    i = gg.tensor([1, 2], dtype=gg.int32, device=device)
    i += gg.tensor([3, 4], device=device)
    i *= gg.tensor([True, False], device=device)
    assert i.dtype is I32 and host(i).tolist() == [4, 0]
    f = gg.tensor([0.5, 1.0], device=device)
    f += gg.tensor([16777217, 1], device=device)  # computed in float32, as PyTorch
    assert f.dtype is F32 and host(f).tolist() == [16777216.0, 2.0]
    b = gg.tensor([True, False], device=device)
    b += True
    assert host(b).tolist() == [True, True]


def test_bool_subtraction_and_negation_raise_as_pytorch(device):
    b = gg.tensor([True, False], device=device)
    i = gg.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        b - b
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        b - True
    for fn in (lambda: i - b, lambda: b - 1, lambda: 1 - b, lambda: i - True,
               lambda: gg.sub(i, b), lambda: i.sub_(b)):
        with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
            fn()
    assert host(i).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -b


def test_same_dtype_operands_are_not_cast(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * x + x / 2.0 - 1
    # Only the ops asked for are in the graph: no Cast nodes were added.
    names = []
    stack = [y.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n.name == "AccumulateGrad":
            continue
        names.append(n.name)
        stack.extend(n.next_fns)
    assert sorted(names) == ["Add", "Div", "Mul", "Sub"]
    z = x * gg.tensor([2, 3], device=device)
    assert z.grad_fn.name == "Mul" and z.grad_fn.next_fns[0].name == "AccumulateGrad"


def test_python_ints_wrap_into_small_integer_tensors():
    """A Python int outside an integer tensor's range wraps around into it, as PyTorch
    computes (values from PyTorch 2.13); NumPy alone would raise OverflowError."""
    a = gg.tensor([1, 2], dtype=gg.uint8)
    assert (a + (-1)).tolist() == [0, 1] and (a + (-1)).dtype == gg.uint8
    assert (a * 300).tolist() == [44, 88]
    assert (a - 3).tolist() == [254, 255] and (5 - a).tolist() == [4, 3]
    assert (gg.tensor([1], dtype=gg.int8) + 200).tolist() == [-55]
    assert (gg.tensor([1], dtype=gg.int32) + 2**40).tolist() == [1]
    assert (gg.tensor([3]) + -5).tolist() == [-2]  # int64: in range, unchanged
