"""The CLI's and app's heap setting: freed blocks stay in the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from planner.heap import keep_freed_memory

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from planner.heap import keep_freed_memory

    if sys.argv[1] == "keep":
        assert keep_freed_memory()
    block = 6 * 1024 * 1024 // 8  # 6 MiB of float64

    def round_faults():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        held = [np.ones(block) for _ in range(6)]  # 36 MiB, every page written
        del held
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    for _ in range(3):
        round_faults()
    print(round_faults())
    """
)


def _faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(not keep_freed_memory(), reason="glibc only")
def test_kept_heap_is_not_faulted_in_again() -> None:
    """Allocating and freeing 36 MiB of 6 MiB arrays again and again: glibc's
    default maps each array afresh and faults its pages in every round (fewer
    faults than 4 KiB pages where numpy's large arrays get huge pages); with
    the thresholds set, the fourth round reuses the heap's pages."""
    pages = 36 * 1024 * 1024 // 4096
    assert _faults("default") > 0.2 * pages
    assert _faults("keep") < 0.01 * pages
