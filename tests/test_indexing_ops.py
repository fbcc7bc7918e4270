"""Values, errors and autograd rules of the index and shape ops (the op table in
``optable_index.py`` checks their forward and gradients against NumPy float64).

Expected numbers are worked out by hand or with NumPy; where they encode a PyTorch convention
(tie sharing, zero handling), the comment says which."""

import copy

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import _device as _dev
from gpugrad.autograd import sum_to_shape
from gpugrad.ops.arrange import Flip, Repeat, Roll

from .conftest import host


def t(data, device, **kw):
    return gg.tensor(data, device=device, **kw)


def grid(device, dtype=gg.float32):
    return gg.arange(12, device=device).reshape(3, 4).to(dtype)


# --- x[key] ----------------------------------------------------------------------------------


def test_getitem_with_ranges_lists_and_tuples(device):
    x = grid(device)
    a = np.arange(12.0).reshape(3, 4)
    assert x[range(3), t([0, 1, 2], device)].tolist() == [0, 5, 10]
    assert x[[0, 2]].tolist() == a[[0, 2]].tolist()
    assert x[[0, 1], [1, 2]].tolist() == [1, 6]
    assert x[(0, 1)].item() == 1  # a tuple key is one index per dimension
    assert x[[[0, 1], [1, 2]]].tolist() == [1, 6]  # PyTorch's rule: a list of lists is a tuple
    assert x[[0, slice(None)]].tolist() == [0, 1, 2, 3]
    assert x[[0, 2], 1:3].tolist() == [[1, 2], [9, 10]]
    assert x[1:, [0, 3]].tolist() == [[4, 7], [8, 11]]
    assert x[None, [0, 2]].shape == (1, 2, 4)
    assert x[..., (0, 2)].tolist() == [[0, 2], [4, 6], [8, 10]]
    assert x[[True, False, True]].tolist() == a[[0, 2]].tolist()
    assert x[t([True, False, True], device), 1].tolist() == [1, 9]
    assert x[x > 9].tolist() == [10, 11]
    assert x[[-1]].tolist() == [[8, 9, 10, 11]]
    assert x[[]].shape == (0, 4)
    assert x[np.array([2, 0])].tolist() == a[[2, 0]].tolist()
    assert x[t(1, device)].tolist() == [4, 5, 6, 7]  # a 0-d integer tensor acts as an int
    assert x[True].shape == (1, 3, 4) and x[False].shape == (0, 3, 4)
    assert x[gg.tensor([2])].tolist() == [[8, 9, 10, 11]]  # host indices serve any device
    y = gg.zeros(2, 3, 4, 5, device=device)
    assert y[[0, 1], :, [1, 2]].shape == (2, 3, 5)  # split advanced indices go first
    assert y[:, [0, 1], [1, 2]].shape == (2, 2, 5)  # adjacent ones stay in place


def test_getitem_basic_is_a_view_and_advanced_a_copy(device):
    x = gg.zeros(3, 4, device=device)
    v, c = x[1:], x[[1, 2]]
    x[2, 0] = 7.0
    assert v[1, 0].item() == 7.0 and c[1, 0].item() == 0.0


@pytest.mark.parametrize("key, match", [
    (1.5, "valid indices"), ("a", "valid indices"), ([1.5], "valid indices"),
    (5, "index 5 is out of bounds for dimension 0 with size 3"),
    ([0, 5], "index 5 is out of bounds"), ((0, -5), "index -5 is out of bounds for dimension 1"),
    ((0, 0, 0), "too many indices"), ((..., 0, ...), "single ellipsis"),
    ([True, False], r"shape of the mask \[2\] at index 0 does not match"),
])
def test_getitem_errors_are_index_errors(device, key, match):
    x = grid(device)
    with pytest.raises(IndexError, match=match):
        x[key]
    with pytest.raises(IndexError, match="long, int or bool"):
        x[t([0.5], device)]
    with pytest.raises(IndexError, match="out of bounds"):
        x[t([3], device)]


# --- x[key] = value --------------------------------------------------------------------------


def test_setitem_forms_and_broadcasting(device):
    y = gg.zeros(3, 4, device=device)
    y[range(3), [0, 1, 2]] = t([1.0, 2.0, 3.0], device)
    y[[0, 2], 3] = 9
    y[1:, :1] = t([[4.0], [5.0]], device)
    y[t([False, True, False], device), 2] = -1.0
    y[t([0], device)] += 0  # a read, add and write back
    assert y.tolist() == [[1, 0, 0, 9], [4, 2, -1, 0], [5, 0, 3, 9]]
    y[...] = 1
    assert y.tolist() == [[1.0] * 4] * 3
    y[y > 0] = t(2.0, device)
    assert y.sum().item() == 24
    y[0] = t([[1.0, 2.0, 3.0, 4.0]], device)  # leading size-1 dimensions are dropped
    assert y[0].tolist() == [1, 2, 3, 4]


def test_setitem_casts_to_the_target_dtype(device):
    i = gg.zeros(4, dtype=gg.long, device=device)
    i[1] = 2.7
    assert i.tolist() == [0, 2, 0, 0] and i.dtype == gg.int64
    f = gg.zeros(2, 3, device=device)
    f[0] = t([1.0, 2.0, 3.0], device, dtype=gg.float64)
    f[1] = t([1, 2, 3], device)
    assert f.dtype == gg.float32 and f.tolist() == [[1, 2, 3], [1, 2, 3]]


def test_setitem_errors_leave_the_tensor_unchanged(device):
    y = gg.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2, 3\]"):
        y[0] = gg.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"indexing result of shape \[2\]"):
        y[[0, 1], [0, 1]] = gg.ones(3, device=device)
    with pytest.raises(TypeError, match="can't assign a list"):
        y[0] = [1, 2, 3]
    with pytest.raises(IndexError, match="valid indices"):
        y[1.5] = 1
    assert y.tolist() == [[0.0] * 3] * 2 and y._version.v == 0


