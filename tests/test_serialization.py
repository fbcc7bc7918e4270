"""save/load: exact paths, no pickle, atomic writes, clear errors, map_location."""

import os

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import serialization

from .conftest import host


def test_round_trip_of_nested_state(tmp_path, device):
    obj = {"w": gg.randn(3, 2, device=device), "step": 7, "lr": 1e-3, "name": "adam",
           "betas": (0.9, 0.999), "nested": {0: {"m": gg.ones(2, dtype=gg.float64)}},
           "none": None, "flags": [True, False], "nan": float("nan"), "i": gg.arange(4)}
    path = tmp_path / "model.weights"  # any extension: exactly this path
    gg.save(obj, path)
    assert os.listdir(tmp_path) == ["model.weights"]
    back = gg.load(path)
    np.testing.assert_array_equal(host(back["w"]), host(obj["w"]))
    assert back["w"].device == obj["w"].device and back["w"].dtype == gg.float32
    assert back["step"] == 7 and back["lr"] == 1e-3 and back["name"] == "adam"
    assert back["betas"] == (0.9, 0.999) and back["nested"][0]["m"].dtype == gg.float64
    assert back["none"] is None and back["flags"] == [True, False] and np.isnan(back["nan"])
    assert back["i"].dtype == gg.int64 and back["i"].tolist() == [0, 1, 2, 3]
    cpu = gg.load(path, map_location="cpu")
    assert cpu["w"].device == gg.device("cpu")


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    gg.save({"a": gg.ones(2)}, tmp_path / "x.ckpt")
    with np.load(tmp_path / "x.ckpt", allow_pickle=False) as z:
        assert "__gpugrad__" in z.files


def test_failed_write_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    gg.save({"v": gg.tensor([1.0])}, path)
    before = path.read_bytes()

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        gg.save({"v": gg.tensor([2.0])}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_unsupported_objects_raise_before_touching_the_file(tmp_path):
    path = tmp_path / "c.npz"
    gg.save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot store"):
        gg.save({"f": lambda: 0}, path)
    assert path.read_bytes() == before


def test_loading_something_else_raises(tmp_path):
    p = tmp_path / "junk.npz"
    p.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable gpugrad checkpoint"):
        gg.load(p)
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not a gpugrad checkpoint"):
        gg.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        gg.load(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gg.save({}, tmp_path / "no" / "dir.npz")
