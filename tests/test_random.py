"""Random numbers: Generator, seeds and states, generator= everywhere, the samplers' values and
errors. CPU generators are NumPy's PCG64: their numbers are checked against NumPy itself, and
each sampler's transform (normal = mean + std * z, ...) against the underlying draws."""

import copy
import math
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import _device as _dev
from gpugrad.nn import init
from gpugrad.utils.data import (
    DataLoader,
    RandomSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)

from .conftest import host

ROOT = Path(__file__).resolve().parent.parent


def _gen(seed, device="cpu"):
    return gg.Generator(device).manual_seed(seed)


# --- Generator ----------------------------------------------------------------------------------


def test_generator_seed_state_and_device():
    g = gg.Generator()
    assert g.initial_seed() == 67280421310721  # PyTorch's default seed
    assert g.device == gg.device("cpu") and gg.Generator(gg.device("cpu")).device.type == "cpu"
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    assert g.manual_seed(-1).initial_seed() == 2**64 - 1  # negatives wrap modulo 2**64
    assert g.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    assert g.manual_seed(-(2**63)).initial_seed() == 2**63
    assert g.manual_seed(3.9).initial_seed() == 3  # int(seed), as PyTorch
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="seed must be within"):
            g.manual_seed(bad)
    with pytest.raises(TypeError, match="seed must be an integer"):
        g.manual_seed("x")
    assert g.initial_seed() == 3  # a refused seed changes nothing
    s1, s2 = g.seed(), g.seed()
    assert s2 == g.initial_seed() and s1 != s2 and 0 <= s1 < 2**64
    assert "device='cpu'" in repr(g)


def test_cpu_generator_draws_numpys_pcg64_stream():
    """A CPU Generator seeded s is numpy.random.default_rng(s): every factory's numbers are
    NumPy's, drawn in the same order."""
    g, ref = _gen(1234), np.random.default_rng(1234)
    np.testing.assert_array_equal(gg.randn(3, 4, generator=g, dtype=gg.float64).numpy(),
                                  ref.standard_normal((3, 4)))
    np.testing.assert_array_equal(gg.rand(5, generator=g, dtype=gg.float64).numpy(),
                                  ref.random(5))
    np.testing.assert_array_equal(gg.rand(5, generator=g).numpy(),
                                  ref.random(5, dtype=np.float32))
    np.testing.assert_array_equal(gg.randint(-3, 9, (6,), generator=g).numpy(),
                                  ref.integers(-3, 9, size=(6,)))
    np.testing.assert_array_equal(gg.randperm(10, generator=g).numpy(), ref.permutation(10))


def test_generators_are_independent_of_each_other_and_of_the_global_one():
    gg.manual_seed(5)
    plain = gg.randn(4).numpy()
    gg.manual_seed(5)
    g = _gen(9)
    first = gg.randn(4, generator=g).numpy()
    assert np.array_equal(gg.randn(4).numpy(), plain)  # g's draw left the default untouched
    np.testing.assert_array_equal(first, gg.randn(4, generator=_gen(9)).numpy())
    assert not np.array_equal(first, gg.randn(4, generator=_gen(10)).numpy())


