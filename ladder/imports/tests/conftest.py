"""Helpers for import tests: files are written in code into tmp_path, imports run for real."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

from ladder.imports.models import ImportJob
from ladder.imports.services import import_apply, import_create, import_set_mapping, import_stage


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def stage(
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    kind: str = "people",
    activity_type: str | None = None,
    actor=None,
    extra_tag: str | None = None,
) -> ImportJob:
    job = import_create(
        actor=actor, path_or_file=path, original_name=path.name, kind=kind,
        activity_type=activity_type,
    )  # fmt: skip
    final = {**job.mapping, **(mapping or {})}
    import_set_mapping(actor=actor, job=job, mapping=final, extra_tag=extra_tag)
    return import_stage(job=job)


def run_import(path: Path, **kwargs) -> ImportJob:
    return import_apply(job=stage(path, **kwargs))


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    # Uploads are copied under DATA_DIR/imports; keep each test's copies in its own tmp dir.
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
