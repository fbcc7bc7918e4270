"""Every collective of gpugrad.distributed on this process's values; results go to an .npz.

    mpiexec -n 2 python -m mpi4py collectives.py OUT_DIR

Rank r contributes hand-picked values built from r, so the test can check each result against
its own NumPy reference. Error messages are recorded as strings.
"""

import os
import sys
from pathlib import Path

import numpy as np

import gpugrad as gg
import gpugrad.distributed as dist

out: dict[str, object] = {}


def record_error(key, fn):
    try:
        fn()
    except Exception as e:  # the test checks the type and the message
        out[key] = f"{type(e).__name__}: {e}"
    else:
        out[key] = "no error"


record_error("before_init", lambda: dist.get_rank())
dist.init_process_group(backend="mpi")
r, w = dist.get_rank(), dist.get_world_size()
out.update(rank=r, world=w, local_rank=dist.get_local_rank(), backend=dist.get_backend(),
           initialized=dist.is_initialized(), env_rank=int(os.environ["RANK"]),
           env_local_rank=int(os.environ["LOCAL_RANK"]))
record_error("init_twice", lambda: dist.init_process_group("mpi"))


def values(dtype):
    """Rank r's contribution: [r + 1, -2r, 3, 2 - r] in ``dtype``."""
    return gg.tensor([r + 1, -2 * r, 3, 2 - r], dtype=dtype)


for dtype in (gg.float64, gg.float32, gg.int64, gg.int32):
    for op in dist.ReduceOp:
        if op is dist.ReduceOp.AVG and not dtype.is_floating_point:
            continue
        t = values(dtype)
        assert dist.all_reduce(t, op=op) is None
        out[f"reduce_{op.name}_{dtype}"] = t.numpy()
record_error("avg_int", lambda: dist.all_reduce(values(gg.int64), op=dist.ReduceOp.AVG))
record_error("bad_op", lambda: dist.all_reduce(values(gg.float32), op="sum"))
record_error("not_tensor", lambda: dist.all_reduce(np.ones(3)))

flags = gg.tensor([r == 0, True, False])
dist.all_reduce(flags, op=dist.ReduceOp.SUM)
out["bool_or"] = flags.numpy()
flags = gg.tensor([r == 0, True, False])
dist.all_reduce(flags, op=dist.ReduceOp.PRODUCT)
out["bool_and"] = flags.numpy()

base = gg.arange(6, dtype=gg.float64).reshape(2, 3) * (r + 1)
strided = base.T  # a non-contiguous view: the result must land in base as well
dist.all_reduce(strided)
out["strided"], out["strided_base"] = strided.numpy(), base.numpy()

b = gg.full((2, 2), float(10 * r + 1), dtype=gg.float32)
dist.broadcast(b, src=w - 1)
out["broadcast"] = b.numpy()
record_error("bad_src", lambda: dist.broadcast(b, src=w))

mine = gg.tensor([[r, r + 0.5]], dtype=gg.float64)
gathered = [gg.zeros(1, 2, dtype=gg.float64) for _ in range(w)]
dist.all_gather(gathered, mine)
out["all_gather"] = np.stack([g.numpy() for g in gathered])
record_error("gather_len", lambda: dist.all_gather(gathered[:1], mine))
record_error("gather_shape", lambda: dist.all_gather([gg.zeros(3) for _ in range(w)], mine))

a = values(gg.float64)
work = dist.all_reduce(a, op=dist.ReduceOp.MAX, async_op=True)
assert work is not None and work.wait() is True and work.is_completed()
out["async_max"] = a.numpy()

leaf = gg.tensor([1.0, 2.0], requires_grad=True)
loss = (leaf * leaf).sum()
dist.all_reduce(leaf)  # changes a tensor that backward needs: backward must say so
record_error("version", lambda: loss.backward())

assert dist.barrier() is None
dist.destroy_process_group()
out["initialized_after"] = dist.is_initialized()
record_error("after_destroy", lambda: dist.all_reduce(values(gg.float32)))
dist.init_process_group()  # a second group after a destroy works
out["reinit_world"] = dist.get_world_size()
dist.destroy_process_group()
np.savez(Path(sys.argv[1]) / f"rank{r}.npz", **{k: np.asarray(v) for k, v in out.items()})
