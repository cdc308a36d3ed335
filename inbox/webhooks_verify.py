"""Checks that a webhook really comes from the network, as pure functions.

The webhook views call these before storing anything: a delivery whose
signature does not match is answered 401 and dropped. Signatures are computed
over the *raw* request body (re-serialised JSON would differ byte for byte)
and compared in constant time, so a forger learns nothing from response times.

- Meta (Instagram, Pages): ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256
  of the body keyed with the app secret; subscription is confirmed by echoing
  ``hub.challenge`` when ``hub.verify_token`` matches.
- X Account Activity: ``x-twitter-webhooks-signature: sha256=<base64>``, an
  HMAC-SHA256 of the body keyed with the consumer secret; the CRC check is
  answered with the same HMAC over ``crc_token``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping

_SHA256_PREFIX = "sha256="


def _as_bytes(secret: bytes | str) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def verify_meta_signature(app_secret: bytes, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` (``X-Hub-Signature-256``) signs ``raw_body`` with the app secret."""
    if not app_secret or not header:
        return False
    scheme, _, signature = header.strip().partition("=")
    if scheme.lower() != "sha256" or not signature:
        return False
    expected = hmac.new(_as_bytes(app_secret), raw_body, hashlib.sha256).hexdigest()
    # Compare as bytes: compare_digest on str rejects non-ASCII input with TypeError.
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def meta_challenge(args: Mapping[str, str], verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo for a valid subscription check, else None.

    ``args`` are the GET query parameters. The token is compared in constant
    time like a secret, since it is one.
    """
    if not verify_token or args.get("hub.mode") != "subscribe":
        return None
    offered = args.get("hub.verify_token") or ""
    if not hmac.compare_digest(offered.encode(), verify_token.encode()):
        return None
    challenge = args.get("hub.challenge")
    return challenge if challenge else None


def _x_digest(consumer_secret: bytes | str, message: bytes) -> bytes:
    return hmac.new(_as_bytes(consumer_secret), message, hashlib.sha256).digest()


# X's CRC tokens are short random strings. The answer is the HMAC of the token
# under the same key that signs deliveries, so answering for any text would sign
# a forged delivery: only a short token of URL-safe characters is answered.
_CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,128}")


def is_crc_token(value: str) -> bool:
    """Whether ``value`` can be an X CRC token (and never a JSON delivery body)."""
    return bool(_CRC_TOKEN.fullmatch(value))


def x_crc_response(consumer_secret: bytes | str, crc_token: str) -> dict[str, str]:
    """The JSON body answering X's CRC check (GET with ``crc_token``).

    Raises ValueError for anything but a short token (see :func:`is_crc_token`).
    """
    if not is_crc_token(crc_token):
        raise ValueError("not a CRC token")
    digest = _x_digest(consumer_secret, crc_token.encode())
    return {"response_token": _SHA256_PREFIX + base64.b64encode(digest).decode("ascii")}


def verify_x_signature(consumer_secret: bytes | str, raw_body: bytes, header: str | None) -> bool:
    """True when ``header`` (``x-twitter-webhooks-signature``) signs ``raw_body``."""
    if not consumer_secret or not header:
        return False
    value = header.strip()
    if not value.lower().startswith(_SHA256_PREFIX):
        return False
    try:
        offered = base64.b64decode(value[len(_SHA256_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(_x_digest(consumer_secret, raw_body), offered)
