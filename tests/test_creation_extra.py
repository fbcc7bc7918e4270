"""Factories beyond the basics: the default device and dtype, size forms, full's dtype, the
new_* methods, ranges against float64 references, and the differentiable tril/triu/meshgrid
(checked against NumPy and by central differences)."""

import warnings

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host


@pytest.fixture
def float64_default():
    prev = gg.get_default_dtype()
    gg.set_default_dtype(gg.float64)
    yield
    gg.set_default_dtype(prev)


@pytest.fixture
def restore_default_device():
    yield
    gg.set_default_device(None)


def _central_difference(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d fn(x) / dx for a scalar function of a float64 array, by central differences."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (fn(xp) - fn(xm)) / (2 * eps)
    return g


# --- the default device and dtype -----------------------------------------------------------


def test_default_device_is_the_cpu_and_can_be_set(restore_default_device):
    assert gg.get_default_device() == gg.device("cpu")
    gg.set_default_device("cpu")
    assert gg.get_default_device() == gg.device("cpu")
    assert gg.zeros(2).device.type == "cpu" and gg.tensor([1.0]).device.type == "cpu"
    gg.set_default_device(gg.device("cpu"))
    gg.set_default_device(None)
    assert gg.get_default_device() == gg.device("cpu")
    with pytest.raises(ValueError, match="unknown device type"):
        gg.set_default_device("tpu")


@pytest.mark.skipif(gg.cuda.is_available(), reason="checks the machine without CUDA")
def test_default_device_cuda_without_cuda_raises_and_keeps_the_cpu(restore_default_device):
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        gg.set_default_device("cuda")
    assert gg.get_default_device() == gg.device("cpu") and gg.ones(1).device.type == "cpu"


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_default_device_cuda_places_factories_but_not_like_or_new(restore_default_device):
    cpu = gg.ones(2)
    gg.set_default_device("cuda")
    assert gg.get_default_device() == gg.device("cuda:0")
    made = [gg.zeros(2), gg.ones(2), gg.empty(2), gg.full((2,), 1.0), gg.arange(3),
            gg.linspace(0, 1, 3), gg.logspace(0, 1, 3), gg.eye(2), gg.randn(2), gg.rand(2),
            gg.randint(3, (2,)), gg.randperm(3), gg.normal(0.0, 1.0, (2,)), gg.tensor([1.0]),
            gg.tensor(cpu), gg.as_tensor([1, 2])]
    assert all(t.device.type == "cuda" for t in made)
    assert gg.zeros_like(cpu).device.type == "cpu" and cpu.new_zeros(2).device.type == "cpu"
    assert gg.zeros(2, device="cpu").device.type == "cpu"


def test_every_factory_honours_the_default_dtype(float64_default):
    floats = [gg.tensor([1.5]), gg.tensor(1.5), gg.zeros(2), gg.ones(2), gg.empty(2),
              gg.full((2,), 2.5), gg.arange(0.0, 1.0, 0.5), gg.arange(3, dtype=None) * 1.0,
              gg.linspace(0, 1, 3), gg.logspace(0, 1, 3), gg.eye(2), gg.randn(2), gg.rand(2),
              gg.normal(0.0, 1.0, (2,)), gg.zeros(size=(2,)), gg.as_tensor([0.5])]
    assert all(t.dtype == gg.float64 for t in floats), [t.dtype for t in floats]
    ints = [gg.arange(3), gg.full((2,), 2), gg.randint(3, (2,)), gg.randperm(3),
            gg.tensor([1, 2])]
    assert all(t.dtype == gg.int64 for t in ints)
    assert gg.full((2,), True).dtype == gg.bool
    assert gg.zeros(2, dtype=gg.float32).dtype == gg.float32  # explicit wins
    assert gg.zeros(2, dtype=gg.int64).new_full((1,), 1.5).dtype == gg.int64  # self's dtype


def test_float16_default_dtype():
    prev = gg.get_default_dtype()
    try:
        gg.set_default_dtype(gg.float16)
        assert gg.randn(2).dtype == gg.tensor([1.5]).dtype == gg.linspace(0, 1, 3).dtype \
            == gg.float16
    finally:
        gg.set_default_dtype(prev)


# --- predicates -----------------------------------------------------------------------------


def test_is_tensor_is_floating_point_numel():
    t = gg.zeros(2, 3)
    assert gg.is_tensor(t) and gg.is_tensor(gg.nn.Parameter(t))
    assert not gg.is_tensor([1]) and not gg.is_tensor(np.zeros(2))
    assert gg.is_floating_point(t) and not gg.is_floating_point(gg.tensor([1, 2]))
    assert gg.numel(t) == 6 and gg.numel(gg.tensor(3.0)) == 1
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        gg.is_floating_point(1.0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        gg.numel([1])


# --- sizes and fills ------------------------------------------------------------------------


def test_size_forms(device):
    for fn in (gg.zeros, gg.ones, gg.empty):
        for t in (fn(2, 3, device=device), fn((2, 3), device=device), fn([2, 3], device=device),
                  fn(size=(2, 3), device=device), fn(gg.zeros(2, 3).shape, device=device),
                  fn(gg.tensor(2), 3, device=device)):
            assert t.shape == (2, 3)
        assert fn([]).shape == () and fn(0).shape == (0,)
        with pytest.raises(TypeError, match="multiple values for argument 'size'"):
            fn(2, size=(2,))
        with pytest.raises(TypeError, match="missing 1 required positional argument"):
            fn()
        with pytest.raises(TypeError, match="tuple of ints"):
            fn(2.0)
        with pytest.raises(TypeError, match="tuple of ints"):
            fn((2,), (3,))
        with pytest.raises(RuntimeError, match="negative dimension -1"):
            fn(-1)
    assert host(gg.ones(size=[2, 2], device=device)).sum() == 4


def test_full_infers_the_dtype_from_the_value(device):
    assert gg.full((2,), True, device=device).dtype == gg.bool
    i = gg.full([2], 3, device=device)
    assert i.dtype == gg.int64 and i.tolist() == [3, 3]
    f = gg.full(size=(2,), fill_value=3.0, device=device)
    assert f.dtype == gg.float32 and f.tolist() == [3.0, 3.0]
    assert gg.full((2,), gg.tensor(3)).dtype == gg.int64
    assert gg.full((2,), gg.tensor(2.5)).tolist() == [2.5, 2.5]
    assert gg.full((2,), np.int32(4)).dtype == gg.int64
    assert gg.full((2,), 3.7, dtype=gg.int64).tolist() == [3, 3]  # truncated, as PyTorch
    assert gg.full((2,), -3.7, dtype=gg.int32).tolist() == [-3, -3]
    assert gg.full((2,), 2, dtype=gg.bool).tolist() == [True, True]
    assert gg.full((1,), 2**40, dtype=gg.int64).item() == 2**40
    with pytest.raises(RuntimeError, match="without overflow"):
        gg.full((2,), float("inf"), dtype=gg.int64)
    with pytest.raises(RuntimeError, match="without overflow"):
        gg.full((2,), 2**40, dtype=gg.int32)
    with pytest.raises(TypeError, match="tuple of ints, not int"):
        gg.full(3, 1.0)
    with pytest.raises(TypeError, match="fill_value must be a number"):
        gg.full((2,), "a")
    x = gg.zeros(2, 2, dtype=gg.float64, device=device)
    assert gg.full_like(x, 7).dtype == gg.float64 and host(gg.full_like(x, 7)).sum() == 28
    e = gg.empty_like(x, dtype=gg.int32)
    assert e.shape == (2, 2) and e.dtype == gg.int32 and e.device == x.device


def test_new_methods_take_self_dtype_and_device_unless_given(device):
    t = gg.zeros(2, dtype=gg.float64, device=device)
    for m in (t.new_zeros, t.new_ones, t.new_empty):
        for out in (m(3), m(3, 2), m((3, 2)), m(size=[3])):
            assert out.dtype == gg.float64 and out.device == t.device
        assert m(2, dtype=gg.int32).dtype == gg.int32
        assert m(2, device="cpu").device.type == "cpu"
    assert host(t.new_zeros(3)).tolist() == [0, 0, 0]
    assert host(t.new_ones(2, 2)).sum() == 4
    f = t.new_full((2,), 3)
    assert f.dtype == gg.float64 and host(f).tolist() == [3.0, 3.0]
    assert t.new_full((2,), True).tolist() == [1.0, 1.0]
    n = t.new_tensor([1, 2])
    assert n.dtype == gg.float64 and n.device == t.device and n.tolist() == [1.0, 2.0]
    assert gg.zeros(1, dtype=gg.int64).new_tensor([1.7]).tolist() == [1]
    r = t.new_ones(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        gg.tensor([1, 2]).new_ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="tuple of ints, not int"):
        t.new_full(2, 3)


# --- ranges -----------------------------------------------------------------------------------


def test_arange_values_dtypes_and_errors(device):
    assert gg.arange(5, device=device).tolist() == [0, 1, 2, 3, 4]
    assert gg.arange(5, 1, -1).tolist() == [5, 4, 3, 2]
    assert gg.arange(start=1, end=3).tolist() == [1, 2] and gg.arange(end=3).tolist() == [0, 1, 2]
    a = gg.arange(1, 4, 0.5, device=device)
    assert a.dtype == gg.float32 and host(a).tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert gg.arange(0, 1, 0.1).shape == (10,)  # ceil((1 - 0) / 0.1) in float64
    np.testing.assert_array_equal(gg.arange(-1.0, 2.0, 0.3, dtype=gg.float64).numpy(),
                                  -1.0 + 0.3 * np.arange(10))
    assert gg.arange(gg.tensor(3)).tolist() == [0, 1, 2]
    assert gg.arange(gg.tensor(3.0)).dtype == gg.float32
    assert gg.arange(5, dtype=gg.float64).dtype == gg.float64
    # an integer dtype truncates the bounds and the step first, as PyTorch
    assert gg.arange(0.5, 3, dtype=gg.int64).tolist() == [0, 1, 2]
    assert gg.arange(-1.5, 3, dtype=gg.int64).tolist() == [-1, 0, 1, 2]
    assert gg.arange(0, 3, 1.5, dtype=gg.int32).tolist() == [0, 1, 2]
    assert gg.arange(3, 3).shape == (0,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        gg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="step must be nonzero"):
        gg.arange(0, 3, 0.5, dtype=gg.int64)
    with pytest.raises(RuntimeError, match="unsupported range: 0 -> inf"):
        gg.arange(float("inf"))
    with pytest.raises(RuntimeError, match="unsupported range"):
        gg.arange(float("nan"))
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        gg.arange(5, 1)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        gg.arange(5, requires_grad=True)
    assert gg.arange(5.0, requires_grad=True).requires_grad


def test_linspace_and_logspace_against_float64(device):
    for start, end, n in ((0, 1, 5), (-3.5, 7.25, 11), (2, -2, 4), (0, 1, 1), (0, 1, 0)):
        got = gg.linspace(start, end, n, dtype=gg.float64, device=device)
        np.testing.assert_allclose(host(got), np.linspace(start, end, n), rtol=0, atol=1e-15)
        if n:
            assert host(got)[0] == start and (n == 1 or host(got)[-1] == end)
    s = host(gg.linspace(0, 1, 7, dtype=gg.float64))
    np.testing.assert_array_equal(s + s[::-1], np.ones(7))  # symmetric: both ends exact
    assert gg.linspace(0, 10, 5, dtype=gg.int64).tolist() == [0, 2, 5, 7, 10]  # truncated
    assert gg.linspace(0, -9, 4, dtype=gg.int64).tolist() == [0, -3, -6, -9]
    assert gg.linspace(gg.tensor(0.0), gg.tensor(1.0), steps=3).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        gg.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="steps must be an int"):
        gg.linspace(0, 1, 2.0)
    np.testing.assert_allclose(host(gg.logspace(0, 2, 3, device=device)), [1, 10, 100],
                               rtol=1e-6)
    np.testing.assert_allclose(gg.logspace(0, 1, 5, dtype=gg.float64).numpy(),
                               10 ** np.linspace(0, 1, 5), rtol=1e-15)
    assert gg.logspace(0, 2, 3, base=2).tolist() == [1.0, 2.0, 4.0]
    assert gg.logspace(0, 2, 3, 2).tolist() == [1.0, 2.0, 4.0]
    assert gg.logspace(0, 2, 3, dtype=gg.int64).tolist() == [1, 10, 100]
    with pytest.raises(RuntimeError, match="non-negative"):
        gg.logspace(0, 2, -1)


def test_eye_checks():
    assert gg.eye(2, 3, dtype=gg.int64).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        gg.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -1"):
        gg.eye(2, -1)


# --- tril / triu --------------------------------------------------------------------------------


@pytest.mark.parametrize("diagonal", [-4, -1, 0, 1, 2, 10])
def test_tril_triu_match_numpy(device, diagonal):
    x = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4) - 7.5
    t = gg.tensor(x, device=device)
    np.testing.assert_array_equal(host(gg.tril(t, diagonal)), np.tril(x, diagonal))
    np.testing.assert_array_equal(host(t.triu(diagonal=diagonal)), np.triu(x, diagonal))
    np.testing.assert_array_equal(host(gg.tril(t[0], diagonal)), np.tril(x[0], diagonal))


