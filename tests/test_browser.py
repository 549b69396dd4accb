"""Render the briefing in headless Chromium: it must show content, and print the banner per page.

Chromium comes from the Debian packages ``chromium`` and ``chromium-driver`` (installed by the
project's CI set-up where missing). Without it this test is skipped with the reason. Chromium
is started with networking features off; the page itself has no external resources.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from drillsim.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
BANNER = "SENSITIVE SECURITY INFORMATION"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _browser(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    exe = chromium()
    if exe is None:
        pytest.skip(
            "headless Chromium not found on PATH (apt-get install -y chromium "
            "chromium-driver; .ci/run installs it where missing)"
        )
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def briefing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "pack"
    result = CliRunner().invoke(
        cli, ["brief", str(SCENARIO), "--runs", "80", "--workers", "1", "-q", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out / "briefing.html"


def test_screenshot_is_not_blank(briefing, tmp_path):
    shot = tmp_path / "shot.png"
    proc = _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", briefing.as_uri())
    assert shot.exists(), proc.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    assert img.std() > 20, "screenshot looks blank"
    assert (img < 250).any(axis=2).mean() > 0.05, "screenshot is (almost) all white"
    # the dark-red sensitivity banner is at the top of the rendered page
    top = img[:30].reshape(-1, 3)
    red = (top[:, 0] > 100) & (top[:, 1] < 40) & (top[:, 2] < 40)
    assert red.mean() > 0.3, "no sensitivity banner at the top of the screenshot"


def test_printed_pages_all_carry_the_banner(briefing, tmp_path):
    pdf = tmp_path / "printed.pdf"
    proc = _browser(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", briefing.as_uri())
    assert pdf.exists(), proc.stderr[-2000:]
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    for i, page in enumerate(reader.pages):
        assert BANNER in page.extract_text(), f"printed page {i + 1} lacks the banner"
