"""Conversions, shapes and printing as PyTorch's: ``Size``, ``type()``, ``to()`` and the casts,
memory layout queries, ``numpy()`` sharing memory, Python scalar conversions, ``repr`` and
``format``. Expected texts were produced by PyTorch on the same values (``torch.`` written
``gpugrad.``)."""

import pickle

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host

# --- Size ------------------------------------------------------------------------------------


def test_size_is_a_tuple_that_prints_as_pytorch(device):
    t = gg.zeros(2, 3, 4, device=device)
    s = t.shape
    assert isinstance(s, gg.Size) and isinstance(s, tuple) and t.size() == s
    assert repr(s) == "gpugrad.Size([2, 3, 4])" and str(s) == repr(s)
    assert repr(gg.tensor(1.0).shape) == "gpugrad.Size([])"
    assert s == (2, 3, 4) and s != [2, 3, 4] and s.numel() == 24 == t.numel()
    assert gg.Size([]).numel() == 1 and gg.Size([3, 0]).numel() == 0
    assert s[1:] == (3, 4) and isinstance(s[1:], gg.Size) and s[-1] == 4 and type(s[0]) is int
    assert isinstance(s + (5,), gg.Size) and s + (5,) == (2, 3, 4, 5)
    assert isinstance((1,) + s, gg.Size) and (1,) + s == (1, 2, 3, 4)
    assert isinstance(s * 2, gg.Size) and 2 * s == (2, 3, 4, 2, 3, 4)
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is gg.Size
    assert gg.Size([gg.tensor(3), np.int64(2)]) == (3, 2)
    with pytest.raises(TypeError, match=r"takes an iterable of 'int' \(item 0 is 'float'\)"):
        gg.Size([2.0])
    assert gg.zeros(s).shape == s  # a Size is accepted wherever a shape is


def test_size_of_a_dimension(device):
    t = gg.zeros(2, 3, device=device)
    assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3 and t.size(-2) == 2
    assert type(t.size(1)) is int
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        t.size(2)
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got -3"):
        t.size(-3)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        gg.tensor(1.0, device=device).size(0)


# --- type() and the casts ------------------------------------------------------------------

NAMES = [(gg.float16, "HalfTensor"), (gg.float32, "FloatTensor"), (gg.float64, "DoubleTensor"),
         (gg.int32, "IntTensor"), (gg.int64, "LongTensor"), (gg.bool, "BoolTensor")]


@pytest.mark.parametrize("dt, name", NAMES, ids=[n for _, n in NAMES])
def test_type_names_and_casts_by_name(device, dt, name):
    t = gg.tensor([1.0, 0.0, 2.0], device=device)
    cuda = "cuda." if device == "cuda" else ""
    c = t.type(dt)
    assert c.dtype is dt and c.type() == f"torch.{cuda}{name}" and c.device == t.device
    assert host(c).tolist() == [1, 0, 1] if dt is gg.bool else host(c).tolist() == [1, 0, 2]
    for spec in (f"torch.{name}", f"gpugrad.{name}", name):
        assert t.type(spec).dtype is dt and t.type(spec).device == gg.device("cpu")
    assert c.type(c.dtype) is c  # nothing to change: the tensor itself


def test_type_by_name_moves_between_devices(device):
    t = gg.tensor([1.5], device=device)
    assert t.type("torch.FloatTensor").device == gg.device("cpu")
    if device == "cuda":
        assert t.type("torch.cuda.FloatTensor") is t
        assert t.cpu().type("torch.cuda.DoubleTensor").device.type == "cuda"


def test_type_refuses_what_is_not_a_tensor_type():
    t = gg.tensor([1.5])
    assert t.type("torch.FloatTensor") is t
    for bad in ("float", "torch.float32", "torch.ComplexTensor"):
        with pytest.raises(ValueError, match=f"invalid type: '{bad}'"):
            t.type(bad)
    with pytest.raises(ValueError, match="invalid type: 'float'"):
        t.type(float)  # as PyTorch: a Python type is not a tensor type


