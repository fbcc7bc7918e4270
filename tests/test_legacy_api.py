"""PyTorch's legacy constructors and types (``Tensor(2, 3)``, ``LongTensor``...), the small
integer dtypes, ``finfo``/``iinfo``, the math constants, the determinism flags and anomaly
mode. Expected values were checked against PyTorch by hand."""

import math
import pickle

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.autograd import Variable, detect_anomaly, set_detect_anomaly

# --- Tensor(...) -----------------------------------------------------------------------------


@pytest.mark.parametrize("args, shape", [
    ((3, 4), (3, 4)), ((3,), (3,)), ((0,), (0,)), ((2, 3, 4), (2, 3, 4)),
    ((gg.Size([2, 3]),), (2, 3)), ((gg.Size([]),), ()), ((np.int64(2),), (2,)),
    ((np.array(3),), (3,)), ((), (0,)),
])
def test_tensor_sizes_give_uninitialised_default_float(args, shape):
    t = gg.Tensor(*args)
    assert tuple(t.shape) == shape
    assert t.dtype is gg.float32
    assert t.is_leaf and not t.requires_grad


@pytest.mark.parametrize("data, values", [
    ((2, 3), [2.0, 3.0]),  # a tuple is data, not a size
    ([2, 3], [2.0, 3.0]), ([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]), ([], []),
    (np.array([1, 2]), [1.0, 2.0]), (np.array([1.5, 2.0]), [1.5, 2.0]),
    ([True, False], [1.0, 0.0]), (range(3), [0.0, 1.0, 2.0]), (np.array(3.0), 3.0),
])
def test_tensor_data_gives_float32_copy(data, values):
    t = gg.Tensor(data)
    assert t.dtype is gg.float32
    assert t.tolist() == values
    if isinstance(data, np.ndarray):
        data[...] = 7  # a copy: the array's later changes do not show
        assert t.tolist() == values


def test_tensor_follows_default_dtype():
    gg.set_default_dtype(gg.float64)
    try:
        assert gg.Tensor(2).dtype is gg.float64
        assert gg.Tensor([1]).dtype is gg.float64
        assert gg.FloatTensor([1]).dtype is gg.float32
    finally:
        gg.set_default_dtype(gg.float32)


def test_tensor_of_tensor_shares_storage_and_dtype():
    x = gg.tensor([1, 2])
    y = gg.Tensor(x)
    assert y is not x and y.dtype is gg.int64
    y[0] = 5
    assert x.tolist() == [5, 2]
    x.add_(1)
    assert y._version.v == x._version.v  # one version counter
    assert y.tolist() == [6, 3]


def test_tensor_of_recorded_tensor_stays_in_graph():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = gg.Tensor(x)
    assert y.requires_grad and not y.is_leaf
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_tensor_keyword_forms():
    t = gg.Tensor([1, 2], dtype=gg.float64, requires_grad=True)
    assert t.dtype is gg.float64 and t.requires_grad and t.tolist() == [1.0, 2.0]
    assert gg.Tensor(2, 3, dtype=gg.int32).shape == (2, 3)
    assert gg.Tensor(2, 3, dtype=gg.int32).dtype is gg.int32
    assert gg.Tensor([1], device="cpu").device == gg.device("cpu")
    c = gg.Tensor(gg.tensor([1, 2]), dtype=gg.float64)  # a converted copy
    assert c.dtype is gg.float64 and c.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("args, exc, words", [
    ((2.5,), TypeError, "data must be a sequence (got float)"),
    ((True,), TypeError, "data must be a sequence (got bool)"),
    ((np.float64(2.0),), TypeError, "got numpy.float64"),
    (("a",), TypeError, "invalid data type 'str'"),
    ((2, 3.0), TypeError, "size"),
    (([1, 2], [3]), TypeError, "size"),
    ((-1,), RuntimeError, "negative dimension -1: [-1]"),
    ((2, -1), RuntimeError, "negative dimension -1: [2, -1]"),
])
def test_tensor_bad_arguments(args, exc, words):
    with pytest.raises(exc) as e:
        gg.Tensor(*args)
    assert words in str(e.value)


