"""plotly.js from the installed plotly package (pinned in uv.lock), served as
``vendor/plotly.min.js``: nothing loads from a CDN, and nothing else of that package's data
(its sample datasets, its widget bundle) is collected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PATH = "vendor/plotly.min.js"


def _source() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class PlotlyFinder(BaseFinder):
    def find(self, path: str, find_all: bool = False) -> Any:
        if path != PATH:
            return []
        found = str(_source())
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        storage = FileSystemStorage(location=str(_source().parent))
        storage.prefix = "vendor"  # type: ignore[attr-defined]
        yield "plotly.min.js", storage
