#!/usr/bin/env python3
"""Draws Parkway's app icon (a white "P" on a rounded blue square) at every size the app
bundles need, with nothing but the standard library: PNGs, a Windows .ico and a macOS .icns."""
import math
import struct
import sys
import zlib
from pathlib import Path

BLUE = (37, 99, 235)
WHITE = (255, 255, 255)


def pixel(x, y, n):
    """RGBA of pixel (x, y) in an n×n icon (coordinates scaled to a 100-unit canvas)."""
    u, v = (x + 0.5) * 100 / n, (y + 0.5) * 100 / n
    r = 18  # corner radius
    cx, cy = min(max(u, r), 100 - r), min(max(v, r), 100 - r)
    if math.hypot(u - cx, v - cy) > r:
        return (0, 0, 0, 0)
    # The letter P: a stem and a bowl (ring).
    stem = 30 <= u <= 44 and 20 <= v <= 82
    bowl_d = math.hypot(u - 50, v - 40)
    bowl = u >= 50 and 10 <= bowl_d <= 23
    bar = 37 <= u <= 50 and (17 <= v <= 30 or 50 <= v <= 63)
    if stem or bowl or bar:
        return WHITE + (255,)
    return BLUE + (255,)


def png(n):
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y, n)) for x in range(n)) for y in range(n))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def ico(images):
    entries, data = b"", b""
    offset = 6 + 16 * len(images)
    for n, blob in images:
        size = 0 if n >= 256 else n
        entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return struct.pack("<HHH", 0, 1, len(images)) + entries + data


def icns(images):
    kinds = {128: b"ic07", 256: b"ic08", 512: b"ic09"}
    body = b"".join(kinds[n] + struct.pack(">I", len(blob) + 8) + blob for n, blob in images if n in kinds)
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    blobs = {n: png(n) for n in (32, 64, 128, 256, 512)}
    (out / "32x32.png").write_bytes(blobs[32])
    (out / "128x128.png").write_bytes(blobs[128])
    (out / "128x128@2x.png").write_bytes(blobs[256])
    (out / "icon.png").write_bytes(blobs[512])
    (out / "icon.ico").write_bytes(ico([(n, blobs[n]) for n in (32, 64, 256)]))
    (out / "icon.icns").write_bytes(icns([(n, blobs[n]) for n in (128, 256, 512)]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "icons")