def test_parameter_of_uninitialised_tensor_then_kaiming():
    gg.manual_seed(0)
    w = gg.nn.Parameter(gg.Tensor(5, 4))
    gg.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert w.shape == (5, 4) and w.dtype is gg.float32 and w.requires_grad and w.is_leaf
    a = w.detach().numpy()
    bound = 1 / math.sqrt(4)  # gain sqrt(2 / (1 + 5)) * sqrt(3 / fan_in 4)
    assert np.all(np.abs(a) <= bound) and np.abs(a).max() > bound / 2
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((5, 4), 2.0, np.float32))


def test_internal_callers():
    p = gg.nn.Parameter()  # Tensor([]) inside
    assert p.shape == (0,) and p.dtype is gg.float32
    x = gg.tensor(1.5, dtype=gg.float64, requires_grad=True)
    assert gg.gradgradcheck(lambda t: t * t * t, (x,))  # Tensor(0-d array, dtype=...) inside


# --- typed constructors and types ------------------------------------------------------------

TYPED = [("FloatTensor", gg.float32), ("DoubleTensor", gg.float64), ("HalfTensor", gg.float16),
         ("LongTensor", gg.int64), ("IntTensor", gg.int32), ("BoolTensor", gg.bool),
         ("ByteTensor", gg.uint8), ("CharTensor", gg.int8), ("ShortTensor", gg.int16)]


@pytest.mark.parametrize("name, dt", TYPED)
def test_typed_constructors(name, dt):
    ctor = getattr(gg, name)
    assert ctor.dtype is dt and ctor.is_cuda is False
    assert repr(ctor) == f"<class 'gpugrad.{name}'>"
    e = ctor(2, 3)
    assert e.shape == (2, 3) and e.dtype is dt
    assert ctor().shape == (0,) and ctor().dtype is dt
    d = ctor([1, 0, 1])
    assert d.dtype is dt and d.tolist() == [1, 0, 1]
    same = gg.zeros(2, dtype=dt)
    alias = ctor(same)
    assert alias.dtype is dt and alias.data_ptr() == same.data_ptr()
    assert isinstance(d, ctor) and isinstance(e, ctor)
    assert gg.tensor([1.0, 2.0]).type(ctor).dtype is dt
    assert gg.tensor([1.0, 2.0]).type(f"torch.{name}").dtype is dt
    assert gg.tensor([1.0, 2.0]).type(ctor).type() == f"torch.{name}"
    assert pickle.loads(pickle.dumps(ctor)) is ctor


def test_typed_constructor_values_and_errors():
    assert gg.LongTensor([1.5, 2.7]).tolist() == [1, 2]  # truncated, as PyTorch
    assert gg.LongTensor(np.array([1.5, 2.0])).tolist() == [1, 2]
    assert gg.BoolTensor([1, 0, 2]).tolist() == [True, False, True]
    assert gg.ByteTensor([1, 255]).tolist() == [1, 255]
    with pytest.raises(RuntimeError, match="overflow"):
        gg.ByteTensor([1, 256])
    with pytest.raises(TypeError):
        gg.LongTensor(gg.tensor([1.0, 2.0]))  # a tensor of another dtype
    with pytest.raises(TypeError):
        gg.FloatTensor(gg.tensor([1.0], dtype=gg.float64))
    with pytest.raises(TypeError, match="got float"):
        gg.LongTensor(2.5)


def test_isinstance_with_typed_constructors():
    x = gg.randn(2)
    assert isinstance(x, gg.FloatTensor)
    assert not isinstance(x.double(), gg.FloatTensor)
    assert isinstance(x.double(), (gg.FloatTensor, gg.DoubleTensor))
    assert isinstance(gg.tensor([1]), gg.LongTensor)
    assert not isinstance(np.zeros(2, np.float32), gg.FloatTensor)
    assert isinstance(gg.nn.Parameter(gg.Tensor(2)), gg.FloatTensor)


# --- constants, finfo, iinfo -----------------------------------------------------------------