def test_setitem_gradient_goes_to_value_and_not_to_overwritten_places(device):
    v = t([1.0, 2.0], device, requires_grad=True)
    y = gg.zeros(3, 4, device=device)  # no grad: becomes the output of the write
    y[0, 1:3] = v
    assert y.requires_grad and not y.is_leaf
    w = grid(device)
    (y * w).sum().backward()
    assert v.grad.tolist() == [1.0, 2.0]
    a = gg.ones(3, 4, device=device, requires_grad=True)
    b = a * 2
    b[0] = 0.0
    (b * w).sum().backward()  # PyTorch: the first row gets nothing
    np.testing.assert_allclose(host(a.grad), [[0] * 4, [8, 10, 12, 14], [16, 18, 20, 22]])


def test_setitem_value_with_leading_ones_and_broadcast_gets_summed_gradient(device):
    v = gg.ones(1, 1, device=device, requires_grad=True)
    y = gg.zeros(2, 3, device=device)
    y[:, 1:] = v  # broadcast to (2, 2)
    (y * t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device)).sum().backward()
    assert v.grad.tolist() == [[2.0 + 3.0 + 5.0 + 6.0]]


def test_setitem_on_a_leaf_requiring_grad_raises_unless_no_grad(device):
    a = gg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        a[0] = 0.0
    with pytest.raises(RuntimeError, match="leaf Variable"):
        a.index_put_((t([1], device),), t(5.0, device))
    assert a.tolist() == [1.0, 1.0, 1.0]
    with gg.no_grad():
        a[0] = 5.0
    assert a.tolist() == [5.0, 1.0, 1.0] and a.is_leaf and a.requires_grad


def test_setitem_on_a_saved_tensor_makes_backward_raise(device):
    a = gg.ones(3, device=device, requires_grad=True)
    w = gg.ones(3, device=device)
    y = (a * w).sum()  # saves w
    w[0] = 5.0  # a write into storage
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    w2 = gg.ones(3, device=device)
    y2 = (a * w2).sum()
    w2[0] = t(2.0, device, requires_grad=True)  # recorded: w2 is rebound, still a write
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.backward()
    b = a.exp()  # saves its output
    b[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_setitem_keeps_retain_grad_and_views_see_writes_to_storage(device):
    a = gg.ones(3, device=device, requires_grad=True)
    b = a * 2
    b.retain_grad()
    b[0] = 0.0
    (b * 3).sum().backward()
    assert host(b.grad).tolist() == [3, 3, 3] and host(a.grad).tolist() == [0, 6, 6]
    x = gg.zeros(3, 4, device=device)
    row = x[0]
    x[0, 1] = 5.0  # nothing requires grad: written into the shared storage
    assert row.tolist() == [0, 5, 0, 0]


def test_index_put(device):
    y = gg.zeros(4, device=device)
    assert y.index_put((t([1, 1, 3], device),), t([1.0, 2.0, 5.0], device),
                       accumulate=True).tolist() == [0, 3, 0, 5]
    assert gg.index_put(gg.zeros(2, 3, device=device), (t([0, 1], device), t([2, 0], device)),
                        t([7.0, 8.0], device)).tolist() == [[0, 0, 7], [8, 0, 0]]
    assert y.index_put((t([True, False, False, True], device),), t(1.0, device)).tolist() == \
        [1, 0, 0, 1]
    assert y.tolist() == [0, 0, 0, 0]
    out = y.index_put_([t([1, 1, 3], device)], t(5.0, device))
    assert out is y and y.tolist() == [0, 5, 0, 5]
    y.index_put_((t([0, 0], device),), t([1.0, 2.0], device), accumulate=True)
    assert y.tolist() == [3, 5, 0, 5]
    v = t([1.0, 2.0, 3.0], device, requires_grad=True)
    z = gg.zeros(2, 3, device=device).index_put((t([0, 0], device),), v, accumulate=True)
    z.sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0]  # the row is added twice
    with pytest.raises(TypeError, match="'values' must be Tensor"):
        y.index_put_((t([1], device),), 5.0)
    with pytest.raises(TypeError, match="tuple of Tensors"):
        y.index_put_(t([1], device), t(5.0, device))
    with pytest.raises(TypeError, match="expected Tensor as element 0"):
        y.index_put_((None,), t(5.0, device))


# --- along a dimension -----------------------------------------------------------------------


def test_gather_and_its_errors(device):
    x = grid(device)
    i = t([[0, 1], [2, 0]], device)
    assert gg.gather(x, 1, i).tolist() == [[0, 1], [6, 4]]
    assert x.gather(0, t([[0, 1, 2]], device)).tolist() == [[0, 5, 10]]
    assert x.gather(1, i.int()).tolist() == [[0, 1], [6, 4]]
    assert gg.gather(t(5.0, device), 0, t(0, device)).item() == 5.0
    with pytest.raises(RuntimeError, match=r"expected index \[4, 1\] to be no larger than self"):
        gg.gather(x, 1, gg.zeros(4, 1, dtype=gg.long, device=device))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        gg.gather(x, 1, t([0, 1], device))
    with pytest.raises(RuntimeError, match="int32/int64"):
        gg.gather(x, 1, i.float())
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size"):
        gg.gather(x, 1, t([[5]], device))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        gg.gather(x, 1, t([[-1]], device))
    with pytest.raises(IndexError, match="Dimension out of range"):
        gg.gather(x, 2, i)
    with pytest.raises(TypeError, match="must be Tensor"):
        gg.gather(x, 1, [[0]])


def test_gather_gradient_accumulates_repeats(device):
    x = t([1.0, 2.0, 3.0], device, requires_grad=True)
    x.gather(0, t([2, 2, 0, 2], device)).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 3.0]