def test_state_round_trips_exactly_and_rejects_foreign_states(tmp_path):
    g = _gen(3)
    gg.rand(7, generator=g)
    state = g.get_state()
    assert isinstance(state, gg.Tensor) and state.dtype == gg.int64 and state.ndim == 1
    a = gg.randn(5, generator=g, dtype=gg.float64).numpy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(gg.randn(5, generator=g, dtype=gg.float64).numpy(), a)
    other = gg.Generator().set_state(state)  # a fresh generator takes the state, seed included
    assert other.initial_seed() == 3
    np.testing.assert_array_equal(gg.randn(5, generator=other, dtype=gg.float64).numpy(), a)
    gg.save({"rng": state}, tmp_path / "rng.npz")  # a state is an ordinary tensor
    g.set_state(gg.load(tmp_path / "rng.npz")["rng"])
    np.testing.assert_array_equal(gg.randn(5, generator=g, dtype=gg.float64).numpy(), a)
    before = g.get_state().numpy()
    with pytest.raises(TypeError, match="int64 Tensor"):
        g.set_state(state.numpy())
    with pytest.raises(TypeError, match="int64 Tensor"):
        g.set_state(state.double())
    with pytest.raises(RuntimeError, match="not a cpu generator state"):
        g.set_state(state[:3])
    with pytest.raises(RuntimeError, match="another tag"):
        g.set_state(gg.zeros(state.numel(), dtype=gg.int64))
    np.testing.assert_array_equal(g.get_state().numpy(), before)  # refused states change nothing


def test_generator_pickles_and_copies_mid_stream():
    g = _gen(11)
    gg.rand(3, generator=g)
    for twin in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert twin is not g and twin.initial_seed() == 11
        np.testing.assert_array_equal(gg.rand(4, generator=twin).numpy(),
                                      gg.rand(4, generator=_gen(11).set_state(g.get_state()))
                                      .numpy())


# --- the global generator -------------------------------------------------------------------------


def test_manual_seed_returns_the_default_generator_and_seeds_it(device):
    assert isinstance(gg.default_generator, gg.Generator)
    assert gg.manual_seed(21) is gg.default_generator
    assert gg.initial_seed() == 21 and gg.default_generator.initial_seed() == 21
    a = [gg.randn(6, device=device), gg.rand(6, device=device),
         gg.randint(0, 100, (6,), device=device), gg.randperm(6, device=device)]
    gg.manual_seed(21)
    b = [gg.randn(6, device=device), gg.rand(6, device=device),
         gg.randint(0, 100, (6,), device=device), gg.randperm(6, device=device)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(host(x), host(y))


def test_one_seed_gives_the_same_numbers_in_every_process():
    code = ("import gpugrad as g; g.manual_seed(1234); "
            "print(g.randn(3).tolist(), g.randint(0, 1000, (3,)).tolist(), "
            "g.multinomial(g.tensor([1., 2, 3]), 2).tolist(), g.zeros(2).normal_().tolist())")
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    gg.manual_seed(1234)
    here = str([gg.randn(3).tolist(), gg.randint(0, 1000, (3,)).tolist(),
                gg.multinomial(gg.tensor([1., 2, 3]), 2).tolist(), gg.zeros(2).normal_().tolist()])
    assert runs[0].strip() == here.replace("], [", "] [")[1:-1]


def test_without_a_seed_each_process_starts_elsewhere():
    code = "import gpugrad as g; print(g.initial_seed())"
    seeds = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout for _ in range(2)}
    assert len(seeds) == 2  # nondeterministic start (as PyTorch 2.x): equal with odds 2**-64


def test_seed_get_and_set_rng_state_and_fork_rng():
    s = gg.seed()
    assert gg.initial_seed() == s and isinstance(s, int) and gg.seed() != s
    state = gg.get_rng_state()
    a = gg.rand(4).numpy()
    gg.set_rng_state(state)
    np.testing.assert_array_equal(gg.rand(4).numpy(), a)
    gg.set_rng_state(state)
    with gg.random.fork_rng():
        gg.rand(100)
    np.testing.assert_array_equal(gg.rand(4).numpy(), a)  # the block's draws were undone
    gg.set_rng_state(state)
    with gg.random.fork_rng(enabled=False):
        gg.rand(4)
    assert not np.array_equal(gg.rand(4).numpy(), a)
    with pytest.raises(TypeError, match="int64 Tensor"):
        gg.set_rng_state([1, 2])


