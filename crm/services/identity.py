"""One person across networks: suggestions with their evidence, merge, and split.

A fan page asks :func:`suggestions_for` which other fans are probably the same
person. Each suggestion carries the evidence a real person leaves: the same
handle on two networks, the same email address, a link to the other account in
a bio or an email signature, the same display name with the same avatar. A
display name alone is never evidence (two "Tiago"s stay apart). Only the same
email address on both is *certain*; everything else waits for a person.

A merge records exactly what moved (identities, conversations, notes, field
values) and the kept fan's fields before, so :func:`split` gives both fans back
as they were. Merges undo last-in first-out; each merge and split is audited.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from crm.services.messages import N_, UserError
from models import AuditEvent, Conversation, Direction, Fan, Identity, Message, Segment, utcnow
from models.fan import FanFieldValue, FanMerge, FanNote, FanPairDismissal

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
URL_RE = re.compile(r"(?:https?://)?(?:www\.)?([a-z0-9.-]+\.[a-z]{2,})(/[^\s<>\"')]*)?", re.I)
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.-]{3,64}(?:@[A-Za-z0-9.-]+\.[a-z]{2,})?)")
SIGNATURE_CHARS = 400  # the end of an email, where a signature lists the other accounts
MIN_HANDLE = 4  # "jo", "fan" are not evidence of anything
# The kept fan's fields a split restores.
SNAPSHOT = (
    "display_name",
    "segment",
    "segment_reasons",
    "segment_set_by_id",
    "segment_set_at",
    "engagement_score",
    "message_count",
    "first_seen_at",
    "last_seen_at",
    "muted_at",
    "blocked_at",
)
PROFILE_HOSTS = {
    "x.com": "x",
    "twitter.com": "x",
    "bsky.app": "bluesky",
    "instagram.com": "instagram",
    "youtube.com": "youtube",
    "facebook.com": "facebook",
}


class IdentityError(UserError):
    """A merge or split that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Facts:
    """What one identity shows of its person, read once."""

    id: int
    fan_id: int
    network: str
    handle: str
    display_name: str  # casefolded, for comparing
    name_raw: str  # as stored, for looking up
    avatar: str
    profile_url: str
    emails: frozenset[str]
    text: str  # bio and email signatures, lowercased: where links to other accounts are

    @property
    def key(self) -> str:
        return handle_key(self.network, self.handle)


@dataclass(frozen=True)
class Evidence:
    kind: str  # "email", "handle", "link", "name_avatar"
    certain: bool
    networks: tuple[str, str]
    value: str  # the address, handle or link that matched


@dataclass
class Suggestion:
    fan: Fan
    evidence: list[Evidence] = field(default_factory=list)
    # What speaks against it: full names that disagree ("Oskar Berg", "Oskar Visser"),
    # shown beside the evidence so a look-alike with the same handle is seen as one.
    against: list[tuple[str, str]] = field(default_factory=list)

    @property
    def certain(self) -> bool:
        return any(e.certain for e in self.evidence)


def handle_key(network: str, handle: str) -> str:
    """A handle without the network's decoration: ``@Hugo79``, ``hugo79.bsky.social``,
    ``hugo79@mastodon.social`` and the address ``hugo79@gmail.com`` are all ``hugo79``."""
    h = handle.strip().lower().lstrip("@")
    if network == "bluesky" and h.endswith(".bsky.social"):
        h = h[: -len(".bsky.social")]
    elif network in ("mastodon", "email"):
        h = h.split("@", 1)[0]
    return h