def test_cast_shorthands_and_type_as(device):
    x = gg.tensor([1.75, -2.5], device=device, requires_grad=True)
    for fn, dt in ((x.half, gg.float16), (x.float, gg.float32), (x.double, gg.float64),
                   (x.int, gg.int32), (x.long, gg.int64), (x.bool, gg.bool)):
        out = fn()
        assert out.dtype is dt and out.device == x.device
        assert fn(memory_format=gg.preserve_format).dtype is dt
    assert host(x.long()).tolist() == [1, -2] and host(x.bool()).tolist() == [True, True]
    assert x.float() is x
    y = x.type_as(gg.zeros(1, dtype=gg.float64))
    assert y.dtype is gg.float64 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype is gg.float32 and host(x.grad).tolist() == [3.0, 3.0]


def test_to_forms(device):
    x = gg.tensor([1.0, 2.0], device=device)
    ref = gg.zeros(1, dtype=gg.float16, device=device)
    assert x.to(ref).dtype is gg.float16 and x.to(ref).device == x.device
    assert x.to(device, gg.int32).dtype is gg.int32
    assert x.to(dtype=gg.float64, device=device).dtype is gg.float64
    assert x.to(float).dtype is gg.float64 and x.to(int).dtype is gg.int64
    assert x.to(gg.float32) is x and x.to(device) is x and x.to(x) is x
    for c in (x.to(gg.float32, copy=True), x.to(gg.float32, False, True),
              x.to(device, gg.float32, False, True), x.to(x, copy=True)):
        assert c is not x and host(c).tolist() == [1.0, 2.0]
        c.add_(1)
        assert host(x).tolist() == [1.0, 2.0]  # a copy owns its storage
    assert x.to(memory_format=gg.contiguous_format, non_blocking=True) is x
    with pytest.raises(TypeError, match="invalid argument"):
        x.to(1.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(dtyp=gg.float64)


# --- memory layout -----------------------------------------------------------------------


def test_clone_contiguous_and_layout_queries(device):
    a = gg.arange(12, dtype=gg.float32, device=device).reshape(3, 4)
    assert a.is_contiguous() and a.contiguous() is a
    assert a.element_size() == 4 == a.itemsize and a.nbytes == 48
    assert gg.zeros(3, dtype=gg.float16).nbytes == 6 and gg.zeros(2, dtype=gg.bool).itemsize == 1
    t = a.T
    assert not t.is_contiguous()
    c = t.contiguous(memory_format=gg.contiguous_format)
    assert c.is_contiguous() and c.shape == (4, 3)
    np.testing.assert_array_equal(host(c), np.arange(12.0).reshape(3, 4).T)
    w = gg.ones(3, 4, device=device, requires_grad=True)
    out = w.T.contiguous()
    assert out.grad_fn is not None
    (out * gg.arange(12.0, device=device).reshape(4, 3)).sum().backward()
    np.testing.assert_array_equal(host(w.grad), np.arange(12.0).reshape(4, 3).T)
    k = a.clone(memory_format=gg.preserve_format)
    k.zero_()
    assert host(a)[1, 1] == 5.0 and a.storage_offset() == 0


def test_storage_offset_and_data_ptr_of_views():
    a = gg.arange(10, dtype=gg.float64)
    v = a[3:]
    assert v.storage_offset() == 3 and a[1:][2:].storage_offset() == 3
    assert v.data_ptr() == a.data_ptr() + 3 * 8
    assert a.data_ptr() == a.numpy().ctypes.data  # numpy() views the same memory


# --- numpy() -------------------------------------------------------------------------------


def test_numpy_shares_memory_both_ways():
    t = gg.tensor([1.0, 2.0, 3.0])
    n = t.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    n[0] = 5.0
    assert t.tolist() == [5.0, 2.0, 3.0]
    t[1] = 7.0
    assert n.tolist() == [5.0, 7.0, 3.0]
    t.add_(1.0)
    assert n.tolist() == [6.0, 8.0, 4.0]
    n.shape = (3, 1)  # reshaping the array object leaves the tensor's shape alone
    assert t.shape == (3,)
    z = gg.tensor(2.5).numpy()
    assert z.shape == () and z.item() == 2.5
    a = np.asarray(t)
    a[2] = -1.0
    assert t[2].item() == -1.0
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    c = np.array(t)  # np.array copies, as for any array-like
    c[0] = 0.0
    assert t[0].item() == 6.0


def test_numpy_of_a_tensor_that_requires_grad():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    msg = (r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) "
           r"instead.")
    with pytest.raises(RuntimeError, match=msg):
        x.numpy()
    with pytest.raises(RuntimeError, match=msg):
        np.asarray(x)
    with pytest.raises(RuntimeError, match=msg):
        (x * 2).numpy()
    d = x.detach().numpy()
    d[0] = 4.0
    assert x.tolist() == [4.0, 2.0]  # detach shares storage too
    f = x.numpy(force=True)
    assert f.tolist() == [4.0, 2.0]
    with gg.no_grad():
        assert x.numpy().tolist() == [4.0, 2.0]  # as PyTorch: allowed outside grad mode
    assert x.tolist() == [4.0, 2.0] and (x * 2).tolist() == [8.0, 4.0]


