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
