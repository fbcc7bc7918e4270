"""Math ops: values of the non-differentiable ones, dtypes, errors, and every backward rule of
the math ops run again on Tensors (as a higher-order pass will run it)."""

import math

import numpy as np
import pytest

import gpugrad as gg

from .conftest import host


def test_erf_values_and_dtypes(device):
    x = np.array([-3.0, -0.5, 0.0, 0.25, 1.0, 4.0])
    want = np.array([math.erf(v) for v in x])
    for dt in (gg.float32, gg.float64):
        got = gg.erf(gg.tensor(x, dtype=dt, device=device))
        assert got.dtype == dt
        np.testing.assert_allclose(host(got), want, rtol=1e-6 if dt == gg.float32 else 1e-15,
                                   atol=1e-7)
    h = gg.tensor(x, dtype=gg.float16, device=device).erf()
    assert h.dtype == gg.float16
    np.testing.assert_allclose(host(h), want, atol=1e-3)
    i = gg.tensor([0, 1, -2], device=device).erf()  # integers give the default float dtype
    assert i.dtype == gg.float32
    np.testing.assert_allclose(host(i), [0.0, math.erf(1), math.erf(-2)], rtol=1e-6)
    with pytest.raises(TypeError, match="must be Tensor"):
        gg.erf(1.0)
