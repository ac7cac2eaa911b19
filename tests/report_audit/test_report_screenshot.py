"""The HTML report's cursor trail over the stored screenshot: both in the page's CSS px, so a click is
drawn where it landed however tall the page; a screenshot row the workbench did not write is said as damage."""

from __future__ import annotations

import re
import sqlite3
import struct
import zlib
from pathlib import Path

import pytest
from sqlmodel import Session

from workbench.cli.main import main
from workbench.events import RunStarted, SessionStarted, SessionTraced
from workbench.report import render_html
from workbench.store import repo
from workbench.store.db import StoreDamaged, open_db
from workbench.store.recorder import Recorder

SID = "sq_1795475309549_as71tlmvw"


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of that size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def stored(path: Path, shot: bytes, scale: float) -> None:
    rec = Recorder(open_db(path))
    rec(RunStarted("run_1", "run", "rv", 7, "", "http://x"))
    rec(SessionStarted(SID, "org_test", "paralysed_buyer", "rv"))
    # a trail sampled on a 1280 px viewport; the full-page screenshot is narrower (no scrollbar)
    trail = {"points": [[0, 100, 5900, 0], [50, 110, 6000, 0]], "clicks": [[50, 110, 6000]], "viewport": [1280, 800]}
    rec(SessionTraced(SID, "paralysed_buyer", 7, 0, "virtual", {"emotions": []}, 1000.0, 10.0, {"samples": 2},
                      trail, screenshot_png=shot, screenshot_scale=scale))


def test_the_screenshot_is_drawn_at_its_own_size_in_css_px(tmp_path: Path) -> None:
    stored(tmp_path / "s.db", png(633, 3257), 0.5)  # a page 1266 x 6514 CSS px, shot at half scale
    with Session(open_db(tmp_path / "s.db", create=False)) as db:
        html = render_html(repo.run_report(db=db, run_id="run_1", rage=False),
                           repo.screenshots(db=db, run_id="run_1"))
    (image,) = re.findall(r"<image [^>]*>", html)
    size = dict(re.findall(r'\b(width|height)="([^"]+)"', image))
    assert (float(size["width"]), float(size["height"])) == (1266.0, 6514.0)  # not the viewport's 1280 wide


def test_a_screenshot_that_is_not_an_image_is_said_as_damage(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "s.db"
    stored(path, png(10, 10), 0.5)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE screenshot SET png = 'notbytes'")
    with Session(open_db(path, create=False)) as db, pytest.raises(StoreDamaged, match="holds str, not an image"):
        repo.screenshots(db=db, run_id="run_1")
    assert main(["show", "run_1", "--db", str(path), "--html", str(tmp_path / "r.html")]) == 4
    err = capsys.readouterr().err
    assert "screenshot row 1" in err and "Traceback" not in err and "internal error" not in err
