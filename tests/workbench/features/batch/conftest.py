"""Fixtures of the batch tests: short synthetic clips with truth (two share a file name), a short temp folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_support import BatchClips, make_batch_clips


@pytest.fixture(scope="module")
def batch_clips(tmp_path_factory: pytest.TempPathFactory) -> BatchClips:
    return make_batch_clips(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short folder under /tmp for Ray's session files (its unix socket paths must stay under 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="wbt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
