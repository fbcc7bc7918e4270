"""TensorDataset and DataLoader."""

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.utils.data import DataLoader, TensorDataset

from .conftest import host


def test_tensor_dataset(device):
    x, y = gg.arange(10, device=device).reshape(5, 2), gg.arange(5, device=device)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[3]
    assert xi.tolist() == [6, 7] and yi.item() == 3
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, gg.arange(4))


def test_dataloader_batches_in_order_and_drop_last(device):
    ds = TensorDataset(gg.arange(10, device=device), gg.arange(10, device=device) * 2)
    dl = DataLoader(ds, batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and [b[0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7],
                                                                  [8, 9]]
    assert batches[1][1].tolist() == [8, 10, 12, 14]
    assert batches[0][0].device == ds.tensors[0].device
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(b[0]) for b in dl] == [4, 4]


def test_dataloader_shuffles_reproducibly():
    ds = TensorDataset(gg.arange(20))
    gg.manual_seed(3)
    a = np.concatenate([host(b[0]) for b in DataLoader(ds, batch_size=6, shuffle=True)])
    gg.manual_seed(3)
    b = np.concatenate([host(b[0]) for b in DataLoader(ds, batch_size=6, shuffle=True)])
    assert sorted(a.tolist()) == list(range(20)) and a.tolist() == b.tolist()
    assert a.tolist() != list(range(20))


def test_dataloader_over_a_generic_dataset():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return gg.tensor([float(i)]), i * i

    xs, ys = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xs.shape == (3, 1) and ys.tolist() == [0, 1, 4]
    with pytest.raises(ValueError):
        DataLoader(Squares(), batch_size=0)


# ---------------------------------------------------------------------------------------------
# Datasets and random_split

import collections  # noqa: E402
import warnings  # noqa: E402

from gpugrad.utils.data import (  # noqa: E402
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    default_collate,
    default_convert,
    random_split,
)


class Range(Dataset):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __len__(self):
        return self.hi - self.lo

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self.lo + i


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_subset_and_getitems():
    s = Subset(Range(100, 110), [9, 0, 4])
    assert len(s) == 3 and [s[i] for i in range(3)] == [109, 100, 104]
    assert s.__getitems__([2, 0]) == [104, 109]


def test_concat_dataset_indexes_across_parts():
    c = ConcatDataset([Range(0, 3), Range(10, 12), Range(20, 24)])
    assert len(c) == 9 and c.cumulative_sizes == [3, 5, 9]
    assert [c[i] for i in range(9)] == [0, 1, 2, 10, 11, 20, 21, 22, 23]
    assert c[-1] == 23 and c[-9] == 0
    with pytest.raises(ValueError, match="should not exceed"):
        c[-10]
    with pytest.raises(IndexError):
        c[9]
    plus = Range(0, 2) + Range(5, 6)
    assert isinstance(plus, ConcatDataset) and [plus[i] for i in range(3)] == [0, 1, 5]
    with pytest.raises(ValueError):
        ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Stream([1])])


def test_stack_and_chain_datasets():
    st = StackDataset(Range(0, 3), Range(10, 13))
    assert len(st) == 3 and st[1] == (1, 11)
    sd = StackDataset(x=Range(0, 3), y=Range(10, 13))
    assert sd[2] == {"x": 2, "y": 12}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(Range(0, 3), Range(0, 4))
    with pytest.raises(ValueError, match="both"):
        StackDataset(Range(0, 3), y=Range(0, 3))
    with pytest.raises(ValueError, match="At least one"):
        StackDataset()
    ch = ChainDataset([Stream([1, 2]), Stream([3])])
    assert list(ch) == [1, 2, 3] and len(ch) == 3
    assert list(Stream([1]) + Stream([2, 3])) == [1, 2, 3]


def _split_values(parts):
    return [[p[i] for i in range(len(p))] for p in parts]


def test_random_split_lengths_with_a_generator():
    parts = random_split(Range(0, 10), [3, 7], generator=np.random.default_rng(4))
    perm = np.random.default_rng(4).permutation(10).tolist()
    assert _split_values(parts) == [perm[:3], perm[3:]]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Range(0, 10), [3, 8])


