"""``TensorDataset`` and ``DataLoader`` (batching, shuffling, drop_last), as in PyTorch."""

from __future__ import annotations

import math

import numpy as np

from .. import _device as _dev
from ..creation import tensor
from ..ops.shape import stack
from ..tensor import Tensor, _wrap


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor; all tensors share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0] if tensors[0].ndim else None
        if any(t.ndim == 0 or t.shape[0] != n for t in tensors):
            raise ValueError("Size mismatch between tensors: "
                             + ", ".join(str(list(t.shape)) for t in tensors))
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class DataLoader:
    """Batches of a dataset. For a TensorDataset, a batch is one gather per tensor (fast path);
    other datasets are indexed sample by sample and stacked."""

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, n: int):
        if self.shuffle:
            return _dev.random_permutation(_dev.CPU, n)
        return np.arange(n)

    def __iter__(self):
        n = len(self.dataset)
        order = self._order(n)
        bs = self.batch_size or 1
        for start in range(0, len(self) * bs if self.batch_size else n, bs):
            idx = order[start:start + bs]
            if isinstance(self.dataset, TensorDataset):
                yield [_take(t, idx) for t in self.dataset.tensors]
            elif self.batch_size is None:
                yield self.dataset[int(idx[0])]
            else:
                yield _collate([self.dataset[int(i)] for i in idx])


def _take(t: Tensor, idx):
    return _wrap(t._data[_dev.to_device(idx, t.device)], None)


def _collate(samples):
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return [_collate([s[i] for s in samples]) for i in range(len(first))]
    if isinstance(first, Tensor):
        return stack(samples)
    return tensor(samples)
