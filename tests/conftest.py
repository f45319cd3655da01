"""Shared fixtures: where the corpus of real captures lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Public captures kept beside the repository (../shared/corpus), never copied into it;
#: TRAFFICSCOPE_CORPUS points elsewhere (a worktree's checkout has no ../shared).
CORPUS = Path(os.environ.get("TRAFFICSCOPE_CORPUS")
              or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The corpus folder; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus of real captures not found at {CORPUS}")
    return CORPUS
