"""pcap/pcapng length fields that lie: for the pcap reader (issue 4) to extend.

Each sample below is a capture whose length fields lie; reading it must end in
a clean return or a `ReadError` naming the file, within the mutation runner's
limits (512 MiB, a few CPU seconds). Until the pcap reader is merged the stub
refuses every pcap with a ReadError, which these tests accept too.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "mutate.py"

SHB = struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28)
IDB = struct.pack("<IIHHII", 1, 20, 1, 0, 65535, 20)


def _epb(captured: int, original: int, block_length: int, data: bytes = b"") -> bytes:
    return struct.pack("<IIIIIII", 6, block_length, 0, 0, 0, captured, original) + data


PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)

SAMPLES = {
    "pcapng-block-length-zero": SHB + IDB + _epb(10, 10, 0),
    "pcapng-block-length-huge": SHB + IDB + _epb(10, 10, 0xFFFFFFF0, b"x" * 64),
    "pcapng-block-length-past-end": SHB + IDB + _epb(4, 4, 4096, b"abcd"),
    "pcapng-captured-over-block": SHB + IDB + _epb(0x7FFFFFFF, 10, 44, b"x" * 12),
    "pcapng-shb-length-lies": struct.pack("<IIIHHqI", 0x0A0D0D0A, 12, 0x1A2B3C4D, 1, 0, -1, 12),
    "pcap-incl-len-huge": PCAP_HEADER + struct.pack("<IIII", 0, 0, 0xFFFFFFFF, 60) + b"x" * 60,
    "pcap-incl-len-zero": PCAP_HEADER + struct.pack("<IIII", 0, 0, 0, 0) * 1000,
    "pcap-snaplen-huge": struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFFFFFF, 1),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_lying_lengths_end_cleanly(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.pcap"
    path.write_bytes(SAMPLES[name])
    r = subprocess.run([sys.executable, str(RUNNER), "--read", str(path), "--cpu", "5"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    outcome = json.loads(r.stdout)
    assert outcome["kind"] in ("ok", "read_error"), outcome
    if outcome["kind"] == "read_error":
        assert path.name in outcome["detail"]