def test_cuda_seeds_wait_for_devices_used_later():
    """Without CUDA, cuda.manual_seed* still record the seed, as PyTorch queues it."""
    saved = dict(_dev._pending_cuda_seeds)
    try:
        gg.cuda.manual_seed_all(77)
        assert _dev._pending_cuda_seeds == {None: 77}
        gg.manual_seed(78)
        assert _dev._pending_cuda_seeds == {None: 78}
        gg.cuda.manual_seed(79)  # the current device (index 0 without CUDA)
        assert _dev._pending_cuda_seeds[None] == 78 and 79 in _dev._pending_cuda_seeds.values()
    finally:
        _dev._pending_cuda_seeds.clear()
        _dev._pending_cuda_seeds.update(saved)


@pytest.mark.cuda
@pytest.mark.skipif(not gg.cuda.is_available(), reason="CUDA is not available")
def test_cuda_generator_state_round_trip_and_seeding():
    g = gg.Generator("cuda").manual_seed(5)
    assert g.device.type == "cuda"
    state = g.get_state()
    a = host(gg.randn(1000, generator=g, device="cuda"))
    b = host(gg.randn(1000, generator=g, device="cuda"))
    assert not np.array_equal(a, b)
    g.set_state(state)
    np.testing.assert_array_equal(host(gg.randn(1000, generator=g, device="cuda")), a)
    assert abs(a.mean()) < 0.1 and 0.9 < a.std() < 1.1
    gg.cuda.manual_seed(3)
    x = host(gg.rand(10, device="cuda"))
    gg.cuda.manual_seed(3)
    np.testing.assert_array_equal(host(gg.rand(10, device="cuda")), x)
    assert gg.cuda.initial_seed() == 3
    s = gg.cuda.get_rng_state()
    y = host(gg.rand(10, device="cuda"))
    gg.cuda.set_rng_state(s)
    np.testing.assert_array_equal(host(gg.rand(10, device="cuda")), y)
    with pytest.raises(RuntimeError, match="device type for generator"):
        gg.randn(3, generator=gg.Generator(), device="cuda")
    with pytest.raises(RuntimeError, match="not a cuda generator state"):
        g.set_state(gg.Generator().get_state())


def test_a_generator_must_be_a_gpugrad_generator_of_the_device_type():
    with pytest.raises(TypeError, match="gpugrad.Generator"):
        gg.randn(3, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="gpugrad.Generator"):
        gg.zeros(3).normal_(generator=5)


# --- factories ----------------------------------------------------------------------------------


def test_rand_randn_forms_dtypes_and_default_dtype(device):
    assert gg.rand(2, 3, device=device).shape == (2, 3)
    assert gg.randn((2, 3), device=device).shape == (2, 3)
    assert gg.randn(size=[4], device=device).shape == (4,)
    assert gg.rand(2, dtype=gg.float16, device=device).dtype == gg.float16
    r = gg.randn(3, requires_grad=True, device=device)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        gg.rand(2, size=(3,))
    for fn in (gg.rand, gg.randn):
        with pytest.raises(NotImplementedError, match="floating"):
            fn(3, dtype=gg.int64)
    prev = gg.get_default_dtype()
    try:
        gg.set_default_dtype(gg.float64)
        assert gg.randn(2).dtype == gg.rand(2).dtype == gg.float64
        assert gg.normal(0.0, 1.0, (2,)).dtype == gg.float64
    finally:
        gg.set_default_dtype(prev)