def test_scatter_forms(device):
    i = t([[0, 1], [2, 0]], device)
    z = gg.zeros(3, 4, device=device)
    want = [[7, 7, 0, 0], [7, 0, 7, 0], [0, 0, 0, 0]]
    assert z.scatter(1, i, gg.full((2, 2), 7.0, device=device)).tolist() == want
    assert z.scatter(1, i, 7.0).tolist() == want
    assert gg.scatter(z, 1, i, value=7).tolist() == want
    assert z.scatter(1, i, grid(device)).tolist() == [[0, 1, 0, 0], [5, 0, 4, 0], [0] * 4]
    one = gg.ones(3, 4, device=device)
    assert one.scatter(1, i, 3.0, reduce="add").tolist()[0] == [4, 4, 1, 1]
    assert one.scatter(1, i, gg.full((2, 2), 3.0, device=device),
                       reduce="multiply").tolist()[1] == [3, 1, 3, 1]
    assert z.tolist() == [[0.0] * 4] * 3  # out of place
    assert z.scatter_(1, i, 2.0) is z and z.sum().item() == 8.0
    z.scatter_(1, i, 1.0, reduce="add")
    assert z.tolist()[0] == [3, 3, 0, 0]
    s = gg.zeros(3, 4, device=device).scatter_add(1, t([[0, 0], [1, 1]], device),
                                                  gg.ones(2, 2, device=device))
    assert s.tolist() == [[2, 0, 0, 0], [0, 2, 0, 0], [0] * 4]
    a = gg.zeros(2, device=device)
    a.scatter_add_(0, t([1, 1, 1], device), t([1.0, 2.0, 3.0], device))
    assert a.tolist() == [0, 6]


