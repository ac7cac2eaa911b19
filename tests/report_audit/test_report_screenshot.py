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


# --- screenshots other than PNG: told by their first bytes, sized from their own headers ---------------------------

def jpeg(width: int, height: int, sof: int | None = 0xC0) -> bytes:
    """A JPEG's headers as an encoder writes them before the scan: JFIF, a quantisation table, a fill byte, the
    frame (``sof``: 0xC0 baseline, 0xC2 progressive; None for none), a Huffman table, then the scan's start.
    No pixels: the report reads only the size."""
    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body
    return (b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + segment(0xDB, b"\x00" + bytes(64)) + b"\xff"
            + (segment(sof, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01")
               if sof is not None else b"")
            + segment(0xC4, b"\x00" + bytes(16)) + segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"))


def webp(width: int, height: int, kind: bytes = b"VP8X") -> bytes:
    """A WebP's RIFF header and first chunk: the extended canvas (as Chromium writes it), or a bare lossy or
    lossless bitstream header."""
    if kind == b"VP8X":
        body = b"\x20\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    elif kind == b"VP8 ":
        body = b"\x70\x19\x06\x9d\x01\x2a" + struct.pack("<HH", width, height) + bytes(8)
    else:
        body = b"\x2f" + ((width - 1) | (height - 1) << 14).to_bytes(4, "little") + bytes(4)
    chunk = kind + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def drawn(tmp_path: Path, shot: bytes) -> str:
    """The HTML report of a run whose one session stored ``shot`` at half scale."""
    stored(tmp_path / "s.db", shot, 0.5)
    with Session(open_db(tmp_path / "s.db", create=False)) as db:
        return render_html(repo.run_report(db=db, run_id="run_1", rage=False), repo.screenshots(db=db, run_id="run_1"))


@pytest.mark.parametrize("shot, mime", [
    (webp(633, 3257), "image/webp"), (webp(633, 3257, b"VP8 "), "image/webp"), (webp(633, 3257, b"VP8L"), "image/webp"),
    (jpeg(633, 3257), "image/jpeg"), (jpeg(633, 3257, 0xC2), "image/jpeg"), (jpeg(633, 3257, 0xC1), "image/jpeg"),
], ids=["webp extended", "webp lossy", "webp lossless", "jpeg baseline", "jpeg progressive", "jpeg extended"])
def test_a_webp_or_jpeg_screenshot_is_drawn_at_its_own_size_with_its_own_type(tmp_path: Path, shot: bytes,
                                                                               mime: str) -> None:
    """Runs since WebP was used store WebP in the column named ``png``: drawn where a PNG of that size was."""
    (image,) = re.findall(r"<image [^>]*>", drawn(tmp_path, shot))
    assert f'href="data:{mime};base64,' in image
    size = dict(re.findall(r'\b(width|height)="([^"]+)"', image))
    assert (float(size["width"]), float(size["height"])) == (1266.0, 6514.0)


@pytest.mark.parametrize("shot", [
    jpeg(633, 3257)[:60], jpeg(633, 3257)[:95], jpeg(633, 3257, None), jpeg(0, 3257), jpeg(633, 3257, 0xC3),
    jpeg(633, 3257).replace(b"\xff\xdb\x00\x43", b"\xff\xdb\x00\x01"), b"\xff\xd8\x00\x00",
    webp(633, 3257)[:24], webp(633, 3257, b"VP8 ")[:26], webp(633, 3257, b"VP8L")[:22],
    webp(633, 3257).replace(b"WEBP", b"WAVE"), webp(633, 3257).replace(b"VP8X", b"VP9X"), b"GIF89a" + bytes(40),
], ids=["jpeg cut in its headers", "jpeg cut in its frame header", "jpeg with no frame before the scan",
        "jpeg of no width", "jpeg lossless", "jpeg segment length under 2", "jpeg with no marker after SOI",
        "webp cut in VP8X", "webp cut in VP8", "webp cut in VP8L", "riff that is not webp", "webp of an unknown chunk",
        "gif"])
def test_a_screenshot_whose_size_cannot_be_read_is_not_drawn(tmp_path: Path, shot: bytes) -> None:
    """Damaged or unknown data leaves the trail without a background, said in its legend, never at a wrong size."""
    html = drawn(tmp_path, shot)
    assert "<image" not in html and "is not a PNG, JPEG or WebP image with a size and scale" in html