def test_like_factories_take_shape_dtype_device_and_generator(device):
    x = gg.zeros(2, 3, dtype=gg.float64, device=device)
    for fn in (gg.rand_like, gg.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == gg.float64 and y.device == x.device
        assert fn(x, dtype=gg.float32).dtype == gg.float32
    a = gg.randn_like(x, generator=_gen(4, x.device)).numpy()
    np.testing.assert_array_equal(a, gg.randn(2, 3, dtype=gg.float64, device=device,
                                              generator=_gen(4, x.device)).numpy())
    i = gg.randint_like(gg.zeros(500, dtype=gg.int64, device=device), 5)
    assert i.dtype == gg.int64 and set(host(i).tolist()) == {0, 1, 2, 3, 4}
    j = gg.randint_like(gg.zeros(500, device=device), 3, 5)
    assert j.dtype == gg.float32 and set(host(j).tolist()) == {3.0, 4.0}
    with pytest.raises(NotImplementedError):
        gg.rand_like(gg.zeros(2, dtype=gg.int64))


def test_randint_forms_bounds_and_dtypes():
    for t in (gg.randint(5, (300,)), gg.randint(5, size=(300,)), gg.randint(high=5, size=[300]),
              gg.randint(0, 5, (300,)), gg.randint(low=0, high=5, size=(300,))):
        assert t.shape == (300,) and t.dtype == gg.int64
        assert set(t.tolist()) == {0, 1, 2, 3, 4}
    assert gg.randint(5, ()).shape == () and gg.randint(5, [2, 2]).shape == (2, 2)
    assert set(gg.randint(-5, -3, (100,)).tolist()) == {-5, -4}
    f = gg.randint(2, 5, (200,), dtype=gg.float32, requires_grad=True)
    assert f.dtype == gg.float32 and f.requires_grad and set(f.tolist()) == {2.0, 3.0, 4.0}
    assert set(gg.randint(2, (100,), dtype=gg.bool).tolist()) == {False, True}
    big = gg.randint(0, 2**63 - 1, (3,)).numpy()
    assert big.dtype == np.int64 and (big >= 0).all()
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        gg.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match="from=0 >= to=0"):
        gg.randint(0, (3,))
    with pytest.raises(TypeError, match="'size' must be tuple of ints, not int"):
        gg.randint(5, 3)
    with pytest.raises(TypeError, match="missing required argument 'size'"):
        gg.randint(5)
    with pytest.raises(TypeError, match="'low' must be int"):
        gg.randint(2.5, 5, (3,))
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for bool"):
        gg.randint(5, (3,), dtype=gg.bool)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for int32"):
        gg.randint(2**40, (3,), dtype=gg.int32)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        gg.randint(5, (3,), requires_grad=True)


def test_randperm():
    p = gg.randperm(20, dtype=gg.float32)
    assert p.dtype == gg.float32 and sorted(p.tolist()) == list(range(20))
    assert gg.randperm(0).shape == (0,) and gg.randperm(0).dtype == gg.int64
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        gg.randperm(-1)


# --- normal -------------------------------------------------------------------------------------


def test_normal_is_mean_plus_std_times_the_standard_draw(device):
    m = gg.tensor([[0.0], [10.0]], dtype=gg.float64, device=device)
    s = gg.tensor([1.0, 2.0, 3.0], dtype=gg.float64, device=device)
    dev = m.device
    z = host(gg.randn(2, 3, dtype=gg.float64, device=device, generator=_gen(8, dev)))
    x = gg.normal(m, s, generator=_gen(8, dev))
    assert x.shape == (2, 3) and x.dtype == gg.float64 and not x.requires_grad
    np.testing.assert_allclose(host(x), host(m) + host(s) * z, rtol=0, atol=1e-12)
    z1 = host(gg.randn(2, 1, dtype=gg.float64, device=device, generator=_gen(8, dev)))
    np.testing.assert_allclose(host(gg.normal(m, 0.5, generator=_gen(8, dev))),
                               host(m) + 0.5 * z1, atol=1e-12)
    z3 = host(gg.randn(3, dtype=gg.float64, device=device, generator=_gen(8, dev)))
    np.testing.assert_allclose(host(gg.normal(2.0, s, generator=_gen(8, dev))),
                               2.0 + host(s) * z3, atol=1e-12)
    zf = host(gg.randn(4, 2, device=device, generator=_gen(8, dev)))
    xf = gg.normal(1.0, 2.0, (4, 2), generator=_gen(8, dev), device=device)
    assert xf.dtype == gg.float32
    np.testing.assert_allclose(host(xf), 1.0 + 2.0 * zf, rtol=1e-6)