def _norm_url(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def _bio(profile: Any) -> str:
    if not isinstance(profile, dict):
        return ""
    out = []
    for key in ("bio", "description", "note", "about", "biography", "website", "url", "email"):
        value = profile.get(key)
        if isinstance(value, str):
            out.append(value[:1000])
    return " ".join(out)


def facts_of(identity: Identity, signatures: Sequence[str] = ()) -> Facts:
    profile = identity.profile if isinstance(identity.profile, dict) else {}
    text = " ".join([_bio(profile), *signatures])
    emails = {e.lower() for e in EMAIL_RE.findall(text)}
    if identity.network == "email" and "@" in identity.external_id:
        emails.add(identity.external_id.lower())
    avatar = str(profile.get("avatar_hash") or identity.avatar_url or "")
    return Facts(
        id=identity.id,
        fan_id=identity.fan_id,
        network=identity.network,
        handle=identity.handle or "",
        display_name=(identity.display_name or "").strip().casefold(),
        name_raw=identity.display_name or "",
        avatar=avatar,
        profile_url=_norm_url(identity.profile_url) if identity.profile_url else "",
        emails=frozenset(emails),
        text=text.lower(),
    )


def _mentions(a: Facts, b: Facts) -> str | None:
    """The link or handle of ``b`` that ``a``'s bio or signature names, if any."""
    if not a.text:
        return None
    if b.profile_url and b.profile_url in {_norm_url(m.group(0)) for m in URL_RE.finditer(a.text)}:
        return b.profile_url
    handle = b.handle.lower().lstrip("@")
    if len(b.key) < MIN_HANDLE:
        return None
    if (b.network, handle) in _linked_accounts(a.text):
        return handle
    # Bluesky, Mastodon and mail handles carry a domain: unambiguous without an "@".
    unambiguous = "." in handle or "@" in handle
    if unambiguous and re.search(rf"(?<![\w.@-]){re.escape(handle)}(?![\w-])", a.text):
        return handle
    # An @handle on its own; not the path of a link ("mastodon.world/@niamh" names an
    # account on that server, not any network's @niamh).
    if re.search(rf"(?<![\w@./])@{re.escape(handle)}(?![\w@])", a.text):
        return "@" + handle
    return None


def evidence(a: Facts, b: Facts) -> list[Evidence]:
    """Why identities ``a`` and ``b`` are probably one person (empty: no reason to think so)."""
    if a.fan_id == b.fan_id:
        return []
    nets = (a.network, b.network)
    found: list[Evidence] = []
    shared = sorted(a.emails & b.emails)
    if shared:
        found.append(Evidence("email", True, nets, shared[0]))
    if a.network != b.network and len(a.key) >= MIN_HANDLE and a.key == b.key:
        found.append(Evidence("handle", False, nets, a.key))
    link = _mentions(a, b) or _mentions(b, a)
    if link:
        found.append(Evidence("link", False, nets, link))
    if a.display_name and a.display_name == b.display_name and a.avatar and a.avatar == b.avatar:
        found.append(Evidence("name_avatar", False, nets, a.display_name))
    return found


def _full_name(raw: str) -> tuple[str, str] | None:
    """(first name, surname) of a display name that has both, accents and case folded;
    None for a single word, a handle-like name or emoji alone."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c))
    words = [w.casefold() for w in re.findall(r"[^\W\d_]+\.?", folded)]
    if len(words) < 2 or len(words[0].rstrip(".")) < 2:
        return None
    return words[0], words[-1]


def names_disagree(a: str, b: str) -> bool:
    """Two full names that cannot be one person's: different surnames ("Berg" and
    "Visser"; an initial "G." against "Turner"). A missing surname never disagrees."""
    na, nb = _full_name(a), _full_name(b)
    if na is None or nb is None:
        return False
    sa, sb = na[1], nb[1]
    if sa.endswith(".") or sb.endswith("."):
        return sa[0] != sb[0]
    return sa != sb


def _against(own: Sequence[Facts], theirs: Sequence[Facts]) -> list[tuple[str, str]]:
    """Full names of the two fans that disagree, unless some pair of them agrees."""
    pairs = [(a.name_raw, b.name_raw) for a in own for b in theirs]
    full = [(x, y) for x, y in pairs if _full_name(x) and _full_name(y)]
    if not full or any(not names_disagree(x, y) for x, y in full):
        return []
    return sorted(set(full))[:2]


def _signatures(session: Session, fan_ids: Sequence[int]) -> dict[int, list[str]]:
    """The ends of each email identity's latest mails: signatures list other accounts."""
    out: dict[int, list[str]] = {}
    rows = session.execute(
        select(Message.author_identity_id, Message.text)
        .join(Identity, Identity.id == Message.author_identity_id)
        .where(
            Identity.fan_id.in_(fan_ids),
            Identity.network == "email",
            Message.direction == Direction.INBOUND,
        )
        .order_by(Message.sent_at.desc())
        .limit(20)
    )
    for iid, text in rows:
        if iid is not None and len(out.get(iid, [])) < 3:
            out.setdefault(iid, []).append((text or "")[-SIGNATURE_CHARS:])
    return out


