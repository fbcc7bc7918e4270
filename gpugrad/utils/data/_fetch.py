"""Fetching one batch (or one sample) from a dataset: the same code in and out of workers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import Tensor
from .collate import default_collate
from .dataset import Subset, TensorDataset


def _tensor_rows(dataset: Any, indices: list[int]) -> list[Tensor] | None:
    """A TensorDataset (possibly inside Subsets) batched by one gather per tensor, or None."""
    while type(dataset) is Subset:
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    import gpugrad

    n = len(dataset)
    for i in indices:  # what t[i] would raise, before a gather wraps negative indices silently
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for dimension 0 with size {n}")
    out = []
    for t in dataset.tensors:
        idx = gpugrad.tensor(indices, dtype=gpugrad.int64, device=t.device)
        out.append(t[idx])  # type: ignore[index]
    return out


class Fetcher:
    """``fetcher(dataset, index, state) -> (data, state)``; raises StopIteration at the end of
    an IterableDataset (``state`` is its iterator)."""

    def __init__(self, iterable: bool, auto_collation: bool, collate_fn: Callable[..., Any],
                 drop_last: bool) -> None:
        self.iterable, self.auto_collation = iterable, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last

    def __call__(self, dataset: Any, index: Any, state: Any) -> tuple[Any, Any]:
        if self.iterable:
            return self._from_stream(dataset, index, state)
        if not self.auto_collation:
            return self.collate_fn(dataset[index]), state
        if self.collate_fn is default_collate and index:
            rows = _tensor_rows(dataset, list(index))
            if rows is not None:
                return rows, state
        getitems = getattr(dataset, "__getitems__", None)
        if callable(getitems):
            samples = getitems(index)
        else:
            samples = [dataset[i] for i in index]
        return self.collate_fn(samples), state

    def _from_stream(self, dataset: Any, index: Any, state: Any) -> tuple[Any, Any]:
        if state is None:
            state = [iter(dataset), False]  # the iterator, and whether it has ended
        it, ended = state
        if ended:
            raise StopIteration
        if not self.auto_collation:
            try:
                return self.collate_fn(next(it)), state
            except StopIteration:
                state[1] = True
                raise
        samples = []
        for _ in index:
            try:
                samples.append(next(it))
            except StopIteration:
                state[1] = True
                break
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples), state
