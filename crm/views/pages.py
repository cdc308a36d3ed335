"""The context of the two big pages, shared by their full renders and their fragments.

An HTMX fragment and the full page are rendered from the same templates
with the same context, built here, so a swapped-in panel can never differ
from what a reload would show.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request
from sqlalchemy import select

from crm.app import count_cache, db
from crm.services import conversations as conv_svc
from crm.services import labels, presence, replies, saved_views, snooze, team
from crm.services.mentions import segments
from crm.views.common import InboxContext, user_zone
from inbox import notifications
from inbox.limits import limit_for
from models import Channel, Conversation, Role, utcnow

POLL_SECONDS = 5  # how often an open page asks for news (UNPLUGGED_POLL_SECONDS overrides)


def can_triage() -> bool:
    return bool(g.membership and g.membership.role.at_least(Role.AGENT))


def sandbox_only() -> bool:
    """Does this workspace read only the sandbox network (the demo)? Its fans' profile links
    and posts' pages are made up: links to the real networks would lead nowhere (issue 18),
    so the pages show none. Asked once per request."""
    found = g.get("_sandbox_only")
    if found is None:
        kinds = set(
            db().scalars(
                select(Channel.connector).where(Channel.workspace_id == g.workspace.id).distinct()
            )
        )
        found = g._sandbox_only = kinds == {"sandbox"}
    return bool(found)


def chrome() -> dict[str, Any]:
    """What the top bar and the sidebar need on every page, computed only if rendered."""
    if getattr(g, "user", None) is None or getattr(g, "workspace", None) is None:
        return {}
    return {
        "poll_seconds": current_app.config.get("UNPLUGGED_POLL_SECONDS", POLL_SECONDS),
        "unread_count": lambda: notifications.unread_count(db(), g.user.id),
        "saved_view_list": lambda: saved_views.list_saved(db(), g.workspace.id, g.user.id),
        "can_triage": can_triage(),
        "sandbox_only": sandbox_only,
    }


def view_counts() -> dict[str, int]:
    """The sidebar count of every view, reused for a few seconds (see ``count_cache``)."""
    session = db()
    zone = user_zone()

    def compute() -> dict[str, int]:
        views = saved_views.counted_views(session, g.workspace.id, g.user.id, zone)
        return conv_svc.count_views(session, g.workspace.id, views)

    return count_cache().get((g.workspace.id, g.user.id, zone.key), compute)


def inbox_page(ctx: InboxContext, page: conv_svc.InboxPage) -> dict[str, Any]:
    session = db()
    ids = [r.conversation.id for r in page.rows]
    return {
        "ctx": ctx,
        "page": page,
        "status": ctx.filter.status,
        "viewers": presence.viewers_by_conversation(session, ids, g.user.id),
        "members": team.members(session, g.workspace.id),
        "labels": labels.list_labels(session, g.workspace.id),
        "snooze_choices": snooze.choices(utcnow(), user_zone()),
        "watermark": conv_svc.latest_message_id(session, g.workspace.id),
        "can_triage": can_triage(),
        "intents": conv_svc.INTENTS,
    }


def render_inbox(template: str, ctx: InboxContext, **extra: Any) -> str:
    page = conv_svc.list_inbox(db(), g.workspace.id, ctx.filter, cursor=request.args.get("after"))
    return render_template(template, **inbox_page(ctx, page), **extra)


def opened_at_key(conv: Conversation, ctx: InboxContext) -> conv_svc.SortKey:
    """Where the conversation stood in its list when the page was opened.

    Forms carry it back (``at``), so "next" after replying and marking done is
    the row that was below, not the one below its new place at the top.
    """
    at = conv_svc.SortKey.decode(request.values.get("at"), ctx.filter.sort)
    return at if at is not None and at.id == conv.id else conv_svc.SortKey.of(conv)


def requested_reply_to() -> int | None:
    """The fan message a person chose to answer: ``in_reply_to`` in a form, ``reply_to`` in a link."""
    raw = request.values.get("in_reply_to") or request.values.get("reply_to") or ""
    return conv_svc.database_id(raw)


def thread_page(
    ctx: InboxContext, t: conv_svc.Thread, reply_to: int | None = None
) -> dict[str, Any]:
    session = db()
    members = team.members(session, g.workspace.id)
    at = opened_at_key(t.conversation, ctx)
    prev_id, next_id = conv_svc.neighbours(session, g.workspace.id, ctx.filter, t.conversation, at)
    return {
        "ctx": ctx,
        "t": t,
        "limit": limit_for(t.channel.network),
        "at": at.encode(ctx.filter.sort),
        "prev_id": prev_id,
        "next_id": next_id,
        "members": members,
        "note_segments": {n.note.id: segments(n.note.text, members) for n in t.notes},
        "labels": labels.list_labels(session, g.workspace.id),
        "snooze_choices": snooze.choices(utcnow(), user_zone()),
        "others": presence.others(session, t.conversation.id, g.user.id),
        "opened_at": utcnow().isoformat(),
        "version": conv_svc.thread_version(session, t.conversation.id),
        "can_triage": can_triage(),
        "intents": conv_svc.INTENTS,
        "reply_choice": replies.composer_target(session, t, reply_to) if can_triage() else None,
        "reply_who": replies.who_wrote,
    }


def render_thread(
    template: str,
    ctx: InboxContext,
    conversation_id: int,
    reply_to: int | None = None,
    **extra: Any,
) -> str:
    """Render a thread template; ``reply_to`` is the message the composer answers
    (``None``: the newest fan message not answered yet)."""
    t = conv_svc.load_thread(db(), g.workspace.id, conversation_id)
    return render_template(template, **thread_page(ctx, t, reply_to), **extra)