def test_normal_dtypes_statistics_and_errors():
    assert gg.normal(gg.zeros(3), gg.ones(3, dtype=gg.float64)).dtype == gg.float32  # mean's
    assert gg.normal(gg.zeros(3, dtype=gg.float64), gg.ones(3)).dtype == gg.float64
    assert gg.normal(2, gg.ones(3, dtype=gg.float64)).dtype == gg.float64
    assert gg.normal(gg.zeros(3, dtype=gg.float16), 1.0).dtype == gg.float16
    assert gg.normal(gg.zeros(()), 1.0).shape == ()
    x = gg.normal(3.0, 2.0, (200_000,), dtype=gg.float64).numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    assert np.all(gg.normal(gg.full((4,), 5.0), 0.0).numpy() == 5.0)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        gg.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="all elements of std >= 0.0"):
        gg.normal(gg.zeros(3), -gg.ones(3))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        gg.normal(gg.zeros(3), gg.ones(4))
    with pytest.raises(TypeError, match="needs a size"):
        gg.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="takes no size"):
        gg.normal(gg.zeros(3), 1.0, size=(3,))
    with pytest.raises(NotImplementedError, match="floating"):
        gg.normal(gg.zeros(3, dtype=gg.int64), 1.0)


# --- bernoulli ----------------------------------------------------------------------------------


def test_bernoulli_is_uniform_below_p(device):
    p = gg.tensor([0.0, 0.25, 0.5, 1.0] * 3, device=device)
    u = host(gg.rand(12, device=device, generator=_gen(2, p.device)))
    b = gg.bernoulli(p, generator=_gen(2, p.device))
    assert b.dtype == gg.float32 and b.shape == (12,)
    np.testing.assert_array_equal(host(b), (u < host(p)).astype(np.float64))
    q = gg.bernoulli(gg.zeros(12, dtype=gg.int64, device=device), 0.3,
                     generator=_gen(2, p.device))
    assert q.dtype == gg.int64
    np.testing.assert_array_equal(host(q), (u.astype(np.float32) < np.float32(0.3)))


def test_bernoulli_frequencies_and_errors():
    probs = np.array([0.1, 0.5, 0.9])
    b = gg.bernoulli(gg.tensor(np.tile(probs, (20_000, 1)), dtype=gg.float64)).numpy()
    np.testing.assert_allclose(b.mean(0), probs, atol=0.01)
    assert gg.bernoulli(gg.zeros(5), p=1.0).tolist() == [1.0] * 5
    with pytest.raises(RuntimeError, match=r"in \[0, 1\]"):
        gg.bernoulli(gg.full((5,), 1.5))
    with pytest.raises(RuntimeError, match=r"in \[0, 1\]"):
        gg.bernoulli(gg.full((5,), float("nan")))
    with pytest.raises(RuntimeError, match=r"expects p to be in \[0, 1\], but got p=1.5"):
        gg.bernoulli(gg.zeros(5), 1.5)
    with pytest.raises(NotImplementedError, match="floating"):
        gg.bernoulli(gg.zeros(5, dtype=gg.int64))


# --- multinomial --------------------------------------------------------------------------------


def test_multinomial_with_replacement_matches_the_probabilities(device):
    w = np.array([[1.0, 0.0, 3.0, 6.0], [0.0, 5.0, 5.0, 0.0]])
    out = gg.multinomial(gg.tensor(w, device=device), 40_000, replacement=True)
    assert out.dtype == gg.int64 and out.shape == (2, 40_000)
    for row, counts in zip(w, host(out)):
        freq = np.bincount(counts, minlength=4) / counts.size
        np.testing.assert_allclose(freq, row / row.sum(), atol=0.01)
        assert freq[row == 0].sum() == 0  # zero weights are never drawn
    one = gg.multinomial(gg.tensor([0.0, 0.0, 2.0], device=device), 5, True)
    assert host(one).tolist() == [2] * 5