def test_scatter_errors(device):
    z = gg.zeros(3, 4, device=device)
    i = t([[0, 1], [2, 0]], device)
    with pytest.raises(RuntimeError, match="no larger size than src"):
        z.scatter(1, i, gg.ones(1, 1, device=device))
    with pytest.raises(RuntimeError, match="self.dtype to be equal to src.dtype"):
        z.scatter(1, i, gg.ones(2, 2, dtype=gg.float64, device=device))
    with pytest.raises(RuntimeError, match="add or multiply"):
        z.scatter(1, i, 1.0, reduce="sum")
    with pytest.raises(RuntimeError, match="index 9 is out of bounds"):
        z.scatter(1, t([[9]], device), 1.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        z.scatter_add(1, i, 1.0)
    with pytest.raises(RuntimeError, match="sum, prod, mean, amax or amin"):
        z.scatter_reduce(1, i, gg.ones(2, 2, device=device), "max")
    assert z.tolist() == [[0.0] * 4] * 3


def test_scatter_gradients(device):
    a = gg.zeros(3, 4, device=device, requires_grad=True)
    s = gg.ones(2, 2, device=device, requires_grad=True)
    (a.scatter(1, t([[0, 1], [2, 0]], device), s) * grid(device)).sum().backward()
    assert a.grad.tolist() == [[0, 0, 2, 3], [0, 5, 0, 7], [8, 9, 10, 11]]  # as PyTorch
    assert s.grad.tolist() == [[0, 1], [6, 4]]


# Expected values from PyTorch 2.13 (torch.Tensor.scatter_reduce and its backward) on
# x = [[2, 0, 3], [1, 9, 4]], src = [[5, 0, 7], [2, 9, 0]], index [[0, 0, 1], [1, 1, 0]], the
# output weighted by arange(6): (out, x.grad, src.grad).
_SCATTER_REDUCE = {
    ("sum", True): ([[7, 7, 3], [1, 20, 4]], [[0, 1, 2], [3, 4, 5]], [[0, 0, 1], [4, 4, 3]]),
    ("sum", False): ([[5, 7, 3], [0, 11, 4]], [[0, 0, 2], [0, 0, 5]], [[0, 0, 1], [4, 4, 3]]),
    ("prod", True): ([[0, 0, 3], [0, 162, 4]], [[0, 7, 2], [0, 72, 5]],
                     [[0, 0, 0], [324, 72, 3]]),
    ("prod", False): ([[0, 7, 3], [0, 18, 4]], [[0, 0, 2], [0, 0, 5]],
                      [[0, 0, 1], [36, 8, 3]]),
    ("mean", True): ([[7 / 3, 3.5, 3], [0.5, 20 / 3, 4]], [[0, 0.5, 2], [1.5, 4 / 3, 5]],
                     [[0, 0, 0.5], [4 / 3, 4 / 3, 1.5]]),
    ("mean", False): ([[2.5, 7, 3], [0, 5.5, 4]], [[0, 0, 2], [0, 0, 5]],
                      [[0, 0, 1], [2, 2, 3]]),
    ("amax", True): ([[5, 7, 3], [1, 9, 4]], [[0, 0, 2], [3, 2, 5]], [[0, 0, 1], [0, 2, 0]]),
    # PyTorch gives src [[0, 0, 1], [0, 2, 3]] here: it counts x's tie at a place it then
    # excludes; the whole gradient 4 goes to the src 9, the only maximum sent there.
    ("amax", False): ([[5, 7, 3], [0, 9, 4]], [[0, 0, 2], [0, 0, 5]], [[0, 0, 1], [0, 4, 3]]),
    ("amin", True): ([[0, 0, 3], [0, 2, 4]], [[0, 1, 2], [0, 0, 5]], [[0, 0, 0], [4, 0, 3]]),
    ("amin", False): ([[0, 7, 3], [0, 2, 4]], [[0, 0, 2], [0, 0, 5]], [[0, 0, 1], [4, 0, 3]]),
}


@pytest.mark.parametrize("reduce, include_self", list(_SCATTER_REDUCE))
def test_scatter_reduce_values_and_gradients(device, reduce, include_self):
    out_want, gx_want, gs_want = _SCATTER_REDUCE[reduce, include_self]
    x = t([[2.0, 0.0, 3.0], [1.0, 9.0, 4.0]], device, requires_grad=True)
    s = t([[5.0, 0.0, 7.0], [2.0, 9.0, 0.0]], device, requires_grad=True)
    y = x.scatter_reduce(1, t([[0, 0, 1], [1, 1, 0]], device), s, reduce,
                         include_self=include_self)
    np.testing.assert_allclose(host(y), out_want, rtol=1e-6)
    (y * gg.arange(6.0, device=device).reshape(2, 3)).sum().backward()
    np.testing.assert_allclose(host(x.grad), gx_want, rtol=1e-6)
    np.testing.assert_allclose(host(s.grad), gs_want, rtol=1e-6)


def test_scatter_reduce_in_place_and_integers(device):
    a = t([1, 5, 2], device)
    a.scatter_reduce_(0, t([0, 0, 2], device), t([4, 7, 1], device), "amax")
    assert a.tolist() == [7, 5, 2]
    m = t([10, 10], device).scatter_reduce(0, t([0, 0, 0], device), t([1, 2, 4], device),
                                           "mean")
    assert m.tolist() == [4, 10] and m.dtype == gg.int64  # (10 + 1 + 2 + 4) // 4


def test_scatter_product_rounds_match_multiply_at():
    """The CuPy path of scatter_reduce("prod") (no multiply.at there), run with NumPy."""
    rng = np.random.default_rng(0)
    target = rng.uniform(0.5, 2.0, (4, 5))
    key = (rng.integers(0, 4, (3, 6)), rng.integers(-5, 5, (1, 6)))  # repeats, negatives
    vals = rng.uniform(0.5, 2.0, (3, 6))
    want = target.copy()
    np.multiply.at(want, key, vals)
    got = target.copy()
    _dev.scatter_multiply_rounds(np, got, key, vals)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    got = target.copy()
    _dev.scatter_multiply_rounds(np, got, key, 3.0)
    want = target.copy()
    np.multiply.at(want, key, 3.0)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_index_select_add_fill_copy(device):
    x = grid(device)
    assert gg.index_select(x, 1, t([3, 0, 3], device)).tolist() == \
        [[3, 0, 3], [7, 4, 7], [11, 8, 11]]
    assert x.index_select(1, t(2, device)).tolist() == [[2], [6], [10]]
    z = gg.zeros(3, 4, device=device)
    assert gg.index_add(z, 0, t([0, 0], device), gg.ones(2, 4, device=device),
                        alpha=2).tolist()[0] == [4] * 4
    assert gg.index_fill(x, 1, t([0, 2], device), -1.0).tolist()[0] == [-1, 1, -1, 3]
    assert x.index_fill(1, t([0, 2], device), t(-1.0, device)).tolist()[2] == [-1, 9, -1, 11]
    assert gg.arange(4, device=device).index_fill(0, t([1], device), 2.7).tolist() == \
        [0, 2, 2, 3]
    assert gg.index_copy(z, 1, t([0, 2], device), gg.ones(3, 2, device=device)).tolist()[1] \
        == [1, 0, 1, 0]
    z.index_add_(1, t([3, 3], device), gg.ones(3, 2, device=device))
    z.index_copy_(0, t([1], device), gg.full((1, 4), 5.0, device=device))
    z.index_fill_(1, t([0], device), 9)
    assert z.tolist() == [[9, 0, 0, 2], [9, 5, 5, 5], [9, 0, 0, 2]]


def test_index_ops_errors(device):
    x = grid(device)
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(1, t([[3, 0]], device))
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        x.index_select(1, t([7], device))
    with pytest.raises(RuntimeError, match="int32/int64"):
        x.index_select(1, t([1.0], device))
    with pytest.raises(RuntimeError, match="source tensor shape must match"):
        x.index_add(0, t([0, 0], device), gg.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="same scalar type"):
        x.index_add(0, t([0], device), gg.ones(1, 4, dtype=gg.float64, device=device))
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.index_fill(1, t([0], device), t([1.0], device))


def test_index_fill_value_tensor_receives_the_summed_gradient(device):
    v = t(2.0, device, requires_grad=True)
    x = grid(device).requires_grad_()
    (x.index_fill(1, t([0, 2], device), v) * grid(device)).sum().backward()
    assert v.grad.item() == 0 + 2 + 4 + 6 + 8 + 10
    assert x.grad.tolist()[0] == [0, 1, 0, 3]


def test_take_and_take_along_dim(device):
    x = grid(device)
    assert gg.take(x, t([[0, 11], [5, -1]], device)).tolist() == [[0, 11], [5, 11]]
    with pytest.raises(IndexError, match="tried to access index 12 on a tensor of 12"):
        gg.take(x, t([12], device))
    with pytest.raises(RuntimeError, match="Expected a long tensor"):
        gg.take(x, t([1.0], device))
    assert gg.take_along_dim(x, t([[0, 11], [5, 1]], device)).tolist() == [0, 11, 5, 1]
    assert gg.take_along_dim(x, t([[0], [2], [3]], device), 1).tolist() == [[0], [6], [11]]
    assert gg.take_along_dim(x, t([[0, 1]], device), 1).tolist() == [[0, 1], [4, 5], [8, 9]]
    assert gg.take_along_dim(x[:1], t([[0], [1], [2]], device), 1).tolist() == [[0], [1], [2]]
    assert x.take_along_dim(t([[-1]], device), 1).tolist() == [[3], [7], [11]]
    order = x.neg().argmax(dim=1, keepdim=True)
    assert gg.take_along_dim(x, order, 1).tolist() == [[0], [4], [8]]
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        gg.take_along_dim(x, t([1], device), 1)


# --- masks -----------------------------------------------------------------------------------


def test_masked_fill_and_select(device):
    x = grid(device)
    m = x > 5
    assert x.masked_fill(m, -1).tolist()[1] == [4, 5, -1, -1]
    assert x.masked_fill(t([True, False, True, False], device), -1).tolist()[0] == [-1, 1, -1, 3]
    assert gg.masked_fill(gg.zeros(4, device=device), gg.ones(2, 4, dtype=gg.bool,
                                                              device=device), 1.0).shape == (2, 4)
    assert x.masked_fill(m, t(-1.0, device, dtype=gg.float64)).dtype == gg.float32
    assert gg.arange(4, device=device).masked_fill(t([True, False, False, False], device),
                                                    2.5).tolist() == [2, 1, 2, 3]
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        x.masked_fill(m.long(), 0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(m, t([1.0], device))
    assert gg.masked_select(x, m).tolist() == [6, 7, 8, 9, 10, 11]
    assert gg.masked_select(gg.arange(4.0, device=device),
                            t([[True, False, True, False], [False, True, True, True]],
                              device)).tolist() == [0, 2, 1, 2, 3]
    with pytest.raises(RuntimeError, match="expected|boolean"):
        x.masked_select(m.long())


def test_masked_fill_in_place_and_value_gradient(device):
    y = gg.zeros(4, device=device)
    assert y.masked_fill_(t([True, False, True, False], device), 2.0) is y
    assert y.tolist() == [2, 0, 2, 0]
    with pytest.raises(RuntimeError, match="does not broadcast"):
        y.masked_fill_(gg.ones(2, 4, dtype=gg.bool, device=device), 1.0)
    v = t(2.0, device, requires_grad=True)
    x = grid(device)
    (x.masked_fill(x > 5, v) * x).sum().backward()
    assert v.grad.item() == 6 + 7 + 8 + 9 + 10 + 11  # PyTorch: 51


def test_masked_scatter(device):
    m = grid(device) > 5
    src = gg.arange(100.0, 112.0, device=device)
    assert gg.zeros(3, 4, device=device).masked_scatter(m, src).tolist()[1] == \
        [0, 0, 100, 101]
    assert gg.zeros(3, 4, device=device).masked_scatter(
        t([True, False, True, False], device), src).tolist()[2] == [104, 0, 105, 0]
    with pytest.raises(RuntimeError, match="Number of elements of source"):
        gg.zeros(3, 4, device=device).masked_scatter(m, src[:3])
    s = src.clone().requires_grad_()
    a = gg.zeros(3, 4, device=device, requires_grad=True)
    (a.masked_scatter(m, s) * grid(device)).sum().backward()
    assert s.grad.tolist() == [6, 7, 8, 9, 10, 11] + [0] * 6  # as PyTorch
    assert a.grad.tolist() == [[0, 1, 2, 3], [4, 5, 0, 0], [0] * 4]
    z = gg.zeros(2, 2, device=device)
    z.masked_scatter_(t([[False, True], [True, False]], device), t([7.0, 8.0, 9.0], device))
    assert z.tolist() == [[0, 7], [8, 0]]


# --- where, nonzero --------------------------------------------------------------------------


def test_where_forms_and_dtypes(device):
    x = grid(device)
    m = x > 5
    rows, cols = gg.where(m)
    assert rows.tolist() == [1, 1, 2, 2, 2, 2] and cols.tolist() == [2, 3, 0, 1, 2, 3]
    assert [i.tolist() for i in gg.where(t([0, 3, 0, 2], device))] == [[1, 3]]
    assert gg.where(m, 1.0, 0.0).dtype == gg.float32
    assert gg.where(m, 1, 0).dtype == gg.int64 and gg.where(m, 1, 0).sum().item() == 6
    assert gg.where(m, 1, 0.5).dtype == gg.float32
    assert gg.where(m, 2.0, x).tolist()[1] == [4, 5, 2, 2]
    assert x.where(m, -x).tolist()[0] == [0, -1, -2, -3]
    assert x.where(m, 0.0).tolist()[1] == [0, 0, 6, 7]


def test_nonzero_and_argwhere(device):
    a = t([[0, 1], [2, 0]], device)
    assert gg.nonzero(a).tolist() == [[0, 1], [1, 0]] and gg.nonzero(a).dtype == gg.int64
    assert [i.tolist() for i in gg.nonzero(a, as_tuple=True)] == [[0, 1], [1, 0]]
    assert gg.argwhere(a).tolist() == [[0, 1], [1, 0]]
    assert t([1, 0, 2], device).nonzero().tolist() == [[0], [2]]
    assert gg.nonzero(t(3.0, device)).shape == (1, 0)
    assert gg.nonzero(t(0.0, device)).shape == (0, 0)
    assert [i.tolist() for i in gg.nonzero(t(3.0, device), as_tuple=True)] == [[0]]
    assert t([float("nan"), 0.0], device).nonzero().tolist() == [[0]]


# --- shape -----------------------------------------------------------------------------------


def _shapes(pieces):
    assert isinstance(pieces, tuple)
    return [tuple(p.shape) for p in pieces]


def test_split_chunk_tensor_split_unbind(device):
    x = grid(device)
    assert _shapes(x.chunk(3, 1)) == [(3, 2), (3, 2)]
    assert _shapes(gg.chunk(gg.arange(5, device=device), 3)) == [(2,), (2,), (1,)]
    assert _shapes(gg.chunk(gg.arange(6, device=device), 4)) == [(2,), (2,), (2,)]
    assert _shapes(gg.chunk(gg.zeros(0, device=device), 2)) == [(0,), (0,)]
    assert _shapes(x.split(3, 1)) == [(3, 3), (3, 1)]
    assert x.split([1, 3], 1)[0].tolist() == [[0], [4], [8]]
    assert _shapes(gg.split(x, (2, 2), dim=1)) == [(3, 2), (3, 2)]
    assert _shapes(x.split(split_size=10, dim=1)) == [(3, 4)]
    r = gg.arange(7, device=device)
    assert [p.tolist() for p in gg.tensor_split(r, 3)] == [[0, 1, 2], [3, 4], [5, 6]]
    assert [p.tolist() for p in gg.tensor_split(r, [1, 5, 10])] == [[0], [1, 2, 3, 4], [5, 6],
                                                                    []]
    assert [p.tolist() for p in r.tensor_split(t([5, 2], device))] == \
        [[0, 1, 2, 3, 4], [], [2, 3, 4, 5, 6]]
    assert len(gg.tensor_split(r, t(3, device))) == 3
    assert [p.tolist() for p in x.unbind(1)][1] == [1, 5, 9]
    with pytest.raises(RuntimeError, match="greater than 0"):
        gg.chunk(r, 0)
    with pytest.raises(RuntimeError, match="at least a 1-dimensional"):
        gg.chunk(t(1.0, device), 1)
    with pytest.raises(RuntimeError, match="sum exactly to 4"):
        x.split([1, 2], 1)
    with pytest.raises(RuntimeError, match="non-negative"):
        x.split(-1, 1)
    with pytest.raises(RuntimeError, match="can only be 0 if dimension size is 0"):
        x.split(0, 1)
    with pytest.raises(RuntimeError, match="larger than 0"):
        gg.tensor_split(r, 0)
    with pytest.raises(IndexError, match="no dimensions"):
        t(1.0, device).unbind()


def test_pieces_are_views_and_their_gradients_add_up(device):
    x = gg.zeros(2, 4, device=device)
    left, right = x.chunk(2, 1)
    row = x.select(0, 1)
    narrow = x.narrow(1, -2, 2)
    x[1, 3] = 5.0
    assert right[1, 1].item() == 5.0 and row[3].item() == 5.0 and narrow[1, 1].item() == 5.0
    a = gg.ones(2, 4, device=device, requires_grad=True)
    p, q = a.split([1, 3], 1)
    (p * 2).sum().backward(retain_graph=True)
    (q * 3).sum().backward()
    assert a.grad.tolist() == [[2, 3, 3, 3]] * 2


def test_narrow_select_errors(device):
    x = grid(device)
    assert x.narrow(1, t(1, device), 2).tolist()[0] == [1, 2]
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(2\) exceeds dimension size"):
        x.narrow(1, 3, 2)
    with pytest.raises(RuntimeError, match="length must be non-negative"):
        x.narrow(1, 1, -1)
    with pytest.raises(IndexError, match="start out of range"):
        x.narrow(1, 5, 0)
    with pytest.raises(IndexError, match="select"):
        x.select(0, 3)
    assert x.select(1, -1).tolist() == [3, 7, 11]


def test_repeat_tile_flip_roll(device):
    v = t([1.0, 2.0], device)
    assert v.repeat(2, 3).tolist() == [[1, 2, 1, 2, 1, 2]] * 2
    assert v.repeat((2,)).tolist() == [1, 2, 1, 2]
    assert grid(device).repeat(0, 1).shape == (0, 4)
    assert gg.tile(v, (2, 2)).tolist() == [[1, 2, 1, 2]] * 2
    assert grid(device).tile((2,)).shape == (3, 8)
    with pytest.raises(RuntimeError, match="can not be smaller"):
        grid(device).repeat(2)
    with pytest.raises(RuntimeError, match="negative"):
        grid(device).repeat(-1, 1)
    x = grid(device)
    assert x.flip(0).tolist()[0] == [8, 9, 10, 11]
    assert x.flip(0, 1).tolist()[0] == [11, 10, 9, 8] == gg.flip(x, (0, 1)).tolist()[0]
    assert gg.flip(x, []).tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.flip((0, 0))
    with pytest.raises(RuntimeError, match=">= 2-d"):
        gg.fliplr(gg.arange(3, device=device))
    with pytest.raises(RuntimeError, match=">= 1-d"):
        gg.flipud(t(1.0, device))
    f = x.flip(1)
    f[0, 0] = 100.0  # a copy, as in PyTorch
    assert x[0, 3].item() == 3
    assert gg.roll(x, 1).tolist()[0] == [11, 0, 1, 2]
    assert gg.roll(x, 1, 1).tolist()[0] == [3, 0, 1, 2]
    assert gg.roll(x, (1, -1), (0, 1)).tolist()[0] == [9, 10, 11, 8]
    assert x.roll(9, 1).tolist()[0] == [3, 0, 1, 2]
    assert gg.roll(x, (1, 1), (1, 1)).tolist()[0] == [2, 3, 0, 1]
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        gg.roll(x, (1, 1), 0)


def test_dimension_moves_and_views_of_other_shapes(device):
    z = gg.zeros(2, 3, 4, device=device)
    assert z.movedim(0, -1).shape == (3, 4, 2)
    assert z.movedim((0, 1), (2, 0)).shape == (3, 4, 2)
    assert gg.moveaxis(z, 0, 1).shape == (3, 2, 4)
    assert gg.swapdims(z, 0, 2).shape == (4, 3, 2) == gg.swapaxes(z, 0, 2).shape
    assert z.swapaxes(0, 1).shape == (3, 2, 4)
    with pytest.raises(RuntimeError, match="repeated dim in `source`"):
        z.movedim((0, 0), (2, 1))
    with pytest.raises(RuntimeError, match="same number of dims"):
        z.movedim((0, 1), (2,))
    w = gg.zeros(2, 12, device=device)
    assert w.unflatten(1, (3, -1)).shape == (2, 3, 4)
    assert gg.unflatten(w, -1, [3, 4]).shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match="don't multiply up to the size of dim 1"):
        w.unflatten(1, (5, -1))
    with pytest.raises(RuntimeError, match="sizes must be non-empty"):
        w.unflatten(1, ())
    x = grid(device)
    assert x.view_as(gg.zeros(4, 3)).shape == (4, 3)
    assert x.reshape_as(gg.zeros(2, 6)).shape == (2, 6)
    assert gg.zeros(1, 4, device=device).expand_as(x).shape == (3, 4)
    assert gg.ravel(x).shape == (12,) and x.t().shape == (4, 3)


def test_squeeze_unsqueeze_flatten_dims(device):
    z = gg.zeros(1, 3, 1, 2, device=device)
    assert z.squeeze((0, 2)).shape == (3, 2) and z.squeeze([0, 2]).shape == (3, 2)
    assert z.squeeze((0, 1)).shape == (3, 1, 2)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        z.squeeze((0, 0))
    s = t(1.0, device)
    assert s.squeeze(0).shape == () and s.squeeze(-1).shape == ()
    with pytest.raises(IndexError, match="Dimension out of range"):
        s.squeeze(1)
    assert s.flatten().shape == (1,) and s.flatten(0, -1).shape == (1,)
    with pytest.raises(IndexError, match="Dimension out of range"):
        s.flatten(1)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        gg.zeros(2, 3).flatten(1, 0)
    m = gg.zeros(2, 3, device=device)
    assert m.unsqueeze(-1).shape == (2, 3, 1) and m.unsqueeze(-3).shape == (1, 2, 3)
    assert s.unsqueeze(-1).shape == (1,)
    with pytest.raises(IndexError, match=r"range of \[-3, 2\], but got -4"):
        m.unsqueeze(-4)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        gg.zeros(2, 2, 2).t()


def test_diagonal_family(device):
    x = grid(device)
    assert x.diagonal().tolist() == [0, 5, 10]
    assert x.diagonal(1).tolist() == [1, 6, 11] and x.diagonal(-1).tolist() == [4, 9]
    assert x.diagonal(5).shape == (0,)
    c = gg.arange(24, device=device).reshape(2, 3, 4)
    assert c.diagonal(0, 0, 2).tolist() == [[0, 13], [4, 17], [8, 21]]
    assert c.diagonal(1, 2, 0).tolist() == np.diagonal(np.arange(24).reshape(2, 3, 4), 1, 2,
                                                       0).tolist()
    with pytest.raises(RuntimeError, match="cannot be identical"):
        x.diagonal(0, 1, 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        gg.arange(3, device=device).diagonal()
    assert gg.diag(t([1.0, 2.0], device)).tolist() == [[1, 0], [0, 2]]
    assert gg.diag(t([1.0, 2.0], device), 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert gg.diag(t([1.0, 2.0], device), -1).tolist() == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    assert gg.diag(x, 1).tolist() == [1, 6, 11]
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        gg.diag(c)
    assert gg.diag_embed(t([[1.0, 2.0], [3.0, 4.0]], device)).tolist() == \
        [[[1, 0], [0, 2]], [[3, 0], [0, 4]]]
    assert gg.diag_embed(gg.arange(6.0, device=device).reshape(2, 3), 0, 0, 2).shape == \
        (3, 2, 3)
    assert gg.diagonal_scatter(gg.zeros(2, 3, device=device), t([5.0, 6.0], device),
                               1).tolist() == [[0, 5, 0], [0, 0, 6]]
    with pytest.raises(RuntimeError, match="size equal to the slice"):
        gg.diagonal_scatter(gg.zeros(2, 3, device=device), t([5.0], device))
    z = gg.zeros(3, 3, device=device)
    z.diagonal().fill_(1.0)  # a view, as in PyTorch
    assert z.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    d = gg.diag(z)
    d[0] = 7.0  # diag of a matrix is a copy
    assert z[0, 0].item() == 1.0


def test_numpy_style_stacking(device):
    def v(*xs):
        return t(list(xs), device)

    assert gg.hstack([v(1.0), v(2.0, 3.0)]).tolist() == [1, 2, 3]
    assert gg.hstack([gg.zeros(2, 1, device=device), gg.ones(2, 2, device=device)]).tolist() \
        == [[0, 1, 1], [0, 1, 1]]
    assert gg.hstack([t(1.0, device), t(2.0, device)]).tolist() == [1, 2]
    assert gg.vstack([v(1.0, 2.0), v(3.0, 4.0)]).tolist() == [[1, 2], [3, 4]]
    assert gg.vstack([t(1.0, device), t(2.0, device)]).tolist() == [[1], [2]]
    assert gg.column_stack([v(1.0, 2.0), t([[3.0, 4.0], [5.0, 6.0]], device),
                            v(7.0, 8.0)]).tolist() == [[1, 3, 4, 7], [2, 5, 6, 8]]
    assert gg.column_stack([t(1.0, device), t(2.0, device)]).tolist() == [[1, 2]]
    assert gg.dstack([v(1.0, 2.0), v(3.0, 4.0)]).tolist() == [[[1, 3], [2, 4]]]
    assert gg.atleast_1d(t(1.0, device)).shape == (1,)
    assert _shapes(gg.atleast_1d(t(1.0, device), v(2.0))) == [(1,), (1,)]
    assert _shapes(gg.atleast_1d([t(1.0, device), v(2.0)])) == [(1,), (1,)]
    assert gg.atleast_1d() == ()
    assert gg.atleast_2d(v(1.0, 2.0)).shape == (1, 2)
    assert gg.atleast_3d(v(1.0, 2.0)).shape == (1, 2, 1)
    assert gg.atleast_3d(gg.zeros(2, 3, device=device)).shape == (2, 3, 1)
    assert gg.atleast_3d(t(1.0, device)).shape == (1, 1, 1)


def test_broadcast_tensors_and_shapes(device):
    a, b = gg.broadcast_tensors(gg.zeros(3, 1, device=device), gg.ones(4, device=device))
    assert a.shape == b.shape == (3, 4) and b.sum().item() == 12
    assert gg.broadcast_shapes((3, 1), (4,), (2, 1, 1)) == (2, 3, 4)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 0"):
        gg.broadcast_tensors(gg.zeros(3), gg.zeros(4))
    x = gg.ones(3, 1, device=device, requires_grad=True)
    p, _ = gg.broadcast_tensors(x, gg.zeros(2, 1, 4, device=device))
    p.sum().backward()
    assert x.grad.tolist() == [[8.0]] * 3


# --- backward rules on Tensors (for higher-order gradients) ----------------------------------


def _as_graph_node(out, inputs):
    """A copy of out's node with its saved input/output arrays replaced by the Tensors, as
    the engine does when it re-runs a backward on Tensors."""
    node = copy.copy(out.grad_fn)
    for name, val in list(vars(node).items()):
        for x in (*inputs, out):
            if val is x._data:
                setattr(node, name, x)
    return node


class _GraphXp:
    """The array-module names the allowed backward rules use, on gpugrad Tensors."""

    @staticmethod
    def concatenate(seq, axis=0):
        return gg.cat(list(seq), axis)

    @staticmethod
    def flip(a, axis):
        return gg.flip(a, axis)


_GRAPH_CASES = {
    "Index": (lambda a: a[1:, None, ::2], [(3, 4)]),
    "Gather": (lambda a: a[[0, 2, 0], 1:], [(3, 4)]),
    "IndexPut": (lambda a, v: a.index_put((gg.tensor([0, 2, 0]),), v), [(3, 4), (4,)]),
    "IndexPut_acc": (lambda a, v: a.index_put((gg.tensor([0, 2, 0]),), v, accumulate=True),
                     [(3, 4), (3, 4)]),
    "ScatterReduce_amax": (lambda a, s: a.scatter_reduce(
        1, gg.tensor([[0, 0, 2], [3, 1, 1]]), s, "amax"), [(2, 4), (2, 3)]),
    "ScatterReduce_amin_noself": (lambda a, s: a.scatter_reduce(
        1, gg.tensor([[0, 0, 2], [3, 1, 1]]), s, "amin", include_self=False), [(2, 4), (2, 3)]),
    "ScatterReduce_prod": (lambda a, s: a.scatter_reduce(
        0, gg.tensor([[0, 1, 1], [1, 1, 1]]), s, "prod"), [(2, 3), (2, 3)]),
    "Diagonal": (lambda a: a.diagonal(1, 2, 0), [(3, 2, 4)]),
    "DiagonalScatter": (lambda a, s: gg.diagonal_scatter(a, s, -1), [(3, 4), (2,)]),
    "Repeat": (lambda a: a.repeat(2, 1, 3), [(2, 3)]),
    "Flip": (lambda a: a.flip(0, 1), [(2, 3)]),
    "Roll": (lambda a: a.roll((1, -2), (0, 1)), [(3, 4)]),
    "Roll_flat": (lambda a: a.roll(5), [(3, 4)]),
}


@pytest.mark.parametrize("name", list(_GRAPH_CASES))
def test_backward_rules_run_on_tensors_and_are_differentiable(name):
    """The rule run on Tensors gives backward's values, and differentiating <rule(gy), w>
    by the inputs and gy matches central differences of the array rule."""
    fn, shapes = _GRAPH_CASES[name]
    rng = np.random.default_rng(7)
    arrays = [rng.uniform(0.5, 2.0, s) for s in shapes]
    out0 = fn(*[gg.tensor(a, dtype=gg.float64) for a in arrays])
    gy0 = rng.standard_normal(out0.shape)
    ws = [rng.standard_normal(s) for s in shapes]

    def first_order(arrs, gy):  # the array rule, through the engine
        xs = [gg.tensor(a, dtype=gg.float64, requires_grad=True) for a in arrs]
        fn(*xs).backward(gg.tensor(gy, dtype=gg.float64))
        return [host(x.grad) for x in xs]

    def pairing(arrs, gy):
        return sum(float((g * w).sum()) for g, w in zip(first_order(arrs, gy), ws))

    xs = [gg.tensor(a, dtype=gg.float64, requires_grad=True) for a in arrays]
    out = fn(*xs)
    node = _as_graph_node(out, xs)
    assert type(node).__name__ == name.split("_")[0]
    gy = gg.tensor(gy0, dtype=gg.float64, requires_grad=True)
    if hasattr(type(node), "graph_backward"):
        grads = node.graph_backward(gy)
    else:  # the allowed-names rule itself, with a Tensor namespace
        node.xp = _GraphXp
        grads = node.backward(gy)
    want = first_order(arrays, gy0)
    for g, wv in zip(grads, want):  # summed back to the input's shape, as the engine does
        np.testing.assert_allclose(sum_to_shape(host(g), wv.shape), wv, rtol=1e-12, atol=1e-12)
    total = sum((g * gg.tensor(w, dtype=gg.float64)).sum() for g, w in zip(grads, ws))
    if not total.requires_grad:
        return
    total.backward()
    dirs = [rng.standard_normal(s) for s in shapes]
    dgy = rng.standard_normal(gy0.shape)
    analytic = float((host(gy.grad) if gy.grad is not None else 0 * dgy).ravel() @ dgy.ravel())
    analytic += sum(float((host(x.grad) * d).sum()) for x, d in zip(xs, dirs) if x.grad is not None)
    eps = 1e-6
    numeric = (pairing([a + eps * d for a, d in zip(arrays, dirs)], gy0 + eps * dgy)
               - pairing([a - eps * d for a, d in zip(arrays, dirs)], gy0 - eps * dgy)) / (2 * eps)
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_backward_rules_without_graph_form_use_allowed_names_only():
    for cls in (Repeat, Flip, Roll):
        assert not hasattr(cls, "graph_backward")