def test_constants():
    assert gg.pi == math.pi and gg.e == math.e and gg.inf == math.inf
    assert math.isnan(gg.nan) and type(gg.pi) is float


@pytest.mark.parametrize("dt, eps, mx, tiny, res, bits", [
    (gg.float16, 2.0 ** -10, 65504.0, 2.0 ** -14, 1e-3, 16),
    (gg.float32, 2.0 ** -23, (2 - 2.0 ** -23) * 2.0 ** 127, 2.0 ** -126, 1e-6, 32),
    (gg.float64, 2.0 ** -52, (2 - 2.0 ** -52) * 2.0 ** 1023, 2.0 ** -1022, 1e-15, 64),
])
def test_finfo(dt, eps, mx, tiny, res, bits):
    f = gg.finfo(dt)
    assert (f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.bits) == (
        eps, mx, -mx, tiny, tiny, res, bits)
    assert f.dtype == dt.name and type(f.eps) is float
    assert f == gg.finfo(dt)


def test_finfo_default_and_repr():
    assert gg.finfo().dtype == "float32"
    assert repr(gg.finfo(gg.float32)) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)")
    gg.set_default_dtype(gg.float64)
    try:
        assert gg.finfo().eps == 2.0 ** -52
    finally:
        gg.set_default_dtype(gg.float32)


@pytest.mark.parametrize("dt, lo, hi, bits", [
    (gg.uint8, 0, 255, 8), (gg.int8, -128, 127, 8), (gg.int16, -32768, 32767, 16),
    (gg.int32, -2 ** 31, 2 ** 31 - 1, 32), (gg.int64, -2 ** 63, 2 ** 63 - 1, 64),
])
def test_iinfo(dt, lo, hi, bits):
    i = gg.iinfo(dt)
    assert (i.min, i.max, i.bits, i.dtype) == (lo, hi, bits, dt.name)
    assert type(i.max) is int


def test_info_errors():
    with pytest.raises(TypeError, match="floating point"):
        gg.finfo(gg.int64)
    with pytest.raises(TypeError, match="floating point"):
        gg.finfo(gg.bool)
    with pytest.raises(TypeError, match="integer"):
        gg.iinfo(gg.float32)
    with pytest.raises(TypeError, match="bool is not supported"):
        gg.iinfo(gg.bool)
    with pytest.raises(TypeError, match="must be gpugrad.dtype"):
        gg.finfo("float32")
    with pytest.raises(TypeError):
        gg.iinfo()


# --- uint8, int8, int16 ----------------------------------------------------------------------


@pytest.mark.parametrize("a, b, out", [
    (gg.uint8, gg.int8, gg.int16), (gg.int8, gg.uint8, gg.int16), (gg.uint8, gg.int16, gg.int16),
    (gg.int8, gg.int16, gg.int16), (gg.uint8, gg.int64, gg.int64), (gg.uint8, gg.float16,
                                                                     gg.float16),
    (gg.int8, gg.bool, gg.int8), (gg.uint8, gg.bool, gg.uint8), (gg.int16, gg.int32, gg.int32),
])
def test_small_int_promotion(a, b, out):
    assert gg.promote_types(a, b) is out
    assert gg.result_type(gg.zeros(1, dtype=a), gg.zeros(1, dtype=b)) is out


def test_small_int_result_type_with_scalars():
    u8 = gg.tensor([1], dtype=gg.uint8)
    assert gg.result_type(u8, 5) is gg.uint8
    assert gg.result_type(u8, gg.tensor(5, dtype=gg.int8)) is gg.uint8
    assert gg.result_type(gg.tensor([1], dtype=gg.int8), 2.5) is gg.float32


