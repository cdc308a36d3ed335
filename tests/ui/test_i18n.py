"""English and French, chosen per person; dates and times in the person's own zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import update

from inbox.runtime import Runtime
from models import Message, User

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
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append((msgid, context))
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
