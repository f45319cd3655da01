"""A real headless Chromium (Debian's `chromium`) driven by Playwright.

Playwright's own browser downloads are never used: the system Chromium is
launched from CHROMIUM (default /usr/bin/chromium) with networking services
off. Tests that need it skip with the reason when it or Playwright is absent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
#: Screenshots land here for people to look at (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class Visit:
    """A page opened from a file, with everything the console and the page said."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{t}: {m}" for t, m in self.console if t in ("error", "warning")] + self.errors


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def visit(browser: Any) -> Iterator[Any]:
    """`visit(path)` opens a local file in a fresh context and records its console."""
    contexts = []

    def open_file(path: Path, *, width: int = 1280, height: int = 900) -> Visit:
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=True)
        contexts.append(ctx)
        page = ctx.new_page()
        v = Visit(page)
        page.on("console", lambda m: v.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: v.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: v.requests.append(r.url))
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(200)  # late console messages (CSP reports are async)
        return v

    yield open_file
    for ctx in contexts:
        ctx.close()
