"""Progress bars for the `ladder` commands: one tqdm bar per phase of a long job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

Progress = Callable[[str, int, int], None]  # progress(phase, done, total)


@contextmanager
def phase_bars(stderr: Any, unit: str = " ids") -> Iterator[Progress]:
    """A ``progress(phase, done, total)`` callback drawing a bar per phase on the command's
    stderr; the bars are closed when the block ends, however it ends."""
    bars: dict[str, tqdm] = {}
    # tqdm redraws with carriage returns; Django's wrapper would add a newline to each.
    stream = getattr(stderr, "_out", stderr)

    def progress(phase: str, done: int, total: int) -> None:
        bar = bars.get(phase)
        if bar is None:
            bar = bars[phase] = tqdm(total=total, desc=phase, unit=unit, file=stream)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()