def _load_facts(session: Session, fan_ids: Sequence[int]) -> list[Facts]:
    identities = list(session.scalars(select(Identity).where(Identity.fan_id.in_(fan_ids))))
    sigs = _signatures(session, fan_ids)
    return [facts_of(i, sigs.get(i.id, ())) for i in identities]


def _linked_accounts(text: str) -> set[tuple[str, str]]:
    """(network, handle) of the profile links in a text: ``x.com/hugo79`` is ("x", "hugo79")."""
    out: set[tuple[str, str]] = set()
    for m in URL_RE.finditer(text):
        host, path = m.group(1).lower().removeprefix("www."), (m.group(2) or "").strip("/")
        parts = path.split("/")
        if host.endswith(".bsky.social") and not parts[0]:  # a bare Bluesky handle
            out.add(("bluesky", host))
        elif host == "bsky.app" and len(parts) > 1 and parts[0] == "profile":
            out.add(("bluesky", parts[1].lower()))
        elif host in PROFILE_HOSTS and parts[0]:
            out.add((PROFILE_HOSTS[host], parts[0].lower().lstrip("@")))
        elif parts[0].startswith("@") and len(parts[0]) > 1:  # Mastodon: https://server/@user
            out.add(("mastodon", f"{parts[0][1:].lower()}@{host}"))
    return out


def _named(facts: Iterable[Facts]) -> tuple[set[str], set[str]]:
    """Handles (lowercased) and emails that a fan's identities point at."""
    handles: set[str] = set()
    emails: set[str] = set()
    for f in facts:
        emails |= f.emails
        for _, handle in _linked_accounts(f.text):
            handles |= {handle, "@" + handle}
        for m in MENTION_RE.finditer(f.text):
            handles.add(m.group(1).lower())
            handles.add("@" + m.group(1).lower())
    return handles, emails


def starts_with(expr: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """``expr`` begins with ``prefix``: a range over the index on SQLite (binary order);
    LIKE on PostgreSQL, whose collations do not order ``@`` and ``\\uffff`` as bytes."""
    if dialect == "sqlite":
        return and_(expr >= prefix, expr < prefix + "\uffff")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return expr.like(escaped + "%", escape="\\")


def _candidate_fans(session: Session, workspace_id: int, own: list[Facts]) -> set[int]:
    lower = func.lower(Identity.handle)
    dialect = session.get_bind().dialect.name
    keys = {f.key for f in own if len(f.key) >= MIN_HANDLE}
    mentioned, emails = _named(own)
    exact: set[str] = set(mentioned) | emails
    for k in keys:
        exact |= {k, "@" + k, k + ".bsky.social"}
    ranges = [starts_with(lower, k + "@", dialect) for k in keys]
    names = sorted({f.name_raw for f in own if f.name_raw.strip() and f.avatar})
    conds: list[ColumnElement[bool]] = []
    if exact:
        conds.append(lower.in_(sorted(exact)))
    conds.extend(ranges)
    fan_ids: set[int] = set()
    own_fans = {f.fan_id for f in own}
    if conds:
        fan_ids |= set(
            session.scalars(
                select(Identity.fan_id)
                .where(Identity.workspace_id == workspace_id, or_(*conds))
                .limit(200)
            )
        )
    if names:
        fan_ids |= set(
            session.scalars(
                select(Identity.fan_id)
                .where(Identity.workspace_id == workspace_id, Identity.display_name.in_(names))
                .limit(200)
            )
        )
    return fan_ids - own_fans


def _dismissed(session: Session, workspace_id: int, fan_id: int) -> set[int]:
    rows = session.execute(
        select(FanPairDismissal.fan_a_id, FanPairDismissal.fan_b_id).where(
            FanPairDismissal.workspace_id == workspace_id,
            or_(FanPairDismissal.fan_a_id == fan_id, FanPairDismissal.fan_b_id == fan_id),
        )
    )
    return {b if a == fan_id else a for a, b in rows}


def suggestions_for(session: Session, workspace_id: int, fan_id: int) -> list[Suggestion]:
    """Other fans that are probably this one, most certain first, each with its evidence."""
    own = _load_facts(session, [fan_id])
    if not own:
        return []
    candidates = _candidate_fans(session, workspace_id, own) - _dismissed(
        session, workspace_id, fan_id
    )
    if not candidates:
        return []
    fans = {
        f.id: f
        for f in session.scalars(
            select(Fan).where(
                Fan.id.in_(sorted(candidates)),
                Fan.workspace_id == workspace_id,
                Fan.merged_into_id.is_(None),
            )
        )
    }
    theirs = _load_facts(session, sorted(fans))
    found: dict[int, Suggestion] = {}
    for b in theirs:
        for a in own:
            for ev in evidence(a, b):
                s = found.setdefault(b.fan_id, Suggestion(fans[b.fan_id]))
                if ev not in s.evidence:
                    s.evidence.append(ev)
    for fan_id, s in found.items():
        if not s.certain:
            s.against = _against(own, [f for f in theirs if f.fan_id == fan_id])
    return sorted(
        found.values(),
        key=lambda s: (not s.certain, bool(s.against), -len(s.evidence), s.fan.id),
    )


def _fan(session: Session, workspace_id: int, fan_id: int) -> Fan:
    fan = session.get(Fan, fan_id)
    if fan is None or fan.workspace_id != workspace_id:
        raise IdentityError(N_("No such fan."))
    return fan


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, Segment):
        return value.value
    return value


