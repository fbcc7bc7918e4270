"""The shared ``device`` fixture: every op, layer and optimizer test runs on each device."""

import numpy as np
import pytest

import gpugrad


def _cuda_param():
    return pytest.param(
        "cuda",
        marks=[pytest.mark.cuda, pytest.mark.skipif(not gpugrad.cuda.is_available(),
                                                    reason="CUDA is not available")],
    )


@pytest.fixture(params=["cpu", _cuda_param()])
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    gpugrad.manual_seed(0)
    np.random.seed(0)


def host(t):
    """A copy of a Tensor's data as a float64 (or original dtype for ints) NumPy array."""
    a = t.detach().cpu().numpy() if isinstance(t, gpugrad.Tensor) else np.asarray(t)
    return a.astype(np.float64) if a.dtype.kind == "f" else a.copy()
