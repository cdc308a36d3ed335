"""Safety always surfaces, scams are named, and a real offer is never spam."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.classifier import MessageInput, load_model
from triage.datasets import OWN_DATA, independent_texts, load_corpus, text_key
from triage.priority import PriorityContext, score_priority
from triage.safety import is_scam, looks_like_real_offer, safety_category
from triage.text import normalise_text


def category(text: str) -> str | None:
    return safety_category(normalise_text(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("if you play that song again i will kill you, not joking", "threat"),
        ("Je vais te tuer si tu remets les pieds à Nantes", "threat"),
        ("te voy a matar cuando salgas del recinto", "threat"),
        ("Ich bring dich um, du Verräter", "threat"),
        ("vou te matar se aparecer em Recife", "threat"),
        ("ti ammazzo appena scendi dal palco", "threat"),
        ("i know which hotel you are staying at, room 412. see you later x", "stalking"),
        ("Je sais où tu habites maintenant, j'ai vu ta porte bleue", "stalking"),
        ("sé dónde vives, te vi salir ayer con el perro", "stalking"),
        ("Ich weiß, wo du wohnst. Bis bald.", "stalking"),
        ("sei onde você mora, vi a sua janela ontem", "stalking"),
        ("so dove abiti, ti ho visto rientrare ieri sera", "stalking"),
        ("i don't want to be alive anymore, your songs were all i had", "self-harm"),
        ("j'ai plus envie de vivre, désolée d'écrire ça ici", "self-harm"),
        ("no quiero vivir más, perdón por escribir esto", "self-harm"),
        ("ich will nicht mehr leben", "self-harm"),
        ("não quero mais viver, desculpem", "self-harm"),
        ("voglio farla finita stanotte", "self-harm"),
        ("people are getting crushed at the front barrier, stop the show!!", "crowd danger"),
        ("une fille s'est évanouie devant la scène, envoyez la sécu", "crowd danger"),
        ("hay una pelea enorme en la barra y alguien está sangrando", "crowd danger"),
        ("vorne kippen Leute um, bitte Durchsage!", "crowd danger"),
        ("uma menina desmaiou na grade, chamem alguém", "crowd danger"),
        ("c'è una rissa sotto il palco, chiamate un'ambulanza", "crowd danger"),
        ("a man at your gig kept groping me and security laughed", "harassment report"),
        ("ein Typ hat mich den ganzen Abend belästigt", "harassment report"),
    ],
)
def test_someone_in_danger_is_named_in_six_languages(text: str, expected: str) -> None:
    assert category(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I've followed you since 2015, best band ever",
        "I nearly fainted when you played Harbour Lights",
        "this new single is fire 🔥🔥",
        "me mato de risa con vuestros vídeos",
        "no sé dónde está la entrada de artistas, ¿me ayudáis?",
        "on vous attend à Lille, vous allez tout déchirer !",
        "we'll be waiting for you in Lisbon!!",
        "can you share the venue address for Saturday?",
        "Ich verfolge eure Karriere seit Jahren",
        "obrigado por tudo, vou levar minha mãe ao show",
        "ti ho seguito per anni, grazie",
        "that booking fee on the tickets was a joke",
    ],
)
def test_fans_words_that_only_sound_dangerous_are_not(text: str) -> None:
    assert category(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quiet self-harm: no "suicide", no "kill myself"
        ("i'm not planning to wake up tomorrow, thanks for everything", "self-harm"),
        ("j'ai donné toutes mes affaires, je compte les cachets depuis ce matin", "self-harm"),
        ("ya regalé mis cosas. no pienso despertarme mañana", "self-harm"),
        ("ich tu mir immer wieder weh, keiner merkt es", "self-harm"),
        ("não pretendo acordar amanhã, obrigada por tudo", "self-harm"),
        ("mi faccio male di nuovo, non lo sa nessuno", "self-harm"),
        # a home address handed out
        ("your singer lives at 4 Quarry Lane, Bath. go knock", "doxxing"),
        ("la chanteuse habite au 9 rue Lamartine, allez la voir", "doxxing"),
        ("el cantante vive en la calle Mayor 12, id a verle", "doxxing"),
        ("die Sängerin wohnt in der Gartenstraße 5, besucht sie mal", "doxxing"),
        ("o vocalista mora na Rua Augusta 80, vão lá", "doxxing"),
        ("la cantante abita in via Roma 3, andate a trovarla", "doxxing"),
        # someone down, a barrier gone, smoke by the stage
        ("le type par terre bouge plus, appelez les secours", "crowd danger"),
        ("un chico en el suelo no reacciona, sale humo del escenario", "crowd danger"),
        ("die Absperrung ist umgefallen, ein Junge ist eingeklemmt", "crowd danger"),
        ("um rapaz caído no chão não reage, parem o show", "crowd danger"),
        ("un ragazzo a terra non si muove, fermate il concerto", "crowd danger"),
        # conditional threats without "kill"
        ("sing about my town again and it'll be your last gig. not a joke", "threat"),
        ("si tu rejoues ça, ce sera ton dernier concert", "threat"),
        ("gente como você merece uma lição no sábado", "threat"),
        # a relative's house, someone followed from the venue
        ("drove past your mum's house in Leeds today, lovely roses", "stalking"),
        ("un homme nous suit depuis la salle jusqu'au métro", "stalking"),
        ("ein Mann verfolgt uns von der Halle bis zur Bahn", "stalking"),
    ],
)
def test_quiet_and_indirect_danger_is_named_in_every_language(text: str, expected: str) -> None:
    assert category(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "that encore killed me, i'm dead 😭",
        "the mosh pit was wild, bruises everywhere, no regrets",
        "you guys were on fire tonight 🔥",
        "ça me fait mal au cœur que vous ne passiez pas par Lyon",
        "no te vas a arrepentir, el festival es increíble",
        "você não vai se arrepender de tocar aqui",
        "das Lied verfolgt mich seit Tagen, so gut",
        "thanks for following me back!!",
        "is Leeds your last show of the tour?",
        "what time does the front door open on Friday?",
        "wir warten am Künstlereingang auf Autogramme 😊",
        "la machine à fumée sur scène était magnifique",
        "finally got my hands on my signed copy",
    ],
)
def test_fans_words_near_the_new_rules_raise_no_alarm(text: str) -> None:
    assert category(text) is None


def test_an_advance_fee_offer_is_a_scam_and_a_real_offer_is_not_spam() -> None:
    scam = normalise_text(
        "Dear artist, we invite you to headline our festival in Dubai, fee $40,000. "
        "To process your work permit you must first pay a visa fee of $1,200 by Western Union "
        "and send passport scans of all members."
    )
    real = normalise_text(
        "Hi! Promoter at La Cave here. We have Friday 14 March free, 850 EUR + dinner + "
        "drinks for a 60 min set. Can you confirm by Monday? booking@lacave-bordeaux.fr"
    )
    assert is_scam(scam) and not looks_like_real_offer(scam)
    assert looks_like_real_offer(real) and not is_scam(real)


def test_phishing_and_fake_prizes_are_scams() -> None:
    assert is_scam(
        normalise_text("Your account will be disabled in 24h. Verify here: meta-help.co/x")
    )
    assert is_scam(
        normalise_text("You have won 2 VIP tickets! Pay only 4,99 € shipping at the link")
    )
    assert not is_scam(normalise_text("I can't log in to the fan club, the password reset fails"))


def test_a_safety_message_is_urgent_whatever_else_is_true() -> None:
    class Verdict:
        spam, toxic, intent, intent_score = False, True, "complaint", 0.9
        sentiment, urgency, time_cue, safety = "negative", 0.1, None, "threat"

    priority, score, reasons = score_priority(Verdict(), PriorityContext(segment="troll"))
    assert priority == "urgent" and score >= 95
    assert reasons[0] == "safety: threat"


def test_the_classifier_surfaces_safety_names_scams_and_keeps_offers() -> None:
    model = load_model()
    threat, scam, offer = model.classify(
        [
            MessageInput("i know which hotel you're at. room 412. see you tonight", "𝓛𝓾𝓬𝔂 ✨"),
            MessageInput(
                "Congratulations! You have won our artist giveaway. Send a 49 EUR activation "
                "fee and your bank details via the link: promo-win.co/claim"
            ),
            MessageInput(
                "Salut ! On a une date le samedi 12 avril au Ferrailleur, 1200€ + repas, "
                "set de 75 min. Tu me dis ? prog@ferrailleur.fr 📅💸🔥🔥"
            ),
        ]
    )
    assert threat.safety == "stalking" and not threat.spam and threat.priority == "urgent"
    assert "safety: stalking" in threat.reasons
    assert scam.spam and scam.scam and scam.reasons[0].startswith("scam")
    assert not offer.spam


def test_independent_messages_are_never_training_rows() -> None:
    unseen = independent_texts()
    assert len(unseen) >= 600
    corpus = load_corpus(OWN_DATA / "no-public-sets-here")
    from triage.train import training_rows

    rows = training_rows(corpus, eval_copy=False, max_rows_per_source=None, seed=0)
    assert rows, "the project's own training files are missing"
    assert not [r.text for r in rows if text_key(r.text) in unseen]
    assert not [r for r in corpus.rows if r.source == "independent"]


def test_the_written_safety_cases_teach_the_safety_head_and_no_other() -> None:
    from triage.train import HEADS, head_rows

    corpus = load_corpus(OWN_DATA / "no-public-sets-here")
    cases = [r for r in corpus.rows if r.source == "safety"]
    assert len(cases) >= 1000
    assert {0, 1} <= {r.labels["safety"] for r in cases}
    taught = {
        spec.task: int(
            sum(corpus.rows[i].source == "safety" for i in head_rows(spec, corpus.rows)[0])
        )
        for spec in HEADS
    }
    assert taught.pop("safety") == len(cases)
    assert set(taught.values()) == {0}, taught


def test_angry_and_sad_tweets_are_the_safety_heads_negatives_unless_a_rule_names_them(
    tmp_path: Path,
) -> None:
    from triage.datasets import Corpus, load_emotion

    folder = tmp_path / "tweeteval" / "emotion"
    folder.mkdir(parents=True)
    tweets = [
        ("this referee is killing me, worst match of the season", "0"),
        ("so sad my dog died last week, miss him every day", "3"),
        ("i want to kill myself tonight, nobody would notice", "3"),
    ]
    (folder / "train_text.txt").write_text("\n".join(t for t, _ in tweets) + "\n")
    (folder / "train_labels.txt").write_text("\n".join(label for _, label in tweets) + "\n")
    (folder / "val_text.txt").write_text("")
    (folder / "val_labels.txt").write_text("")
    corpus = Corpus()
    load_emotion(corpus, tmp_path)
    safety = [r.labels.get("safety") for r in corpus.rows]
    assert safety == [0, 0, None]  # the last one a rule names: not taught as harmless
    assert [r.labels["sentiment"] for r in corpus.rows] == [0, 0, 0]


def test_the_written_offers_teach_intent_but_not_toxicity_or_spam() -> None:
    """Their writers were asked for offers and fans' questions, none of them abuse or spam:
    a one-sided sample for those heads, which would drift from their public figures."""
    from triage.datasets import SILENT_LABELS, read_jsonl
    from triage.train import HEADS, head_rows

    name = "train_business.jsonl"
    offers = {text_key(str(r["text"])) for r in read_jsonl(OWN_DATA / "voices" / name)}
    assert len(offers) >= 600
    assert set(SILENT_LABELS[name]) == {"toxic", "spam"}
    corpus = load_corpus(OWN_DATA / "no-public-sets-here")
    taught = {
        spec.task: sum(
            text_key(corpus.rows[i].text) in offers for i in head_rows(spec, corpus.rows)[0]
        )
        for spec in HEADS
    }
    assert taught["toxic"] == taught["spam"] == 0
    assert taught["intent"] >= 600 and taught["sentiment"] >= 600, taught
