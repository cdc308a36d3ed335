"""The index a fan's page reads their messages by: each account's newest first.

A fan's timeline (crm/services/fans.py ``timeline``) asks for the newest page of
messages written by a few identities; with the author and the time in one index
that is a walk of one page per account, not a read and sort of every message
the person ever wrote (a busy fan has thousands). Declared apart from
``models/conversation.py`` so the fan pages own it (migration 0017).
"""

from __future__ import annotations

from sqlalchemy import Index

from models.conversation import Message

Index("ix_messages_author_sent", Message.author_identity_id, Message.sent_at)