def test_multinomial_with_replacement_is_the_inverse_cdf_of_the_draws():
    w = np.array([0.2, 0.0, 0.5, 0.3])
    u = gg.rand(1, 50, dtype=gg.float64, generator=_gen(6)).numpy()[0]
    expect = np.searchsorted(np.cumsum(w) / w.sum(), u, side="right")
    got = gg.multinomial(gg.tensor(w), 50, True, generator=_gen(6)).numpy()
    np.testing.assert_array_equal(got, expect)


def test_multinomial_without_replacement(device):
    w = gg.tensor([1.0, 0.0, 3.0, 6.0], device=device)
    for _ in range(20):
        s = host(gg.multinomial(w, 3)).tolist()
        assert sorted(s) == [0, 2, 3]  # every positive weight before the zero one
    assert sorted(host(gg.multinomial(w, 4)).tolist()) == [0, 1, 2, 3]
    assert host(gg.multinomial(w, 4))[-1] == 1  # the zero weight comes last
    first = host(gg.multinomial(gg.tensor(np.tile([1.0, 3.0, 6.0], (20_000, 1)),
                                          device=device), 2))
    assert first.shape == (20_000, 2) and (first[:, 0] != first[:, 1]).all()
    np.testing.assert_allclose(np.bincount(first[:, 0], minlength=3) / 20_000, [0.1, 0.3, 0.6],
                               atol=0.012)
    # the second draw: P(j second) = sum_i p_i p_j / (1 - p_i) over i != j
    p = np.array([0.1, 0.3, 0.6])
    second = [sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j) for j in range(3)]
    np.testing.assert_allclose(np.bincount(first[:, 1], minlength=3) / 20_000, second,
                               atol=0.012)