def test_random_split_fractions_deal_the_remainder_round_robin():
    parts = random_split(Range(0, 11), [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    # floor(11 * f) = 5, 3, 2 (10 items); the 11th goes to the first split
    assert [len(p) for p in parts] == [6, 3, 2]
    values = sum(_split_values(parts), [])
    assert sorted(values) == list(range(11))
    with pytest.warns(UserWarning, match="index 3 is 0"):
        parts = random_split(Range(0, 3), [0.25, 0.25, 0.25, 0.25],
                             generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [1, 1, 1, 0]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Range(0, 1), [0.5, 0.5])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(Range(0, 4), [1.5, -0.5])


def test_random_split_follows_the_global_seed():
    gg.manual_seed(11)
    a = _split_values(random_split(Range(0, 20), [5, 15]))
    gg.manual_seed(11)
    b = _split_values(random_split(Range(0, 20), [5, 15]))
    c = _split_values(random_split(Range(0, 20), [5, 15]))
    assert a == b and a != c


# ---------------------------------------------------------------------------------------------
# default_collate / default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def test_collate_numbers_and_their_dtypes():
    ints = default_collate([0, 1, 2, 3])
    assert ints.dtype == gg.int64 and ints.tolist() == [0, 1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == gg.float64 and floats.tolist() == [0.5, 1.5]
    bools = default_collate([True, False])
    assert bools.dtype == gg.bool and bools.tolist() == [True, False]
    assert default_collate([1, 2.5]).dtype == gg.float32  # like torch.tensor([1, 2.5])
    assert default_collate([np.float32(1), np.float32(2)]).dtype == gg.float32
    assert default_collate([np.float64(1), np.float64(2)]).dtype == gg.float64
    assert default_collate([np.int32(1), np.int32(2)]).dtype == gg.int32
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_numpy_arrays():
    out = default_collate([np.arange(3.0), np.arange(3.0, 6.0)])
    assert out.dtype == gg.float64 and out.shape == (2, 3)
    assert host(out).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert default_collate([np.zeros(2, np.float32)] * 3).dtype == gg.float32
    with pytest.raises(TypeError, match="found"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])


def test_collate_tensors_stack_on_their_device(device):
    rows = [gg.tensor([1.0, 2.0], device=device), gg.tensor([3.0, 4.0], device=device)]
    out = default_collate(rows)
    assert out.shape == (2, 2) and out.dtype == gg.float32 and out.device == rows[0].device
    assert host(out).tolist() == [[1, 2], [3, 4]]


def test_collate_keeps_structure():
    batch = [{"x": np.ones(2), "label": 1, "name": "a", "p": Point(0.5, [1, 2])},
             {"x": np.zeros(2), "label": 0, "name": "b", "p": Point(1.5, [3, 4])}]
    out = default_collate(batch)
    assert list(out) == ["x", "label", "name", "p"]
    assert host(out["x"]).tolist() == [[1, 1], [0, 0]] and out["label"].tolist() == [1, 0]
    assert out["name"] == ["a", "b"]
    assert isinstance(out["p"], Point) and out["p"].x.tolist() == [0.5, 1.5]
    assert [t.tolist() for t in out["p"].y] == [[1, 3], [2, 4]]
    tup = default_collate([("a", 1), ("b", 2)])
    assert isinstance(tup, list) and tup[0] == ("a", "b") and tup[1].tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_default_convert():
    t = default_convert(np.array([1, 2]))
    assert isinstance(t, gg.Tensor) and t.dtype == gg.int64 and t.tolist() == [1, 2]
    assert default_convert(3) == 3 and default_convert("s") == "s"
    p = default_convert(Point(np.array(0.5), 2))
    assert isinstance(p, Point) and host(p.x).item() == 0.5 and p.y == 2
    lst = default_convert((np.zeros(1), "z"))
    assert isinstance(lst, list) and isinstance(lst[0], gg.Tensor) and lst[1] == "z"
    s = np.array(["a"])
    assert default_convert(s) is s
    d = default_convert({"k": np.float32(2)})
    assert d["k"].dtype == gg.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert default_convert([1, np.int64(2)])[1].item() == 2
