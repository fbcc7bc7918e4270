"""benchmarks.instructions cuts each loop's count out of callgrind's dumps."""

import pytest

from benchmarks.instructions import _totals, loop_counts


def test_loop_counts_pick_the_loops_between_the_markers(tmp_path):
    # setup, then for 3 statements: marker, loop; then the last marker and the exit
    counts = [9_000_000, 7, 1000, 8, 2000, 9, 3000, 50_000]
    for i, c in enumerate(counts):
        (tmp_path / f"cg.{i + 1}").write_text(f"version: 1\ncreator: test\nsummary: {c}\n")
    (tmp_path / "cg.10").write_text("totals: 5\n")  # numbered past 9: sorted as a number
    totals = _totals(sorted(tmp_path.glob("cg.*")))
    assert totals == counts + [5]
    assert loop_counts(counts, 3) == [1000, 2000, 3000]


def test_too_few_dumps_is_an_error():
    with pytest.raises(RuntimeError, match="fewer than"):
        loop_counts([1, 2, 3], 2)
