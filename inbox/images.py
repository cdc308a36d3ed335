"""Images a person attaches to a post: what they really are, and what each network takes.

An upload is untrusted: its name and the browser's Content-Type say nothing. The
type is read from the file's own first bytes (the format's signature) and the
dimensions from its header, without decoding pixels (no imaging library, no
decompression bomb). Only the four formats every network here takes pass: JPEG,
PNG, GIF and WebP.

Per-network limits (as the networks document them, checked before the post is
accepted so it never fails when its time comes):

* Mastodon: 4 images a status, 16 MB an image (``MAX_IMAGE_SIZE`` of Mastodon 4;
  an instance may set less, and then refuses the upload), alt text 1,500 characters.
* X: 4 images a tweet, 5 MB an image (``media/upload``), alt text 1,000 characters.
* Bluesky: 4 images a post, 2,000,000 bytes an image (``app.bsky.embed.images#image``
  ``maxSize``; 1,000,000 before 2025), alt text unbounded by the lexicon.

Our own cap is the smallest of them where it applies to all: 4 images, 5 MB each,
alt text 1,000 characters, each side at most 8,192 pixels and 33,177,600 pixels in
all (Mastodon's matrix limit, which it would otherwise refuse).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8192
MAX_PIXELS = 33_177_600
MAX_ALT = 1000

TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True, slots=True)
class NetworkMedia:
    """How many images a network takes on one post, and how large each may be."""

    count: int
    max_bytes: int


NETWORK_MEDIA: dict[str, NetworkMedia] = {
    "mastodon": NetworkMedia(4, 16 * 1024 * 1024),
    "x": NetworkMedia(4, 5 * 1024 * 1024),
    "bluesky": NetworkMedia(4, 2_000_000),
}


def network_media(network: str) -> NetworkMedia:
    """The network's limits; our own cap for a network with none listed."""
    return NETWORK_MEDIA.get(network, NetworkMedia(MAX_IMAGES, MAX_IMAGE_BYTES))


class NotAnImage(ValueError):
    """The bytes are not a JPEG, PNG, GIF or WebP image whose size can be read."""


@dataclass(frozen=True, slots=True)
class Sniffed:
    content_type: str
    width: int
    height: int
    sha256: str


def sniff(data: bytes) -> Sniffed:
    """The image's real type and dimensions from its bytes; :class:`NotAnImage` if it is
    none of the four formats or its header is cut off or absurd."""
    if data.startswith(b"\xff\xd8\xff"):
        kind, (width, height) = "image/jpeg", _jpeg_size(data)
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, (width, height) = "image/png", _png_size(data)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        kind, (width, height) = "image/gif", _gif_size(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind, (width, height) = "image/webp", _webp_size(data)
    else:
        raise NotAnImage("not a JPEG, PNG, GIF or WebP image")
    if width < 1 or height < 1:
        raise NotAnImage("the image has no size")
    return Sniffed(kind, width, height, hashlib.sha256(data).hexdigest())


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise NotAnImage("the PNG header is cut off")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _gif_size(data: bytes) -> tuple[int, int]:
    if len(data) < 10:
        raise NotAnImage("the GIF header is cut off")
    width, height = struct.unpack("<HH", data[6:10])
    return int(width), int(height)


# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4),
# JPG (C8) or DAC (CC), which share the range.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG's marker segments to the first start-of-frame (width and height)."""
    i, end = 2, len(data)
    while i < end:
        if data[i] != 0xFF:
            raise NotAnImage("the JPEG's segments are broken")
        while i < end and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= end:
            break
        marker = data[i]
        i += 1
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            break
        if i + 2 > end:
            break
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2:
            raise NotAnImage("the JPEG's segments are broken")
        if marker in _SOF:
            if i + 7 > end:
                break
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            return int(width), int(height)
        i += length
    raise NotAnImage("the JPEG has no frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise NotAnImage("the WebP header is cut off or unknown")


def network_problem(network: str, sizes: list[int]) -> str | None:
    """Why ``network`` would refuse images of these byte sizes on one post (the
    connectors' last check, in the error a post target records), or None."""
    limit = network_media(network)
    if len(sizes) > limit.count:
        return f"{network} takes at most {limit.count} images on a post; this one has {len(sizes)}"
    if any(size > limit.max_bytes for size in sizes):
        return f"{network} takes images of at most {limit.max_bytes:,} bytes"
    return None