def test_small_int_dtypes_everywhere():
    a = np.array([1, 2, 255], dtype=np.uint8)
    t = gg.from_numpy(a)
    assert t.dtype is gg.uint8 and t.type() == "torch.ByteTensor"
    a[0] = 9
    assert t.tolist() == [9, 2, 255]  # shares memory
    assert gg.tensor(np.array([1, -2], dtype=np.int8)).dtype is gg.int8
    assert gg.tensor(np.array([300], dtype=np.int16)).dtype is gg.int16
    assert gg.tensor([1, 2], dtype=gg.uint8).tolist() == [1, 2]
    assert gg.tensor([1.7]).to(gg.int16).tolist() == [1]
    assert gg.tensor([1.7]).byte().dtype is gg.uint8 and gg.tensor([1.7]).byte().tolist() == [1]
    assert gg.tensor([1, 2]).char().dtype is gg.int8
    assert gg.tensor([3]).short().dtype is gg.int16
    assert gg.tensor([3], dtype="short").dtype is gg.int16 and gg.short is gg.int16
    s = gg.tensor([1, 2], dtype=gg.int8) + gg.tensor([3, 4], dtype=gg.uint8)
    assert s.dtype is gg.int16 and s.tolist() == [4, 6]
    assert repr(gg.tensor([1, 2], dtype=gg.uint8)) == "tensor([1, 2], dtype=gpugrad.uint8)"
    assert repr(gg.tensor([[1, -2]], dtype=gg.int8)) == "tensor([[ 1, -2]], dtype=gpugrad.int8)"
    assert gg.tensor([[1, 2], [3, 4]], dtype=gg.uint8).sum().item() == 10


# --- determinism, anomaly mode, Variable -----------------------------------------------------


def test_deterministic_flags():
    assert gg.are_deterministic_algorithms_enabled() is False
    try:
        gg.use_deterministic_algorithms(True, warn_only=True)
        assert gg.are_deterministic_algorithms_enabled() is True
        assert gg.is_deterministic_algorithms_warn_only_enabled() is True
        gg.use_deterministic_algorithms(True)
        assert gg.is_deterministic_algorithms_warn_only_enabled() is False
        with pytest.raises(TypeError, match="must be bool"):
            gg.use_deterministic_algorithms("x")
        with pytest.raises(TypeError, match="warn_only"):
            gg.use_deterministic_algorithms(True, warn_only=1)
    finally:
        gg.use_deterministic_algorithms(False)
    assert gg.are_deterministic_algorithms_enabled() is False


def test_detect_anomaly_names_the_op():
    x = gg.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        with detect_anomaly():
            assert gg.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match="'SqrtBackward0' returned nan values in "
                                                   "its 0th output"):
                (x.sqrt() * 0).sum().backward()
            with pytest.raises(RuntimeError, match="'DivBackward0' returned nan values in "
                                                   "its 1th output"):
                (x / x).sum().backward()
            y = gg.tensor([1.0], requires_grad=True)
            (y * 2).sum().backward(create_graph=True)  # no NaN: runs as usual
            assert y.grad.tolist() == [2.0]
        assert not gg.is_anomaly_enabled()
        (x / x).sum().backward()  # off: the NaN goes through
    assert math.isnan(x.grad.item())


def test_set_detect_anomaly_and_decorator():
    set_detect_anomaly(True)
    try:
        assert gg.is_anomaly_enabled() and gg.is_anomaly_check_nan_enabled()
    finally:
        set_detect_anomaly(False)
    assert not gg.is_anomaly_enabled()
    with set_detect_anomaly(True, check_nan=False):
        assert gg.is_anomaly_enabled() and not gg.is_anomaly_check_nan_enabled()
        x = gg.tensor([0.0], requires_grad=True)
        with np.errstate(all="ignore"):
            (x / x).sum().backward()  # no check
    assert not gg.is_anomaly_enabled() and gg.is_anomaly_check_nan_enabled()

    @detect_anomaly()
    def f():
        return gg.is_anomaly_enabled()

    assert f() is True and not gg.is_anomaly_enabled()


def test_variable():
    t = gg.tensor([1.0, 2.0])
    v = Variable(t, requires_grad=True)
    assert v is not t and v.requires_grad and v.is_leaf and not t.requires_grad
    assert v.data_ptr() == t.data_ptr()
    assert isinstance(t, Variable)
    w = Variable(v * 2)
    assert not w.requires_grad and w.is_leaf
    assert Variable().shape == (0,)
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1, 2])
