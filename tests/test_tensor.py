"""The Tensor API: factories, attributes, conversions, dtypes, repr, comparisons, errors."""

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F

from .conftest import host


def test_tensor_from_python_data_infers_pytorch_dtypes(device):
    assert gg.tensor([1.0, 2.0], device=device).dtype == gg.float32
    assert gg.tensor([1, 2], device=device).dtype == gg.int64
    assert gg.tensor([True, False], device=device).dtype == gg.bool
    assert gg.tensor(np.zeros(2, np.float64), device=device).dtype == gg.float64
    assert gg.tensor([1, 2], dtype=gg.float16, device=device).dtype == gg.float16
    assert gg.Tensor([1, 2]).dtype == gg.float32
    t = gg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4 and len(t) == 2
    assert t.size() == (2, 2) and t.size(1) == 2 and t.dim() == 2
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert str(t.device) == ("cpu" if device == "cpu" else "cuda:0")


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0], np.float32)
    t = gg.tensor(a)
    a[0] = 9
    assert t[0].item() == 1.0
    shared = gg.from_numpy(a)
    a[1] = 7
    assert shared[1].item() == 7.0


def test_bad_data_raises_clearly():
    with pytest.raises(TypeError, match="stack"):
        gg.tensor([gg.ones(2), gg.ones(2)])
    with pytest.raises((TypeError, ValueError)):
        gg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="unsupported dtype"):
        gg.zeros(2, dtype="complex64")
    with pytest.raises(RuntimeError, match="negative dimension"):
        gg.zeros(-1)


