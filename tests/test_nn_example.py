"""examples/regression_bn.py runs briefly on every device and its metric is asserted."""

import sys
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import regression_bn  # noqa: E402


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_regression_bn_fits_friedman(norm, device, capsys):
    r = regression_bn.main(epochs=6, norm=norm, device=device)
    assert r["r2"] > 0.9 and r["rmse"] < 1.5 and r["device"].startswith(device)
    out = capsys.readouterr().out
    assert "final test R^2" in out and ("BatchNorm1d(64" in out) == (norm == "batch")
    model = r["model"]
    if norm == "batch":  # 1600 samples, batches of 64: 25 steps an epoch
        assert model[1].num_batches_tracked.item() == 6 * 25
    Xtr, ytr, Xte, yte, y_std = regression_bn.load_friedman("cpu")
    model.to("cpu").eval()
    with gg.no_grad():
        err = (model(Xte) - yte).cpu().numpy().astype(np.float64)
    assert np.sqrt((err**2).mean()) * y_std == pytest.approx(r["rmse"], rel=1e-4)


def test_regression_bn_rejects_an_unknown_norm():
    with pytest.raises(ValueError, match="norm must be"):
        regression_bn.build_model(10, norm="group")
