"""gpugrad.distributed and DistributedDataParallel.

Multi-process tests launch 2 ranks with ``mpiexec -n 2 python -m mpi4py SCRIPT`` (scripts in
tests/dist_scripts/), each under a timeout that kills the whole process group; the scripts write
their results to .npz files and the assertions, with their references, are here. The sampler,
argument checks and bucket layout are tested in this process, without MPI.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.distributed as dist
import gpugrad.nn.functional as F
from gpugrad.distributed import DistributedSampler
from gpugrad.nn.parallel import DistributedDataParallel

from .conftest import host

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "dist_scripts"
MPIEXEC = Path(sys.executable).parent / "mpiexec"
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None and MPIEXEC.exists()
needs_mpi = pytest.mark.skipif(
    not HAVE_MPI, reason=f"needs mpi4py and {MPIEXEC} (pip install 'gpugrad[dist]')")


def launch(args: list[str], n: int = 2, timeout: float = 60.0,
           via_run: bool = False) -> tuple[int, str]:
    """Run ``args`` (a script and its arguments) on ``n`` processes; (exit status, output).
    On timeout the launcher and every rank are killed and the test fails."""
    if via_run:
        cmd = [sys.executable, "-m", "gpugrad.distributed.run", "-n", str(n), *args]
    else:
        cmd = [str(MPIEXEC), "-n", str(n), sys.executable, "-m", "mpi4py", *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} ran past {timeout} s and was killed:\n{out[-3000:]}")
    return proc.returncode, out


def load_ranks(out_dir: Path, n: int = 2) -> list[dict]:
    return [dict(np.load(out_dir / f"rank{r}.npz")) for r in range(n)]


def _script_module(name: str):
    spec = importlib.util.spec_from_file_location(f"dist_{name}", SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------------------------
# Collectives, on 2 ranks, launched through python -m gpugrad.distributed.run.


@pytest.fixture(scope="module")
def collectives(tmp_path_factory):
    if not HAVE_MPI:
        pytest.skip(f"needs mpi4py and {MPIEXEC} (pip install 'gpugrad[dist]')")
    out = tmp_path_factory.mktemp("collectives")
    rc, log = launch([str(SCRIPTS / "collectives.py"), str(out)], via_run=True)
    assert rc == 0, log[-3000:]
    return load_ranks(out)


def _contribution(r: int) -> np.ndarray:
    return np.array([r + 1, -2 * r, 3, 2 - r], dtype=np.float64)


REFERENCES = {
    "SUM": lambda xs: np.sum(xs, axis=0),
    "AVG": lambda xs: np.mean(xs, axis=0),
    "PRODUCT": lambda xs: np.prod(xs, axis=0),
    "MAX": lambda xs: np.max(xs, axis=0),
    "MIN": lambda xs: np.min(xs, axis=0),
}


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("op", list(REFERENCES))
def test_all_reduce_each_op_and_dtype(collectives, op, dtype):
    if op == "AVG" and dtype.startswith("int"):
        pytest.skip("AVG is for floating-point tensors (its error is tested below)")
    want = REFERENCES[op]([_contribution(r) for r in range(2)]).astype(dtype)
    for res in collectives:
        got = res[f"reduce_{op}_gpugrad.{dtype}"]
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)


def test_all_reduce_bool_strided_async_and_version(collectives):
    for res in collectives:
        np.testing.assert_array_equal(res["bool_or"], [True, True, False])
        np.testing.assert_array_equal(res["bool_and"], [False, True, False])
        base = np.arange(6.0).reshape(2, 3) * 3  # ranks hold 1x and 2x the base
        np.testing.assert_array_equal(res["strided_base"], base)
        np.testing.assert_array_equal(res["strided"], base.T)
        np.testing.assert_array_equal(res["async_max"], np.maximum(_contribution(0),
                                                                   _contribution(1)))
        assert "modified by an inplace operation" in str(res["version"])


def test_broadcast_and_all_gather(collectives):
    for res in collectives:
        np.testing.assert_array_equal(res["broadcast"], np.full((2, 2), 11.0, np.float32))
        np.testing.assert_array_equal(res["all_gather"], [[[0.0, 0.5]], [[1.0, 1.5]]])


def test_group_state_and_environment(collectives):
    for r, res in enumerate(collectives):
        assert (int(res["rank"]), int(res["world"]), str(res["backend"])) == (r, 2, "mpi")
        assert int(res["local_rank"]) == r  # both ranks run on this machine
        assert (int(res["env_rank"]), int(res["env_local_rank"])) == (r, r)
        assert bool(res["initialized"]) and not bool(res["initialized_after"])
        assert int(res["reinit_world"]) == 2


@pytest.mark.parametrize("key, error, words", [
    ("before_init", "ValueError", "has not been initialized"),
    ("after_destroy", "ValueError", "has not been initialized"),
    ("init_twice", "RuntimeError", "twice"),
    ("avg_int", "TypeError", "int64"),
    ("bad_op", "TypeError", "ReduceOp"),
    ("not_tensor", "TypeError", "ndarray"),
    ("bad_src", "ValueError", "[0, 1], got 2"),
    ("gather_len", "ValueError", "list of 2 tensors"),
    ("gather_shape", "ValueError", "tensor_list[0] is [3]"),
])
def test_collective_errors(collectives, key, error, words):
    for res in collectives:
        msg = str(res[key])
        assert msg.startswith(error + ":") and words in msg, msg


# ---------------------------------------------------------------------------------------------
# DistributedDataParallel: 2 ranks equal one process on the concatenated batches.


_ddp_runs: dict = {}


def ddp_results(device: str, tmp_path_factory) -> tuple[int, list[dict]]:
    """(world size, per-rank results) of tests/dist_scripts/ddp_train.py on ``device``: 2 CPU
    ranks over MPI, or one rank per GPU (at most 2) over NCCL."""
    if not HAVE_MPI:
        pytest.skip(f"needs mpi4py and {MPIEXEC} (pip install 'gpugrad[dist]')")
    if device not in _ddp_runs:
        n, extra = 2, []
        if device == "cuda":
            if not dist.is_nccl_available():
                pytest.skip("CuPy has no NCCL here")
            n, extra = min(2, gg.cuda.device_count()), ["--device", "cuda", "--backend", "nccl"]
        out = tmp_path_factory.mktemp(f"ddp_{device}")
        rc, log = launch([str(SCRIPTS / "ddp_train.py"), str(out), *extra], n=n)
        assert rc == 0, log[-3000:]
        _ddp_runs[device] = (n, load_ranks(out, n))
    return _ddp_runs[device]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_ddp_equals_one_process_on_the_whole_batch(device, tmp_path_factory, opt_name):
    world, ranks = ddp_results(device, tmp_path_factory)
    train = _script_module("ddp_train").train
    reference = [host(p) for p in train(opt_name, 1, 0, device).parameters()]
    for res in ranks:
        for i, want in enumerate(reference):
            np.testing.assert_allclose(res[f"{opt_name}_ddp_{i}"], want, rtol=0, atol=1e-10)
    if world > 1:  # negative control: without the all-reduce the replicas drift apart
        gaps = [np.abs(ranks[0][f"{opt_name}_alone_{i}"] - want).max()
                for i, want in enumerate(reference)]
        assert max(gaps) > 1e-3


def test_ddp_no_sync_accumulates_then_averages(device, tmp_path_factory):
    world, ranks = ddp_results(device, tmp_path_factory)
    mod = _script_module("ddp_train")
    net = mod.model(100, device)  # rank 0's initialisation, which the broadcast gave everyone
    loss = sum(F.cross_entropy(net(xb), yb) for r in range(world)
               for xb, yb in mod.micro_batches(r, device)) / world
    loss.backward()
    for res in ranks:
        for i, p in enumerate(net.parameters()):
            np.testing.assert_allclose(res[f"nosync_{i}"], host(p.grad), rtol=0, atol=1e-12)
            np.testing.assert_array_equal(res[f"nosync_param_{i}"], ranks[0][f"nosync_param_{i}"])


def _two_heads_reference(ranks, device, use_b, penalty=0.0):
    """Per rank, the gradients one process computes for that rank's micro-batch."""
    mod = _script_module("ddp_train")
    net = mod.TwoHeads().to(device)
    with gg.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(gg.tensor(ranks[0][f"two_heads_param_{i}"], device=device))
    return [mod.two_heads_grads(net, net, r, device, use_b(r), penalty) for r in range(len(ranks))]


