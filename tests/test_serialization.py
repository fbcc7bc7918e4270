"""gpugrad.save / gpugrad.load: round trips, refusals at save time, one error type for every
unreadable file (fuzzed), atomic writes, the umask, and stale temporary files."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import serialization as S
from gpugrad.serialization import CheckpointError

from .conftest import host

ROOT = Path(__file__).resolve().parents[1]


def _sample(device="cpu"):
    t = gg.tensor([[1.5, -2.0], [0.25, 3.0]], device=device)
    return {
        "weights": {"w": t, "b": gg.tensor([1, 2, 3], dtype=gg.int64, device=device)},
        "half": gg.tensor([0.5, 1.5], dtype=gg.float16, device=device),
        "mask": gg.tensor([True, False], device=device),
        "scalar": gg.tensor(2.5, dtype=gg.float64, device=device),
        "same": t,  # stored once, loads as the same tensor
        "arrays": [np.arange(6).reshape(2, 3), np.array(["a", "bc"]), np.asfortranarray(
            np.arange(6.0).reshape(2, 3))],
        3: ("tuple", 1, 2.5, None, True),
        "floats": [float("nan"), float("inf"), -float("inf"), np.float32(0.5)],
        "empty": {}, "nested": [[[]]],
    }


def _check_sample(got, device):
    assert set(got) == {"weights", "half", "mask", "scalar", "same", "arrays", 3, "floats",
                        "empty", "nested"}
    w = got["weights"]["w"]
    assert str(w.device) == str(gg.device(device)) and w.dtype == gg.float32
    np.testing.assert_array_equal(host(w), [[1.5, -2.0], [0.25, 3.0]])
    assert got["same"] is w
    assert got["weights"]["b"].dtype == gg.int64 and got["half"].dtype == gg.float16
    assert host(got["mask"]).tolist() == [True, False] and got["scalar"].shape == ()
    np.testing.assert_array_equal(got["arrays"][0], np.arange(6).reshape(2, 3))
    assert got["arrays"][1].tolist() == ["a", "bc"]
    np.testing.assert_array_equal(got["arrays"][2], np.arange(6.0).reshape(2, 3))
    assert got[3] == ("tuple", 1, 2.5, None, True)
    f = got["floats"]
    assert np.isnan(f[0]) and f[1:] == [float("inf"), -float("inf"), 0.5]
    assert got["empty"] == {} and got["nested"] == [[[]]]


def test_round_trip(tmp_path, device):
    gg.save(_sample(device), tmp_path / "a.ckpt")
    _check_sample(gg.load(tmp_path / "a.ckpt"), device)
    assert (tmp_path / "a.ckpt").exists() and os.listdir(tmp_path) == ["a.ckpt"]


def test_file_objects_map_location_and_weights_only(device):
    buf = io.BytesIO()
    gg.save(_sample(device), buf)
    for loc in ("cpu", gg.device("cpu"), {str(gg.device(device)): "cpu"}):
        buf.seek(0)
        got = gg.load(buf, map_location=loc, weights_only=True)
        assert got["weights"]["w"].device == gg.device("cpu")
    buf.seek(0)
    _check_sample(gg.load(buf, weights_only=False), device)
    with pytest.raises(TypeError, match="map_location"):
        gg.load(buf, map_location=3)


@pytest.mark.parametrize("obj,where", [
    ({"a": {"b": [1, object()]}}, r"obj\['a'\]\['b'\]\[1\] is of type object"),
    ({"opt": {"fn": lambda e: e}}, r"obj\['opt'\]\['fn'\] is of type function"),
    ({"x": np.array([1, "a", None], dtype=object)}, r"obj\['x'\] is a NumPy array of dtype object"),
    ({"s": frozenset({1, 2})}, r"obj\['s'\] is of type frozenset"),
    ({"c": slice(1, 2)}, r"obj\['c'\] is of type slice"),
    ({gg.zeros(1): 3}, r"obj has a key of type Tensor"),
])
def test_save_refuses_what_would_need_a_pickle_and_leaves_the_file(tmp_path, obj, where):
    path = tmp_path / "keep.ckpt"
    gg.save({"old": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=where):
        gg.save(obj, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.ckpt"]


def test_save_refuses_a_cycle(tmp_path):
    a = [1]
    a.append({"again": a})
    with pytest.raises(ValueError, match=r"obj\[1\]\['again'\] contains itself"):
        gg.save(a, tmp_path / "c.ckpt")
    gg.save([a[0], a[0]], tmp_path / "c.ckpt")  # the same object twice is no cycle
    assert os.listdir(tmp_path) == ["c.ckpt"]


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    old = os.umask(0o027)
    try:
        gg.save({"a": 1}, tmp_path / "u.ckpt")
        assert (tmp_path / "u.ckpt").stat().st_mode & 0o777 == 0o640
        os.umask(0o022)
        gg.save({"a": 1}, tmp_path / "v.ckpt")
        assert (tmp_path / "v.ckpt").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "v.ckpt", 0o600)
        gg.save({"a": 2}, tmp_path / "v.ckpt")
        assert (tmp_path / "v.ckpt").stat().st_mode & 0o777 == 0o600
        assert gg.load(tmp_path / "v.ckpt") == {"a": 2}
    finally:
        os.umask(old)


def test_an_interrupted_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.ckpt"
    gg.save({"v": 1}, path)

    def broken(fh, **arrays):
        fh.write(b"PK\x03\x04partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(S.np, "savez", broken)
    with pytest.raises(KeyboardInterrupt):
        gg.save({"v": 2}, path)
    monkeypatch.undo()
    assert gg.load(path) == {"v": 1} and os.listdir(tmp_path) == ["m.ckpt"]


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _temp(tmp_path, target, host, pid, age_s):
    name = f".{target}.{host}.{pid}.{'0123456789abcdef'}{S.TEMP_SUFFIX}"
    f = tmp_path / name
    f.write_bytes(b"partial")
    t = time.time() - age_s
    os.utime(f, (t, t))
    return f


def test_stale_temporary_files_are_removed_and_only_those(tmp_path):
    host_name = S._temp_name("x").split(".")[2]
    dead, alive = _dead_pid(), os.getppid()
    gone = [_temp(tmp_path, "a.ckpt", host_name, dead, 120),  # writer gone, a minute old
            _temp(tmp_path, "b.ckpt", host_name, alive, 2 * S.STALE_AFTER_S),  # a day old
            _temp(tmp_path, "c.ckpt", "otherhost", dead, 2 * S.STALE_AFTER_S)]
    kept = [_temp(tmp_path, "d.ckpt", host_name, dead, 5),  # writer gone just now: grace
            _temp(tmp_path, "e.ckpt", host_name, alive, 120),  # writer alive
            _temp(tmp_path, "f.ckpt", "otherhost", dead, 120)]  # cannot tell: wait a day
    for name in (".g.ckpt.tmp", "h.gpugrad-tmp", ".i.ckpt.host.12.0123.gpugrad-tmp"):
        (tmp_path / name).write_bytes(b"not ours")
        kept.append(tmp_path / name)
    os.utime(kept[-1], (0, 0))
    gg.save({"a": 1}, tmp_path / "new.ckpt")
    assert all(not f.exists() for f in gone) and all(f.exists() for f in kept)
    # with max_age 60 s, the two-minute-old ones go too, whoever wrote them; never others
    assert set(S.remove_stale_temp_files(tmp_path, max_age=60.0)) == {kept[1], kept[2]}
    assert all(f.exists() for f in [kept[0], *kept[3:]])


def test_a_killed_writer_leaves_a_temporary_that_a_later_save_removes(tmp_path):
    target = tmp_path / "k.ckpt"
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import gpugrad as gg
        from gpugrad import serialization as S
        def slow(fh, **arrays):
            fh.write(b"PK partial")
            fh.flush()
            time.sleep(60)
        S.np.savez = slow
        gg.save({{"a": 1}}, {str(target)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(300):
            temps = [p for p in tmp_path.iterdir() if p.name.endswith(S.TEMP_SUFFIX)]
            if temps and temps[0].stat().st_size:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the writer never created its temporary file")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not target.exists() and temps[0].exists()
    assert str(proc.pid) in temps[0].name and temps[0].name.startswith(".k.ckpt.")
    gg.save({"b": 2}, target)
    assert temps[0].exists()  # the writer died under a minute ago: kept for now
    t = time.time() - 120
    os.utime(temps[0], (t, t))
    gg.save({"b": 2}, target)
    assert os.listdir(tmp_path) == ["k.ckpt"] and gg.load(target) == {"b": 2}


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

    monkeypatch.setattr(S.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        gg.save({"v": gg.tensor([2.0])}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_unsupported_objects_raise_before_touching_the_file(tmp_path):
    path = tmp_path / "c.npz"
    gg.save({"v": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="would need a pickle"):
        gg.save({"f": lambda: 0}, path)
    assert path.read_bytes() == before


def test_loading_something_else_raises(tmp_path):
    p = tmp_path / "junk.npz"
    p.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable gpugrad checkpoint"):
        gg.load(p)
    with pytest.raises(ValueError):  # also a ValueError, as load raised before
        gg.load(p)
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(CheckpointError, match="not a gpugrad checkpoint"):
        gg.load(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        gg.load(tmp_path / "missing.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gg.save({}, tmp_path / "no" / "dir.npz")


# --- load: one error type for every unreadable file --------------------------------------------


def _npz(**arrays):
    b = io.BytesIO()
    np.savez(b, **arrays)
    return b.getvalue()


def _meta(doc):
    return np.array(json.dumps(doc) if not isinstance(doc, str) else doc)


def _big_header_file():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("__gpugrad__.npy", _npy(_meta({"format": 1, "obj": {"__tensor__": "a0",
                                                                         "device": "cpu"}})))
        hdr = io.BytesIO()
        np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False,
                                                   "shape": (10**12,)})
        z.writestr("a0.npy", hdr.getvalue() + b"\0" * 8)
    return b.getvalue()


def _npy(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


FOREIGN = {
    "empty": b"",
    "text": b"hello, this is not a checkpoint\n",
    "json": b'{"format": 1, "obj": 3}',
    "npy": _npy(np.arange(3)),
    "npz without metadata": _npz(a=np.arange(3)),
    "object array (a pickle)": _npz(__gpugrad__=_meta({"format": 1, "obj": 1}),
                                    a0=np.array([None, 1], dtype=object)),
    "future format": _npz(__gpugrad__=_meta({"format": 99, "obj": 1})),
    "metadata not JSON": _npz(__gpugrad__=_meta("{not json")),
    "metadata a number": _npz(__gpugrad__=np.array(3.0)),
    "deep nesting": _npz(__gpugrad__=_meta('{"format": 1, "obj": ' + "[" * 100000
                                           + "]" * 100000 + "}")),
    "missing array": _npz(__gpugrad__=_meta({"format": 1, "obj": {"__tensor__": "a7",
                                                                   "device": "cpu"}})),
    "unknown device": _npz(__gpugrad__=_meta({"format": 1, "obj": {"__tensor__": "a0",
                                                                    "device": "tpu"}}),
                           a0=np.zeros(2)),
    "unknown node": _npz(__gpugrad__=_meta({"format": 1, "obj": {"__set__": [1]}})),
    "bad dict pairs": _npz(__gpugrad__=_meta({"format": 1, "obj": {"__dict__": [[1, 2, 3]]}})),
    "complex tensor": _npz(__gpugrad__=_meta({"format": 1, "obj": {"__tensor__": "a0",
                                                                    "device": "cpu"}}),
                           a0=np.zeros(2, complex)),
    "huge declared shape": _big_header_file(),
}


@pytest.mark.parametrize("name", list(FOREIGN))
def test_foreign_and_corrupt_files_raise_checkpoint_error_naming_the_file(name, tmp_path):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(FOREIGN[name])
    with pytest.raises(CheckpointError, match="bad.ckpt") as e:
        gg.load(path)
    assert isinstance(e.value, RuntimeError) and "is not a readable gpugrad checkpoint" in str(
        e.value)


def test_fuzzed_truncations_and_byte_flips_raise_only_checkpoint_error():
    buf = io.BytesIO()
    gg.save({"m": {"w": gg.randn(3, 4), "b": gg.zeros(4)}, "step": 3, "lr": [0.1, 0.2]}, buf)
    data = buf.getvalue()
    rng = np.random.default_rng(0)
    cases = [data[:n] for n in range(len(data))]
    for pos in range(len(data)):
        for flip in (0xFF, 1 << int(rng.integers(8))):
            b = bytearray(data)
            b[pos] ^= flip
            cases.append(bytes(b))
    loaded = 0
    for case in cases:
        try:
            gg.load(io.BytesIO(case))
            loaded += 1
        except CheckpointError as e:
            assert "not a readable gpugrad checkpoint" in str(e)
    assert loaded < len(data)  # most damage is detected (zip CRCs, sizes, headers)


def test_errors_that_are_not_about_the_content_stay_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        gg.load(tmp_path / "missing.ckpt")
    with pytest.raises(IsADirectoryError):
        gg.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gg.save({}, tmp_path / "no" / "such.ckpt")
    assert "CheckpointError" in S.__all__ and issubclass(CheckpointError, RuntimeError)
