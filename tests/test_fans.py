"""Fan profiles: identity suggestions on realistic cases, merge and split, export, erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

import models
from crm.services import fans as fan_svc
from crm.services import identity
from inbox.connectors.base import Author, IncomingItem
from inbox.pipeline import ChannelRef, ingest
from inbox.runtime import Runtime
from models import AuditEvent, Conversation, Fan, Identity, Message, Note
from models.fan import FanNote
from models.search import catch_up
from tests.helpers import T0, make_channel


def post(
    ext: str,
    text_: str,
    *,
    ext_author: str,
    handle: str,
    name: str,
    minutes: int = 0,
    avatar: str | None = None,
    profile: dict[str, Any] | None = None,
    profile_url: str | None = None,
) -> IncomingItem:
    return IncomingItem(
        external_id=ext,
        text=text_,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(
            external_id=ext_author,
            handle=handle,
            name=name,
            avatar_url=avatar,
            profile_url=profile_url,
            profile=profile,
        ),
    )


@pytest.fixture
def nets(rt: Runtime, workspace: models.Workspace) -> dict[str, ChannelRef]:
    return {
        n: make_channel(rt, workspace.id, network=n, connector=n, handle="band")
        for n in ("x", "bluesky", "email", "youtube", "instagram")
    }


def fan_of(rt: Runtime, network: str, external_id: str) -> int:
    with rt.session() as s:
        fid = s.scalar(
            select(Identity.fan_id).where(
                Identity.network == network, Identity.external_id == external_id
            )
        )
        assert fid is not None
        return fid


def people(rt: Runtime, nets: dict[str, ChannelRef]) -> None:
    """Hugo on X, Bluesky and email (same handle, a bio link, a signature); two Tiagos
    (a YouTube superfan and an email booker: same name, nothing else in common); Lea
    with the same name and avatar on Instagram and X."""
    with rt.session() as s:
        ingest(
            s,
            nets["x"],
            [
                post(
                    "x1",
                    "hugo here, Lyon was unreal",
                    ext_author="x-hugo",
                    handle="hugo79",
                    name="Hugo",
                    profile={"location": "Lyon"},
                ),
                post(
                    "x2",
                    "see you in Lyon",
                    ext_author="x-lea",
                    handle="lea_sings",
                    name="Léa M",
                    avatar="https://cdn.example/lea.jpg",
                    minutes=1,
                ),
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["bluesky"],
            [
                post(
                    "b1",
                    "setlist please!",
                    ext_author="did:plc:hugo",
                    handle="hugo79.bsky.social",
                    name="Hugo ✨",
                    minutes=2,
                    profile={"description": "music nerd. also https://x.com/hugo79"},
                ),
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["email"],
            [
                post(
                    "e1",
                    "Hi! My ticket never arrived.\n--\nHugo\nbsky: hugo79.bsky.social",
                    ext_author="hugo.martin@mail.example",
                    handle="hugo.martin@mail.example",
                    name="Hugo Martin",
                    minutes=3,
                ),
                post(
                    "e2",
                    "Booking inquiry for March",
                    ext_author="tiago@agency.example",
                    handle="tiago@agency.example",
                    name="Tiago Silva",
                    minutes=4,
                ),
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["youtube"],
            [
                post(
                    "y1",
                    "best band ever",
                    ext_author="yt-tiago",
                    handle="@tiagofan",
                    name="Tiago Silva",
                    avatar="https://yt.example/t.jpg",
                    minutes=5,
                ),
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["instagram"],
            [
                post(
                    "i1",
                    "🔥🔥",
                    ext_author="ig-lea",
                    handle="lea.chante",
                    name="Léa M",
                    avatar="https://cdn.example/lea.jpg",
                    minutes=6,
                ),
            ],
            defer_jobs=False,
        )


def test_suggestions_find_true_matches_with_their_evidence(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    hugo_x = fan_of(rt, "x", "x-hugo")
    hugo_bsky = fan_of(rt, "bluesky", "did:plc:hugo")
    hugo_mail = fan_of(rt, "email", "hugo.martin@mail.example")
    with rt.session() as s:
        found = {sg.fan.id: sg for sg in identity.suggestions_for(s, workspace.id, hugo_x)}
        assert set(found) == {hugo_bsky}
        kinds = {e.kind for e in found[hugo_bsky].evidence}
        assert kinds == {"handle", "link"}
        assert not found[hugo_bsky].certain
        # From the email side: the signature names the Bluesky account.
        mail = identity.suggestions_for(s, workspace.id, hugo_mail)
        assert [sg.fan.id for sg in mail] == [hugo_bsky]
        assert mail[0].evidence[0].kind == "link"
        assert mail[0].evidence[0].value == "hugo79.bsky.social"
        lea = identity.suggestions_for(s, workspace.id, fan_of(rt, "x", "x-lea"))
        assert [sg.fan.id for sg in lea] == [fan_of(rt, "instagram", "ig-lea")]
        assert [e.kind for e in lea[0].evidence] == ["name_avatar"]


def test_look_alikes_with_only_a_name_in_common_stay_apart(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    with rt.session() as s:
        assert identity.suggestions_for(s, workspace.id, fan_of(rt, "youtube", "yt-tiago")) == []
        assert (
            identity.suggestions_for(s, workspace.id, fan_of(rt, "email", "tiago@agency.example"))
            == []
        )


def test_the_same_email_on_both_is_certain(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    with rt.session() as s:
        ingest(
            s,
            nets["email"],
            [
                post(
                    "e9",
                    "hello",
                    ext_author="nina@mail.example",
                    handle="nina@mail.example",
                    name="Nina",
                )
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["youtube"],
            [
                post(
                    "y9",
                    "hey",
                    ext_author="yt-nina",
                    handle="@ninarocks",
                    name="N",
                    profile={"description": "contact: Nina@mail.example"},
                )
            ],
            defer_jobs=False,
        )
    with rt.session() as s:
        (sg,) = identity.suggestions_for(s, workspace.id, fan_of(rt, "youtube", "yt-nina"))
        assert sg.certain and sg.evidence[0].kind == "email"
        assert sg.evidence[0].value == "nina@mail.example"


def _state(rt: Runtime) -> dict[str, Any]:
    with rt.session() as s:
        return {
            "fans": sorted(
                tuple(getattr(f, c.key) for c in inspect(Fan).column_attrs)
                for f in s.scalars(select(Fan))
            ),
            "identities": sorted(s.execute(select(Identity.id, Identity.fan_id)).all()),
            "conversations": sorted(s.execute(select(Conversation.id, Conversation.fan_id)).all()),
            "fan_notes": sorted(s.execute(select(FanNote.id, FanNote.fan_id)).all()),
        }


def test_merge_then_split_gives_back_exactly_the_previous_state(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    hugo_x = fan_of(rt, "x", "x-hugo")
    hugo_bsky = fan_of(rt, "bluesky", "did:plc:hugo")
    with rt.session() as s:
        fan_svc.add_note(s, workspace.id, hugo_bsky, 1, "met at the merch stand")
    before = _state(rt)
    with rt.session() as s:
        merge = identity.merge(s, workspace.id, hugo_x, hugo_bsky, 1, ["handle"])
        merge_id = merge.id
    with rt.session() as s:
        prof = fan_svc.profile(s, workspace.id, hugo_x)
        assert {i.network for i in prof.identities} == {"x", "bluesky"}
        assert [n.text for n, _ in prof.notes] == ["met at the merch stand"]
        tl = fan_svc.timeline(s, workspace.id, hugo_x)
        assert {i.network for i in tl.items} == {"x", "bluesky"}
        # The merged fan's page is the person's page.
        assert fan_svc.get_fan(s, workspace.id, hugo_bsky).id == hugo_x
        assert (
            fan_svc.list_fans(s, workspace.id, fan_svc.FanFilter(q="hugo79")).rows[0].fan.id
            == hugo_x
        )
    assert _state(rt) != before
    with rt.session() as s:
        identity.split(s, workspace.id, merge_id, 1)
    assert _state(rt) == before
    with rt.session() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "fan")))
        assert actions == ["fan.merged", "fan.split"]
        with pytest.raises(identity.IdentityError):
            identity.split(s, workspace.id, merge_id, 1)


def test_merges_split_last_first(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    a, b = fan_of(rt, "x", "x-hugo"), fan_of(rt, "bluesky", "did:plc:hugo")
    c = fan_of(rt, "email", "hugo.martin@mail.example")
    before = _state(rt)
    with rt.session() as s:
        first = identity.merge(s, workspace.id, b, c, 1).id
        second = identity.merge(s, workspace.id, a, b, 1).id
    with rt.session() as s, pytest.raises(identity.IdentityError, match="later merge"):
        identity.split(s, workspace.id, first, 1)
    with rt.session() as s:
        identity.split(s, workspace.id, second, 1)
        identity.split(s, workspace.id, first, 1)
    assert _state(rt) == before


def test_dismissed_look_alike_is_not_suggested_again(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    lea_x, lea_ig = fan_of(rt, "x", "x-lea"), fan_of(rt, "instagram", "ig-lea")
    with rt.session() as s:
        identity.dismiss(s, workspace.id, lea_ig, lea_x, 1)
    with rt.session() as s:
        assert identity.suggestions_for(s, workspace.id, lea_x) == []


def test_export_holds_every_identity_message_and_note(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    a, b = fan_of(rt, "x", "x-hugo"), fan_of(rt, "bluesky", "did:plc:hugo")
    with rt.session() as s:
        identity.merge(s, workspace.id, a, b, 1)
        fan_svc.add_note(s, workspace.id, a, 1, "wants the Lyon setlist")
    with rt.session() as s:
        doc = fan_svc.export_fan(s, workspace.id, a, 1)
    assert {i["handle"] for i in doc["identities"]} == {"hugo79", "hugo79.bsky.social"}
    assert sorted(m["text"] for m in doc["messages"]) == [
        "hugo here, Lyon was unreal",
        "setlist please!",
    ]
    assert doc["notes"][0]["text"] == "wants the Lyon setlist"
    import json

    json.dumps(doc)  # a JSON document as it is
    with rt.session() as s:
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "fan.exported"))


# Hugo on X and Bluesky (merged); the email Hugo is someone the team never linked and stays.
MARKERS = (
    "Lyon was unreal",
    "setlist",
    "did:plc:hugo",
    "x-hugo",
    "merch",
    "music nerd",
    "x.com/hugo79",
)


def index_hits(rt: Runtime, table: str, word: str) -> int:
    """Rows the full-text index finds for ``word`` (FTS5 on SQLite, GIN on PostgreSQL)."""
    column = "text" if table == "messages" else "display_name"
    with rt.engine.connect() as conn:
        if rt.settings.is_sqlite:
            fts = "message_fts" if table == "messages" else "fan_fts"
            sql = f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :w"
        else:
            sql = (
                f"SELECT count(*) FROM {table} WHERE to_tsvector('unplugged', "
                f"translate({column}, '<>', '  ')) @@ to_tsquery('unplugged', :w)"
            )
        return int(conn.execute(text(sql), {"w": word}).scalar() or 0)


def _leftovers(rt: Runtime) -> list[str]:
    """Every text cell of every table that still names Hugo."""
    found = []
    with rt.engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if isinstance(value, str | dict | list) and any(
                        m.lower() in str(value).lower() for m in MARKERS
                    ):
                        found.append(f"{table.name}: {value!r}")
    return found


def test_erasure_leaves_nothing_of_the_fan_and_they_do_not_come_back(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    a, b = fan_of(rt, "x", "x-hugo"), fan_of(rt, "bluesky", "did:plc:hugo")
    with rt.session() as s:
        identity.merge(s, workspace.id, a, b, 1)
        fan_svc.add_note(s, workspace.id, a, 1, "met at the merch stand")
        conv = s.scalar(select(Conversation).where(Conversation.fan_id == a))
        assert conv is not None
        s.add(Note(workspace_id=workspace.id, conversation_id=conv.id, text="merch size L"))
    with rt.engine.begin() as conn:
        catch_up(conn)
    assert index_hits(rt, "messages", "setlist") == 1
    assert _leftovers(rt)
    with rt.session() as s:
        result = fan_svc.erase_fan(s, workspace.id, a, 1)
    assert result.identities == 2 and result.messages == 2
    assert _leftovers(rt) == []
    assert index_hits(rt, "messages", "setlist") == 0
    assert index_hits(rt, "messages", "unreal") == 0
    assert index_hits(rt, "fans", "hugo") == 1  # Hugo Martin, whom nobody linked
    with rt.session() as s:  # the other Hugo (email) is another person and stays
        assert s.scalar(
            select(Fan.display_name).where(
                Fan.id == fan_of(rt, "email", "hugo.martin@mail.example")
            )
        )
        # The person writes again: not stored, no new profile.
        ingest(
            s,
            nets["x"],
            [
                post(
                    "x7",
                    "back again",
                    ext_author="x-hugo",
                    handle="hugo79",
                    name="Hugo",
                    minutes=30,
                )
            ],
            defer_jobs=False,
        )
    with rt.session() as s:
        assert s.scalar(select(Identity.id).where(Identity.external_id == "x-hugo")) is None
        assert s.scalar(select(Message.id).where(Message.external_id == "x7")) is None
        assert s.scalar(select(AuditEvent.data).where(AuditEvent.action == "fan.erased"))


def test_an_erased_fan_may_come_back_when_the_team_chooses(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    with rt.session() as s:
        fan_svc.erase_fan(s, workspace.id, fan_of(rt, "x", "x-hugo"), 1, allow_return=True)
        ingest(
            s,
            nets["x"],
            [
                post(
                    "x7",
                    "back again",
                    ext_author="x-hugo",
                    handle="hugo79",
                    name="Hugo",
                    minutes=30,
                )
            ],
            defer_jobs=False,
        )
    fan_of(rt, "x", "x-hugo")


def test_fans_list_filters_and_csv_cells_are_inert(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    people(rt, nets)
    with rt.session() as s:
        ingest(
            s,
            nets["x"],
            [post("x5", "hi", ext_author="x-eve", handle="eve", name="=HYPERLINK(1)")],
            defer_jobs=False,
        )
    with rt.session() as s:
        flt = fan_svc.FanFilter.from_args({"network": "email"})
        names = sorted(r.fan.display_name for r in fan_svc.list_fans(s, workspace.id, flt).rows)
        assert names == ["Hugo Martin", "Tiago Silva"]
        lyon = fan_svc.list_fans(s, workspace.id, fan_svc.FanFilter(location="lyon")).rows
        assert [r.fan.display_name for r in lyon] == ["Hugo"]
        assert sorted(r.fan.display_name for r in fan_svc.find_fans(s, workspace.id, "hugo79")) == [
            "Hugo",
            "Hugo ✨",
        ]
        csv_text = "".join(fan_svc.export_csv(s, workspace.id, fan_svc.FanFilter()))
    assert "'=HYPERLINK(1)" in csv_text
    with pytest.raises(fan_svc.FanError):
        fan_svc.FanFilter.from_args({"segment": "vip"})


def test_erasing_a_fan_keeps_the_others_who_wrote_in_their_thread(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    opening = post(
        "t1", "who else is going to Lyon?", ext_author="x-hugo", handle="hugo79", name="Hugo"
    )
    with rt.session() as s:
        ingest(s, nets["x"], [opening], defer_jobs=False)
        reply = post(
            "t2", "me! front row", ext_author="x-lea", handle="lea_sings", name="Léa M", minutes=2
        )
        ingest(s, nets["x"], [replace(reply, thread_id="t1", parent_id="t1")], defer_jobs=False)
    hugo, lea = fan_of(rt, "x", "x-hugo"), fan_of(rt, "x", "x-lea")
    with rt.session() as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.fan_id == hugo and conv.message_count == 2
        fan_svc.erase_fan(s, workspace.id, hugo, 1)
    with rt.session() as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.fan_id == lea
        assert conv.last_message_preview == "me! front row" and conv.message_count == 1
        assert [m.text for m in s.scalars(select(Message))] == ["me! front row"]


def oskars(rt: Runtime, nets: dict[str, ChannelRef]) -> None:
    """Two Oskars with the same handle (xoskarx): Oskar Berg on X and Instagram (whose bio
    links the X account), Oskar Visser on Bluesky."""
    with rt.session() as s:
        ingest(
            s,
            nets["x"],
            [post("x1", "hej!", ext_author="x-oskar", handle="xoskarx", name="Oskar Berg")],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["bluesky"],
            [
                post(
                    "b1",
                    "great gig",
                    ext_author="did:plc:oskar-v",
                    handle="xoskarx.bsky.social",
                    name="Oskar Visser",
                    minutes=1,
                ),
            ],
            defer_jobs=False,
        )
        ingest(
            s,
            nets["instagram"],
            [
                post(
                    "i1",
                    "🔥",
                    ext_author="ig-oskar",
                    handle="xoskarx",
                    name="Oskar B.",
                    minutes=2,
                    profile={"biography": "Göteborg · also on x.com/xoskarx"},
                ),
            ],
            defer_jobs=False,
        )


def test_a_same_handle_look_alike_shows_that_the_names_differ_and_comes_last(
    rt: Runtime, workspace: models.Workspace, nets: dict[str, ChannelRef]
) -> None:
    """Two Oskars with the same handle (xoskarx) on X and Bluesky: a suggestion (a person
    looks), but beside it the surnames that disagree; the true match comes first."""
    oskars(rt, nets)
    oskar = fan_of(rt, "x", "x-oskar")
    with rt.session() as s:
        found = identity.suggestions_for(s, workspace.id, oskar)
    assert [sug.fan.id for sug in found] == [
        fan_of(rt, "instagram", "ig-oskar"),
        fan_of(rt, "bluesky", "did:plc:oskar-v"),
    ]
    true_match, look_alike = found
    assert {e.kind for e in true_match.evidence} == {"handle", "link"} and not true_match.against
    assert [e.kind for e in look_alike.evidence] == ["handle"]
    assert look_alike.against == [("Oskar Berg", "Oskar Visser")]


@pytest.mark.parametrize(
    ("a", "b", "disagree"),
    [
        ("Oskar Berg", "Oskar Visser", True),
        ("Jacob G.", "Jacob Turner", True),
        ("Martina M.", "Martina Martínez", False),  # an initial that fits
        ("Sofía 🌙", "Sofía Martínez", False),  # no surname: no disagreement
        ("gaëlle", "Gaëlle Thomas", False),
        ("Emiliano Ramírez", "EMILIANO RAMIREZ", False),  # accents and case
    ],
)
def test_names_disagree_only_on_surnames_that_cannot_match(a: str, b: str, disagree: bool) -> None:
    assert identity.names_disagree(a, b) is disagree


def test_the_sandbox_leaves_bio_links_and_signature_handles_that_tie_only_ones_own_accounts() -> (
    None
):
    """The demo's people: some link their other accounts in a bio (as each network's
    profile carries it) or sign their mail with a handle. Every such trail leads the
    suggestions to the person's own account, never to a stranger's."""
    from inbox.sandbox.networks import style_for
    from inbox.sandbox.personas import Persona
    from inbox.sandbox.population import build_population

    population = build_population(7, 300)
    facts: list[identity.Facts] = []
    next_id = iter(range(1, 100_000))
    for person in population.fans:
        for net, acc in person.identities.items():
            author = style_for(net).author(acc)
            row = Identity(
                id=next(next_id),
                fan_id=person.index,
                network=net,
                external_id=acc.external_id,
                handle=acc.handle,
                display_name=acc.name,
                profile_url=author.profile_url,
                profile=dict(author.profile) if author.profile else None,
            )
            signature = [f"{person.first_name}\n{person.signature_line}"] if net == "email" else []
            # (an organisation's people sign with its name, then the same line)
            facts.append(identity.facts_of(row, signature if person.signature_line else []))
    people = [
        p
        for p in population.fans
        if len(p.identities) >= 2 and p.persona not in (Persona.SPAM_BOT, Persona.TROLL)
    ]
    with_bio = [p for p in people if any(i.bio for i in p.identities.values())]
    signing = [p for p in people if p.signature_line]
    assert 0.3 < len(with_bio) / len(people) < 0.6
    assert len(signing) >= 8
    assert all(
        not i.bio and not p.signature_line
        for p in population.fans
        if p.persona in (Persona.SPAM_BOT, Persona.TROLL)
        for i in p.identities.values()
    )
    trails = [f for f in facts if f.text.strip()]
    linked: set[int] = set()
    for a in trails:
        for b in facts:
            if b.fan_id == a.fan_id:
                continue
            assert "link" not in {e.kind for e in identity.evidence(a, b)}, (a, b)
        own = [replace(b, fan_id=-1) for b in facts if b.fan_id == a.fan_id and b.id != a.id]
        if any("link" in {e.kind for e in identity.evidence(a, b)} for b in own):
            linked.add(a.fan_id)
    # Every person with a bio or a signed mail is tied to another of their own accounts.
    assert linked == {p.index for p in with_bio} | {p.index for p in signing}
