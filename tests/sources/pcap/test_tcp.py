"""TCP reassembly: order, retransmissions, overlaps, gaps, mid-stream starts."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.fixtures.work import lines_run
from trafficscope.sources.pcap import tcp
from trafficscope.sources.pcap.tcp import HOLD, MAX_WAITING, Stream

DATA = bytes(range(256)) * 4  # 1024 bytes
ISN = 0xFFFFFF00  # the sequence numbers wrap inside the stream


def _collect(depth: int = 1 << 20) -> tuple[Stream, list[bytes | int]]:
    out: list[bytes | int] = []
    return Stream(out.append, out.append, depth), out


def _joined(out: list[bytes | int]) -> tuple[bytes, list[int]]:
    return b"".join(x for x in out if isinstance(x, bytes)), [x for x in out if isinstance(x, int)]


def _segments(n: int) -> list[tuple[int, bytes]]:
    cuts = [0, 100, 250, 251, 600, 900, len(DATA)][: n + 1]
    cuts[-1] = len(DATA)
    return [((ISN + 1 + a) & 0xFFFFFFFF, DATA[a:b]) for a, b in itertools.pairwise(cuts)]


@pytest.mark.parametrize("with_syn", [True, False], ids=["syn", "mid-stream"])
def test_every_permutation_of_six_segments_gives_the_same_bytes(with_syn: bool) -> None:
    segs = _segments(6)
    results = set()
    for order in itertools.permutations(segs):
        s, out = _collect()
        if with_syn:
            s.syn(ISN)
        for seq, data in order:
            s.add(seq, data)
        s.flush()
        data, gaps = _joined(out)
        results.add((data, tuple(gaps), s.gaps, s.overlaps_differ))
    assert results == {(DATA, (), 0, 0)}


def test_syn_seen_after_the_data_still_anchors() -> None:
    s, out = _collect()
    for seq, data in reversed(_segments(6)):
        s.add(seq, data)
    s.syn(ISN)
    s.flush()
    assert _joined(out) == (DATA, [])


def test_retransmissions_and_equal_overlaps_are_dropped() -> None:
    s, out = _collect()
    s.syn(ISN)
    segs = _segments(6)
    for seq, data in segs + segs[:3]:  # retransmitted after delivery
        s.add(seq, data)
    s.add((ISN + 1 + 50) & 0xFFFFFFFF, DATA[50:300])  # overlaps two delivered segments
    s.flush()
    assert _joined(out) == (DATA, [])
    assert s.overlaps_differ == 0 and s.retransmitted >= 4


@pytest.mark.parametrize("delivered_first", [True, False])
def test_differing_overlap_first_copy_wins_and_is_counted(delivered_first: bool) -> None:
    s, out = _collect()
    s.syn(ISN)
    forged = DATA[100:250].replace(b"\x80", b"X")
    first, second = DATA[100:250], forged
    segs = _segments(6)
    if delivered_first:
        for seq, data in segs:
            s.add(seq, data)
        s.add((ISN + 1 + 100) & 0xFFFFFFFF, second)
    else:  # both copies wait out of order (segment 0 missing at first)
        s.add((ISN + 1 + 100) & 0xFFFFFFFF, first)
        s.add((ISN + 1 + 100) & 0xFFFFFFFF, second)
        for seq, data in segs:
            s.add(seq, data)
    s.flush()
    assert _joined(out) == (DATA, [])
    assert s.overlaps_differ == 1


def test_gap_is_counted_and_the_stream_goes_on() -> None:
    s, out = _collect()
    s.syn(ISN)
    segs = _segments(6)
    for i, (seq, data) in enumerate(segs):
        if i != 2:
            s.add(seq, data)
    s.flush()
    data, gaps = _joined(out)
    missing = segs[2][1]
    assert data == DATA.replace(missing, b"", 1)
    assert gaps == [len(missing)] and s.gaps == 1 and s.gap_bytes == len(missing)


def test_depth_bounds_what_waits() -> None:
    s, out = _collect(depth=4096)
    s.syn(0)
    s.add(1 + 10_000, b"x" * 3000)  # a hole of 10000 bytes before it
    assert s.pending_bytes == 3000
    s.add(1 + 13_000, b"y" * 3000)  # past the depth: the stream skips the hole
    assert s.pending_bytes == 0 and s.gaps == 1
    assert _joined(out) == (b"x" * 3000 + b"y" * 3000, [10_000])


def test_mid_stream_start_delivers_after_hold() -> None:
    s, out = _collect()
    s.add(12345, b"a" * HOLD)
    assert _joined(out)[0] == b"a" * HOLD  # held data delivered once HOLD bytes wait
    s.add(12345 + HOLD, b"b")
    assert _joined(out)[0] == b"a" * HOLD + b"b"


def test_done_stream_only_counts() -> None:
    s, out = _collect()
    s.syn(0)
    s.done = True
    s.add(1, b"abc")
    assert out == [] and s.bytes == 3


def test_random_segmentation_with_duplicates() -> None:
    rng = random.Random(4)
    for _ in range(50):
        cuts = sorted({0, len(DATA), *rng.sample(range(1, len(DATA)), 12)})
        segs = [(ISN + 1 + a, DATA[a:b]) for a, b in itertools.pairwise(cuts)]
        segs += rng.sample(segs, 4)
        rng.shuffle(segs)
        s, out = _collect()
        s.syn(ISN)
        for seq, data in segs:
            s.add(seq & 0xFFFFFFFF, data)
        s.flush()
        assert _joined(out) == (DATA, [])


@pytest.mark.parametrize("order", ["ascending", "descending", "every-other"])
def test_many_tiny_segments_past_a_hole_cost_linear_work(order: str) -> None:
    """1,000 one-byte segments waiting behind a hole at the start, then the hole
    filled: each segment used to be compared with all those waiting and the list
    sorted again (quadratic: 20,000 of them, a 1.4 MB pcap, took 18 s)."""
    n = 1000
    offsets = list(range(1, n + 1))
    if order == "descending":
        offsets.reverse()
    elif order == "every-other":
        offsets = offsets[::2] + offsets[1::2]
    s, out = _collect()
    s.syn(ISN)

    def feed() -> None:
        for off in offsets:
            s.add((ISN + 1 + off) & 0xFFFFFFFF, DATA[off : off + 1])
        s.add((ISN + 1) & 0xFFFFFFFF, DATA[:1])

    _, lines = lines_run(tcp, feed)
    assert _joined(out) == (DATA[: n + 1], [])
    assert lines < 100 * (n + 1)


@pytest.mark.parametrize("with_syn", [True, False], ids=["syn", "mid-stream"])
def test_segments_waiting_are_bounded_in_number(with_syn: bool) -> None:
    """One-byte segments with holes between them: past MAX_WAITING segments waiting
    the stream skips to the lowest one, as past its depth in bytes."""
    s, out = _collect()
    if with_syn:
        s.syn(ISN)
    for i in range(MAX_WAITING + 10):
        s.add((ISN + 3 + 2 * i) & 0xFFFFFFFF, b"x")
        assert len(s.pending) <= MAX_WAITING
    s.flush()
    assert _joined(out)[0] == b"x" * (MAX_WAITING + 10)
