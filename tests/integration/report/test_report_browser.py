"""report.html in headless Chromium: every figure loads, nothing is fetched from the network.

A copy of the report gets a small check script appended (the report itself has none); Chromium
loads it from disk with networking features off, the script records every figure's decoded size
and every resource the page requested (Resource Timing), and ``--dump-dom`` prints the result.
A missing Chromium is a failure, not a skip: the CI installs Debian's ``chromium``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image
from report_helpers import read_html

from itpcohort.report import ReportFiles

CHECK_SCRIPT = """
<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images).map(img => ({
    loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth, height: img.naturalHeight
  }));
  const fetched = performance.getEntriesByType("resource").map(entry => entry.name)
    .filter(name => !name.startsWith("data:"));
  const out = document.createElement("pre");
  out.id = "report-check";
  out.textContent = JSON.stringify({images, fetched, title: document.title});
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path is not None, "Chromium is required for this test (Debian: apt-get install chromium)"
    return path


def run_chromium(html: Path, profile: Path, *extra: str) -> str:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *extra,
        html.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_report_loads_in_chromium_with_every_figure_and_no_network(
    written: dict[str, ReportFiles], tmp_path: Path
) -> None:
    for lang, files in written.items():
        page = tmp_path / f"check_{lang}.html"
        page.write_text(
            files.html.read_text("utf-8").replace("</body>", CHECK_SCRIPT + "</body>"),
            encoding="utf-8",
        )
        dom = run_chromium(page, tmp_path / f"profile_{lang}", "--dump-dom")
        match = re.search(r'<pre id="report-check">(.*?)</pre>', dom, re.S)
        assert match, dom[-1000:]
        check = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
        expected = len(read_html(files.html).images)
        figures = sum(p.suffix == ".png" for p in files.figures)
        assert len(check["images"]) == expected == figures > 6  # the swimmer plot has parts
        assert all(image["loaded"] and image["width"] > 300 for image in check["images"])
        assert check["fetched"] == []
        assert check["title"]


def test_report_screenshot_is_drawn(written: dict[str, ReportFiles], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run_chromium(
        written["fr"].html,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        "--hide-scrollbars",
    )
    image = np.asarray(Image.open(shot).convert("L"))
    assert image.shape == (1600, 1280)
    assert int((image < 128).sum()) > 5000  # text was drawn, not a blank page


def test_the_check_sees_a_network_request_and_a_broken_figure(tmp_path: Path) -> None:
    """The check script is able to fail: a page that fetches an image over HTTP is caught."""
    page = tmp_path / "leaky.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title></head><body>"
        '<img src="http://127.0.0.1:9/figure.png" alt="">' + CHECK_SCRIPT + "</body></html>",
        encoding="utf-8",
    )
    dom = run_chromium(page, tmp_path / "profile", "--dump-dom")
    match = re.search(r'<pre id="report-check">(.*?)</pre>', dom, re.S)
    assert match
    check = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert check["fetched"] == ["http://127.0.0.1:9/figure.png"]
    assert check["images"] == [{"loaded": False, "width": 0, "height": 0}]
