"""Issue 18 in the list: search matches words (not the inside of a name) and shows the
passage that matched, the sidebar counts say the real number, and the offer to save the
filters as a view arrives with the filtered list."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.services import conversations as conv_svc
from crm.services.conversations import AtLeast
from crm.views import i18n
from inbox.runtime import Runtime
from models import Workspace
from tests.ui.conftest import HX
from tests.ui.seed import Spec, add_conversation

Login = Callable[[str], tuple[FlaskClient, str]]

LONG_EMAIL = (
    "Hello, we are writing on behalf of the festival committee about next summer. "
    + "We read every application with care and reply to each band within the month. " * 25
    + "The headliner slot on Saturday would need a full encore set, about twenty minutes. "
    + "Best wishes from all of us, and thank you for your patience. " * 10
)


def row_preview(html: str, cid: int) -> str:
    found = re.search(rf'id="conversation-{cid}".*?<span class="preview">(.*?)</span>', html, re.S)
    assert found, f"no row {cid}"
    return found.group(1)


def test_a_long_email_shows_the_passage_with_the_searched_word(
    rt: Runtime, workspace: Workspace, as_user: Login
) -> None:
    cid = add_conversation(
        rt,
        workspace.id,
        Spec("fest", "email", "fest@example.org", "Festival Office", LONG_EMAIL, 10,
             subject="Next summer"),
    )  # fmt: skip
    client, _ = as_user("owner")
    preview = row_preview(client.get("/?q=encore").get_data(as_text=True), cid)
    assert "<mark>encore</mark> set" in preview
    assert preview.startswith("… ") and "on behalf of the festival" not in preview
    assert "headliner slot on Saturday" in preview  # the words around it, cut at words
    # the list without a search still shows the opening
    assert "Hello, we are writing" in row_preview(client.get("/").get_data(as_text=True), cid)


def test_merci_finds_the_word_not_the_surname_mercier(
    rt: Runtime, workspace: Workspace, as_user: Login
) -> None:
    thanks = add_conversation(
        rt, workspace.id, Spec("thanks", "x", "lea", "Léa B", "merci pour hier soir !", 5)
    )
    surname = add_conversation(
        rt, workspace.id, Spec("paul", "x", "pmercier", "Paul Mercier", "See you in Lyon", 6)
    )
    client, _ = as_user("owner")
    html = client.get("/?q=merci").get_data(as_text=True)
    assert f'id="conversation-{thanks}"' in html
    assert f'id="conversation-{surname}"' not in html  # his name is not the word
    assert "<mark>merci</mark> pour" in html
    # a name still matches by its words
    assert f'id="conversation-{surname}"' in client.get("/?q=mercier").get_data(as_text=True)


def test_highlight_marks_words_not_pieces_of_words(app: Flask) -> None:
    with app.test_request_context():
        marked = str(i18n.highlight("Merci, mercis et remerciements à Paul Mercier", "merci"))
    assert marked.count("<mark>") == 2
    assert "<mark>Merci</mark>," in marked and "<mark>mercis</mark>" in marked
    assert "Mercier" in marked and "<mark>Mercier" not in marked


def test_the_sidebar_counts_show_the_real_number(
    rt: Runtime, workspace: Workspace, as_user: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(105):
        add_conversation(rt, workspace.id, Spec(f"q{n}", "x", f"fan{n}", f"Fan {n}", "hi?", n))
    client, _ = as_user("owner")
    html = client.get("/").get_data(as_text=True)
    assert '<span class="count" id="count-inbox">105</span>' in html
    assert ">99+<" not in html
    with rt.session() as s:  # past its cap a count says "or more"
        monkeypatch.setattr(conv_svc, "VIEW_COUNT_CAP", 50)
        counts = conv_svc.count_views(s, workspace.id, {"inbox": conv_svc.InboxFilter()})
    assert counts == {"inbox": 50} and isinstance(counts["inbox"], AtLeast)


def test_large_counts_are_formatted_and_a_capped_count_says_so(app: Flask) -> None:
    with app.test_request_context():
        assert i18n.count_label(1498) == "1,498"
        assert i18n.count_label(AtLeast(1000)) == "1,000+"
        assert i18n.count_label(7) == "7"


def test_setting_a_filter_in_place_brings_the_offer_to_save_it_as_a_view(
    ids: dict[str, int], as_user: Login
) -> None:
    client, _ = as_user("owner")
    page = client.get("/").get_data(as_text=True)
    assert 'id="save-view"' in page and "Save these filters as a view" not in page
    answer = client.get(
        "/?view=inbox&network=bluesky", headers={**HX, "HX-Target": "inbox-results"}
    ).get_data(as_text=True)
    assert '<div id="save-view" class="save-view-slot" hx-swap-oob="true">' in answer
    assert "Save these filters as a view" in answer