def test_tril_triu_dtypes_nan_and_errors():
    b = gg.tril(gg.ones(2, 2, dtype=gg.bool))
    assert b.dtype == gg.bool and b.tolist() == [[True, False], [True, True]]
    i = gg.triu(gg.ones(2, 2, dtype=gg.int32))
    assert i.dtype == gg.int32 and i.tolist() == [[1, 1], [0, 1]]
    assert gg.tril(gg.ones(2, 2, dtype=gg.float16)).dtype == gg.float16
    n = gg.tril(gg.full((2, 2), float("nan"))).numpy()
    assert n[0, 1] == 0 and np.isnan(n[1, 0])  # zeroed, not multiplied by 0
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        gg.tril(gg.ones(3))
    with pytest.raises(TypeError, match="'diagonal' must be int, not float"):
        gg.triu(gg.ones(2, 2), 1.5)


def test_tril_triu_gradients_by_central_differences(device):
    rng = np.random.default_rng(0)
    x0, w = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    for fn, ref, d in ((gg.tril, np.tril, 0), (gg.triu, np.triu, 1), (gg.tril, np.tril, -1)):
        x = gg.tensor(x0, requires_grad=True, device=device)
        (fn(x, d) * gg.tensor(w, device=device)).sum().backward()
        numeric = _central_difference(lambda a, ref=ref, d=d: float((ref(a, d) * w).sum()), x0)
        np.testing.assert_allclose(host(x.grad), numeric, atol=1e-8)
        np.testing.assert_array_equal(host(x.grad), ref(w, d))
    x = gg.tensor(x0, requires_grad=True)
    assert gg.gradcheck(lambda a: (gg.tril(a, 1), gg.triu(a, -1)), [x])


