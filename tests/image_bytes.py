"""Small, real image files for tests (built here: no binary fixtures, no imaging library).

Each is a valid file of its format with the given dimensions in its header; ``pad``
appends bytes a decoder ignores (a PNG ancillary chunk, JPEG comment segments, ...)
to reach a size for the limit tests.
"""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 2, height: int = 2, pad: int = 0) -> bytes:
    """A greyscale PNG; ``pad`` bytes in a private ancillary chunk (``prVt``)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(min(height, 64)))
    body = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(raw))
    )
    if pad:
        body += _chunk(b"prVt", b"\x00" * pad)
    return body + _chunk(b"IEND", b"")


def jpeg(width: int = 3, height: int = 2) -> bytes:
    """A JPEG's header up to its frame (JFIF APP0, a comment, SOF0), then EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    com = b"\xff\xfe" + struct.pack(">H", 2 + 5) + b"hello"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + com + sof + b"\xff\xd9"


def gif(width: int = 1, height: int = 1) -> bytes:
    return (
        b"GIF89a"
        + struct.pack("<HH", width, height)
        + b"\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        + b"\x2c\x00\x00\x00\x00"
        + struct.pack("<HH", width, height)
        + b"\x00\x02\x02\x44\x01\x00\x3b"
    )


def webp(width: int = 5, height: int = 4) -> bytes:
    """A lossless (VP8L) WebP header with these dimensions."""
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 5
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
