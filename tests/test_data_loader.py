"""DataLoader in the main process: samplers, batching modes, validation, pin_memory."""

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
    random_split,
)
from gpugrad.utils.data import _pool as pool_module
from gpugrad.utils.data import collate as collate_module

from .conftest import host


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": np.full(2, float(i)), "y": i * i}


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_dict_samples_and_drop_last():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert [b["y"].tolist() for b in batches] == [[0, 1, 4], [9, 16, 25], [36]]
    assert batches[0]["x"].dtype == gg.float64 and host(batches[1]["x"])[:, 0].tolist() == [3, 4, 5]
    assert len(DataLoader(Squares(), batch_size=3, drop_last=True)) == 2
    assert len(list(DataLoader(Squares(), batch_size=3, drop_last=True))) == 2


def test_batch_size_none_converts_each_sample():
    out = list(DataLoader(Squares(), batch_size=None))
    assert len(out) == 7 and isinstance(out[2]["x"], gg.Tensor) and out[2]["x"].shape == (2,)
    assert out[2]["y"] == 4  # Python numbers are left as they are


def test_sampler_and_batch_sampler_arguments():
    class Reverse:  # any iterable with __len__ (and an optional set_epoch) is a sampler
        def __init__(self, n):
            self.n, self.epoch = n, 0

        def set_epoch(self, epoch):
            self.epoch = epoch

        def __iter__(self):
            order = list(range(self.n))[::-1]
            return iter(order[self.epoch:] + order[:self.epoch])

        def __len__(self):
            return self.n

    s = Reverse(7)
    loader = DataLoader(Squares(), batch_size=4, sampler=s)
    assert [b["y"].tolist() for b in loader] == [[36, 25, 16, 9], [4, 1, 0]]
    s.set_epoch(1)
    assert [b["y"].tolist() for b in loader][0] == [25, 16, 9, 4]
    bs = BatchSampler(SequentialSampler(range(7)), 5, drop_last=False)
    loader = DataLoader(Squares(), batch_sampler=bs)
    assert len(loader) == 2 and [len(b["y"]) for b in loader] == [5, 2]
    assert loader.batch_size is None and loader.drop_last is False


def test_shuffle_with_a_generator_is_reproducible():
    def order(seed):
        loader = DataLoader(Squares(), batch_size=2, shuffle=True,
                            generator=np.random.default_rng(seed))
        return [int(v) for b in loader for v in b["y"].tolist()]

    a, b, c = order(1), order(1), order(2)
    assert a == b and sorted(a) == sorted(i * i for i in range(7)) and a != c


def test_tensor_dataset_fast_path_equals_sample_by_sample(device):
    x = gg.arange(24, device=device).reshape(12, 2).float()
    y = gg.arange(12, device=device)
    ds = TensorDataset(x, y)
    sub = random_split(ds, [5, 7], generator=np.random.default_rng(0))[1]
    fast = list(DataLoader(sub, batch_size=3))
    slow = list(DataLoader(sub, batch_size=3,  # a collate_fn that is not default_collate
                           collate_fn=lambda b: collate_module.default_collate(b)))
    assert len(fast) == 3
    for f, s in zip(fast, slow):
        assert isinstance(f, list) and f[0].device == x.device and f[0].dtype == gg.float32
        assert host(f[0]).tolist() == host(s[0]).tolist()
        assert f[1].tolist() == s[1].tolist()
    rows = np.random.default_rng(0).permutation(12)[5:]
    assert np.concatenate([b[1].tolist() for b in fast]).tolist() == rows.tolist()


def test_iterable_dataset_batches_and_len():
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                        [6]]
    assert [b.tolist() for b in DataLoader(Count(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Count(7), batch_size=3)) == 3
    assert len(DataLoader(Count(7), batch_size=3, drop_last=True)) == 2
    assert list(DataLoader(Count(3), batch_size=None)) == [0, 1, 2]


def test_argument_validation():
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Squares(), num_workers=-1)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Squares(), timeout=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Squares(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Squares(), persistent_workers=True)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(), sampler=range(7), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="disables auto-batching"):
        DataLoader(Squares(), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Count(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler"):
        DataLoader(Count(3), sampler=range(3))
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(Squares(), multiprocessing_context="fork")
    with pytest.raises(ValueError, match="valid start method"):
        DataLoader(Squares(), num_workers=1, multiprocessing_context="nope")
    loader = DataLoader(Squares(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 0  # not one of the frozen attributes
    assert loader.batch_size == 2


@pytest.mark.skipif(gg.cuda.is_available(), reason="the warning is for machines without CUDA")
def test_pin_memory_without_cuda_warns_once(monkeypatch, recwarn):
    monkeypatch.setattr(pool_module, "_pin_warned", False)
    ds = TensorDataset(gg.arange(6).float())
    first = [b[0].tolist() for b in DataLoader(ds, batch_size=4, pin_memory=True)]
    second = [b[0].tolist() for b in DataLoader(ds, batch_size=4, pin_memory=True)]
    assert first == second == [[0, 1, 2, 3], [4, 5]]
    msgs = [str(w.message) for w in recwarn.list if "pin_memory" in str(w.message)]
    assert len(msgs) == 1 and "no accelerator is found" in msgs[0]


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_pin_memory_on_cuda_gives_cpu_batches_in_pinned_memory():
    cp = pytest.importorskip("cupy")
    ds = TensorDataset(gg.arange(6).float())
    batches = list(DataLoader(ds, batch_size=4, pin_memory=True))
    assert [b[0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5]]
    arr = np.asarray(batches[0][0])
    assert batches[0][0].device == gg.device("cpu")
    base = arr.base
    while base is not None and not isinstance(base, cp.cuda.PinnedMemoryPointer):
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    assert isinstance(base, cp.cuda.PinnedMemoryPointer)
