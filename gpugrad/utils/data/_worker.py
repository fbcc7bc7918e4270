"""What runs inside a DataLoader worker process, and what crosses the process boundary.

A worker receives tasks ``(generation, task index, indices)`` on a pipe, fetches and collates
the batch, and sends ``(generation, task index, batch)`` back on its own result pipe. Tensors in
a batch travel as NumPy arrays (``_Packed``) and become Tensors again in the main process; a
worker never touches a GPU. A reader thread keeps the task pipe drained (so the main process
never blocks sending a task while the worker blocks sending a result) and watches the parent:
if the parent dies the worker exits.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from ... import Tensor

__all__ = ["WorkerInfo", "get_worker_info"]

# How often (seconds) an idle worker checks that its parent is still alive.
_PARENT_CHECK_INTERVAL = 1.0


class WorkerInfo:
    """Inside a worker: ``id``, ``num_workers``, ``seed`` and this worker's copy of ``dataset``.

    ``seed`` is ``base_seed + id``; gpugrad, NumPy's legacy global generator and ``random`` are
    seeded from it before ``worker_init_fn`` runs.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key: str, val: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._keys)  # type: ignore[attr-defined]
        return f"{type(self).__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's :class:`WorkerInfo` inside a DataLoader worker process; ``None`` in the
    main process. Use it in ``IterableDataset.__iter__`` or ``worker_init_fn`` to give each
    worker its share of the data."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info: Any, where: str) -> None:
        exc_type = exc_info[0]
        try:
            pickle.dumps(exc_type)
        except Exception:  # a class the main process cannot import: keep its name in the text
            exc_type = RuntimeError
        self.exc_type: type[BaseException] = exc_type
        self.msg = (f"Caught {exc_info[0].__name__} {where}.\nOriginal "
                    + "".join(traceback.format_exception(*exc_info)))

    def reraise(self) -> None:
        """Raise the worker's exception type, its message being the worker's traceback."""
        msg: str = self.msg
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError repr()s its argument: keep newlines readable
        try:
            exc = self.exc_type(msg)
        except Exception:  # the type's constructor takes other arguments
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return str(self)


@dataclass
class _Exhausted:
    """An IterableDataset ran out in worker ``worker_id`` (for this generation)."""

    worker_id: int


class _Packed:
    """A Tensor's data crossing the process boundary as a NumPy array."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Packed, (self.array,))


def map_leaves(data: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to each non-container leaf of lists, tuples, namedtuples and dicts."""
    if isinstance(data, (Tensor, _Packed, np.ndarray)):
        return fn(data)
    if isinstance(data, dict):
        out = {k: map_leaves(v, fn) for k, v in data.items()}
        return out if type(data) is dict else _retype(data, out)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(map_leaves(d, fn) for d in data))
    if isinstance(data, (list, tuple)):
        out_list = [map_leaves(d, fn) for d in data]
        return out_list if type(data) is list else _retype(data, out_list)
    return fn(data)


def _retype(like: Any, value: Any) -> Any:
    try:
        return type(like)(value)
    except Exception:
        return value


def pack(data: Any, forked: bool) -> Any:
    """Tensors in ``data`` as ``_Packed`` NumPy arrays (CPU only: workers never use a GPU)."""

    def leaf(x: Any) -> Any:
        if isinstance(x, Tensor):
            if x.device.type != "cpu":
                raise RuntimeError(
                    f"a DataLoader worker produced a tensor on {x.device}; workers must return "
                    "CPU data (the loader moves nothing to the GPU: do it in the main process)"
                    + (". Under the 'fork' start method CUDA cannot be used in a worker at all;"
                       " pass multiprocessing_context='spawn' if the dataset needs it"
                       if forked else ""))
            return _Packed(x.detach().numpy())
        return x

    return map_leaves(data, leaf)


def _seed_everything(seed: int, base_seed: int, worker_id: int) -> None:
    import gpugrad

    random.seed(seed)
    gpugrad.manual_seed(seed)
    state = np.random.SeedSequence([worker_id, base_seed]).generate_state(4)
    np.random.seed(state)


def _read_tasks(conn: Connection, tasks: queue.SimpleQueue[Any], latest: list[int],
                parent_pid: int) -> None:
    """Move tasks from the pipe into ``tasks`` as they come; ``None`` there means stop."""
    try:
        while True:
            if conn.poll(_PARENT_CHECK_INTERVAL):
                task = conn.recv()
                if task is not None:
                    latest[0] = max(latest[0], task[0])
                tasks.put(task)
                if task is None:
                    return
            elif os.getppid() != parent_pid:
                break
    except (EOFError, OSError):
        pass
    tasks.put(None)


def worker_loop(worker_id: int, num_workers: int, dataset: Any, fetch: Callable[..., Any],
                base_seed: int, init_fn: Callable[[int], None] | None, task_conn: Connection,
                result_conn: Connection, parent_pid: int, forked: bool) -> None:
    """The body of worker ``worker_id`` (the target of its ``multiprocessing.Process``)."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        _seed_everything(seed, base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error: ExceptionWrapper | None = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                          f"{worker_id}")
        tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()
        latest = [-1]
        threading.Thread(target=_read_tasks, args=(task_conn, tasks, latest, parent_pid),
                         daemon=True).start()
        generation, state = -1, None
        while True:
            task = tasks.get()
            if task is None:
                break
            gen, idx, index = task
            if gen < latest[0]:
                continue  # an earlier epoch's task: the main process no longer wants it
            if gen != generation:
                generation, state = gen, None  # an IterableDataset restarts each epoch
            data: Any
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data, state = fetch(dataset, index, state)
                    data = pack(data, forked)
                except StopIteration:
                    data = _Exhausted(worker_id)
                except Exception:
                    data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                            f"{worker_id}")
            try:
                result_conn.send((gen, idx, data))
            except (BrokenPipeError, ConnectionResetError):
                break
            except Exception:  # the batch could not be pickled
                err = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process "
                                                       f"{worker_id} (sending the batch)")
                result_conn.send((gen, idx, err))
            del data
    except KeyboardInterrupt:
        pass  # the main process sees the interrupt too and shuts the workers down
    finally:
        for c in (task_conn, result_conn):
            try:
                c.close()
            except OSError:
                pass
