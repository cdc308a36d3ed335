"""Webhook endpoints: verify, store, enqueue, return. Nothing slow happens here."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from crm.app import db, runtime
from inbox import webhooks
from inbox.webhooks_verify import (
    is_crc_token,
    meta_challenge,
    verify_meta_signature,
    verify_x_signature,
    x_crc_response,
)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _store(source: str) -> ResponseReturnValue:
    session = db()
    try:
        webhooks.store(session, source, request.get_data(cache=False))
        session.commit()
    except webhooks.BadDelivery as exc:
        session.rollback()
        return jsonify(error=str(exc)), 400
    return "", 200


@bp.get("/meta")
def meta_verify() -> ResponseReturnValue:
    token = runtime().settings.meta_verify_token
    challenge = meta_challenge(request.args, token) if token else None
    if challenge is None:
        abort(403)
    return challenge, 200, {"Content-Type": "text/plain"}


@bp.post("/meta")
def meta_receive() -> ResponseReturnValue:
    secret = runtime().settings.meta_app_secret
    body = request.get_data(cache=True)
    if not secret or not verify_meta_signature(
        secret.encode(), body, request.headers.get("X-Hub-Signature-256")
    ):
        return jsonify(error="bad signature"), 401
    return _store("meta")


@bp.get("/x")
def x_crc() -> ResponseReturnValue:
    secret = runtime().settings.x_consumer_secret
    token = request.args.get("crc_token", "")
    if not secret or not is_crc_token(token):
        abort(400)
    return jsonify(x_crc_response(secret, token))


@bp.post("/x")
def x_receive() -> ResponseReturnValue:
    secret = runtime().settings.x_consumer_secret
    body = request.get_data(cache=True)
    if not secret or not verify_x_signature(
        secret, body, request.headers.get("x-twitter-webhooks-signature")
    ):
        return jsonify(error="bad signature"), 401
    return _store("x")
