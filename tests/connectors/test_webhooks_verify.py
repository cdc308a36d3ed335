"""Webhook signature and handshake checks.

The expected values were computed independently with ``openssl dgst -sha256 -hmac``
so a mistake in the HMAC input or encoding cannot hide behind the same mistake
in the test.
"""

from __future__ import annotations

import pytest

from inbox.webhooks_verify import (
    meta_challenge,
    verify_meta_signature,
    verify_x_signature,
    x_crc_response,
)

BODY = b'{"object":"page","entry":[]}'
META_SECRET = b"app-secret-123"
META_SIG = "sha256=045d425314376ceef02357beda9d40971b523021cc4baad4e55bde33d2691f03"
X_SECRET = "consumer-secret-xyz"
X_BODY_SIG = "sha256=OM6lNXSb9cvaHObGXJmDBeT6LvEn8TpAJ1OvxbKeoh0="


def test_meta_signature_over_the_raw_body_is_accepted() -> None:
    assert verify_meta_signature(META_SECRET, BODY, META_SIG)
    assert verify_meta_signature(META_SECRET, BODY, META_SIG.upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=045d425314376ceef02357beda9d40971b523021cc4baad4e55bde33d2691f03",
        META_SIG[:-1] + "0",
        "sha256=zzzz",
        "sha256=é" + META_SIG[8:],
        META_SIG[7:],  # no scheme
    ],
)
def test_meta_signature_rejects_missing_or_wrong_headers(header: str | None) -> None:
    assert not verify_meta_signature(META_SECRET, BODY, header)


def test_meta_signature_rejects_a_body_changed_by_one_byte_or_reserialised() -> None:
    assert not verify_meta_signature(META_SECRET, BODY + b" ", META_SIG)
    assert not verify_meta_signature(META_SECRET, b'{"object": "page", "entry": []}', META_SIG)
    assert not verify_meta_signature(b"other-secret", BODY, META_SIG)
    assert not verify_meta_signature(b"", BODY, META_SIG)


def test_meta_challenge_echoes_only_for_the_right_token() -> None:
    args = {
        "hub.mode": "subscribe",
        "hub.verify_token": "meatyhamhock",
        "hub.challenge": "1158201444",
    }
    assert meta_challenge(args, "meatyhamhock") == "1158201444"
    assert meta_challenge({**args, "hub.verify_token": "guess"}, "meatyhamhock") is None
    assert meta_challenge({**args, "hub.mode": "unsubscribe"}, "meatyhamhock") is None
    assert meta_challenge({**args, "hub.challenge": ""}, "meatyhamhock") is None
    assert meta_challenge(args, "") is None
    assert meta_challenge({}, "meatyhamhock") is None


def test_x_crc_response_matches_an_independent_hmac() -> None:
    assert x_crc_response(X_SECRET, "crc-token-abc") == {
        "response_token": "sha256=mBzmtBM9rweCawiSXS4jB7E5xqyjOy75bK79tNMkDAs="
    }
    assert x_crc_response(X_SECRET.encode(), "crc-token-abc") == x_crc_response(
        X_SECRET, "crc-token-abc"
    )


def test_x_signature_is_verified_over_the_raw_body() -> None:
    assert verify_x_signature(X_SECRET, BODY, X_BODY_SIG)
    assert verify_x_signature(X_SECRET.encode(), BODY, X_BODY_SIG)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha256=!!notbase64!!", X_BODY_SIG[7:], "sha1=" + X_BODY_SIG[7:]],
)
def test_x_signature_rejects_bad_headers(header: str | None) -> None:
    assert not verify_x_signature(X_SECRET, BODY, header)


def test_x_signature_rejects_other_bodies_and_secrets() -> None:
    assert not verify_x_signature(X_SECRET, BODY + b"\n", X_BODY_SIG)
    assert not verify_x_signature("wrong", BODY, X_BODY_SIG)
    assert not verify_x_signature("", BODY, X_BODY_SIG)
