"""Open the run player in headless Chromium: the start and the end of the run must both render,
differ, and show the sensitivity banner.

Chromium comes from the Debian packages ``chromium`` and ``chromium-driver``; without it the test is
skipped with the reason (as in ``test_browser.py``). The page is opened from a file with
``#t=SECONDS`` in its address, which opens the run paused at that time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from PIL import Image

from drillsim.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "elementary-lockdown-class.yaml"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(tmp: Path, url: str, out: Path) -> np.ndarray:
    exe = chromium()
    if exe is None:
        pytest.skip(
            "headless Chromium not found on PATH (apt-get install -y chromium "
            "chromium-driver; .ci/run installs it where missing)"
        )
    proc = subprocess.run(
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
            "--window-size=1400,900",
            f"--screenshot={out}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), proc.stderr[-2000:]
    return np.asarray(Image.open(out).convert("RGB"), dtype=float)


@pytest.fixture(scope="module")
def player(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("player") / "anim"
    res = CliRunner().invoke(
        cli, ["animate", str(SCENARIO), "--seed", "1", "--no-gif", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    return out / "player.html"


def _green(img: np.ndarray) -> float:
    """Share of pixels in the 'room secured' green (#1b7837)."""
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    return float(((abs(r - 0x1B) < 25) & (abs(g - 0x78) < 25) & (abs(b - 0x37) < 25)).mean())


def test_start_and_end_screenshots_differ_and_are_not_blank(player, tmp_path):
    soup = BeautifulSoup(player.read_text(encoding="utf-8"), "html.parser")
    end = json.loads(soup.find(id="scene").string)["end"]
    start = screenshot(tmp_path, player.as_uri() + "#t=0", tmp_path / "start.png")
    late = screenshot(tmp_path, player.as_uri() + f"#t={end - 5:.1f}", tmp_path / "end.png")
    for img in (start, late):
        assert img.std() > 20, "screenshot looks blank"
        assert (img < 250).any(axis=2).mean() > 0.05, "screenshot is (almost) all white"
        top = img[:24].reshape(-1, 3)
        red = (top[:, 0] > 100) & (top[:, 1] < 40) & (top[:, 2] < 40)
        assert red.mean() > 0.3, "no sensitivity banner at the top"
    assert np.abs(start - late).mean() > 0.5, "start and end look the same"
    # at the start no room is secured; near the end most are (dark green)
    assert _green(start) < 0.001
    assert _green(late) > _green(start) + 0.005
