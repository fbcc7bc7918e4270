"""DataLoader with worker processes: order, seeding, worker info, errors, shutdown."""

import gc
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
)
from gpugrad.utils.data._worker import _Packed, pack

from .conftest import host

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Items(Dataset):
    """Sample i: (float32 tensor [i, -i], i, {"pid": worker pid, "wid": worker id}, "s<i>")."""

    def __init__(self, n=20, fail_at=None, exit_at=None, sleep_at=None):
        self.n, self.fail_at, self.exit_at, self.sleep_at = n, fail_at, exit_at, sleep_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"item {i} is broken")
        if i == self.exit_at:
            os._exit(7)
        if i == self.sleep_at:
            time.sleep(30)
        info = get_worker_info()
        meta = {"pid": os.getpid(), "wid": -1 if info is None else info.id}
        return gg.tensor([float(i), -float(i)]), i, meta, f"s{i}"


def _gone(pid):
    """True once ``pid`` has exited (a zombie left unreaped by a container's init counts)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _wait_gone(pids, seconds=10.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not _gone(p)]


def _children(pids):
    return {p.pid for p in multiprocessing.active_children()} & set(pids)


def _values(loader):
    return [(host(x).tolist(), y.tolist(), s) for x, y, _, s in loader]


def test_workers_give_the_same_batches_in_the_same_order():
    kw = {"batch_size": 3, "shuffle": True}
    gg.manual_seed(5)
    ref = _values(DataLoader(Items(), **kw))
    for workers, prefetch in ((2, 1), (3, 3)):
        gg.manual_seed(5)
        assert _values(DataLoader(Items(), num_workers=workers, prefetch_factor=prefetch,
                                  **kw)) == ref
    assert sorted(v for b in ref for v in b[1]) == list(range(20))


def test_batches_from_workers_are_tensors_with_their_dtypes():
    batches = list(DataLoader(Items(8), batch_size=4, num_workers=2))
    x, y, meta, s = batches[1]
    assert isinstance(x, gg.Tensor) and x.dtype == gg.float32 and x.device == gg.device("cpu")
    assert host(x).tolist() == [[4, -4], [5, -5], [6, -6], [7, -7]]
    assert y.dtype == gg.int64 and y.tolist() == [4, 5, 6, 7]
    assert s == ("s4", "s5", "s6", "s7")
    assert set(meta["wid"].tolist()) == {1} and set(batches[0][2]["wid"].tolist()) == {0}
    assert os.getpid() not in meta["pid"].tolist()
    raw = list(DataLoader(Items(4), batch_size=2, num_workers=1,
                          collate_fn=lambda b: [np.array([i for _, i, _, _ in b])]))
    assert isinstance(raw[0][0], np.ndarray) and raw[1][0].tolist() == [2, 3]


def test_tensors_cross_as_numpy_arrays():
    packed = pack({"a": [gg.tensor([1.0, 2.0])], "n": 3}, forked=True)
    assert isinstance(packed["a"][0], _Packed) and packed["n"] == 3
    back = pickle.loads(pickle.dumps(packed))
    assert isinstance(back["a"][0].array, np.ndarray)
    assert back["a"][0].array.dtype == np.float32 and back["a"][0].array.tolist() == [1, 2]


class Seeds(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([info.id, info.num_workers, info.seed % 2**31, gg.rand(1).item() * 1e6,
                         float(os.environ.get("INIT_MARK", "0"))])


def _init(worker_id):
    os.environ["INIT_MARK"] = str(100 + worker_id)


def test_worker_info_seeds_and_init_fn():
    assert get_worker_info() is None
    rows = np.concatenate([host(b) for b in DataLoader(Seeds(), batch_size=1, num_workers=2,
                                                       worker_init_fn=_init,
                                                       generator=np.random.default_rng(3))])
    assert rows[:, 0].tolist() == [0, 1, 0, 1] and rows[:, 1].tolist() == [2, 2, 2, 2]
    assert rows[1, 2] - rows[0, 2] == 1  # seed = base_seed + worker id
    assert rows[:, 4].tolist() == [100, 101, 100, 101]
    assert rows[0, 3] != rows[1, 3]  # each worker's gpugrad generator is seeded differently
    again = np.concatenate([host(b) for b in DataLoader(Seeds(), batch_size=1, num_workers=2,
                                                        worker_init_fn=_init,
                                                        generator=np.random.default_rng(3))])
    assert again.tolist() == rows.tolist()  # same generator, same seeds and draws
    assert "INIT_MARK" not in os.environ


class Shards(IterableDataset):
    def __init__(self, n, contiguous=False):
        self.n, self.contiguous = n, contiguous

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        if self.contiguous:  # worker 0 gets the first 7 items, worker 1 the rest
            return iter(range(7) if info.id == 0 else range(7, self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_with_workers_interleaves_their_batches():
    out = [b.tolist() for b in DataLoader(Shards(10), batch_size=3, num_workers=2)]
    assert out == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    out = [b.tolist() for b in DataLoader(Shards(10), batch_size=3, num_workers=2,
                                          drop_last=True)]
    assert out == [[0, 2, 4], [1, 3, 5]]
    out = [b.tolist() for b in DataLoader(Shards(10, contiguous=True), batch_size=2,
                                          num_workers=2)]
    assert out == [[0, 1], [7, 8], [2, 3], [9], [4, 5], [6]]
    assert list(DataLoader(Shards(3), batch_size=None, num_workers=2)) == [0, 1, 2]


def test_worker_exception_reaches_the_main_process_and_stops_the_workers():
    pids = []
    loader = DataLoader(Items(12, fail_at=7), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as err:
        for batch in loader:
            pids.extend(batch[2]["pid"].tolist())
    msg = str(err.value)
    assert "item 7 is broken" in msg and "Caught ValueError in DataLoader worker process 1" in msg
    assert "Traceback (most recent call last)" in msg and "__getitem__" in msg
    assert pids and not _children(pids) and not _wait_gone(set(pids))


class LocalError(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")


class Raises(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise self.exc


def test_exceptions_that_cannot_be_rebuilt_become_runtime_errors():
    with pytest.raises(KeyError) as err:
        next(iter(DataLoader(Raises(KeyError("missing")), num_workers=1)))
    assert "missing" in str(err.value) and "\n" in str(err.value)
    with pytest.raises(RuntimeError, match="(?s)Caught LocalError.*LocalError: 3/4"):
        next(iter(DataLoader(Raises(LocalError(3, 4)), num_workers=1)))


def test_a_worker_crash_raises():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) .*exit code 7.*"
                                           "exited unexpectedly"):
        list(DataLoader(Items(8, exit_at=5), batch_size=2, num_workers=2))


def test_timeout_raises_and_terminates_the_stuck_worker():
    loader = DataLoader(Items(4, sleep_at=0), batch_size=2, num_workers=1, timeout=0.3)
    it = iter(loader)
    pids = [p.pid for p in it._pool.procs]
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(it)
    assert not _children(pids) and not _wait_gone(pids)


def test_no_worker_left_when_the_iterator_is_dropped():
    it = iter(DataLoader(Items(40), batch_size=2, num_workers=3))
    first = next(it)
    pids = [p.pid for p in it._pool.procs]
    assert len(pids) == 3 and set(first[2]["pid"].tolist()) <= set(pids)
    assert _children(pids) == set(pids)
    del it, first
    gc.collect()
    assert not _children(pids) and not _wait_gone(pids)


def test_no_worker_left_after_a_full_epoch():
    loader = DataLoader(Items(6), batch_size=2, num_workers=2)
    pids = {p for b in loader for p in b[2]["pid"].tolist()}
    assert len(pids) == 2 and not _children(pids) and not _wait_gone(pids)


def test_persistent_workers_are_reused_across_epochs():
    loader = DataLoader(Items(10), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [_values(loader) for _ in range(3)]
    assert epochs[0] == epochs[1] == epochs[2] == _values(DataLoader(Items(10), batch_size=2))
    pids = [p.pid for p in loader._iterator._pool.procs]
    assert _children(pids) == set(pids)
    it = iter(loader)  # an epoch stopped early, then a new one: the stale batches are dropped
    next(it)
    assert _values(loader) == epochs[0]
    assert [p.pid for p in loader._iterator._pool.procs] == pids
    del loader, it
    gc.collect()
    assert not _children(pids) and not _wait_gone(pids)


def test_persistent_workers_restart_an_iterable_dataset_each_epoch():
    loader = DataLoader(Shards(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4], [5]]
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4], [5]]


def test_spawn_context_with_a_picklable_dataset():
    ds = TensorDataset(gg.arange(6).float(), gg.arange(6))
    out = list(DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn"))
    assert [b[1].tolist() for b in out] == [[0, 1, 2, 3], [4, 5]]
    assert host(out[1][0]).tolist() == [4, 5] and out[1][0].dtype == gg.float32


def test_tensor_dataset_on_a_gpu_is_refused_under_fork(device):
    if device == "cpu":
        pytest.skip("the refusal concerns GPU-held datasets")
    ds = TensorDataset(gg.arange(6, device=device))
    with pytest.raises(RuntimeError, match="held on a GPU"):
        iter(DataLoader(ds, num_workers=1))


_SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, {root!r})
    from gpugrad.utils.data import DataLoader
    loader = DataLoader(list(range(100)), batch_size=2, num_workers=2, persistent_workers=True)
    it = iter(loader)
    next(it)
    print(" ".join(str(p.pid) for p in it._pool.procs), flush=True)
    if sys.argv[1] == "hang":
        time.sleep(60)
    elif sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_no_orphan_workers_when_the_main_process_ends(how):
    code = _SCRIPT.format(root=ROOT)
    proc = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                          timeout=60)
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2, proc.stderr
    assert proc.returncode == (0 if how == "exit" else -signal.SIGKILL)
    assert not _wait_gone(pids)
