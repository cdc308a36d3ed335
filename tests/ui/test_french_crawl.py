"""French, everywhere: every page a French speaker can open says nothing in English.

The crawl signs in as a French-speaking owner on the seeded inbox (with a
channel incident, a failed sync, a trained model version and notifications, so
the Channels and Classifier pages have something to say), then requests every
GET route of the app's URL map that answers with HTML, as a page and as an HTMX
fragment. The visible text of each answer (tags, scripts and styles stripped;
``title``, ``placeholder``, ``aria-label`` and ``alt`` kept, since a person
reads them too) is cleaned of what people wrote (fans' messages and names, the
team's names, channel handles: they are in whatever language they were
written), and must then hold no English word.

An English word is one that the interface's own English source strings use
(every msgid of the catalogue) and that no French translation uses, plus a
short list of common English words. Words that read the same in both
languages, or are names, are allowed below, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.routing import Rule

from crm.services import invitations, posting
from crm.views.i18n import VIEW_TITLES
from inbox.runtime import Runtime
from models import (
    Channel,
    ChannelHealth,
    Conversation,
    Fan,
    Identity,
    Incident,
    IncidentKind,
    Invitation,
    Label,
    Message,
    Note,
    Notification,
    NotificationKind,
    Post,
    Role,
    User,
    Workspace,
)

Login = Callable[[str], tuple[FlaskClient, str]]
ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "crm" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
HX = {"HX-Request": "true"}

# GET routes that answer with something other than an HTML page, or that a
# browser reaches only from outside: not part of what a person reads in the app.
NOT_PAGES = {
    "static": "CSS and JavaScript files",
    "healthz": "a probe for a load balancer (plain text)",
    "readyz": "a probe for a load balancer (JSON)",
    "auth.logout": "ends the session and redirects",
    "webhooks.meta_verify": "Meta's subscription check (plain text)",
    "webhooks.x_crc": "X's CRC check (JSON)",
    "oauth.callback": "a network's redirect back, never opened by hand",
    "oauth.start": "redirects to the network's own consent page",
    "fans.export_csv": "a CSV file",
    "fans.export_json": "a JSON file",
    "review.table_csv": "a CSV file",
    "review.report_json": "a JSON document",
}

# Words that are the same in French, or names, with the reason each is allowed. (Only
# words the English strings use and no French translation does need to be here.)
ALLOWED = {
    "bot": "the same word in French (un bot)",
    "direct": "the same word in French",
    "email": "the network's name, as the app names it in both languages",
    "normal": 'the same word in French (a normal priority reads "Normale", also used alone)',
    "sandbox": "the demo network's connector name, a name",
    "ticket": "used in French as is (un ticket de support)",
    "unplugged": "the product's name",
}

# Common English words that may appear without being in any msgid.
COMMON_ENGLISH = set(
    [
        "the",
        "and",
        "of",
        "to",
        "with",
        "your",
        "you",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "not",
        "no",
        "all",
        "new",
        "now",
        "this",
        "that",
        "these",
        "those",
        "from",
        "for",
        "by",
        "on",
        "in",
        "at",
        "as",
        "it",
        "its",
        "or",
        "if",
        "when",
        "what",
        "which",
        "who",
        "why",
        "how",
        "there",
        "here",
        "more",
        "most",
        "less",
        "than",
        "then",
        "them",
        "they",
        "their",
        "our",
        "we",
        "my",
        "me",
        "he",
        "she",
        "his",
        "her",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "done",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "only",
        "also",
        "just",
        "about",
        "after",
        "before",
        "again",
        "any",
        "some",
        "every",
        "each",
        "other",
        "such",
        "very",
        "into",
        "out",
        "up",
        "down",
        "over",
        "under",
        "between",
        "while",
        "until",
        "because",
        "yes",
        "today",
        "yesterday",
        "tomorrow",
        "days",
        "day",
        "hours",
        "hour",
        "week",
        "weeks",
        "month",
        "year",
        "ago",
        "since",
        "never",
        "always",
        "please",
        "thanks",
        "sign",
        "log",
        "save",
        "edit",
        "delete",
        "remove",
        "add",
        "open",
        "close",
        "send",
        "reply",
        "show",
        "hide",
        "view",
        "views",
        "settings",
        "channel",
        "channels",
        "model",
        "classifier",
        "active",
        "rollback",
        "retrain",
        "sync",
        "none",
        "waiting",
        "contact",
        "request",
        "asks",
        "unanswered",
        "account",
        "still",
    ]
)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Tags inside a line of text: a space apart from the text around them, not a line apart.
_INLINE = {"a", "abbr", "b", "code", "em", "i", "kbd", "mark", "small", "span", "strong", "time"}


class _Visible(HTMLParser):
    """The text a person reads: text nodes outside scripts and styles, and a few attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self._hidden += 1
        self.parts.append(" " if tag in _INLINE else "\n")
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value:
                self.parts.append(f"\n{value}\n")
        if tag == "input":
            kind = dict(attrs).get("type")
            value = dict(attrs).get("value")
            if kind in {"submit", "button"} and value:
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self._hidden:
            self._hidden -= 1
        self.parts.append(" " if tag in _INLINE else "\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _words(text: str) -> set[str]:
    """The words of ``text``, lower case; an elided French word ("l'inbox") also as its
    second part ("inbox"), so an English word behind a French article is found too."""
    words = {w.lower().replace("’", "'") for w in _WORD.findall(text)}
    return words | {w.split("'", 1)[1] for w in words if "'" in w}


def english_words() -> set[str]:
    """Words of the English interface that no French translation uses."""
    with open(PO, "rb") as f:
        catalog = read_po(f)
    english: set[str] = set(COMMON_ENGLISH)
    french: set[str] = set()
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            english |= _words(placeholder.sub(" ", msgid))
        for string in strings:
            french |= _words(placeholder.sub(" ", string or ""))
    return {w for w in english - french if w not in ALLOWED and len(w) > 1}


def people_wrote(rt: Runtime) -> list[str]:
    """What fans and the team wrote, longest first: removed before looking for English."""
    found: set[str] = set()
    with rt.session() as s:
        for column in (
            Message.text,
            Message.html,
            Conversation.subject,
            Conversation.last_message_preview,
            Fan.display_name,
            Identity.handle,
            Identity.display_name,
            Channel.handle,
            Channel.display_name,
            Channel.last_error,  # the network's (or its library's) own words
            User.name,
            User.email,
            Workspace.name,
            Label.name,
            Note.text,
            Notification.text,  # a preview of what the fan or the teammate wrote
            Post.text,
            Invitation.email,
        ):
            found |= {str(v) for v in s.scalars(select(column)) if v}
        # An email's HTML part, as the page shows it.
        found |= {visible_text(v) for v in s.scalars(select(Message.html)) if v}
    found |= available_timezones()  # zone names are names ("America/New_York")
    pieces: set[str] = set()
    for value in found:
        pieces.add(value)
        pieces |= {" ".join(line.split()) for line in value.splitlines() if line.strip()}
        pieces.add(value[:120])
    return sorted(pieces, key=len, reverse=True)


def _url(rule: Rule, ids: dict[str, Any]) -> str:
    values: dict[str, object] = {}
    for arg in rule.arguments:
        values[arg] = ids.get(arg, 1) if arg.endswith("_id") else ids.get(arg, "mastodon")
    path = rule.build(values, append_unknown=False)
    assert path is not None
    return path[1]


def html_routes(app: Flask) -> Iterator[Rule]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in (rule.methods or set()) or rule.endpoint in NOT_PAGES:
            continue
        if rule.endpoint.startswith("api."):
            continue
        yield rule


def _enrich(rt: Runtime, workspace_id: int, seeded: dict[str, int]) -> dict[str, Any]:
    """What the Channels and Classifier pages show beyond a quiet inbox."""
    now = datetime.now(UTC)
    with rt.session() as s:
        channel = s.scalars(select(Channel).where(Channel.workspace_id == workspace_id)).first()
        assert channel is not None
        channel.health = ChannelHealth.DEGRADED
        channel.last_error = "HTTP 503 from the network"
        s.add(
            Incident(
                workspace_id=workspace_id,
                channel_id=channel.id,
                kind=IncidentKind.SYNC_INTERRUPTED,
                started_at=now - timedelta(minutes=30),
                ended_at=now - timedelta(minutes=29),
            )
        )
        for kind in (IncidentKind.QUEUE_UNREACHABLE, IncidentKind.DATABASE_UNREACHABLE):
            s.add(Incident(workspace_id=workspace_id, kind=kind, started_at=now))
        # Segment reasons as triage/segments.py words them, for the fan pages and the thread.
        said = iter(
            (
                ["12 messages, silent for 40 days"],
                ["writes from festival.example"],
                ["3 of 4 messages are spam"],
                ["1 message, first seen today"],
                ["14 messages", "engagement 81", "on 2 networks", "mostly positive"],
                ["set by Olive Owner"],
                ["5 messages in 3 conversations"],
            )
        )
        for each in s.scalars(select(Fan).where(Fan.workspace_id == workspace_id)):
            each.segment_reasons = next(said, ["first message"])
        conv = s.get_one(Conversation, seeded["ticket"])
        owner = s.scalars(select(User).where(User.email == "owner@example.org")).one()
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        for kind in NotificationKind:  # one of each, unread, so the badge counts them
            s.add(
                Notification(
                    workspace_id=workspace_id,
                    user_id=owner.id,
                    kind=kind,
                    conversation_id=conv.id,
                    actor_id=agent.id,
                    text="Marie: my ticket never arrived",
                )
            )
        message = s.scalars(select(Message).where(Message.conversation_id == conv.id)).first()
        fan = s.scalars(select(Fan).where(Fan.workspace_id == workspace_id)).first()
        workspace = s.get_one(Workspace, workspace_id)
        token = invitations.invite(
            s, workspace, owner, "newcomer@example.org", Role.AGENT, "http://localhost/invite/"
        )
        publishing = [c.id for c in posting.channels(s, workspace_id)]
        post = (
            posting.schedule(s, workspace_id, owner.id, "Tonight in Lyon!", publishing, None)
            if publishing
            else None
        )
        s.commit()
        return {
            "token": token,
            "post_id": post.id if post else 1,
            "conversation_id": conv.id,
            "channel_id": channel.id,
            "fan_id": fan.id if fan else 1,
            "message_id": message.id if message else 1,
            "view_id": 1,
            "reply_id": 1,
        }


@pytest.fixture
def french_owner(as_user: Login, rt: Runtime) -> tuple[FlaskClient, str]:
    with rt.session() as s:
        s.execute(update(User).where(User.email == "owner@example.org").values(locale="fr"))
        s.commit()
    return as_user("owner")


def _crawl(client: FlaskClient, urls: list[str], written: list[str]) -> tuple[list[str], dict]:
    """Each URL as a page and as an HTMX fragment: the pages crawled, and per page the
    lines holding English words."""
    english = english_words()
    crawled: list[str] = []
    found: dict[str, set[str]] = {}
    for url in urls:
        for headers in ({}, HX):
            resp = client.get(url, headers=headers)
            # An error page (404, 403) is read by people too; a redirect is not a page.
            if resp.status_code not in (200, 403, 404) or "text/html" not in (
                resp.content_type or ""
            ):
                continue
            name = f"{url}{' (htmx)' if headers else ''}"
            crawled.append(name)
            text = "\n".join(
                " ".join(line.split())
                for line in visible_text(resp.get_data(as_text=True)).splitlines()
            )
            for piece in written:
                text = text.replace(piece, " ")
            bad = _words(text) & english
            if bad:
                found[name] = {
                    line.strip()[:100] for line in text.splitlines() if _words(line) & bad
                }
    return crawled, found


def _every_url(app: Flask, rt: Runtime, workspace_id: int, route_ids: dict[str, Any]) -> list[str]:
    """Every GET route of the URL map, then every conversation, fan and inbox view."""
    urls = [_url(rule, route_ids) for rule in html_routes(app)]
    with rt.session() as s:
        convs = s.scalars(select(Conversation.id).where(Conversation.workspace_id == workspace_id))
        urls += [f"/c/{cid}" for cid in convs]
        fans = s.scalars(select(Fan.id).where(Fan.workspace_id == workspace_id))
        urls += [f"/fans/{fid}" for fid in fans]
    urls += [f"/?view={key}" for key in VIEW_TITLES]
    urls += ["/?sort=newest", "/?q=ticket", "/fans?segment=superfan"]
    return list(dict.fromkeys(urls))


def test_every_page_in_french_has_no_english_word(
    app: Flask,
    rt: Runtime,
    ids: dict[str, int],
    workspace: Workspace,
    french_owner: tuple[FlaskClient, str],
) -> None:
    client, _ = french_owner
    route_ids = _enrich(rt, workspace.id, ids)
    urls = _every_url(app, rt, workspace.id, route_ids)
    crawled, found = _crawl(client, urls, people_wrote(rt))
    print(f"crawled {len(crawled)} pages:", *crawled, sep="\n")
    assert len(crawled) >= 50
    assert found == {}, "English on French pages:\n" + "\n".join(
        f"{url}: {sorted(lines)}" for url, lines in found.items()
    )


def test_the_crawl_finds_english_where_there_is_some(
    rt: Runtime, ids: dict[str, int], workspace: Workspace, as_user: Login
) -> None:
    """The same check on the same pages for an English speaker finds English: the crawl
    above passes because the pages are French, not because the check sees nothing."""
    client, _ = as_user("owner")
    _enrich(rt, workspace.id, ids)
    _, found = _crawl(client, ["/", "/settings/channels", "/settings/model"], people_wrote(rt))
    assert {"/", "/settings/channels", "/settings/model"} <= set(found)
    assert any("booking request" in line for line in found["/"])  # a reason, in English


def test_errors_and_flash_messages_are_french(
    rt: Runtime, ids: dict[str, int], french_owner: tuple[FlaskClient, str]
) -> None:
    """What an action answers (a refused form, a flash message on the next page) is French too."""
    client, csrf = french_owner
    english, written = english_words(), people_wrote(rt)
    answers = {
        "connect without a handle": client.post(
            "/settings/channels",
            data={"network": "mastodon", "handle": "", "csrf_token": csrf},
        ),
        "an unknown sign-in link": client.get(
            "/oauth/meta/pick?ticket=nope", follow_redirects=True
        ),
        "a bad time zone": client.post(
            "/preferences", data={"locale": "fr", "timezone": "Mars/Olympus", "csrf_token": csrf}
        ),
    }
    found = {}
    for what, resp in answers.items():
        text = visible_text(resp.get_data(as_text=True))
        for piece in written:
            text = text.replace(piece, " ")
        bad = _words(text) & english
        if bad:
            found[what] = sorted(bad)
    assert found == {}
    assert "Recommencez depuis Canaux" in answers["an unknown sign-in link"].get_data(as_text=True)