def test_numpy_of_a_cuda_tensor_says_to_copy_first(device):
    if device != "cuda":
        pytest.skip("a CUDA tensor is needed")
    t = gg.tensor([1.0, 2.0], device=device)
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. "
                                        r"Use Tensor.cpu\(\) to copy the tensor to host memory"):
        t.numpy()
    with pytest.raises(TypeError, match="Tensor.cpu"):
        np.asarray(t)
    f = t.numpy(force=True)
    f[0] = 9.0
    assert t.tolist() == [1.0, 2.0]  # from a GPU, force=True copies
    assert t.cpu().numpy().tolist() == [1.0, 2.0]


# --- Python scalars ----------------------------------------------------------------------------


def test_python_scalar_conversions(device):
    t = gg.tensor([2.5], device=device)
    assert float(t) == 2.5 and int(t) == 2 and bool(t) and t.item() == 2.5
    assert [10, 20, 30][gg.tensor(1, device=device)] == 20
    assert [10, 20, 30][gg.tensor([2], device=device)] == 30
    assert [10, 20][gg.tensor(True, device=device)] == 20
    two = gg.tensor([1.0, 2.0], device=device)
    for fn in (float, int):
        with pytest.raises(ValueError, match="only one element tensors can be converted to "
                                             "Python scalars"):
            fn(two)
        with pytest.raises(ValueError, match="only one element"):
            fn(gg.zeros(0, device=device))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is "
                                           "ambiguous"):
        bool(two)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(gg.zeros(0, device=device))
    for bad in (gg.tensor(2.5, device=device), gg.tensor([1, 2], device=device)):
        with pytest.raises(TypeError, match="only integer tensors of a single element can be "
                                            "converted to an index"):
            [1, 2, 3][bad]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        two.item()
    g = gg.tensor([3.0], device=device, requires_grad=True)
    assert float(g) == 3.0 and g.tolist() == [3.0]


def test_format_applies_the_spec_to_a_zero_dim_tensor(device):
    s = gg.tensor(1.5, device=device)
    assert f"{s}" == "1.5" and f"{s:.3f}" == "1.500" and format(s, ">6.1f") == "   1.5"
    assert f"{gg.tensor(3, device=device):d}" == "3" and f"{gg.tensor(True)}" == "True"
    loss = (gg.tensor([0.25, 0.5], device=device, requires_grad=True) ** 2).sum()
    assert f"{loss:.4f}" == "0.3125"
    one = gg.tensor([1.5], device=device)
    assert f"{one}" == str(one) == repr(one)
    for t in (one, gg.tensor([1.0, 2.0], device=device)):
        with pytest.raises(TypeError, match="unsupported format string passed to "
                                            "Tensor.__format__"):
            format(t, ".2f")
    p = gg.nn.Parameter(gg.tensor(2.5))
    with pytest.raises(TypeError, match="unsupported format string"):
        format(p, ".2f")  # as PyTorch: only a plain 0-d Tensor formats as its value


# --- repr ----------------------------------------------------------------------------------

