"""Samplers: index sequences against NumPy references, lengths, validation."""

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.utils.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

DATA = list(range(10))


def test_sequential_sampler():
    s = SequentialSampler(DATA)
    assert list(s) == DATA and len(s) == 10


def test_random_sampler_with_a_generator_is_its_permutation():
    s = RandomSampler(DATA, generator=np.random.default_rng(5))
    ref = np.random.default_rng(5)
    assert list(s) == ref.permutation(10).tolist()
    assert list(s) == ref.permutation(10).tolist()  # the next epoch draws the next permutation
    assert len(s) == 10


def test_random_sampler_num_samples_without_replacement_concatenates_permutations():
    s = RandomSampler(DATA, num_samples=25, generator=np.random.default_rng(1))
    ref = np.random.default_rng(1)
    expect = np.concatenate([ref.permutation(10), ref.permutation(10),
                             ref.permutation(10)[:5]]).tolist()
    assert list(s) == expect and len(s) == 25


def test_random_sampler_with_replacement():
    s = RandomSampler(DATA, replacement=True, num_samples=1000,
                      generator=np.random.default_rng(2))
    got = list(s)
    assert got == np.random.default_rng(2).integers(0, 10, size=1000).tolist()
    assert len(set(got)) == 10 and len(got) == 1000


def test_random_sampler_legacy_random_state():
    got = list(RandomSampler(DATA, generator=np.random.RandomState(3)))
    assert got == np.random.RandomState(3).permutation(10).tolist()


def test_random_sampler_follows_the_global_seed():
    gg.manual_seed(7)
    a, b = list(RandomSampler(DATA)), list(RandomSampler(DATA))
    gg.manual_seed(7)
    assert list(RandomSampler(DATA)) == a and sorted(a) == DATA and a != b


def test_random_sampler_validation():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(DATA, num_samples=0)
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler([], num_samples=None)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(TypeError, match="integers\\(\\) and permutation\\(\\)"):
        RandomSampler(DATA, generator=object())


def test_subset_random_sampler():
    idx = [10, 20, 30, 40, 50]
    s = SubsetRandomSampler(idx, generator=np.random.default_rng(9))
    assert list(s) == [idx[i] for i in np.random.default_rng(9).permutation(5)]
    assert len(s) == 5
    gg.manual_seed(0)
    assert sorted(SubsetRandomSampler(idx)) == idx


def test_weighted_sampler_with_replacement_frequencies():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], 20000, generator=np.random.default_rng(0))
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0 and counts.sum() == 20000 and len(s) == 20000
    # binomial(20000, 0.75): standard deviation 61; 0.02 * 20000 = 400 is > 6 sigma
    assert abs(counts[2] / 20000 - 0.75) < 0.02


def test_weighted_sampler_without_replacement():
    w = [1.0, 0.0, 1e-9, 1e9, 5.0]
    got = list(WeightedRandomSampler(w, 4, replacement=False,
                                     generator=np.random.default_rng(1)))
    assert sorted(got) == [0, 2, 3, 4] and got[0] == 3  # 1e9 is drawn first (p ~ 1 - 6e-9)
    # without replacement each draw removes its index: the first draw is P(i) = w_i / sum(w)
    firsts = [next(iter(WeightedRandomSampler([1.0, 3.0], 2, replacement=False,
                                              generator=np.random.default_rng(k))))
              for k in range(1000)]
    assert abs(np.mean(firsts) - 0.75) < 0.07  # sd 0.014
    gg.manual_seed(3)
    assert sorted(WeightedRandomSampler(gg.tensor([1.0, 2.0]), 2, replacement=False)) == [0, 1]


def test_weighted_sampler_validation():
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement"):
        WeightedRandomSampler([1.0], 1, replacement=None)
    with pytest.raises(ValueError, match="1d"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(RuntimeError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)


def test_batch_sampler():
    assert list(BatchSampler(range(10), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(range(10), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4
    assert len(BatchSampler(range(10), 3, True)) == 3
    assert len(BatchSampler(range(9), 3, False)) == 3
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 0)


def test_sampler_base_is_abstract():
    with pytest.raises(NotImplementedError):
        iter(Sampler())
