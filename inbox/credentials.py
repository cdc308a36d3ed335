"""Channel credentials encrypted at rest (Fernet).

Below the web app because the sync, the outbox and the workers decrypt a
channel's credentials as often as the Channels page encrypts them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialBox:
    """Encrypts channel credentials at rest.

    MultiFernet: the first key encrypts, every key decrypts, and :meth:`rotate`
    re-encrypts a token under the first key, so an operator can add a new key in
    front, rotate, then drop the old one.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, credentials: Mapping[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(credentials), sort_keys=True).encode())

    def decrypt(self, token: bytes | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise ValueError("credentials cannot be decrypted with the configured keys") from exc
        if not isinstance(data, dict):
            raise ValueError("credentials are not a JSON object")
        return data

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)
