"""gpugrad.backends, gpugrad.accelerator, gpugrad.cuda's device and memory functions, and the
CPU thread count."""

import importlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import gpugrad as gg
from gpugrad import _device as _dev

NO_CUDA = pytest.mark.skipif(gg.cuda.is_available(), reason="checks the machine without CUDA")


@pytest.fixture
def restore_flags():
    b = gg.backends
    saved = (dict(b.cudnn._flags), dict(b.cuda.matmul._flags), b._precision, _dev._tf32)
    yield
    b.cudnn._flags.update(saved[0])
    b.cuda.matmul._flags.update(saved[1])
    b._precision, _dev._tf32 = saved[2], saved[3]


def test_mps_and_cudnn_report_as_pytorch_without_them():
    assert gg.backends.mps.is_available() is False and gg.backends.mps.is_built() is False
    assert gg.backends.cudnn.is_available() is False and gg.backends.cudnn.version() is None
    assert gg.backends.cuda.is_built() == gg.cuda.is_available()


def test_cudnn_flags_have_pytorchs_defaults_and_take_bools_only(restore_flags):
    c = gg.backends.cudnn
    assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (True, False, False, True)
    c.benchmark = True
    c.deterministic = True
    assert c.benchmark is True and c.deterministic is True
    import gpugrad.backends.cudnn as cudnn

    assert cudnn is c and cudnn.benchmark is True
    assert importlib.import_module("gpugrad.backends.cudnn") is c
    with pytest.raises(RuntimeError, match="expects a bool, but got int"):
        c.benchmark = 0
    with pytest.raises(RuntimeError, match="expects a bool, but got str"):
        c.enabled = "yes"
    assert c.benchmark is True and c.enabled is True  # refused values change nothing
    with pytest.raises(AttributeError, match="Unknown attribute benchmrk"):
        c.benchmrk = True
    with pytest.raises(AttributeError, match="benchmrk"):
        _ = c.benchmrk
    assert "deterministic" in dir(c)


def test_tf32_switch_and_matmul_precision(restore_flags):
    m = gg.backends.cuda.matmul
    assert m.allow_tf32 is False and gg.get_float32_matmul_precision() == "highest"
    m.allow_tf32 = True
    assert _dev._tf32 is True and gg.get_float32_matmul_precision() == "high"
    m.allow_tf32 = False
    assert _dev._tf32 is False
    gg.set_float32_matmul_precision("medium")
    assert m.allow_tf32 is True and gg.get_float32_matmul_precision() == "medium"
    gg.set_float32_matmul_precision("highest")
    assert m.allow_tf32 is False and gg.get_float32_matmul_precision() == "highest"
    with pytest.warns(UserWarning, match="has no effect"):
        gg.set_float32_matmul_precision("bad")
    assert m.allow_tf32 is False
    with pytest.raises(RuntimeError, match="expects a bool"):
        m.allow_tf32 = 1


def test_accelerator_agrees_with_cuda():
    a = gg.accelerator
    assert a.is_available() == gg.cuda.is_available()
    assert a.device_count() == gg.cuda.device_count()
    cur = a.current_accelerator()
    assert (cur == gg.device("cuda")) if gg.cuda.is_available() else cur is None
    assert a.current_accelerator(check_available=True) == cur


@NO_CUDA
def test_without_cuda_everything_reads_zero_or_raises_as_pytorch():
    assert gg.cuda.device_count() == 0 and gg.cuda.is_initialized() is False
    for fn in (gg.cuda.memory_allocated, gg.cuda.max_memory_allocated,
               gg.cuda.memory_reserved):
        assert fn() == 0 and fn(0) == 0
    gg.cuda.empty_cache()
    gg.cuda.reset_peak_memory_stats()
    gg.cuda.seed()
    gg.cuda.seed_all()
    assert gg.cuda.get_rng_state_all() == []
    for fn in (gg.cuda.current_device, gg.cuda.get_device_name, gg.cuda.get_device_properties,
               gg.cuda.get_device_capability, gg.cuda.initial_seed, gg.cuda.get_rng_state,
               gg.cuda.synchronize, lambda: gg.cuda.set_device(0),
               lambda: gg.Generator("cuda")):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            fn()
    gg.cuda.set_device(-1)  # a negative index is ignored, as PyTorch
    for fn in (gg.accelerator.current_device_index, gg.accelerator.synchronize,
               lambda: gg.accelerator.set_device_index(0)):
        with pytest.raises(RuntimeError, match="none is available"):
            fn()


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_cuda_device_and_memory_functions():
    i = gg.cuda.current_device()
    assert isinstance(i, int) and gg.cuda.is_initialized()
    p = gg.cuda.get_device_properties()
    assert p.name == gg.cuda.get_device_name(i) and p.total_memory > 2**28
    assert gg.cuda.get_device_capability() == (p.major, p.minor)
    gg.cuda.set_device(i)
    gg.cuda.reset_peak_memory_stats()
    before = gg.cuda.memory_allocated()
    x = gg.zeros(2**20, device="cuda")  # 4 MiB
    assert gg.cuda.memory_allocated() >= before + 4 * 2**20
    assert gg.cuda.max_memory_allocated() >= gg.cuda.memory_allocated()
    assert gg.cuda.memory_reserved() >= gg.cuda.memory_allocated()
    peak = gg.cuda.max_memory_allocated()
    del x
    gg.cuda.empty_cache()
    assert gg.cuda.memory_allocated() == before and gg.cuda.max_memory_allocated() == peak
    gg.cuda.reset_peak_memory_stats()
    assert gg.cuda.max_memory_allocated() == before
    assert gg.accelerator.current_device_index() == i


