"""The portal's app icons: a white cross on the portal's blue, drawn without an image library.

The PNG files in static/icons/ are made by running this module once
(`.venv/bin/python -m portal.help.icons`) and committed; nothing runs at start-up.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from portal.config import ROOT

#: The portal's blue (--brand in portal.css), also the manifest's theme colour.
BRAND = (0x0B, 0x53, 0x94)
WHITE = (0xFF, 0xFF, 0xFF)
FOLDER = ROOT / "static" / "icons"
#: file name -> (size in pixels, the cross's length as a share of the size)
ICONS = {"icon-192.png": (192, 0.56), "icon-512.png": (512, 0.56),
         # Maskable: launchers cut the icon to a circle or a rounded square, keeping the
         # middle 80%; the cross stays well inside it.
         "icon-maskable-512.png": (512, 0.44),
         "apple-touch-icon.png": (180, 0.56)}


def draw(size: int, cross: float) -> bytes:
    """A PNG of `size` x `size`: the brand colour with a white cross of `cross` x size."""
    arm, width = round(size * cross / 2), round(size * cross * 0.18)
    middle = size / 2
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # no filter
        in_bar = abs(y + 0.5 - middle) <= width
        in_column_span = abs(y + 0.5 - middle) <= arm
        for x in range(size):
            dx = abs(x + 0.5 - middle)
            white = (in_bar and dx <= arm) or (in_column_span and dx <= width)
            row += bytes(WHITE if white else BRAND)
        rows.append(bytes(row))
    return _png(size, b"".join(rows))


def _png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write_icons(folder: Path = FOLDER) -> list[Path]:
    """Write every icon into `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (size, cross) in ICONS.items():
        path = folder / name
        path.write_bytes(draw(size, cross))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_icons():
        print(path, path.stat().st_size, "bytes")
