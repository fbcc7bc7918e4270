"""Devices: availability never raises, clear errors without CUDA, device mixing, transfers."""

import sys
import types

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import _device

from .conftest import host


@pytest.fixture
def fresh_cuda_probe(monkeypatch):
    """Forget the cached CuPy probe so a test can fake what CuPy does, then restore it."""
    saved = (_device._cupy, _device._cupy_error, _device._cupy_checked)
    monkeypatch.setattr(_device, "_cupy_checked", False)
    yield
    _device._cupy, _device._cupy_error, _device._cupy_checked = saved


def test_availability_is_a_bool_and_never_raises():
    assert isinstance(gg.cuda.is_available(), bool)
    assert isinstance(gg.cuda.device_count(), int)
    assert (gg.cuda.device_count() > 0) == gg.cuda.is_available()


def test_missing_cupy_means_unavailable(monkeypatch, fresh_cuda_probe):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    assert gg.cuda.is_available() is False
    assert gg.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match=r"CUDA is not available.*gpugrad\[cuda12\]"):
        gg.zeros(2, device="cuda")


def test_cupy_without_driver_means_unavailable(monkeypatch, fresh_cuda_probe):
    def no_driver():
        raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_driver))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    assert gg.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="insufficient"):
        gg.ones(1).cuda()


@pytest.mark.skipif(gg.cuda.is_available(), reason="checks the CPU-only error path")
def test_asking_for_cuda_without_it_raises_with_the_fix():
    x = gg.ones(2)
    for call in (lambda: x.cuda(), lambda: x.to("cuda:0"), lambda: gg.randn(2, device="cuda"),
                 lambda: gg.tensor([1.0], device="cuda")):
        with pytest.raises(RuntimeError, match="pip install"):
            call()
    assert x.device == gg.device("cpu")


def test_device_objects():
    d = gg.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1"
    assert gg.device("cpu") == "cpu" and gg.device("cuda", 0) == gg.device("cuda:0")
    assert repr(gg.device("cpu")) == "device(type='cpu')"
    assert len({gg.device("cpu"), gg.device("cpu")}) == 1
    for bad in ("gpu", "cuda:x", "cpu:1"):
        with pytest.raises(RuntimeError):
            gg.device(bad)
    with pytest.raises(TypeError):
        gg.device(3)


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_mixing_devices_raises_naming_both():
    a, b = gg.ones(2), gg.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="cpu and cuda:0|cuda:0 and cpu"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        b @ gg.ones(2, 2)


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_to_device_gradient():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == gg.device("cuda:0") and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.device == gg.device("cpu")
    np.testing.assert_allclose(host(x.grad), [2.0, 4.0])
    back = y.cpu()
    assert back.device == gg.device("cpu")


def test_modules_and_tensors_report_their_device(device):
    m = gg.nn.Linear(3, 2).to(device)
    assert m.weight.device == gg.device(device if device == "cpu" else "cuda:0")
    out = m(gg.ones(4, 3, device=device))
    assert out.device == m.weight.device