def _restored(name: str, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    if name == "segment":
        return Segment(value)
    return value


def merge(
    session: Session,
    workspace_id: int,
    keep_id: int,
    other_id: int,
    user_id: int | None,
    reasons: Sequence[str] = (),
) -> FanMerge:
    """Make ``other_id`` part of ``keep_id``, recording what moved so it can be split again."""
    if keep_id == other_id:
        raise IdentityError(N_("A fan cannot be merged with itself."))
    keep, other = _fan(session, workspace_id, keep_id), _fan(session, workspace_id, other_id)
    if keep.merged_into_id or other.merged_into_id:
        raise IdentityError(N_("This fan was already merged into another."))
    identity_ids = list(session.scalars(select(Identity.id).where(Identity.fan_id == other.id)))
    conversation_ids = list(
        session.scalars(select(Conversation.id).where(Conversation.fan_id == other.id))
    )
    note_ids = list(session.scalars(select(FanNote.id).where(FanNote.fan_id == other.id)))
    kept_fields = set(
        session.scalars(select(FanFieldValue.field_id).where(FanFieldValue.fan_id == keep.id))
    )
    moved_fields = [
        fid
        for fid in session.scalars(
            select(FanFieldValue.field_id).where(FanFieldValue.fan_id == other.id)
        )
        if fid not in kept_fields
    ]
    before = {name: _jsonable(getattr(keep, name)) for name in SNAPSHOT}
    before["field_ids"] = moved_fields
    record = FanMerge(
        workspace_id=workspace_id,
        fan_id=keep.id,
        merged_fan_id=other.id,
        identity_ids=identity_ids,
        conversation_ids=conversation_ids,
        note_ids=note_ids,
        before=before,
        evidence=list(reasons),
        merged_by_id=user_id,
    )
    session.add(record)
    session.execute(update(Identity).where(Identity.id.in_(identity_ids)).values(fan_id=keep.id))
    session.execute(
        update(Conversation).where(Conversation.id.in_(conversation_ids)).values(fan_id=keep.id)
    )
    session.execute(update(FanNote).where(FanNote.id.in_(note_ids)).values(fan_id=keep.id))
    session.execute(
        update(FanFieldValue)
        .where(FanFieldValue.fan_id == other.id, FanFieldValue.field_id.in_(moved_fields))
        .values(fan_id=keep.id)
    )
    keep.message_count += other.message_count
    seen = [d for d in (keep.first_seen_at, other.first_seen_at) if d]
    keep.first_seen_at = min(seen) if seen else None
    last = [d for d in (keep.last_seen_at, other.last_seen_at) if d]
    keep.last_seen_at = max(last) if last else None
    keep.engagement_score = max(keep.engagement_score, other.engagement_score)
    keep.muted_at = keep.muted_at or other.muted_at
    keep.blocked_at = keep.blocked_at or other.blocked_at
    other.merged_into_id = keep.id
    session.flush()
    from inbox.triage import refresh_fans

    refresh_fans(session, [keep.id])  # one person on more networks may be a superfan now
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="fan.merged",
            subject_type="fan",
            subject_id=keep.id,
            data={
                "merge_id": record.id,
                "merged_fan_id": other.id,
                "identities": identity_ids,
                "conversations": conversation_ids,
                "evidence": list(reasons),
            },
        )
    )
    session.flush()
    return record


