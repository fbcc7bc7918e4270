"""The main-process side of the workers: their processes and pipes, and their batches turned
back into Tensors (in page-locked memory with ``pin_memory``)."""

from __future__ import annotations

import multiprocessing.connection
import os
import time
import warnings
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import Tensor
from ._fetch import Fetcher
from ._worker import _Packed, map_leaves, worker_loop

if TYPE_CHECKING:
    from .dataloader import DataLoader

# How long a normal shutdown lets busy workers finish before terminating them (seconds).
_JOIN_TIMEOUT = 1.0
_pin_warned = False


class _WorkerPool:
    """The worker processes and their pipes; knows nothing of the iterator that owns it."""

    def __init__(self, ctx: BaseContext, loader: DataLoader[Any], fetch: Fetcher,
                 base_seed: int) -> None:
        n = loader.num_workers
        forked = ctx.get_start_method() == "fork"
        self.closed = False
        self.procs: list[Any] = []
        self.task_conns: list[multiprocessing.connection.Connection] = []
        self.result_conns: list[multiprocessing.connection.Connection] = []
        try:
            for wid in range(n):
                task_r, task_w = ctx.Pipe(duplex=False)
                res_r, res_w = ctx.Pipe(duplex=False)
                self.task_conns.append(task_w)
                self.result_conns.append(res_r)
                p = ctx.Process(  # type: ignore[attr-defined]
                    target=worker_loop, daemon=True,
                    args=(wid, n, loader.dataset, fetch, base_seed, loader.worker_init_fn,
                          task_r, res_w, os.getpid(), forked))
                p.start()
                self.procs.append(p)
                task_r.close()
                res_w.close()
        except BaseException:
            self.shutdown(0.0)
            raise
        self._owner = {c: i for i, c in enumerate(self.result_conns)}
        self._sentinels = {p.sentinel: i for i, p in enumerate(self.procs)}

    def send(self, worker_id: int, task: Any) -> None:
        self.task_conns[worker_id].send(task)

    def wait(self, timeout: float | None) -> tuple[list[tuple[int, Any]], list[int]]:
        """Results ready (worker id, message) and workers found dead, waiting up to
        ``timeout`` seconds (None: until something happens)."""
        ready = multiprocessing.connection.wait(
            [*self.result_conns, *self._sentinels], timeout)
        results, dead = [], []
        for obj in ready:
            if obj in self._owner:
                wid = self._owner[obj]
                try:
                    results.append((wid, obj.recv()))
                except (EOFError, OSError):
                    dead.append(wid)
        for obj in ready:
            if obj in self._sentinels:
                wid = self._sentinels[obj]
                if wid not in dead and not self.result_conns[wid].poll():
                    dead.append(wid)
        return results, dead

    def describe(self, dead: list[int]) -> str:
        parts = []
        for wid in dead:
            p = self.procs[wid]
            p.join(0.1)
            code = p.exitcode
            how = (f"killed by signal {-code}" if code is not None and code < 0
                   else f"exit code {code}")
            parts.append(f"{p.pid} ({how})")
        return ", ".join(parts)

    def shutdown(self, join_timeout: float = _JOIN_TIMEOUT) -> None:
        """Stop every worker: ask, wait up to ``join_timeout`` seconds, then terminate."""
        if self.closed:
            return
        self.closed = True
        for c in self.task_conns:
            try:
                c.send(None)
            except (OSError, ValueError):
                pass
        for c in self.result_conns:
            c.close()
        deadline = time.monotonic() + join_timeout
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self.procs:
            if p.is_alive():
                p.terminate()
        for p in self.procs:
            p.join()
        for c in self.task_conns:
            c.close()


# ---------------------------------------------------------------------------------------------
# Tensors back from workers, and page-locked (pinned) host memory


def _unpack(data: Any, pin: bool) -> Any:
    import gpugrad

    def leaf(x: Any) -> Any:
        if isinstance(x, _Packed):
            return gpugrad.from_numpy(_pinned_copy(x.array) if pin else x.array)
        if pin and isinstance(x, Tensor) and x.device.type == "cpu":
            return gpugrad.from_numpy(_pinned_copy(x.detach().numpy()))
        return x

    return map_leaves(data, leaf)


def _pin_batch(data: Any) -> Any:
    return _unpack(data, True)


def _pinning_available() -> bool:
    """True where CUDA is usable; otherwise warns (once per process) that nothing is pinned."""
    global _pin_warned
    import gpugrad

    if gpugrad.cuda.is_available():
        return True
    if not _pin_warned:
        _pin_warned = True
        warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then "
                      "device pinned memory won't be used.", UserWarning, stacklevel=3)
    return False


def _pinned_copy(arr: np.ndarray) -> np.ndarray:
    """A copy of ``arr`` in page-locked host memory (CuPy's pinned memory pool)."""
    if arr.nbytes == 0:
        return arr.copy()
    from ... import _device

    cp = _device.cupy()
    mem = cp.cuda.alloc_pinned_memory(arr.nbytes)
    out: np.ndarray = np.frombuffer(mem, arr.dtype, arr.size).reshape(arr.shape)
    np.copyto(out, arr)
    return out