def test_ddp_unused_parameters(device, tmp_path_factory):
    world, ranks = ddp_results(device, tmp_path_factory)
    for res in ranks:
        assert "3 parameter(s) received no gradient" not in str(res["unused_error"])
        assert "2 parameter(s) received no gradient" in str(res["unused_error"])
        assert "find_unused_parameters=True" in str(res["unused_error"])
    # find_unused_parameters=True, head b used on rank 1 only: rank 0 adds zeros for it
    per_rank = _two_heads_reference(ranks, device, use_b=lambda r: r == 1)
    for i in range(6):
        want = sum(g[i] for g in per_rank) / world
        for res in ranks:
            np.testing.assert_allclose(res[f"unused_{i}"], want, rtol=0, atol=1e-12)
    if world > 1:
        assert np.abs(ranks[0]["unused_4"]).max() > 1e-3  # head b's weight: half of rank 1's


def test_ddp_gradient_from_outside_the_forward_is_kept(device, tmp_path_factory):
    world, ranks = ddp_results(device, tmp_path_factory)
    per_rank = _two_heads_reference(ranks, device, use_b=lambda r: True, penalty=0.3)
    for i in range(6):
        want = sum(g[i] for g in per_rank) / world  # the penalty is the same on every rank
        for res in ranks:
            np.testing.assert_allclose(res[f"penalty_{i}"], want, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Failure handling and the launcher.


@needs_mpi
def test_one_failing_rank_ends_every_rank():
    rc, log = launch([str(SCRIPTS / "fail.py")], timeout=10.0)
    assert rc != 0
    assert "rank 1 fails on purpose" in log


@needs_mpi
def test_ddp_digits_example_reaches_the_accuracy_of_one_process():
    pytest.importorskip("sklearn")
    acc = {}
    for n in (1, 2):
        rc, log = launch([str(ROOT / "examples" / "ddp_digits.py"), "--epochs", "4", "--hidden",
                          "64", "--min-accuracy", "0.9"], n=n)
        assert rc == 0, log[-3000:]
        acc[n] = float(re.search(rf"processes: {n} .*test accuracy: ([0-9.]+)", log).group(1))
    assert abs(acc[2] - acc[1]) <= 0.03, acc


def test_launcher_command_and_arguments():
    from gpugrad.distributed import run

    cmd = run.command(3, "train.py", ["--epochs", "2"], mpiexec="/x/mpiexec")
    assert cmd == ["/x/mpiexec", "-n", "3", sys.executable, "-m", "mpi4py", "train.py",
                   "--epochs", "2"]
    with pytest.raises(ValueError, match="positive"):
        run.command(0, "train.py", [], mpiexec="/x/mpiexec")


# ---------------------------------------------------------------------------------------------
# In this process, without MPI: the sampler, argument checks and the bucket layout.


def test_sampler_pads_and_strides_without_shuffle():
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False))
              for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert len(DistributedSampler(range(10), num_replicas=3, rank=0)) == 4
    tiny = [list(DistributedSampler(range(2), num_replicas=5, rank=r, shuffle=False))
            for r in range(5)]
    assert tiny == [[0], [1], [0], [1], [0]]


