"""Every example runs at a reduced size, on every device, and its result is asserted."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import backprop_walkthrough  # noqa: E402
import digits  # noqa: E402
import manual_vs_auto  # noqa: E402
import micrograd_mlp  # noqa: E402
import moons  # noqa: E402
import regression_bn  # noqa: E402

from benchmarks import gpu_check  # noqa: E402


def test_digits_trains_and_writes_plot_and_checkpoint(device, tmp_path):
    r = digits.main(epochs=12, device=device, out=tmp_path, progress=False)
    assert r["test_accuracy"] >= 0.95
    assert r["samples_per_second"] > 0 and r["device"].startswith(device)
    assert r["plot"].stat().st_size > 10_000
    ck = gg.load(r["checkpoint"], map_location="cpu")
    assert ck["epochs"] == 12 and ck["model"]["0.weight"].shape == (256, 64)
    model = gg.nn.Sequential(gg.nn.Linear(64, 256), gg.nn.GELU(), gg.nn.Dropout(0.3),
                             gg.nn.Linear(256, 256), gg.nn.GELU(), gg.nn.Dropout(0.3),
                             gg.nn.Linear(256, 10))
    model.load_state_dict(ck["model"])
    Xtr, ytr, Xte, yte = digits.load_digits("cpu")
    assert digits.accuracy(model, Xte, yte) == pytest.approx(r["test_accuracy"], abs=1e-6)


def test_micrograd_loop_loss_falls(device, capsys):
    losses = micrograd_mlp.main(steps=30, device=device)
    assert losses[-1] < 0.1 * losses[0]
    assert "predictions" in capsys.readouterr().out


def test_moons_reaches_full_training_accuracy(device, tmp_path):
    r = moons.main(steps=200, device=device, out=tmp_path, verbose=False)
    assert r["accuracy"] == 1.0
    assert r["plot"].stat().st_size > 5_000


def test_manual_and_autograd_gradients_agree(device):
    r = manual_vs_auto.main(steps=5, device=device, verbose=False)
    assert r["max_grad_difference"] < 1e-12
    for lm, la in r["losses"]:
        assert lm == pytest.approx(la, rel=1e-12)
    assert r["losses"][-1][0] < r["losses"][0][0]


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_regression_bn_learns_with_workers_and_a_schedule(norm, device, capsys):
    """Six epochs with two loader workers and the cosine schedule: the training MSE (of the
    standardized target, whose variance is 1) falls below 0.15 and to under half the first
    epoch's; the test R^2 passes 0.88."""
    r = regression_bn.main(epochs=6, norm=norm, device=device, num_workers=2)
    losses = r["train_losses"]
    assert len(losses) == 6 and losses[-1] < 0.15 and losses[-1] < 0.5 * losses[0]
    assert r["r2"] > 0.88 and r["device"].startswith(device)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("epoch")]
    assert [int(line.split()[1]) for line in lines] == [1, 2, 3, 4, 5, 6]
    lrs = [float(line.split()[3]) for line in lines]  # cosine from 3e-3 towards 1.5e-4
    assert lrs[0] == pytest.approx(3e-3) and all(a > b for a, b in zip(lrs, lrs[1:]))
    assert "workers: 2" in out and ("BatchNorm1d(64" in out) == (norm == "batch")
    model = r["model"]
    if norm == "batch":  # 1600 samples, batches of 64: 25 steps an epoch
        assert model[1].num_batches_tracked.item() == 6 * 25
    Xtr, ytr, Xte, yte, y_std = regression_bn.load_friedman("cpu")
    model.to("cpu").eval()
    with gg.no_grad():
        err = (model(Xte) - yte).numpy().astype(np.float64)
    assert np.sqrt((err**2).mean()) * y_std == pytest.approx(r["rmse"], rel=1e-4)


def test_regression_bn_rejects_an_unknown_norm():
    with pytest.raises(ValueError, match="norm must be"):
        regression_bn.build_model(10, norm="group")


def test_backprop_walkthrough(tmp_path, capsys):
    r = backprop_walkthrough.main(out=tmp_path, steps=20)
    assert r["derivative"]["exact"] == 14.0
    assert r["derivative"]["numeric"] == pytest.approx(14.0, abs=1e-6)
    assert r["chain"]["grads"] == r["chain"]["by_hand"] == (-3.0, 2.0, 1.0)
    assert r["neuron"]["dw1"] == pytest.approx(1.0) and r["neuron"]["dx1"] == pytest.approx(-1.5)
    dot = (tmp_path / "neuron.dot").read_text()
    assert all(f"{{ {n} |" in dot for n in ("x1", "w1", "x1*w1", "n", "o"))
    assert np.diff(r["mlp"]["losses"][:5]).max() < 0.5 and r["mlp"]["losses"][-1] < 0.05
    assert "4. MLP" in capsys.readouterr().out


# --- the command lines: the examples as make gpu-check runs them, and the digits demo ---------

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd):
    import os
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", [n for n, _, _ in gpu_check.EXAMPLES if n != "digits"])
def test_example_command_line_at_its_gpu_check_size(name, tmp_path):
    """The reduced-size command gpu-check runs with --device cuda, here with --device cpu."""
    r = _run(gpu_check.example_command(name, "cpu"), tmp_path)
    assert r.returncode == 0, r.stderr
    pattern = next(p for n, _, p in gpu_check.EXAMPLES if n == name)
    assert re.search(pattern, r.stdout), r.stdout[-2000:]
    if name == "moons":
        assert "training accuracy 100.0%" in r.stdout
    if name == "backprop_walkthrough":
        assert "(cpu)" in r.stdout


def test_regression_bn_command_line_prints_one_line_per_epoch(tmp_path):
    r = _run([sys.executable, str(ROOT / "examples" / "regression_bn.py"), "--epochs", "2",
              "--device", "cpu", "--norm", "layer"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert [line.split()[:2] for line in r.stdout.splitlines() if line.startswith("epoch")] == [
        ["epoch", "1"], ["epoch", "2"]]
    assert re.search(r"final test R\^2: 0\.[0-9]{4}", r.stdout), r.stdout


def test_digits_command_line_checks_accuracy_only_when_asked(tmp_path):
    script = str(ROOT / "examples" / "digits.py")
    base = [sys.executable, script, "--epochs", "2", "--no-plot", "--out", str(tmp_path),
            "--device", "cpu"]
    r = _run(base + ["--min-accuracy", "0.999"], tmp_path)
    assert r.returncode == 1
    assert "is below --min-accuracy 0.999" in r.stderr
    # not a terminal: one line per epoch, no progress bar
    assert [line.split()[:2] for line in r.stdout.splitlines() if line.startswith("epoch")] == [
        ["epoch", "1"], ["epoch", "2"]]
    assert "\r" not in r.stdout + r.stderr and "it/s" not in r.stderr
    acc = float(re.search(r"test accuracy: ([0-9.]+)", r.stdout).group(1))
    r = _run(base + ["--min-accuracy", str(acc - 0.01)], tmp_path)  # the same run passes it
    assert r.returncode == 0, r.stderr
    assert f"test accuracy: {acc:.4f}" in r.stdout