@pytest.fixture
def restore_threads():
    n = gg.get_num_threads()
    yield
    gg.set_num_threads(n)


def test_set_num_threads_limits_the_blas_pool(restore_threads):
    gg.set_num_threads(1)
    assert gg.get_num_threads() == 1
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    a = np.random.default_rng(0).standard_normal((64, 64))
    np.testing.assert_allclose((gg.tensor(a) @ gg.tensor(a)).numpy(), a @ a, rtol=1e-5,
                               atol=1e-4)  # products still run
    for bad, msg in ((0, "positive integer"), (-2, "positive integer"), (1.5, "expects an int"),
                     (True, "expects an int"), ("2", "expects an int")):
        with pytest.raises(RuntimeError, match=msg):
            gg.set_num_threads(bad)
    assert gg.get_num_threads() == 1


def test_set_float32_matmul_precision_warns_only_for_unknown_values(restore_flags):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gg.set_float32_matmul_precision("high")


class _FakePool:
    """CuPy's memory pool as the peak counter sees it: malloc, and the bytes in use."""

    def __init__(self):
        self.used = 0

    def malloc(self, size):
        self.used += size
        return type("Mem", (), {"device_id": 1, "size": size})()

    def used_bytes(self):
        return self.used


def test_peak_memory_counts_through_the_installed_allocator(monkeypatch):
    """The allocator installed when CuPy loads (run here on a stand-in for CuPy)."""
    pool = _FakePool()
    installed = []
    cuda = type("cuda", (), {"get_allocator": staticmethod(lambda: pool.malloc),
                             "set_allocator": staticmethod(installed.append)})
    fake = type("cp", (), {"cuda": cuda, "get_default_memory_pool": staticmethod(lambda: pool)})
    monkeypatch.setattr(_dev, "_peak", {})
    monkeypatch.setattr(_dev, "_tf32", None)
    _dev._on_cupy_loaded(fake)
    (malloc,) = installed
    assert malloc(100).size == 100 and _dev._peak == {1: 100}
    pool.used -= 100  # freed
    malloc(40)
    assert _dev._peak == {1: 100} and pool.used == 40
    malloc(200)
    assert _dev._peak == {1: 240}
    installed.clear()
    cuda.get_allocator = staticmethod(lambda: print)  # a user's own allocator stays
    _dev._on_cupy_loaded(fake)
    assert installed == []


def test_tf32_switch_sets_cupys_compute_type(monkeypatch, restore_flags):
    """allow_tf32 sets CuPy's float32 compute type (on a stand-in for CuPy's module: the real
    call needs a device)."""
    pytest.importorskip("cupy")
    from cupy._core import _routines_linalg as linalg

    calls = []
    core = type("core", (), {"set_compute_type": staticmethod(lambda *a: calls.append(a))})
    monkeypatch.setattr(_dev, "_cupy", type("cp", (), {"_core": core}))
    gg.backends.cuda.matmul.allow_tf32 = True
    gg.backends.cuda.matmul.allow_tf32 = False
    assert calls == [(np.float32, linalg.COMPUTE_TYPE_TF32),
                     (np.float32, linalg.COMPUTE_TYPE_FP32)]


def test_demo_threads_flag(tmp_path):
    """examples/digits.py runs its CPU products on one BLAS thread unless told otherwise."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, str(root / "examples" / "digits.py"), "--epochs", "1",
                          "--device", "cpu", "--no-plot", "--out", str(tmp_path)],
                         capture_output=True, text=True, check=True, env=env).stdout
    assert "BLAS threads: 1" in out and "samples/s" in out
