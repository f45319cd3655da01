"""The bundled sample capture is what its generator writes."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sample_capture_is_reproducible(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "captures" / "make_sample.py"), str(tmp_path)],
                   check=True, timeout=60)
    for name in ("sample.har", "sample.profile.toml"):
        assert (tmp_path / name).read_bytes() == (ROOT / "captures" / name).read_bytes(), name


def test_sample_pcapng_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "sample.pcapng"
    subprocess.run([sys.executable, str(ROOT / "captures" / "make_pcap.py"), "-o", str(out)],
                   check=True, timeout=120)
    assert out.read_bytes() == (ROOT / "captures" / "sample.pcapng").read_bytes()