def test_sampler_drop_last():
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False,
                                      drop_last=True)) for r in range(3)]
    assert shares == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(range(10), 3, 0, drop_last=True)) == 3
    even = DistributedSampler(range(12), num_replicas=3, rank=1, shuffle=False, drop_last=True)
    assert list(even) == [1, 4, 7, 10]


def test_sampler_shuffles_by_seed_and_epoch():
    def shares(epoch, seed=5):
        out = []
        for r in range(2):
            s = DistributedSampler(range(9), num_replicas=2, rank=r, seed=seed)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    perm = np.random.default_rng(5 + 1).permutation(9).tolist()
    padded = perm + perm[:1]
    assert shares(1) == [padded[0::2], padded[1::2]]
    assert shares(1) == shares(1)  # every process draws the same order
    assert shares(2) != shares(1) and shares(1, seed=6) != shares(1)
    a, b = shares(3)  # every index once, and the order's first index again as padding
    assert sorted(a + b) == sorted([*range(9), a[0]])


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_calls_before_init_say_so(device):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_world_size()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(gg.ones(2, device=device))
    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedDataParallel(gg.nn.Linear(2, 2).to(device))
    with pytest.raises(ValueError, match="unknown backend 'gloo'"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    assert not dist.is_initialized()


def test_backend_device_mismatch_is_a_clear_error(device):
    t = gg.ones(3, device=device)
    backend = "mpi" if device == "cuda" else "nccl"  # the backend that cannot carry t
    pg = dist.ProcessGroup(backend, SimpleNamespace(rank=0, size=1), None, 0, 1)
    with pytest.raises(RuntimeError, match=re.escape(f"backend is '{backend}'")) as e:
        dist._backend_for(pg, t, "all_reduce")
    assert f"on {t.device}" in str(e.value)


def test_buckets_run_in_reverse_parameter_order_and_respect_the_cap(device):
    from gpugrad.nn.parallel import _Reducer

    net = gg.nn.MLP(5, [16, 16, 3]).double().to(device)  # sizes 80 16 256 16 48 3
    params = list(net.parameters())
    reducer = _Reducer(params, cap_bytes=131 * 8, find_unused=False)
    assert [b.indices for b in reducer.buckets] == [[5, 4, 3], [2], [1, 0]]
    assert [b.numel for b in reducer.buckets] == [67, 256, 96]
    assert reducer.slot[4] == (0, 3) and reducer.slot[0] == (2, 16)
    one = _Reducer(params, cap_bytes=25 * 1024 * 1024, find_unused=False)
    assert [b.indices for b in one.buckets] == [[5, 4, 3, 2, 1, 0]]
