"""Demo data for Ladder: the Prairie Forward organization and benchmark files.

Not a Django app: a plain package that the `ladder demo` command and `bench/` call.

- `generate_demo(seed=, people=, duplicates=, progress=)` loads the demo organization.
- `write_people_csv(path, rows=, seed=, overlap_with=, headers=)` writes benchmark CSV files;
  it needs neither Django settings nor a database, so the generator is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ladder.demo.csvfile import CsvFileInfo, write_people_csv

if TYPE_CHECKING:
    from ladder.demo.generator import DemoSummary, build_plan, demo_exists, generate_demo

_GENERATOR = {"DemoSummary", "build_plan", "demo_exists", "generate_demo"}


def __getattr__(name: str) -> Any:
    if name in _GENERATOR:
        from ladder.demo import generator

        return getattr(generator, name)
    raise AttributeError(f"module 'ladder.demo' has no attribute {name!r}")


__all__ = [
    "CsvFileInfo",
    "DemoSummary",
    "build_plan",
    "demo_exists",
    "generate_demo",
    "write_people_csv",
]
