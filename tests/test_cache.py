"""The per-user cache of derived files: where it lives, who may use it, what it keeps."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from trafficscope import cache


def test_directory_from_the_variable_then_xdg(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "c"))
    assert cache.directory("geoip") == tmp_path / "c" / "geoip"
    assert (tmp_path / "c" / "geoip").stat().st_mode & 0o777 == 0o700
    monkeypatch.setenv(cache.ENV, "")
    assert cache.directory("geoip") is None  # caching off
    monkeypatch.delenv(cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.directory("psl") == tmp_path / "xdg" / "trafficscope" / "psl"


def test_a_directory_others_may_write_is_not_used(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    (tmp_path / "psl").mkdir()
    (tmp_path / "psl").chmod(0o770)
    assert cache.directory("psl") is None


def test_source_key_follows_the_source_file(tmp_path: Path) -> None:
    src = tmp_path / "data"
    src.write_bytes(b"one")
    key = cache.source_key("v1", files=(src,))
    assert key == cache.source_key("v1", files=(src,))
    assert key != cache.source_key("v2", files=(src,))
    src.write_bytes(b"two!")
    assert key != cache.source_key("v1", files=(src,))


def test_write_is_private_and_keeps_the_newest(tmp_path: Path) -> None:
    for i in range(5):
        path = tmp_path / f"{i}.geo"
        cache.write(path, b"x" * i, keep=2)
        os.utime(path, (time.time() - 100 + i, time.time() - 100 + i))  # older first
    kept = sorted(p.name for p in tmp_path.glob("*.geo"))
    assert kept == ["3.geo", "4.geo"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in tmp_path.glob("*.geo"))
    assert not list(tmp_path.glob(".tmp-*"))
    (tmp_path / "other.psl").write_bytes(b"")  # another kind's files are left alone
    cache.write(tmp_path / "5.geo", b"y", keep=1)
    assert (tmp_path / "other.psl").exists()