def open_merges(session: Session, workspace_id: int, fan_id: int) -> list[FanMerge]:
    """The merges into this fan that can still be split, newest first."""
    return list(
        session.scalars(
            select(FanMerge)
            .where(
                FanMerge.workspace_id == workspace_id,
                FanMerge.fan_id == fan_id,
                FanMerge.split_at.is_(None),
            )
            .order_by(FanMerge.id.desc())
        )
    )


def split(session: Session, workspace_id: int, merge_id: int, user_id: int | None) -> FanMerge:
    """Undo a merge: both fans exactly as they were before it."""
    record = session.get(FanMerge, merge_id)
    if record is None or record.workspace_id != workspace_id:
        raise IdentityError(N_("No such merge."))
    if record.split_at is not None:
        raise IdentityError(N_("This merge was already split."))
    involved = (record.fan_id, record.merged_fan_id)
    later = session.scalar(
        select(FanMerge.id).where(
            FanMerge.workspace_id == workspace_id,
            FanMerge.id > record.id,
            FanMerge.split_at.is_(None),
            or_(FanMerge.fan_id.in_(involved), FanMerge.merged_fan_id.in_(involved)),
        )
    )
    if later is not None:
        raise IdentityError(N_("A later merge of this fan must be split first."))
    keep = _fan(session, workspace_id, record.fan_id)
    other = _fan(session, workspace_id, record.merged_fan_id)
    session.execute(
        update(Identity)
        .where(Identity.id.in_(record.identity_ids), Identity.fan_id == keep.id)
        .values(fan_id=other.id)
    )
    session.execute(
        update(Conversation)
        .where(Conversation.id.in_(record.conversation_ids), Conversation.fan_id == keep.id)
        .values(fan_id=other.id)
    )
    session.execute(
        update(FanNote)
        .where(FanNote.id.in_(record.note_ids), FanNote.fan_id == keep.id)
        .values(fan_id=other.id)
    )
    field_ids = list(record.before.get("field_ids") or [])
    session.execute(
        update(FanFieldValue)
        .where(FanFieldValue.fan_id == keep.id, FanFieldValue.field_id.in_(field_ids))
        .values(fan_id=other.id)
    )
    for name in SNAPSHOT:
        setattr(keep, name, _restored(name, record.before.get(name)))
    other.merged_into_id = None
    record.split_at = utcnow()
    record.split_by_id = user_id
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="fan.split",
            subject_type="fan",
            subject_id=keep.id,
            data={"merge_id": record.id, "merged_fan_id": other.id},
        )
    )
    session.flush()
    return record


def dismiss(
    session: Session, workspace_id: int, fan_id: int, other_id: int, user_id: int | None
) -> None:
    """Two fans a person says are different people: not suggested again."""
    _fan(session, workspace_id, fan_id)
    _fan(session, workspace_id, other_id)
    a, b = sorted((fan_id, other_id))
    session.execute(
        delete(FanPairDismissal).where(
            FanPairDismissal.workspace_id == workspace_id,
            FanPairDismissal.fan_a_id == a,
            FanPairDismissal.fan_b_id == b,
        )
    )
    session.add(
        FanPairDismissal(workspace_id=workspace_id, fan_a_id=a, fan_b_id=b, user_id=user_id)
    )
    session.flush()