def test_tril_triu_in_place(device):
    x = np.arange(12.0).reshape(3, 4)
    t = gg.tensor(x, device=device)
    v = t._version.v
    assert t.tril_(1) is t and t._version.v == v + 1
    np.testing.assert_array_equal(host(t), np.tril(x, 1))
    np.testing.assert_array_equal(host(gg.tensor(x, device=device).triu_()), np.triu(x))
    leaf = gg.tensor(x, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.tril_()
    y = leaf * 2.0
    assert y.triu_(1) is y and y.grad_fn is not None  # recorded: the gradient is masked
    y.sum().backward()
    np.testing.assert_array_equal(host(leaf.grad), 2.0 * np.triu(np.ones((3, 4)), 1))
    with gg.no_grad():
        leaf.tril_()
    np.testing.assert_array_equal(host(leaf.detach()), np.tril(x))


# --- meshgrid -----------------------------------------------------------------------------------


def test_meshgrid_matches_numpy(device):
    a, b, c = np.array([1.0, 2, 3]), np.array([4.0, 5]), np.array([6.0, 7, 8, 9])
    ta, tb, tc = (gg.tensor(v, device=device) for v in (a, b, c))
    for indexing in ("ij", "xy"):
        got = gg.meshgrid(ta, tb, tc, indexing=indexing)
        ref = np.meshgrid(a, b, c, indexing=indexing)
        assert isinstance(got, tuple) and len(got) == 3
        for g_, r in zip(got, ref):
            assert g_.shape == r.shape
            np.testing.assert_array_equal(host(g_), r)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default "ij" comes without PyTorch's warning
        x, y = gg.meshgrid(ta, tb)
    assert x.shape == (3, 2) and host(y).tolist() == [[4, 5]] * 3
    assert [t.shape for t in gg.meshgrid([ta, tb], indexing="xy")] == [(2, 3), (2, 3)]
    assert [t.shape for t in gg.meshgrid((ta, tb))] == [(3, 2), (3, 2)]
    assert gg.meshgrid(ta, indexing="xy")[0].shape == (3,)
    assert [t.shape for t in gg.meshgrid(gg.tensor(1.0, dtype=gg.float64), tb)] == [(1, 2)] * 2


def test_meshgrid_errors():
    a = gg.tensor([1.0, 2])
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij"'):
        gg.meshgrid(a, a, indexing="foo")
    with pytest.raises(RuntimeError, match="non-empty"):
        gg.meshgrid()
    with pytest.raises(RuntimeError, match="same dtype"):
        gg.meshgrid(a, gg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="0-d or 1-d"):
        gg.meshgrid(gg.zeros(2, 2), a)


def test_meshgrid_gradients_by_central_differences(device):
    rng = np.random.default_rng(1)
    a0, b0 = rng.standard_normal(3), rng.standard_normal(2)
    wx, wy = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))

    def f(a, b):
        x, y = np.meshgrid(a, b, indexing="xy")
        return float((wx * x * y + wy * y * y).sum())

    a = gg.tensor(a0, requires_grad=True, device=device)
    b = gg.tensor(b0, requires_grad=True, device=device)
    x, y = gg.meshgrid(a, b, indexing="xy")
    (gg.tensor(wx, device=device) * x * y + gg.tensor(wy, device=device) * y * y).sum().backward()
    np.testing.assert_allclose(host(a.grad), _central_difference(lambda v: f(v, b0), a0),
                               atol=1e-8)
    np.testing.assert_allclose(host(b.grad), _central_difference(lambda v: f(a0, v), b0),
                               atol=1e-8)
    a64 = gg.tensor(a0, requires_grad=True)
    b64 = gg.tensor(b0, requires_grad=True)
    assert gg.gradcheck(lambda u, v: gg.meshgrid(u, v, u, indexing="ij"), [a64, b64])
    assert gg.gradcheck(lambda u, v: gg.meshgrid(u, v, indexing="xy"), [a64, b64])


# --- tensor() and as_tensor() ---------------------------------------------------------------------


def test_tensor_and_as_tensor():
    t = gg.tensor([1.0, 2.0])
    assert gg.as_tensor(t) is t and gg.as_tensor(t, dtype=gg.float32) is t
    assert gg.as_tensor(t, device="cpu") is t
    d = gg.as_tensor(t, dtype=gg.float64)
    assert d is not t and d.dtype == gg.float64
    c = gg.tensor(t)
    assert c is not t and c.tolist() == t.tolist()
    assert gg.tensor([1, 2], dtype=gg.float16).dtype == gg.float16