def test_factories(device):
    assert host(gg.zeros(2, 3, device=device)).sum() == 0
    assert gg.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(host(gg.ones(3, device=device)), [1, 1, 1])
    f = gg.full((2,), 7, device=device)
    assert f.dtype == gg.int64 and f.tolist() == [7, 7]
    assert gg.full((2,), 0.5).dtype == gg.float32
    assert gg.empty(4, device=device).shape == (4,)
    x = gg.ones(2, 2, dtype=gg.float64, device=device)
    assert gg.zeros_like(x).dtype == gg.float64 and gg.zeros_like(x).device == x.device
    assert host(gg.ones_like(x)).sum() == 4
    assert gg.full_like(x, 3).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert gg.arange(5, device=device).tolist() == [0, 1, 2, 3, 4]
    assert gg.arange(5).dtype == gg.int64 and gg.arange(0, 1, 0.25).dtype == gg.float32
    np.testing.assert_allclose(host(gg.arange(1, 2, 0.25)), [1, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(host(gg.linspace(0, 1, 5, device=device)), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(host(gg.eye(3, device=device)), np.eye(3))
    r = gg.zeros(3, requires_grad=True, device=device)
    assert r.requires_grad and r.is_leaf


def test_random_functions_are_reproducible_and_distributed(device):
    gg.manual_seed(123)
    a = [gg.randn(1000, device=device), gg.rand(1000, device=device),
         gg.randint(0, 10, (1000,), device=device), gg.randperm(50, device=device)]
    gg.manual_seed(123)
    b = [gg.randn(1000, device=device), gg.rand(1000, device=device),
         gg.randint(0, 10, (1000,), device=device), gg.randperm(50, device=device)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(host(x), host(y))
    n, u, i, p = (host(t) for t in a)
    assert a[0].dtype == gg.float32 and a[2].dtype == gg.int64
    assert abs(n.mean()) < 0.15 and 0.85 < n.std() < 1.15
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.05
    assert i.min() == 0 and i.max() == 9
    assert sorted(p.tolist()) == list(range(50))
    assert gg.randn(2, 3, dtype=gg.float64, device=device).dtype == gg.float64
    assert gg.randint(5, (3,)).shape == (3,)


def test_scalars_and_conversions(device):
    t = gg.tensor([2.5], device=device)
    assert t.item() == 2.5 and float(t) == 2.5 and int(t) == 2 and bool(t)
    assert f"{t[0]:.2f}" == "2.50"  # a 0-d tensor formats as its value
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        gg.ones(2, device=device).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gg.ones(2, device=device))
    with pytest.raises(TypeError, match="0-d"):
        len(gg.tensor(1.0))
    n = t.detach().cpu().numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32


def test_array_protocol_for_host_tensors():
    t = gg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    out = np.ones(2) * t  # NumPy defers to Tensor's reflected operator
    assert isinstance(out, gg.Tensor) and out.dtype == gg.float64  # as torch.from_numpy would
    assert gg.tensor([gg.tensor(1.0), 2.0]).tolist() == [1.0, 2.0]


def test_repr_like_pytorch(device):
    assert repr(gg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gg.tensor([0.5, 2.0])) == "tensor([0.5000, 2.0000])"
    assert repr(gg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(gg.tensor([1, 2], dtype=gg.int32)) == "tensor([1, 2], dtype=gpugrad.int32)"
    x = gg.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward0>" in repr(x * 2)
    if device == "cuda":
        assert "device='cuda:0'" in repr(gg.ones(1, device=device))


def test_python_numbers_never_change_dtype(device):
    x = gg.ones(3, device=device)
    for y in (x * 2.0, 2.0 * x, x + np.float64(1.5), x / 3, 1 - x, x**2.0, 2.0**x,
              x * np.sqrt(3.0), x.exp() * 1e-3):
        assert y.dtype == gg.float32
    assert (gg.ones(2, dtype=gg.float16, device=device) * 3.5).dtype == gg.float16


def test_to_and_dtype_casts(device):
    x = gg.tensor([1.5, -2.5], device=device, requires_grad=True)
    d = x.double()
    assert d.dtype == gg.float64 and d.requires_grad
    assert x.long().tolist() == [1, -2] and x.long().dtype == gg.int64
    assert x.int().dtype == gg.int32 and x.half().dtype == gg.float16
    assert x.to(gg.float64).dtype == gg.float64
    assert x.to("cpu").device == gg.device("cpu")
    assert x.to(dtype=gg.float32) is x
    (d * 2).sum().backward()
    assert x.grad.dtype == gg.float32
    np.testing.assert_allclose(host(x.grad), [2.0, 2.0])


def test_add_and_sub_with_alpha(device):
    x = gg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = gg.tensor([10.0, 20.0], device=device)
    assert gg.add(x, y, alpha=0.5).tolist() == [6.0, 12.0]
    assert gg.add(x, 2.0, alpha=3).tolist() == [7.0, 8.0]
    out = gg.sub(x, y, alpha=2)
    assert out.tolist() == [-19.0, -38.0]
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    z = gg.zeros(2, device=device)
    z.add_(y, alpha=0.1)
    np.testing.assert_allclose(host(z), [1.0, 2.0])


def test_zero_dim_results_are_tensors_of_arrays(device):
    c = (gg.tensor([1, 2], device=device) == gg.tensor([1, 3], device=device)).sum()
    assert c.item() == 1 and c.dtype == gg.int64 and c.cpu().numpy().shape == ()
    assert repr(c) == "tensor(1)"
    d = gg.tensor(1.0, device=device) > 0
    assert d.dtype == gg.bool and bool(d) and repr(d) == "tensor(True)"
    s = gg.tensor(2.0, device=device, requires_grad=True).exp()
    assert s.detach().cpu().numpy().shape == () and s.grad_fn is not None


def test_closeness_and_like_factories(device):
    a = gg.tensor([1.0, 2.0, float("nan")], device=device)
    b = gg.tensor([1.0 + 1e-7, 2.1, float("nan")], device=device)
    assert a.isclose(b).tolist() == [True, False, False]
    assert gg.isclose(a, b, equal_nan=True).tolist() == [True, False, True]
    assert not gg.allclose(a, b) and gg.allclose(a[:1], b[:1])
    assert gg.allclose(a[:2], b[:2], atol=0.2) and a[:2].allclose(b[:2], rtol=0.1)
    assert gg.equal(a[:2], a[:2].clone()) and not gg.equal(a[:2], a[:1])
    r = gg.randn_like(gg.zeros(3, 4, dtype=gg.float64, device=device))
    assert r.shape == (3, 4) and r.dtype == gg.float64 and r.device == gg.device(
        device if device == "cpu" else "cuda:0")
    u = host(gg.rand_like(gg.zeros(1000, device=device)))
    assert u.min() >= 0 and u.max() < 1


def test_comparisons_give_bool_tensors_without_grad(device):
    x = gg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for r, want in [(x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]), (x < 2, [1, 0, 0]),
                    (x <= 2, [1, 1, 0]), (x > 2, [0, 0, 1]), (x >= 2, [0, 1, 1])]:
        assert r.dtype == gg.bool and not r.requires_grad
        np.testing.assert_array_equal(host(r), want)
    assert (x == x).tolist() == [True] * 3
    assert x in {x}  # tensors hash by identity


def test_indexing_forms_and_errors(device):
    x = gg.arange(12, device=device).reshape(3, 4)
    assert x[1].tolist() == [4, 5, 6, 7]
    assert x[:, -1].tolist() == [3, 7, 11]
    assert x[None].shape == (1, 3, 4) and x[..., 0].tolist() == [0, 4, 8]
    assert x[gg.tensor([2, 0], device=device)].tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    assert x[x > 9].tolist() == [10, 11]
    assert x[[0, 1], [1, 2]].tolist() == [1, 6]
    with pytest.raises(IndexError, match="shape"):
        x[5]
    with pytest.raises(IndexError, match="long, int or bool"):
        x[gg.tensor([0.5])]
    x[0, 0] = 100
    assert x[0, 0].item() == 100


def test_shape_errors_are_clear():
    x = gg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        x @ gg.ones(2, 3)
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        x + gg.ones(4)
    with pytest.raises(RuntimeError, match="sizes of tensors must match"):
        gg.cat([x, gg.ones(3, 3)], 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)


def test_max_min_return_values_and_indices(device):
    x = gg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], device=device, requires_grad=True)
    r = x.max(1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    v, i = gg.min(x, dim=0)
    assert v.tolist() == [1.0, 0.0, 2.0] and i.tolist() == [0, 1, 0]
    assert x.argmax().item() == 3 and x.argmin(1).tolist() == [0, 1]
    assert gg.max(x, gg.full_like(x, 4.0)).tolist() == [[4, 5, 4], [7, 4, 4]]
    r.values.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [[0, 1, 0], [1, 0, 0]])


def test_amax_splits_gradient_between_ties(device):
    x = gg.tensor([3.0, 1.0, 3.0], device=device, requires_grad=True)
    x.amax().backward()
    np.testing.assert_allclose(host(x.grad), [0.5, 0.0, 0.5])


@pytest.mark.parametrize("dtype", [gg.float32, gg.float64])
def test_numerics_stay_finite_at_1e4(device, dtype):
    big = [-1e4, -30.0, 0.0, 30.0, 1e4]
    ref_sig = [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0]
    x = gg.tensor(big, dtype=dtype, device=device, requires_grad=True)
    s = x.sigmoid()
    np.testing.assert_allclose(host(s), ref_sig, rtol=1e-6, atol=1e-30)
    s.sum().backward()
    assert np.all(np.isfinite(host(x.grad)))
    x.grad = None
    sp = F.softplus(x)
    np.testing.assert_allclose(host(sp), [0.0, np.log1p(np.exp(-30.0)), np.log(2), 30.0, 1e4],
                               rtol=1e-6, atol=1e-30)
    sp.sum().backward()
    np.testing.assert_allclose(host(x.grad), ref_sig, rtol=1e-5, atol=1e-30)
    logits = gg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype, device=device,
                       requires_grad=True)
    ls = F.log_softmax(logits, 1)
    np.testing.assert_allclose(host(ls), [[0, -2e4, -1e4], [-2e4, -2e4, 0]], rtol=1e-6)
    lse = logits.logsumexp(1)
    np.testing.assert_allclose(host(lse), [1e4, 1e4], rtol=1e-6)
    loss = F.cross_entropy(logits, gg.tensor([1, 2], device=device))
    assert loss.item() == pytest.approx(1e4, rel=1e-6)  # (2e4 + 0) / 2
    (loss + ls.sum() + lse.sum()).backward()
    assert np.all(np.isfinite(host(logits.grad)))
