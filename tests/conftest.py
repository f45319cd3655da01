"""Shared fixtures: where the corpus of real captures lives; Hypothesis profiles."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: Public captures kept beside the repository (../shared/corpus), never copied into it;
#: TRAFFICSCOPE_CORPUS points elsewhere (a worktree's checkout has no ../shared).
CORPUS = Path(os.environ.get("TRAFFICSCOPE_CORPUS")
              or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")

# CI keeps each test's own (modest) max_examples; `HYPOTHESIS_PROFILE=fuzz`
# (`make fuzz`) runs 100,000 examples per reader and decoder test.
settings.register_profile("ci", deadline=None)
settings.register_profile(
    "fuzz", max_examples=100_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Compiled Hyperscan databases go to a cache of this run, not the user's (CLI
# subprocesses inherit it); tests of the cache itself set their own.
if "TRAFFICSCOPE_CACHE_DIR" not in os.environ:
    os.environ["TRAFFICSCOPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="trafficscope-hs-")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The corpus folder; tests using it skip when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus of real captures not found at {CORPUS}")
    return CORPUS
