"""English and French, chosen per person; dates and times in the person's own zone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import select, update

from inbox.runtime import Runtime
from models import Incident, IncidentKind, Message, User, Workspace

Login = Callable[[str], tuple[FlaskClient, str]]
ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "crm" / "translations"


def _set(rt: Runtime, email: str, **values: object) -> None:
    with rt.session() as s:
        s.execute(update(User).where(User.email == email).values(**values))


def test_a_french_speaker_gets_the_inbox_in_french(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    _set(rt, "owner@example.org", locale="fr")
    client, _ = as_user("owner")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Boîte de réception" in html and "À répondre" in html and "Booking et presse" in html
    assert "Urgente" in html and "Needs reply" not in html
    thread = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert "Envoyer la réponse" in thread and "Reporter" in thread and "Terminer" in thread


def test_each_person_has_their_own_language(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    _set(rt, "owner@example.org", locale="fr")
    olive, _ = as_user("owner")
    ada, _ = as_user("agent")
    assert "Boîte de réception" in olive.get("/").get_data(as_text=True)
    assert "Needs reply" in ada.get("/").get_data(as_text=True)


def test_the_login_page_follows_the_browser(client: FlaskClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Se connecter" in page.get_data(as_text=True)
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_times_are_shown_in_the_readers_time_zone(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    with rt.session() as s:
        s.execute(
            update(Message)
            .where(Message.conversation_id == ids["ticket"])
            .values(sent_at=datetime(2026, 3, 1, 18, 5, tzinfo=UTC))
        )
    _set(rt, "owner@example.org", timezone="America/New_York")
    _set(rt, "agent@example.org", timezone="Europe/Paris", locale="fr")
    olive, _ = as_user("owner")
    ada, _ = as_user("agent")
    assert "Mar 1, 2026 1:05" in olive.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert "1 mars 2026 19:05" in ada.get(f"/c/{ids['ticket']}").get_data(as_text=True)


def test_service_errors_are_translated_where_they_are_shown(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    _set(rt, "agent@example.org", locale="fr")
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['ticket']}/notes",
        data={"text": " ", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert "La note est vide." in resp.get_data(as_text=True)


def test_preferences_change_language_zone_and_email(as_user: Login, rt: Runtime) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        "/preferences",
        data={
            "locale": "fr",
            "timezone": "Europe/Paris",
            "notify_by_email": "1",
            "csrf_token": csrf,
        },
    )
    assert resp.status_code == 303
    assert "Préférences enregistrées." in client.get("/preferences").get_data(as_text=True)
    bad = client.post(
        "/preferences", data={"locale": "fr", "timezone": "Mars/Olympus", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "Fuseau horaire inconnu." in bad.get_data(as_text=True)
    with rt.session() as s:
        user = s.query(User).filter_by(email="agent@example.org").one()
        assert (user.locale, user.timezone, user.notify_by_email) == ("fr", "Europe/Paris", True)


def _marked_strings() -> set[tuple[str | tuple[str, ...], str | None]]:
    """Every (msgid, context) the code and templates mark, found as pybabel extract finds them."""
    with open(TRANSLATIONS / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "_l": None,
        "_lp": ((1, "c"), 2),
        "N_": None,
        "Nn_": (1, 2),
        "gettext_format": None,
    }
    return {
        (msgid, context)
        for _file, _line, msgid, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }


def test_every_marked_string_has_a_french_translation() -> None:
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    marked = _marked_strings()
    assert len(marked) > 200
    missing = []
    for msgid, context in marked:
        message = catalog.get(msgid if isinstance(msgid, str) else msgid[0], context=context)
        strings = message.string if message else None
        if (
            not strings
            or (isinstance(strings, tuple) and not all(strings))
            or (message is not None and message.fuzzy)
        ):
            missing.append((msgid, context))
        elif isinstance(msgid, tuple) and not isinstance(strings, tuple):
            missing.append((msgid, context))  # a count needs its plural forms
    assert missing == []


def test_the_compiled_catalog_matches_its_source() -> None:
    folder = TRANSLATIONS / "fr" / "LC_MESSAGES"

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    with open(folder / "messages.po", "rb") as f:
        po = {plain(m.id): plain(m.string) for m in read_po(f) if m.id}
    with open(folder / "messages.mo", "rb") as f:
        mo = {plain(m.id): plain(m.string) for m in read_mo(f) if m.id}
    assert mo == po


def test_the_reasons_triage_gives_are_marked_for_the_catalogue() -> None:
    """Every reason template of triage/reasons.py is extracted (N_ / Nn_), and every safety
    category the rules name has its words there."""
    from triage import reasons
    from triage.safety import SAFETY_RULES

    marked = {m if isinstance(m, str) else m[0] for m, _ in _marked_strings()}
    templates = {t if isinstance(t, str) else t[0] for t in reasons.TEMPLATES}
    assert templates - marked == set()
    assert {category for category, _ in SAFETY_RULES} <= set(reasons.SAFETY_WORDS)


def test_reasons_stored_in_english_are_shown_in_french(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    from models import Conversation

    with rt.session() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == ids["ticket"])
            .values(
                priority_reasons=[
                    "industry contact",
                    "waiting 3 days",
                    "waiting 1 day",
                    "question still unanswered",
                    "looks like spam: link + 'subscribe'",
                    "safety: crowd danger",
                    "time-critical: 'ce soir'",
                    "12 messages, silent for 40 days",
                    "a reason written by hand",
                ]
            )
        )
    _set(rt, "owner@example.org", locale="fr")
    client, _ = as_user("owner")
    page = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    for french in (
        "contact pro",
        "attend depuis 3 jours",
        "attend depuis 1 jour",
        "question toujours sans réponse",
        "ressemble à du spam : lien + « abonnez-vous »",
        "sécurité : danger de foule",
        "urgent : « ce soir »",  # the fan's own word stays as written
        "12 messages, silencieux depuis 40 jours",
        "a reason written by hand",  # no template made it: shown as stored
    ):
        assert french in page, french
    assert "industry contact" not in page and "waiting 3 days" not in page


def test_counts_take_the_plural_form_of_the_language(
    ids: dict[str, int], as_user: Login, rt: Runtime, users: dict[str, int]
) -> None:
    """French: 0 and 1 are singular ("1 non lue"), 2 and more plural ("2 non lues")."""
    from flask import Flask, render_template_string
    from flask_babel import force_locale

    _set(rt, "owner@example.org", locale="fr")
    client, _ = as_user("owner")
    client.get("/")  # a request in the app, for its Jinja environment
    app: Flask = client.application
    badge = "{% include '_unread_badge.html' %}"
    seen = {}
    for lang in ("fr", "en"):
        for n in (1, 2, 1498):
            with app.test_request_context("/"), force_locale(lang):
                html = render_template_string(badge, unread=n, oob=False)
                seen[(lang, n)] = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert seen[("fr", 1)] == ", 1 non lue"
    assert seen[("fr", 2)] == ", 2 non lues"
    assert seen[("fr", 1498)] in {", 1\u202f498 non lues", ", 1 498 non lues"}
    assert seen[("en", 1498)] == ", 1,498 unread"


def test_the_reasons_plural_follows_the_count() -> None:
    from babel.support import Translations

    from crm.views.reasons import translate_reason

    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        fr = Translations(f)
    assert translate_reason("waiting 1 day", fr) == "attend depuis 1 jour"
    assert translate_reason("waiting 5 hours", fr) == "attend depuis 5 heures"
    assert translate_reason("1 message, first seen today", fr) == (
        "1 message, vu pour la première fois aujourd’hui"
    )
    assert translate_reason("3 of 4 messages are spam", fr) == "3 messages sur 4 sont du spam"
    # An older row said "first seen 1 days ago": it reads right all the same.
    assert translate_reason("first seen 1 days ago", fr) == "vu pour la première fois il y a 1 jour"


def test_a_new_language_applies_to_the_answer_of_the_save(as_user: Login) -> None:
    client, csrf = as_user("agent")
    form = {"locale": "fr", "timezone": "Europe/Paris", "csrf_token": csrf}
    page = client.post("/preferences", data=form, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Préférences enregistrées." in html
    assert "Boîte de réception" in html  # the navigation too, not only the form
    # The page's own form, boosted by HTMX, swaps the body only: the answer makes the
    # browser load the page whole, so <html lang>, the title and the scripts change too.
    back = {"locale": "en", "timezone": "Europe/Paris", "csrf_token": csrf}
    boosted = client.post(
        "/preferences", data=back, headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert boosted.status_code == 204 and boosted.headers["HX-Redirect"] == "/preferences"
    again = client.get("/preferences").get_data(as_text=True)
    assert '<html lang="en">' in again and "Preferences saved." in again


def test_dates_and_numbers_follow_the_readers_locale(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    """One format per kind, from Babel: the full date is the same on every page."""
    from crm.views import i18n

    with rt.session() as s:
        s.execute(
            update(Message)
            .where(Message.conversation_id == ids["ticket"])
            .values(sent_at=datetime(2026, 3, 1, 18, 5, tzinfo=UTC))
        )
    _set(rt, "owner@example.org", locale="fr", timezone="Europe/Paris")
    client, _ = as_user("owner")
    app = client.application
    with app.test_request_context("/"):
        from flask import g
        from flask_babel import force_locale

        g.user = None
        with force_locale("fr"):
            assert i18n.day(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "1 mars 2026"
            assert i18n.number(1498) in {"1\u202f498", "1 498"}
            assert i18n.decimal(0.25) == "0,25"
        with force_locale("en"):
            assert i18n.day(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "Mar 1, 2026"
            assert i18n.number(1498) == "1,498"
    thread = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert "1 mars 2026 19:05" in thread
    # The Channels page's service events (the last week's) give their times the same way.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=5)
    with rt.session() as s:
        s.add(
            Incident(
                workspace_id=rt_workspace_id(rt),
                kind=IncidentKind.DATABASE_UNREACHABLE,
                started_at=yesterday,
                ended_at=yesterday + timedelta(minutes=4),
            )
        )
        s.commit()
    channels = client.get("/settings/channels").get_data(as_text=True)
    paris = yesterday.astimezone(ZoneInfo("Europe/Paris"))
    date_fr = format_skeleton("yMMMd", paris, locale="fr")  # "1 déc. 2026"
    hour = paris.strftime("%H")
    assert f"{date_fr} {hour}:05 – {date_fr} {hour}:09" in channels
    # The channels table too: its dates are Babel's, never strftime's "02 Dec 2026".
    english_months = r"\b\d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b"
    assert re.search(english_months, channels) is None
    assert re.search(r"(?:depuis le|jusqu’au) \d{1,2} \w+\.? \d{4}", channels)


def rt_workspace_id(rt: Runtime) -> int:
    with rt.session() as s:
        return int(s.scalars(select(Workspace.id)).first() or 0)


def test_words_inside_an_error_are_translated_with_it(client: FlaskClient) -> None:
    """A service error names marked words ("Missing: Handle, App password."): shown in
    French, the words are French too; the English text (CLI, API, logs) stays English."""
    from flask_babel import force_locale

    from crm.services.messages import N_, UserError, Words
    from crm.views.common import error_text

    exc = UserError(N_("Missing: %(fields)s."), fields=Words("Handle", "App password"))
    assert str(exc) == "Missing: Handle, App password."
    with client.application.test_request_context("/"), force_locale("fr"):
        assert error_text(exc) == "Manquant : Identifiant, Mot de passe d’application."


def test_what_a_replys_failure_says_is_shown_in_french() -> None:
    from babel.support import Translations

    from crm.views.reasons import translate_reason
    from inbox import outbox
    from triage.reasons import say

    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        fr = Translations(f)
    stored = say(outbox.WAIT_UNTIL, error="429 Too Many Requests", time="18:05:00")
    assert stored == "429 Too Many Requests (the network asked to wait: not before 18:05:00 UTC)"
    assert translate_reason(stored, fr) == (
        "429 Too Many Requests (le réseau a demandé d’attendre : pas avant 18:05:00 UTC)"
    )


class _Marking:
    """A catalogue that wraps every message it translates: a reason that comes back
    unwrapped matched no template, so it would stay English on a French page."""

    def ugettext(self, message: str) -> str:
        return f"<{message}>"

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return f"<{singular if n == 1 else plural}>"


def test_every_reason_triage_gives_has_a_template() -> None:
    """Reasons from the priority, the segments and the cues over many inputs: each one
    is found back as a template (so it is in the catalogue and shown translated)."""
    from dataclasses import dataclass
    from datetime import timedelta

    from crm.views.reasons import translate_reason
    from triage import reasons
    from triage.priority import PriorityContext, score_priority
    from triage.segments import FanStats, industry_evidence, segment_fan

    @dataclass
    class Seen:
        spam: bool = False
        toxic: bool = False
        intent: str = "question"
        intent_score: float = 0.9
        sentiment: str = "neutral"
        urgency: float = 0.5
        time_cue: str | None = None
        safety: str | None = None

    said: set[str] = set()
    for intent in ("booking", "support", "press", "collab", "question", "complaint", "praise"):
        for urgency in (0.1, 0.5, 0.95):
            for cue in (None, "tonight"):
                for segment in (None, "industry", "superfan", "regular", "lapsed", "bot", "troll"):
                    for hours in (0, 5, 30, 80):
                        seen = Seen(
                            intent=intent, urgency=urgency, time_cue=cue, sentiment="negative"
                        )
                        ctx = PriorityContext(segment, hours, unanswered_question=hours > 20)
                        said |= set(score_priority(seen, ctx)[2])
    for danger in reasons.SAFETY_WORDS:
        said |= set(score_priority(Seen(safety=danger), PriorityContext(waiting_hours=3))[2])
    said |= set(score_priority(Seen(spam=True))[2]) | set(score_priority(Seen(toxic=True))[2])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for count in (1, 2, 5, 14):
        for days in (0, 1, 3, 200):
            for spam, toxic, mood in ((0.0, 0.0, 0.8), (0.7, 0.0, 0.0), (0.0, 0.5, -0.5)):
                stats = FanStats(
                    message_count=count,
                    first_seen=now - timedelta(days=days + 30),
                    last_seen=now - timedelta(days=days),
                    conversations=max(1, count // 2),
                    artist_replies=count,
                    spam_share=spam,
                    toxic_share=toxic,
                    avg_sentiment=mood,
                    industry_messages=count if mood < 0 else 0,
                    networks=("x", "bluesky") if count > 2 else ("x",),
                )
                said |= set(segment_fan(stats, now).reasons)
    said |= set(segment_fan(FanStats(1, now, now, marked="bot", marked_by="Sam"), now).reasons)
    said |= set(segment_fan(FanStats(1, now, now, marked="bot"), now).reasons)
    said.add(industry_evidence([("email", "booking@trabendo.fr", "", "")]) or "")
    said.add(industry_evidence([("x", "trab", "Le Trabendo Booking", "")]) or "")
    for text in ("free crypto httpurl subscribe my channel telegram", "hello", "lost my ticket"):
        said.add(reasons.spam_reason(text, "x"))
        said |= set(reasons.support_reasons(text))
    said |= set(reasons.INTENT_WORDS.values())
    assert len(said) > 60

    def outside(shown: str) -> str:
        """What is left outside the catalogue's wrapping (a part no template matched)."""
        depth, kept = 0, []
        for char in shown:
            depth += char == "<"
            if depth == 0:
                kept.append(char)
            depth -= char == ">"
        return "".join(kept)

    untranslated = sorted(
        r for r in said if re.search(r"[a-z]", outside(translate_reason(r, _Marking())))
    )
    assert untranslated == []
    assert outside(translate_reason("5 messages, a part no template made", _Marking())) != ", "
