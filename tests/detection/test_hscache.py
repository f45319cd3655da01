"""Compiled Hyperscan databases cached on disk: reused, private, rebuilt when bad."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trafficscope.detection import engine as engine_mod
from trafficscope.detection import hscache
from trafficscope.detection.engine import Engine, EnginePattern, literal_regex

from .conftest import BACKENDS

pytestmark = pytest.mark.skipif("hyperscan" not in BACKENDS, reason="no hyperscan wheel")

PATTERNS = [EnginePattern(r"[0-9]{15}", False, "0-9", "0-9"),
            EnginePattern(literal_regex("Jane Doe"), True)]
TEXTS = ["imei=490154203237518", "hello JANE DOE", "nothing"]
EXPECTED = [(0, 0, 5, 20), (1, 1, 6, 14)]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(hscache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "hyperscan"  # trafficscope.cache's folder for it


def test_databases_are_written_private_and_reused(cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert Engine(PATTERNS).scan_many(TEXTS) == EXPECTED
    files = sorted(cache.glob("*.hsdb"))
    assert len(files) == 2  # the joined scan's and the single-match one
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    class NoCompile:  # the hyperscan module, minus compiling
        def __getattr__(self, name: str) -> object:
            if name == "Database":
                raise AssertionError("compiled although cached")
            return getattr(real, name)

    real = engine_mod._hs
    monkeypatch.setattr(engine_mod, "_hs", NoCompile())
    assert Engine(PATTERNS).scan_many(TEXTS) == EXPECTED


def test_a_damaged_file_is_recompiled_and_rewritten(cache: Path) -> None:
    Engine(PATTERNS)
    files = sorted(cache.glob("*.hsdb"))
    for f, junk in zip(files, [b"", files[1].read_bytes()[:100]], strict=True):
        f.write_bytes(junk)
    assert Engine(PATTERNS).scan_many(TEXTS) == EXPECTED
    assert all(f.stat().st_size > 100 for f in files)


def test_the_key_changes_with_patterns_and_flags() -> None:
    hs = engine_mod._hs
    mode = hs.HS_MODE_BLOCK
    base = hscache.db_key(hs, mode, [b"abc"], [0], [0])
    assert base == hscache.db_key(hs, mode, [b"abc"], [0], [0])
    assert base != hscache.db_key(hs, mode, [b"abd"], [0], [0])
    assert base != hscache.db_key(hs, mode, [b"abc"], [0], [hs.HS_FLAG_CASELESS])
    assert base != hscache.db_key(hs, mode, [b"abc"], [1], [0])
    assert base != hscache.db_key(hs, mode, [b"ab", b"c"], [0, 1], [0, 0])


def test_a_directory_open_to_others_is_not_used(cache: Path) -> None:
    cache.mkdir(mode=0o700, parents=True)
    os.chmod(cache, 0o777)
    assert Engine(PATTERNS).scan_many(TEXTS) == EXPECTED
    assert not list(cache.iterdir())


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hscache.ENV, "")
    assert hscache.cache_dir() is None
    assert Engine(PATTERNS).scan_many(TEXTS) == EXPECTED


def test_old_databases_are_pruned(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hscache, "MAX_FILES", 4)
    for n in range(4):
        Engine([EnginePattern(literal_regex(f"value{n}"))])
    assert len(list(cache.glob("*.hsdb"))) == 4
