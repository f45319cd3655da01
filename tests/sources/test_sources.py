"""detect_format, iter_flows and expand_inputs: which files are captures, and of what kind."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import pytest

from trafficscope import sources
from trafficscope.errors import ReadError
from trafficscope.sources import READERS, detect_format, expand_inputs, iter_flows

HAR = b'{"log": {"version": "1.2", "entries": []}}'

FORMAT_ROWS = [
    (HAR, "har"),
    (b"\xef\xbb\xbf" + HAR, "har"),  # UTF-8 BOM, as Fiddler and some Windows tools write
    (b"\n\t  " + HAR, "har"),
    (gzip.compress(HAR), "har"),
    (zlib.compress(HAR), "har"),  # mitmproxy's .zhar
    (b"123:5:hello,}", "mitm"),  # a tnetstring
    (b"\xa1\xb2\xc3\xd4" + bytes(20), "pcap"),  # big-endian, microseconds
    (b"\xd4\xc3\xb2\xa1" + bytes(20), "pcap"),  # little-endian
    (b"\xa1\xb2\x3c\x4d" + bytes(20), "pcap"),  # nanoseconds
    (b"\x4d\x3c\xb2\xa1" + bytes(20), "pcap"),
    (b"\x0a\x0d\x0d\x0a" + bytes(20), "pcapng"),
]

UNKNOWN_ROWS = [
    b"hello world",  # text
    b"[1, 2, 3]",  # JSON, but not an object
    b"\x1f\x8b\x08\x00garbage",  # gzip magic, data that does not inflate
    gzip.compress(b"not json inside"),  # inflates, but not to JSON
    b"PK\x03\x04",  # zip
    b":123",  # colon first: not a tnetstring
]


@pytest.mark.parametrize(("content", "expected"), FORMAT_ROWS)
def test_detect_format(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "capture.bin"  # the suffix never matters
    path.write_bytes(content)
    assert detect_format(path) == expected


@pytest.mark.parametrize("content", UNKNOWN_ROWS)
def test_detect_unknown(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "capture.har"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="not a capture trafficscope can read"):
        detect_format(path)


def test_detect_empty_missing_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    with pytest.raises(ReadError, match="empty file"):
        detect_format(empty)
    with pytest.raises(ReadError, match="no such file or directory"):
        detect_format(tmp_path / "absent.har")
    with pytest.raises(ReadError, match="is a directory"):
        detect_format(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_detect_refuses_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.har"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="not a regular file"):
        detect_format(fifo)
    (tmp_path / "one.har").write_bytes(HAR)
    assert expand_inputs([tmp_path]) == [tmp_path / "one.har"]


def test_detect_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.har"
    path.write_bytes(HAR)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sources, "open", refuse, raising=False)  # also denied when run as root
    with pytest.raises(ReadError, match="permission denied"):
        detect_format(path)


def test_corpus_formats(corpus_dir: Path) -> None:
    folder = corpus_dir / "mitmproxy"
    assert detect_format(folder / "har_files__chrome.har") == "har"
    assert detect_format(folder / "flows__compressed.zhar") == "har"
    assert detect_format(folder / "dumpfile-7.mitm") == "mitm"
    assert detect_format(folder / "dumpfile-010.mitm") == "mitm"  # then refused by the reader


def test_readers_cover_every_format() -> None:
    assert set(READERS) == {"har", "mitm", "pcap", "pcapng"}


def test_iter_flows_dispatches(corpus_dir: Path) -> None:
    folder = corpus_dir / "mitmproxy"
    assert {f.source for f in iter_flows(folder / "flows__successful_log.har")} == {"har"}
    assert {f.source for f in iter_flows(folder / "flows__successful_log.mitm")} == {"mitm"}


def test_iter_flows_pcap_header_only_has_no_flows(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(20))
    assert list(iter_flows(path)) == []
    path.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(10))
    with pytest.raises(ReadError, match="truncated pcap header"):
        list(iter_flows(path))


def test_iter_flows_unknown_raises_at_once(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ReadError, match="not a capture"):
        iter_flows(path)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "one.har").write_bytes(HAR)
    (tmp_path / "a" / "deep" / "two.mitm").write_bytes(b"12:5:hello,}")
    (tmp_path / "a" / "notes.txt").write_text("not a capture")
    (tmp_path / "a" / "empty.har").write_bytes(b"")
    (tmp_path / "z.pcap").write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(20))
    return tmp_path


def test_expand_walks_folders_sorted(tree: Path) -> None:
    assert expand_inputs([tree]) == [
        tree / "a" / "deep" / "two.mitm", tree / "b" / "one.har", tree / "z.pcap",
    ]


def test_expand_keeps_files_as_given(tree: Path) -> None:
    notes = tree / "a" / "notes.txt"
    assert expand_inputs([str(notes), tree / "b"]) == [notes, tree / "b" / "one.har"]


def test_expand_folder_without_capture(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hi")
    with pytest.raises(ReadError, match="no readable capture in this folder") as info:
        expand_inputs([tmp_path])
    assert info.value.path == str(tmp_path)


def test_expand_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file or directory"):
        expand_inputs([tmp_path / "absent"])


def test_expand_corpus_folder(corpus_dir: Path) -> None:
    found = expand_inputs([corpus_dir / "mitmproxy"])
    names = {p.name for p in found}
    assert "flows__compressed.zhar" in names and "dumpfile-7.mitm" in names
    assert "corrupted_har__brokenfile.har" in names  # looks like JSON; its reader refuses it
    assert found == sorted(found)


_MITMPROXY_CORPUS = Path(os.environ.get("TRAFFICSCOPE_CORPUS") or Path(
    __file__).resolve().parents[2].parent / "shared" / "corpus") / "mitmproxy"
CORPUS_FILES = sorted(
    p.name for p in _MITMPROXY_CORPUS.glob("*") if p.suffix in {".har", ".zhar", ".mitm"}
)
#: The corpus files no reader can take, on purpose: each must fail with ReadError.
REFUSED = {
    "corrupted_har__brokenfile.har",  # broken JSON
    "har_extractor.har",  # a HAR nested under "test_response", no top-level log
    "dumpfile-010.mitm",  # flow format 0.10, too old for mitmproxy 11/12
}


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_file_reads_or_is_refused(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / "mitmproxy" / name
    try:
        flows = list(iter_flows(path))
    except ReadError as e:
        assert name in REFUSED, f"unexpectedly refused: {e}"
        assert e.path == str(path)
    else:
        assert name not in REFUSED
        assert flows