def test_multinomial_errors_and_shapes():
    assert gg.multinomial(gg.ones(0, 3), 2).shape == (0, 2)
    assert gg.multinomial(gg.ones(3, dtype=gg.float64), 2).shape == (2,)
    cases = [((gg.tensor([1, 2]), 1), "only supports floating-point dtypes"),
             ((gg.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
             ((gg.tensor(1.0), 1), "prob_dist must be 1 or 2 dim"),
             ((gg.tensor([1.0, 2]), 0), "cannot sample n_sample <= 0 samples"),
             ((gg.tensor([1.0, 2, 3]), 4), "cannot sample n_sample > prob_dist.size"),
             ((gg.tensor([-1.0, 0, 3]), 1), "either `inf`, `nan` or element < 0"),
             ((gg.tensor([1.0, float("inf"), 0]), 1), "either `inf`, `nan` or element < 0"),
             ((gg.tensor([1.0, float("nan"), 0]), 1), "either `inf`, `nan` or element < 0"),
             ((gg.tensor([0.0, 0, 0]), 1), r"sum of probabilities <= 0")]
    for args, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            gg.multinomial(*args)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        gg.multinomial(gg.tensor([[1.0, 1], [0, 0]]), 1, True)


# --- in place -----------------------------------------------------------------------------------


def test_in_place_samplers_are_their_transforms_of_the_draws(device):
    dev = gg.zeros(1, device=device).device
    u = host(gg.rand(6, dtype=gg.float64, device=device, generator=_gen(1, dev)))
    z = host(gg.randn(6, dtype=gg.float64, device=device, generator=_gen(1, dev)))
    t = gg.zeros(6, dtype=gg.float64, device=device)
    assert t.uniform_(2.0, 5.0, generator=_gen(1, dev)) is t
    np.testing.assert_allclose(host(t), 2.0 + 3.0 * u, atol=1e-15)
    np.testing.assert_allclose(host(t.normal_(1.0, 0.5, generator=_gen(1, dev))), 1.0 + 0.5 * z,
                               atol=1e-15)
    np.testing.assert_allclose(host(t.exponential_(2.0, generator=_gen(1, dev))),
                               -np.log1p(-u) / 2.0, atol=1e-15)
    np.testing.assert_array_equal(host(t.bernoulli_(0.4, generator=_gen(1, dev))),
                                  (u < 0.4).astype(np.float64))
    p = gg.tensor([0.0, 1.0, 0.5, 0.5, 0.9, 0.1], dtype=gg.float64, device=device)
    np.testing.assert_array_equal(host(t.bernoulli_(p, generator=_gen(1, dev))),
                                  (u < host(p)).astype(np.float64))
    if device == "cpu":
        ints = np.random.default_rng(1).integers(3, 9, size=6)
        np.testing.assert_array_equal(t.random_(3, 9, generator=_gen(1)).numpy(), ints)


def test_in_place_samplers_ranges_dtypes_and_statistics():
    e = gg.zeros(100_000, dtype=gg.float64).exponential_(4.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    u = gg.zeros(1000).uniform_(-1, 1).numpy()
    assert u.min() >= -1 and u.max() < 1 and u.dtype == np.float32
    assert gg.zeros(3).uniform_(1, 1).tolist() == [1.0] * 3
    assert np.all(gg.zeros(3).normal_(2.0, 0.0).numpy() == 2.0)
    assert set(gg.zeros(400).random_(10).tolist()) == set(map(float, range(10)))
    assert set(gg.zeros(400).random_(3, 5).tolist()) == {3.0, 4.0}
    r = gg.zeros(1000).random_().numpy()
    assert r.min() >= 0 and r.max() <= 2**24 and r.max() > 2**20 and (r == np.round(r)).all()
    assert gg.zeros(1000, dtype=gg.float16).random_().numpy().max() <= 2**11
    big = gg.zeros(1000, dtype=gg.int64).random_().numpy()
    assert big.min() >= 0 and big.max() > 2**60
    i32 = gg.zeros(1000, dtype=gg.int32).random_().numpy()
    assert i32.min() >= 0 and i32.max() > 2**28
    assert set(gg.zeros(100, dtype=gg.bool).random_().tolist()) == {False, True}
    hi = gg.zeros(1000, dtype=gg.int64).random_(2**62, None).numpy()
    assert hi.min() >= 2**62
    assert set(gg.zeros(200, dtype=gg.int64).bernoulli_(0.5).tolist()) == {0, 1}
    assert gg.zeros(10, dtype=gg.bool).bernoulli_(1.0).tolist() == [True] * 10


def test_in_place_sampler_errors_leave_the_tensor_unchanged():
    t = gg.arange(3.0)
    cases = [(lambda: t.uniform_(2, 1), RuntimeError, "from=2 > to=1"),
             (lambda: t.normal_(0, -1), RuntimeError, "std >= 0.0"),
             (lambda: t.exponential_(0.0), RuntimeError, "lambda > 0.0"),
             (lambda: t.bernoulli_(1.2), RuntimeError, r"p=1.2"),
             (lambda: t.bernoulli_(gg.tensor([0.5, 0.5])), RuntimeError, "does not broadcast"),
             (lambda: t.random_(10, 3), RuntimeError, "from=10 >= to=3"),
             (lambda: gg.zeros(2, dtype=gg.int64).uniform_(), NotImplementedError, "floating"),
             (lambda: gg.zeros(2, dtype=gg.int64).normal_(), NotImplementedError, "floating"),
             (lambda: gg.zeros(2, dtype=gg.int64).exponential_(), RuntimeError, "floating"),
             (lambda: gg.zeros(2, dtype=gg.int32).random_(2**40), RuntimeError,
              "to - 1 is out of bounds for int32")]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn()
    assert t.tolist() == [0.0, 1.0, 2.0]
    w = gg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.normal_()
    with gg.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf and not np.all(w.detach().numpy() == 0)


# --- nn.init and utils.data ---------------------------------------------------------------------


def test_init_takes_gpugrad_and_numpy_generators(device):
    w = gg.empty(64, 32, device=device)
    dev = w.device
    for fn, kw in ((init.uniform_, {"a": -1, "b": 1}), (init.normal_, {}),
                   (init.xavier_uniform_, {}), (init.xavier_normal_, {}),
                   (init.kaiming_uniform_, {}), (init.kaiming_normal_, {}),
                   (init.trunc_normal_, {}), (init.orthogonal_, {})):
        a = host(fn(w, generator=_gen(3, dev), **kw)).copy()
        b = host(fn(w, generator=_gen(3, dev), **kw)).copy()
        np.testing.assert_array_equal(a, b)
        c = host(fn(w, generator=np.random.default_rng(3), **kw)).copy()
        np.testing.assert_array_equal(c, host(fn(w, generator=np.random.default_rng(3), **kw)))
    state = gg.get_rng_state()
    init.normal_(w, generator=_gen(1, dev))
    np.testing.assert_array_equal(gg.get_rng_state().numpy(), state.numpy())  # global untouched
    z = host(gg.randn(64, 32, device=device, generator=_gen(1, dev)))
    np.testing.assert_allclose(host(init.normal_(w, 2.0, 0.5, generator=_gen(1, dev))),
                               2.0 + 0.5 * z, rtol=1e-6)
    q = host(init.orthogonal_(gg.empty(8, 8, dtype=gg.float64, device=device),
                              generator=_gen(2, dev)))
    np.testing.assert_allclose(q @ q.T, np.eye(8), atol=1e-12)
    with pytest.raises(TypeError, match="gpugrad.Generator"):
        init.normal_(w, generator=3)


def test_data_utilities_take_a_gpugrad_generator():
    ds = TensorDataset(gg.arange(20.0))
    order = list(RandomSampler(ds, generator=_gen(4)))
    assert order == gg.randperm(20, generator=_gen(4)).tolist()
    assert order == list(RandomSampler(ds, generator=_gen(4)))
    with_rep = list(RandomSampler(ds, replacement=True, num_samples=7, generator=_gen(4)))
    assert with_rep == gg.randint(0, 20, (7,), generator=_gen(4)).tolist()
    assert list(SubsetRandomSampler([10, 11, 12, 13], generator=_gen(5))) == [
        [10, 11, 12, 13][i] for i in gg.randperm(4, generator=_gen(5)).tolist()]
    wr = list(WeightedRandomSampler([0.0, 1.0, 3.0], 50, generator=_gen(6)))
    assert wr == list(WeightedRandomSampler([0.0, 1.0, 3.0], 50, generator=_gen(6)))
    assert set(wr) == {1, 2}
    a, b = random_split(ds, [15, 5], generator=_gen(7))
    assert a.indices + b.indices == gg.randperm(20, generator=_gen(7)).tolist()
    state = gg.get_rng_state()
    batches = [x[0].tolist() for x in DataLoader(ds, batch_size=5, shuffle=True,
                                                 generator=_gen(8))]
    again = [x[0].tolist() for x in DataLoader(ds, batch_size=5, shuffle=True,
                                               generator=_gen(8))]
    assert batches == again and sorted(sum(batches, [])) == list(map(float, range(20)))
    np.testing.assert_array_equal(gg.get_rng_state().numpy(), state.numpy())


def test_samples_do_not_require_grad_and_keep_math_exact():
    m = gg.zeros(3, requires_grad=True)
    assert not gg.normal(m, 1.0).requires_grad
    assert not gg.bernoulli(gg.full((3,), 0.5, requires_grad=True)).requires_grad
    assert math.isfinite(gg.zeros(10**5).exponential_().numpy().max())  # 1 - u never 0
