"""The HTML reports in a real headless browser (Debian's chromium; fonts-noto-cjk for
Japanese): they load offline without console errors and render a non-blank page."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.batch import BatchOptions, grade_class
from nbfactory import make_notebook
from pngcheck import png_stats
from test_grader_4_4 import COL2IM, IM2COL

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,900"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    if CHROMIUM is None:  # .ci/run installs chromium; a developer machine may not have it
        pytest.fail("chromium is not installed: apt-get install chromium fonts-noto-cjk")
    root = tmp_path_factory.mktemp("class")
    make_notebook(root / "alice_4_4.ipynb", [IM2COL, COL2IM])
    make_notebook(root / "bob_4_4.ipynb", [IM2COL, COL2IM.replace("+=", "="), "1/0"])
    out = tmp_path_factory.mktemp("out")
    grade_class(root, out, BatchOptions(workers=2, seed=1, exercises=("4_4",), lang="ja", progress=False))
    return out


def _render(page: Path, tmp_path: Path) -> tuple[dict, str]:
    shot = tmp_path / "shot.png"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), proc.stderr[-2000:]
    return png_stats(shot.read_bytes()), proc.stderr


@pytest.mark.parametrize("page", ["index.html", "trainees/bob.html"])
def test_report_renders_without_console_errors(reports, tmp_path, page):
    stats, log = _render(reports / page, tmp_path)
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert stats["width"] == 1200 and stats["colours"] > 8
    assert 0.001 < stats["dark_fraction"] < 0.5  # text was drawn, the page is not all dark


def test_japanese_text_is_in_the_dom(reports, tmp_path):
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          (reports / "trainees" / "bob.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "採点レポート" in dom and "col2im.overlap" in dom and "不合格" in dom