F32 = np.float32
REPRS = [
    (np.array([1.0, 2.0], F32), {}, "tensor([1., 2.])"),
    (np.array([0.5, 2.0], F32), {}, "tensor([0.5000, 2.0000])"),
    (np.array(1.5, F32), {}, "tensor(1.5000)"),
    (np.array(2.0, F32), {}, "tensor(2.)"),
    (np.array(-3), {}, "tensor(-3)"),
    (np.array(1e-5, F32), {}, "tensor(1.0000e-05)"),
    (np.array(np.nan, F32), {}, "tensor(nan)"),
    (np.array([1e-5, 1.0], F32), {}, "tensor([1.0000e-05, 1.0000e+00])"),
    (np.array([1e9, 1.0], F32), {}, "tensor([1.0000e+09, 1.0000e+00])"),
    (np.array([1e8, 1.0], F32), {}, "tensor([1.0000e+08, 1.0000e+00])"),
    (np.array([100000.0, 1.5], F32), {}, "tensor([1.0000e+05, 1.5000e+00])"),
    (np.array([[1e-3, 12345.678], [-0.5, 7.0]], F32), {},
     "tensor([[ 1.0000e-03,  1.2346e+04],\n        [-5.0000e-01,  7.0000e+00]])"),
    (np.array([np.nan, 1.5, -np.inf], F32), {}, "tensor([   nan, 1.5000,   -inf])"),
    (np.array([np.nan, 1.0, -np.inf], F32), {}, "tensor([nan, 1., -inf])"),
    (np.array([-0.0, 0.0], F32), {}, "tensor([-0., 0.])"),
    (np.array([1, -200], np.int32), {}, "tensor([   1, -200], dtype=gpugrad.int32)"),
    (np.array([True, False]), {}, "tensor([ True, False])"),
    (np.array([[0.25, -1.5], [3.0, 4.125]]), {},
     "tensor([[ 0.2500, -1.5000],\n        [ 3.0000,  4.1250]], dtype=gpugrad.float64)"),
    (np.array([0.1, 2.0], np.float16), {}, "tensor([0.1000, 2.0000], dtype=gpugrad.float16)"),
    (np.zeros(0, F32), {}, "tensor([])"),
    (np.zeros((0, 3), F32), {}, "tensor([], size=(0, 3))"),
    (np.zeros((1, 0), F32), {}, "tensor([], size=(1, 0))"),
    (np.zeros(0, np.int64), {}, "tensor([], dtype=gpugrad.int64)"),
    (np.arange(2000), {}, "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ((np.arange(1200, dtype=F32).reshape(40, 30) / 7).astype(F32), {},
     "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 3.8571e+00, 4.0000e+00,\n"
     "         4.1429e+00],\n"
     "        [4.2857e+00, 4.4286e+00, 4.5714e+00,  ..., 8.1429e+00, 8.2857e+00,\n"
     "         8.4286e+00],\n"
     "        [8.5714e+00, 8.7143e+00, 8.8571e+00,  ..., 1.2429e+01, 1.2571e+01,\n"
     "         1.2714e+01],\n"
     "        ...,\n"
     "        [1.5857e+02, 1.5871e+02, 1.5886e+02,  ..., 1.6243e+02, 1.6257e+02,\n"
     "         1.6271e+02],\n"
     "        [1.6286e+02, 1.6300e+02, 1.6314e+02,  ..., 1.6671e+02, 1.6686e+02,\n"
     "         1.6700e+02],\n"
     "        [1.6714e+02, 1.6729e+02, 1.6743e+02,  ..., 1.7100e+02, 1.7114e+02,\n"
     "         1.7129e+02]])"),
    (np.arange(60).reshape(3, 4, 5), {"threshold": 10, "edgeitems": 1},
     "tensor([[[ 0,  ...,  4],\n         ...,\n         [15,  ..., 19]],\n\n        ...,\n\n"
     "        [[40,  ..., 44],\n         ...,\n         [55,  ..., 59]]])"),
    ((np.arange(30, dtype=F32) / 3).astype(F32), {"linewidth": 40},
     "tensor([0.0000, 0.3333, 0.6667, 1.0000,\n        1.3333, 1.6667, 2.0000, 2.3333,\n"
     "        2.6667, 3.0000, 3.3333, 3.6667,\n        4.0000, 4.3333, 4.6667, 5.0000,\n"
     "        5.3333, 5.6667, 6.0000, 6.3333,\n        6.6667, 7.0000, 7.3333, 7.6667,\n"
     "        8.0000, 8.3333, 8.6667, 9.0000,\n        9.3333, 9.6667])"),
    (np.array([1.23456, -2.5], F32), {"precision": 2}, "tensor([ 1.23, -2.50])"),
    (np.arange(10), {"threshold": 5}, "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    (np.arange(10), {"threshold": 5, "edgeitems": 0}, "tensor([...], size=(10,))"),
    ((np.arange(42, dtype=F32).reshape(6, 7) / 3).astype(F32),
     {"profile": "short", "threshold": 10},
     "tensor([[ 0.00,  0.33,  ...,  1.67,  2.00],\n        [ 2.33,  2.67,  ...,  4.00,  4.33],\n"
     "        ...,\n        [ 9.33,  9.67,  ..., 11.00, 11.33],\n"
     "        [11.67, 12.00,  ..., 13.33, 13.67]])"),
    (np.array([1.5, 2.0], F32), {"sci_mode": True}, "tensor([1.5000e+00, 2.0000e+00])"),
    (np.array([1e-5, 1.0], F32), {"sci_mode": False}, "tensor([0.0000, 1.0000])"),
]


@pytest.fixture
def print_defaults():
    yield
    gg.set_printoptions(profile="default")


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_as_pytorch(i, print_defaults):
    arr, opts, want = REPRS[i]
    gg.set_printoptions(**opts)
    t = gg.from_numpy(arr.copy())
    assert repr(t) == want and str(t) == want


def test_repr_of_graph_tensors_and_wrapped_suffixes():
    x = gg.tensor([1.5, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1.5000, 2.0000], requires_grad=True)"
    assert repr(x * 2) == "tensor([3., 4.], grad_fn=<MulBackward0>)"
    y = gg.full((3, 13), 1.25, dtype=gg.float64, requires_grad=True) * 1
    nine = ", ".join(["1.2500"] * 9)
    four = ", ".join(["1.2500"] * 4)
    assert repr(y) == (  # the last suffix passes 80 columns: it goes on a line of its own
        f"tensor([[{nine},\n         {four}],\n"
        f"        [{nine},\n         {four}],\n"
        f"        [{nine},\n         {four}]], dtype=gpugrad.float64,\n"
        "       grad_fn=<MulBackward0>)")


def test_repr_follows_the_default_dtype():
    gg.set_default_dtype(gg.float64)
    try:
        assert repr(gg.tensor([1.5], dtype=gg.float32)) == "tensor([1.5000], dtype=gpugrad.float32)"
        assert repr(gg.tensor([1.5], dtype=gg.float64)) == "tensor([1.5000])"
        assert repr(gg.zeros(0, dtype=gg.float32)) == "tensor([], dtype=gpugrad.float32)"
    finally:
        gg.set_default_dtype(gg.float32)


def test_repr_names_a_cuda_device(device):
    if device != "cuda":
        pytest.skip("a CUDA tensor is needed")
    assert repr(gg.tensor([1.0, 2.0], device=device)) == "tensor([1., 2.], device='cuda:0')"
    assert repr(gg.tensor([1, 2], dtype=gg.int32, device=device)) == (
        "tensor([1, 2], device='cuda:0', dtype=gpugrad.int32)")
    big = gg.arange(5000, device=device)
    assert repr(big) == "tensor([   0,    1,    2,  ..., 4997, 4998, 4999], device='cuda:0')"


def test_print_options_round_trip(print_defaults):
    assert gg.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                     "linewidth": 80, "sci_mode": None}
    gg.set_printoptions(precision=2, sci_mode=True)
    assert gg.get_printoptions()["precision"] == 2 and gg.get_printoptions()["sci_mode"] is True
    gg.set_printoptions(linewidth=100)  # each call resets sci_mode, as in PyTorch
    assert gg.get_printoptions()["sci_mode"] is None and gg.get_printoptions()["precision"] == 2
    gg.set_printoptions(profile="full")
    assert gg.get_printoptions()["threshold"] == float("inf")
    assert repr(gg.arange(1001)).count("...") == 0
    gg.set_printoptions(profile="default")
    with gg.printoptions(precision=1):
        assert repr(gg.tensor([0.25, 1.0])) == "tensor([0.2, 1.0])"
    assert repr(gg.tensor([0.25, 1.0])) == "tensor([0.2500, 1.0000])"
    with pytest.raises(ValueError, match="unknown profile"):
        gg.set_printoptions(profile="tiny")
