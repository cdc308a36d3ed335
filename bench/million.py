"""A realistic large workspace, written straight into a migrated database.

``build(url)`` fills an empty database (SQLite or PostgreSQL; it runs the
project's own migrations first, as ``unplugged db upgrade`` does) with what the
benchmarks of issue 19 measure against:

- one workspace (slug ``bench``) and its owner, ``OWNER_EMAIL`` / ``PASSWORD``,
  created through :mod:`crm.services.accounts` like any account;
- one paused channel on each of the seven networks (nothing tries to sync them);
- ``messages // 5`` fans (200,000 at the default), each with one identity on
  one network and a language: en, fr, es, de, pt or it;
- ``messages // 10`` conversations (100,000), thread lengths skewed as in real
  traffic (most short, a few long comment threads where other fans chime in);
- ``messages`` messages spread over the last ten weeks, ids in time order (as a
  sync or an import of a chronological file hands them out). Words come at the
  rates real fan traffic has them: :data:`COMMON_WORD` ("ticket") in 10% of
  messages, :data:`ONE_PERCENT_WORD` in 1%, :data:`RARE_WORD` in 0.01%, words
  such as "merci" or "gracias" at their languages' own rates, and a long tail of
  names and hashtags drawn from a Zipf law;
- about 30% of conversations answered by an outbound reply from the owner (a
  ``replies`` row marked sent and its outbound message) after a response time of
  minutes to days; some fans write back after it;
- every inbound message classified as an import stores it: the texts are made
  from a bank of sentences per language that the shipped model reads once (its
  fast reading, as ``unplugged import`` stores it), and every message carries
  its text's verdict; conversations' priority, score, reasons, intent and spam
  flag and fans' segments and engagement are then computed by the same
  functions the app calls (:func:`triage.priority.score_priority`,
  :func:`triage.segments.segment_fan`);
- the full-text index filled as the app fills it (on SQLite the catch-up that
  runs after every sync and import, :func:`models.search.catch_up`; on
  PostgreSQL the GIN indexes the migration created), then ``ANALYZE``.

The build is deterministic: the same ``messages`` and ``seed`` give the same
rows, ids and texts. Times are laid out relative to the start of the build's
UTC day, so a database built today reads "now" as today.

``cached_sqlite(messages)`` builds once into ``$UNPLUGGED_BENCH_CACHE`` (default
``~/.cache/unplugged/bench``), keyed by messages, seed, a version of this
builder and the migration head, and returns the file's path; a build killed half
way leaves nothing under the final name. On a 2-core machine 1,000,000 messages
take about a minute and 0.9 GB of disk.

    python -m bench.million [MESSAGES] [--url URL]   # builds (or reuses) and prints the path
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import pathlib
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Table, insert

import models
from crm import migrate
from crm.services import accounts
from models import Role
from models.db import make_engine, make_sessionmaker
from models.search import catch_up

BUILDER_VERSION = 1  # bump when the data set changes shape
OWNER_EMAIL = "bench@example.org"
OWNER_NAME = "Bench Owner"
PASSWORD = "bench-password-1"
WORKSPACE_SLUG = "bench"
WORKSPACE_ID = 1  # the first (only) workspace of an empty database

COMMON_WORD = "ticket"  # in about 10% of messages
ONE_PERCENT_WORD = "setlist"  # in about 1%
RARE_WORD = "theremin"  # in about 0.01%
COMMON_RATE, ONE_PERCENT_RATE, RARE_RATE = 0.10, 0.01, 0.0001

DAYS = 70  # ten weeks
REPLIED_SHARE = 0.33  # of all threads; single-message ones stay unanswered, so ~30% end up answered
NETWORK_WEIGHTS = {
    "instagram": 30,
    "x": 20,
    "youtube": 15,
    "facebook": 10,
    "email": 9,
    "bluesky": 8,
    "mastodon": 8,
}
LANGUAGES = ("en", "fr", "es", "de", "pt", "it")
LANGUAGE_WEIGHTS = (35, 20, 18, 12, 9, 6)

# Sentences per language. ``ticket`` sentences are the only ones with the word.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "praise": (
            "Love the new album so much!",
            "That show last night was unreal, thank you!",
            "Your music got me through a rough week.",
            "Best concert of my life, no exaggeration.",
            "The new single is on repeat all day.",
            "Can't stop listening to the last track.",
        ),
        "question": (
            "When are you coming to Manchester?",
            "Will the new record be out on vinyl?",
            "Is there a release date for the album yet?",
            "What guitar did you use on the second song?",
            "Are you doing a tour in the autumn?",
            "Where can I find the lyrics?",
        ),
        "ticket": (
            "My ticket never arrived, can you help?",
            "Is there a ticket left for tonight?",
            "I bought a ticket but the QR code does not work.",
            "Can I transfer my ticket to a friend?",
            "How much is a VIP ticket for the Leeds show?",
            "The ticket site crashed before I could pay.",
        ),
        "business": (
            "Hi, I book shows for a venue in Bristol and would love to have you in March.",
            "I write for a music magazine and would like an interview before the tour.",
            "We run a festival in July; are you available for the Saturday slot?",
            "I produce remixes and would love to collaborate on the next single.",
        ),
        "support": (
            "My merch order has not shipped after three weeks.",
            "I was charged twice for the hoodie, please refund one.",
            "The download link in my email is broken.",
            "The shirt I got is the wrong size, how do I exchange it?",
        ),
        "spam": (
            "Grow your followers fast, visit my profile for cheap promo!",
            "Crypto giveaway, click the link in bio to claim your prize.",
        ),
        "reply": (
            "Thanks so much, see you at the show!",
            "We have sent you a new one, let us know if it works.",
            "Sorry about that, the shop team is on it.",
            "Dates for the autumn come out next week.",
        ),
        "ticket_reply": (
            "We have resent your ticket, check your spam folder.",
            "The ticket office opens again at noon.",
        ),
        "onepercent": ("Any chance of the setlist?", "That setlist was perfect."),
        "rare": ("The theremin part gave me chills.",),
    },
    "fr": {
        "praise": (
            "J'adore le nouvel album, merci !",
            "Le concert d'hier soir était magique.",
            "Votre musique m'accompagne tous les jours.",
            "Merci pour cette soirée incroyable à Lyon !",
            "Le dernier single tourne en boucle chez moi.",
            "Quelle voix, j'en ai encore des frissons.",
        ),
        "question": (
            "Quand est-ce que vous passez à Bordeaux ?",
            "Le vinyle sera disponible quand ?",
            "Vous faites une tournée cet automne ?",
            "Où est-ce qu'on peut trouver les paroles ?",
            "Il y a une date à Lille de prévue ?",
            "C'est quoi la guitare sur le deuxième morceau ?",
        ),
        "ticket": (
            "Mon ticket n'est jamais arrivé, vous pouvez m'aider ?",
            "Il reste un ticket pour ce soir ?",
            "J'ai acheté un ticket mais le code ne marche pas.",
            "Est-ce que je peux donner mon ticket à une amie ?",
        ),
        "business": (
            "Bonjour, je programme une salle à Nantes et j'aimerais vous accueillir en mars.",
            "Je suis journaliste et je voudrais une interview avant la tournée.",
            "Nous organisons un festival en juillet, êtes-vous disponibles ?",
        ),
        "support": (
            "Ma commande de merch n'est toujours pas arrivée.",
            "J'ai été débité deux fois pour le sweat, merci de rembourser.",
            "Le lien de téléchargement ne fonctionne pas.",
        ),
        "spam": ("Gagnez des abonnés vite, promo pas chère sur mon profil !",),
        "reply": (
            "Merci beaucoup, à bientôt au concert !",
            "On vous a renvoyé le lien, dites-nous si ça marche.",
            "Désolés, l'équipe de la boutique s'en occupe.",
        ),
        "ticket_reply": ("On vous a renvoyé votre ticket, regardez dans les spams.",),
        "onepercent": ("Vous pouvez partager la setlist ?",),
        "rare": ("Le passage au theremin m'a donné des frissons.",),
    },
    "es": {
        "praise": (
            "¡Me encanta el nuevo disco, gracias!",
            "El concierto de anoche fue increíble.",
            "Tu música me salvó la semana.",
            "¡Gracias por venir a Madrid, fue brutal!",
            "No paro de escuchar la última canción.",
        ),
        "question": (
            "¿Cuándo venís a Barcelona?",
            "¿El disco saldrá en vinilo?",
            "¿Hay fecha para el nuevo álbum?",
            "¿Vais a hacer gira en otoño?",
            "¿Dónde puedo encontrar la letra?",
        ),
        "ticket": (
            "Mi ticket nunca llegó, ¿me ayudáis?",
            "¿Queda algún ticket para esta noche?",
            "Compré un ticket pero el código no funciona.",
            "¿Puedo pasar mi ticket a una amiga?",
        ),
        "business": (
            "Hola, programo una sala en Valencia y nos encantaría teneros en marzo.",
            "Escribo para una revista y me gustaría una entrevista antes de la gira.",
            "Organizamos un festival en julio, ¿tenéis disponibilidad?",
        ),
        "support": (
            "Mi pedido de merch no ha llegado después de tres semanas.",
            "Me cobraron dos veces la sudadera, por favor devolvedme una.",
            "El enlace de descarga no funciona.",
        ),
        "spam": ("Gana seguidores rápido, promo barata en mi perfil.",),
        "reply": (
            "¡Muchas gracias, nos vemos en el concierto!",
            "Te hemos enviado otro enlace, dinos si funciona.",
            "Perdona, el equipo de la tienda ya lo está mirando.",
        ),
        "ticket_reply": ("Te hemos reenviado el ticket, mira en spam.",),
        "onepercent": ("¿Podéis compartir la setlist?",),
        "rare": ("El theremin en directo fue otra cosa.",),
    },
    "de": {
        "praise": (
            "Ich liebe das neue Album, danke!",
            "Das Konzert gestern war unglaublich.",
            "Eure Musik hat mir durch eine harte Woche geholfen.",
            "Danke für den Abend in Berlin!",
            "Der neue Song läuft bei mir in Dauerschleife.",
        ),
        "question": (
            "Wann kommt ihr nach Hamburg?",
            "Gibt es das Album auch auf Vinyl?",
            "Steht das Datum für die neue Platte schon fest?",
            "Macht ihr im Herbst eine Tour?",
            "Wo finde ich die Songtexte?",
        ),
        "ticket": (
            "Mein Ticket ist nie angekommen, könnt ihr helfen?",
            "Gibt es noch ein Ticket für heute Abend?",
            "Ich habe ein Ticket gekauft, aber der Code geht nicht.",
            "Kann ich mein Ticket an eine Freundin weitergeben?",
        ),
        "business": (
            "Hallo, ich buche einen Club in Köln und würde euch gern im März holen.",
            "Ich schreibe für ein Magazin und hätte gern ein Interview vor der Tour.",
            "Wir veranstalten ein Festival im Juli, habt ihr Zeit?",
        ),
        "support": (
            "Meine Merch-Bestellung ist nach drei Wochen nicht da.",
            "Mir wurde der Hoodie zweimal berechnet, bitte erstatten.",
            "Der Download-Link funktioniert nicht.",
        ),
        "spam": ("Schnell mehr Follower, günstige Promo auf meinem Profil!",),
        "reply": (
            "Vielen Dank, bis bald beim Konzert!",
            "Wir haben dir einen neuen Link geschickt.",
            "Sorry, das Shop-Team kümmert sich darum.",
        ),
        "ticket_reply": ("Wir haben dein Ticket noch einmal geschickt, schau im Spam nach.",),
        "onepercent": ("Könnt ihr die Setlist teilen?",),
        "rare": ("Das Theremin live war der Wahnsinn.",),
    },
    "pt": {
        "praise": (
            "Amo o novo álbum, obrigado!",
            "O show de ontem foi incrível.",
            "Sua música me ajudou numa semana difícil.",
            "Obrigada por virem a Lisboa!",
            "A música nova não sai da minha cabeça.",
        ),
        "question": (
            "Quando vocês vêm para o Porto?",
            "O disco vai sair em vinil?",
            "Já tem data para o novo álbum?",
            "Vão fazer turnê no outono?",
            "Onde encontro as letras?",
        ),
        "ticket": (
            "Meu ticket nunca chegou, podem ajudar?",
            "Ainda tem algum ticket para hoje à noite?",
            "Comprei um ticket mas o código não funciona.",
        ),
        "business": (
            "Olá, sou programador de uma casa em São Paulo e adoraria receber vocês.",
            "Escrevo para uma revista e gostaria de uma entrevista antes da turnê.",
        ),
        "support": (
            "Meu pedido de merch não chegou depois de três semanas.",
            "Fui cobrado duas vezes pelo moletom, por favor devolvam.",
        ),
        "spam": ("Ganhe seguidores rápido, promo barata no meu perfil!",),
        "reply": (
            "Muito obrigado, até o show!",
            "Enviamos um novo link, diz se funciona.",
        ),
        "ticket_reply": ("Reenviamos o seu ticket, veja no spam.",),
        "onepercent": ("Podem partilhar a setlist?",),
        "rare": ("O theremin ao vivo foi lindo.",),
    },
    "it": {
        "praise": (
            "Adoro il nuovo album, grazie!",
            "Il concerto di ieri sera è stato pazzesco.",
            "La vostra musica mi ha salvato la settimana.",
            "Grazie per la serata a Milano!",
            "Il nuovo singolo è in loop da giorni.",
        ),
        "question": (
            "Quando venite a Roma?",
            "Il disco uscirà in vinile?",
            "C'è già una data per il nuovo album?",
            "Fate un tour in autunno?",
            "Dove trovo i testi?",
        ),
        "ticket": (
            "Il mio ticket non è mai arrivato, potete aiutarmi?",
            "C'è ancora un ticket per stasera?",
            "Ho comprato un ticket ma il codice non funziona.",
        ),
        "business": (
            "Ciao, programmo un locale a Torino e vorrei ospitarvi a marzo.",
            "Scrivo per una rivista e vorrei un'intervista prima del tour.",
        ),
        "support": (
            "Il mio ordine di merch non è arrivato dopo tre settimane.",
            "Mi avete addebitato due volte la felpa, rimborsatemi per favore.",
        ),
        "spam": ("Follower veloci, promo economica sul mio profilo!",),
        "reply": (
            "Grazie mille, ci vediamo al concerto!",
            "Vi abbiamo mandato un nuovo link, fateci sapere.",
        ),
        "ticket_reply": ("Ti abbiamo rimandato il ticket, guarda nello spam.",),
        "onepercent": ("Potete condividere la setlist?",),
        "rare": ("Il theremin dal vivo era stupendo.",),
    },
}
# What a fan's message is about (the ticket share is drawn apart, at COMMON_RATE).
TOPIC_WEIGHTS = {"praise": 40, "question": 30, "business": 4, "support": 10, "spam": 4}
FIRST_NAMES = {
    "en": ("Emma", "Liam", "Olivia", "Noah", "Ava", "Jack", "Mia", "Leo", "Grace", "Sam"),
    "fr": ("Marie", "Lucas", "Camille", "Hugo", "Léa", "Louis", "Chloé", "Jules", "Inès", "Théo"),
    "es": (
        "Lucía",
        "Hugo",
        "Martina",
        "Pablo",
        "Sofía",
        "Mateo",
        "Carmen",
        "Diego",
        "Alba",
        "Iker",
    ),
    "de": ("Anna", "Felix", "Lena", "Jonas", "Mia", "Paul", "Lea", "Finn", "Hannah", "Lukas"),
    "pt": ("Beatriz", "João", "Mariana", "Pedro", "Inês", "Tiago", "Ana", "Rafael", "Rita", "Rui"),
    "it": (
        "Giulia",
        "Marco",
        "Sofia",
        "Luca",
        "Chiara",
        "Matteo",
        "Sara",
        "Andrea",
        "Elena",
        "Gio",
    ),
}
LAST_NAMES = {
    "en": ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre"),
    "es": ("García", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
    "pt": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Sousa"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
}
KIND_BY_NETWORK = {
    "x": ("mention", "dm"),
    "bluesky": ("mention", "dm"),
    "mastodon": ("mention", "dm"),
    "instagram": ("comment", "dm"),
    "facebook": ("comment", "dm"),
    "youtube": ("comment", "comment"),
    "email": ("email", "email"),
}


def _tail_vocabulary(rng: random.Random, size: int = 30_000) -> tuple[list[str], list[float]]:
    """Hashtags, nicknames and typos: a long tail of words with Zipf frequencies."""
    syllables = ("ka", "lo", "mi", "ra", "te", "su", "vo", "ne", "di", "po", "ga", "li", "zu")
    words = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size)]
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(size)))
    return words, cumulative


class _Text:
    """One text of the bank: the sentence(s), their language and the model's verdict."""

    __slots__ = ("lang", "text", "verdict")

    def __init__(self, lang: str, text: str) -> None:
        self.lang, self.text = lang, text
        self.verdict: Any = None


def _bank(rng: random.Random) -> dict[tuple[str, str], list[_Text]]:
    """Texts per (language, topic): one or two sentences each, a praise line often added."""
    bank: dict[tuple[str, str], list[_Text]] = {}
    for lang in LANGUAGES:
        book = PHRASES[lang]
        for topic in (*TOPIC_WEIGHTS, "ticket", "reply", "ticket_reply"):
            texts = []
            for first in book[topic]:
                texts.append(_Text(lang, first))
                if topic not in ("spam", "reply", "ticket_reply"):
                    texts.append(_Text(lang, f"{first} {rng.choice(book['praise'])}"))
                    texts.append(_Text(lang, f"{rng.choice(book['question'])} {first}"))
            bank[(lang, topic)] = texts
    return bank


def _classify(bank: dict[tuple[str, str], list[_Text]]) -> None:
    """The shipped model's fast reading of every fan text of the bank, as an import stores it."""
    from inbox.pipeline import stored_version
    from triage.classifier import MessageInput, load_model

    texts = [t for (_, topic), ts in bank.items() if "reply" not in topic for t in ts]
    verdicts = load_model().classify(
        [MessageInput(text=t.text, author="", lang=t.lang) for t in texts], fast=True
    )
    for t, v in zip(texts, verdicts, strict=True):
        t.verdict = (v, stored_version(v))


def _pick(rng: random.Random, weights: Sequence[int]) -> Callable[[], int]:
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]

    def pick() -> int:
        return bisect.bisect_right(cumulative, rng.random() * total)

    return pick


@lru_cache(maxsize=4096)
def _json(value: tuple[str, ...] | None) -> str | None:
    return None if value is None else json.dumps(list(value))


def _insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Many rows through SQLAlchemy Core. SQLite: values turned into the text SQLAlchemy
    would store (times as ``YYYY-MM-DD HH:MM:SS.ffffff``, JSON as text) and handed to
    the driver in one ``executemany``; elsewhere Core's own ``insert`` (insertmanyvalues)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), 5000):
            conn.execute(
                insert(table),
                [dict(zip(columns, row, strict=True)) for row in rows[start : start + 5000]],
            )
        return
    from inbox.bulk import sqlite_datetime
    from models.base import UTCDateTime

    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            converters.append(lambda v: None if v is None else sqlite_datetime(v))
        elif isinstance(kind, JSON):
            converters.append(lambda v: None if v is None else _json(tuple(v)))
        else:
            converters.append(None)
    if any(converters):
        rows = [
            tuple(v if c is None else c(v) for v, c in zip(row, converters, strict=True))
            for row in rows
        ]
    placeholders = ", ".join("?" for _ in columns)
    # names from the schema's own Table; values are bound (bandit B608)
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({placeholders})'  # nosec B608
    conn.exec_driver_sql(sql, rows)


def _chunked(
    rows: Iterable[tuple[Any, ...]], size: int = 50_000
) -> Iterable[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(
    url: str,
    *,
    messages: int = 1_000_000,
    seed: int = 7,
    conversations: int | None = None,
    fans: int | None = None,
) -> None:
    """Fill the empty database at ``url`` (see the module's docstring). ``conversations``
    and ``fans`` default to a tenth and a fifth of ``messages``."""
    from triage.priority import PriorityContext, score_priority
    from triage.segments import FanStats, segment_fan

    n_conv = conversations or max(1, messages // 10)
    n_fans = fans or max(1, messages // 5)
    if messages < n_conv:
        raise ValueError("every conversation needs at least one message")
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = now - timedelta(days=DAYS)
    span = (now - start).total_seconds()
    created = now

    engine = make_engine(url)
    migrate.upgrade(engine)
    maker = make_sessionmaker(engine)
    with maker() as s, s.begin():
        if s.query(models.Workspace.id).first() is not None:
            raise RuntimeError(f"{url} is not empty: build() fills a new database")
        ws = accounts.create_workspace(s, "Bench")
        owner = accounts.create_user(s, OWNER_EMAIL, OWNER_NAME, PASSWORD)
        accounts.add_member(s, ws, owner, Role.OWNER)
        ws_id, owner_id = ws.id, owner.id

    bank = _bank(rng)
    _classify(bank)
    vocab, vocab_cum = _tail_vocabulary(rng)
    vocab_total = vocab_cum[-1]
    networks = list(NETWORK_WEIGHTS)
    pick_network = _pick(rng, list(NETWORK_WEIGHTS.values()))
    pick_lang = _pick(rng, LANGUAGE_WEIGHTS)
    topics = list(TOPIC_WEIGHTS)
    pick_topic = _pick(rng, list(TOPIC_WEIGHTS.values()))

    # Fans: a language and one identity on one network each.
    fan_lang = [""] * (n_fans + 1)
    fan_net = [0] * (n_fans + 1)
    fan_name = [""] * (n_fans + 1)
    for f in range(1, n_fans + 1):
        lang = LANGUAGES[pick_lang()]
        fan_lang[f] = lang
        fan_net[f] = pick_network()
        fan_name[f] = f"{rng.choice(FIRST_NAMES[lang])} {rng.choice(LAST_NAMES[lang])}"
    # Fans who write a lot and fans who write once: Zipf-like weights for who starts a thread.
    fan_order = list(range(1, n_fans + 1))
    rng.shuffle(fan_order)
    fan_cum = list(itertools.accumulate(1.0 / (r + 10) ** 0.9 for r in range(n_fans)))
    fan_total = fan_cum[-1]

    def some_fan() -> int:
        return fan_order[min(n_fans - 1, bisect.bisect_right(fan_cum, rng.random() * fan_total))]

    # Thread lengths: one message each, the rest spread by heavy-tailed weights.
    weights = [rng.lognormvariate(0.0, 1.1) for _ in range(n_conv)]
    lengths = [1] * n_conv
    for c in rng.choices(range(n_conv), weights=weights, k=messages - n_conv):
        lengths[c] += 1

    def fan_text(lang: str) -> _Text:
        topic = "ticket" if rng.random() < COMMON_RATE else topics[pick_topic()]
        return rng.choice(bank[(lang, topic)])

    def extra(lang: str) -> str:
        words = []
        r = rng.random()
        if r < ONE_PERCENT_RATE:
            words.append(rng.choice(PHRASES[lang]["onepercent"]))
        elif r < ONE_PERCENT_RATE + RARE_RATE:
            words.append(rng.choice(PHRASES[lang]["rare"]))
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 3)):
                i = bisect.bisect_right(vocab_cum, rng.random() * vocab_total)
                words.append("#" + vocab[min(i, len(vocab) - 1)])
        return (" " + " ".join(words)) if words else ""

    # Conversations and their messages (times as seconds after ``start``).
    conv_rows: list[list[Any]] = []
    # (t, conversation, outbound, text, bank text or None, author fan or 0)
    msgs: list[tuple[float, int, bool, str, _Text | None, int]] = []
    fan_convs = [0] * (n_fans + 1)
    fan_answered = [0] * (n_fans + 1)
    for c in range(1, n_conv + 1):
        fan = some_fan()
        lang = fan_lang[fan]
        net = fan_net[fan]
        network = networks[net]
        kind = KIND_BY_NETWORK[network][0 if rng.random() < 0.65 else 1]
        n = lengths[c - 1]
        replied = rng.random() < REPLIED_SHARE
        n_in = n - 1 if replied and n > 1 else n
        if replied and n == 1:
            replied = False
        t0 = span * (1.0 - rng.random() ** 0.8)  # a little more traffic lately
        times = [t0]
        for _ in range(n_in - 1):
            times.append(times[-1] + rng.lognormvariate(math.log(1800), 1.6))
        authors = [fan] * n_in
        if kind in ("comment", "mention"):
            authors = [fan if i == 0 or rng.random() < 0.5 else some_fan() for i in range(n_in)]
        events: list[tuple[float, bool, int]] = [
            (t, False, a) for t, a in zip(times, authors, strict=True)
        ]
        if replied:
            # The team answers after the fan's first few messages, minutes to days later.
            after = rng.randint(0, n_in - 1) if rng.random() < 0.4 else n_in - 1
            answer = times[after] + rng.lognormvariate(math.log(3 * 3600), 1.5)
            shift = max(0.0, answer - times[after + 1] + 60) if after + 1 < n_in else 0.0
            events = (
                events[: after + 1]
                + [(answer, True, 0)]
                + [(t + shift, False, a) for t, _, a in events[after + 1 :]]
            )
        last = events[-1][0]
        if last > span - 60:  # squeeze the thread into the ten weeks, ending lately
            end = max(t0 + 1.0, span - 60 - rng.expovariate(1 / (12 * 3600)))
            scale = (end - t0) / max(1.0, last - t0)
            events = [(t0 + (t - t0) * scale, o, a) for t, o, a in events]
        for a in {a for _, o, a in events if not o}:
            fan_convs[a] += 1
        if replied:
            fan_answered[fan] += 1
        texts: list[str] = []
        for t, outbound, author in events:
            if outbound:
                topic = "ticket_reply" if rng.random() < COMMON_RATE else "reply"
                reply = rng.choice(bank[(lang, topic)])
                texts.append(reply.text)
                msgs.append((t, c, True, reply.text, None, 0))
            else:
                chosen = fan_text(fan_lang[author])
                body = chosen.text + extra(fan_lang[author])
                texts.append(body)
                msgs.append((t, c, False, body, chosen, author))
        status = rng.random()
        last_out = events[-1][1]
        conv_rows.append(
            [
                c,
                net + 1,
                fan,
                kind,
                ("done" if status < 0.6 else "open" if status < 0.95 else "snoozed")
                if last_out
                else ("done" if status < 0.12 else "open"),
                not last_out,
                len(events),
                texts[-1][:280],
                events[-1][0],
                max(t for t, o, _ in events if not o),
                events[0][0],
                owner_id if rng.random() < 0.1 else None,
                lang,
            ]
        )

    msgs.sort(key=lambda m: (m[0], m[1]))

    def when(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    # Per fan: what refresh_fans counts; per conversation: its latest fan message.
    fan_count = [0] * (n_fans + 1)
    fan_first = [0.0] * (n_fans + 1)
    fan_last = [0.0] * (n_fans + 1)
    fan_spam = [0] * (n_fans + 1)
    fan_toxic = [0] * (n_fans + 1)
    fan_mood = [0] * (n_fans + 1)
    fan_industry = [0] * (n_fans + 1)
    latest: dict[int, _Text] = {}
    mood = {"positive": 1, "negative": -1}
    for t, c, outbound, _, bt, author in msgs:
        if outbound or bt is None:
            continue
        v = bt.verdict[0]
        if not fan_count[author]:
            fan_first[author] = t
        fan_count[author] += 1
        fan_last[author] = t
        fan_spam[author] += v.spam
        fan_toxic[author] += v.toxic
        fan_mood[author] += mood.get(v.sentiment, 0)
        fan_industry[author] += v.intent in ("booking", "press", "collab")
        latest[c] = bt

    with engine.begin() as conn:
        tables = models.Base.metadata.tables
        _insert(
            conn,
            tables["channels"],
            (
                "id",
                "workspace_id",
                "network",
                "connector",
                "handle",
                "display_name",
                "health",
                "sync_enabled",
                "sync_interval_s",
                "consecutive_failures",
                "created_at",
            ),
            [
                (i, ws_id, n, n, f"lesfanfares-{n}", "Les Fanfares", "paused", False, 120, 0, start)
                for i, n in enumerate(networks, start=1)
            ],
        )
        fan_rows = []
        for f in range(1, n_fans + 1):
            count = fan_count[f]
            seen = (when(fan_first[f]), when(fan_last[f])) if count else (None, None)
            result = segment_fan(
                FanStats(
                    message_count=count,
                    first_seen=seen[0],
                    last_seen=seen[1],
                    conversations=fan_convs[f],
                    artist_replies=fan_answered[f],
                    spam_share=fan_spam[f] / count if count else 0.0,
                    toxic_share=fan_toxic[f] / count if count else 0.0,
                    avg_sentiment=fan_mood[f] / count if count else 0.0,
                    industry_messages=fan_industry[f],
                    networks=(networks[fan_net[f]],),
                ),
                now,
            )
            fan_rows.append(
                (
                    f,
                    ws_id,
                    fan_name[f],
                    result.segment,
                    tuple(result.reasons),
                    float(result.engagement),
                    count,
                    seen[0],
                    seen[1],
                    seen[0] or created,
                )
            )
        _insert(
            conn,
            tables["fans"],
            (
                "id",
                "workspace_id",
                "display_name",
                "segment",
                "segment_reasons",
                "engagement_score",
                "message_count",
                "first_seen_at",
                "last_seen_at",
                "created_at",
            ),
            fan_rows,
        )
        segments = {row[0]: row[3] for row in fan_rows}
        del fan_rows
        _insert(
            conn,
            tables["identities"],
            (
                "id",
                "workspace_id",
                "fan_id",
                "network",
                "external_id",
                "handle",
                "display_name",
                "created_at",
            ),
            [
                (
                    f,
                    ws_id,
                    f,
                    networks[fan_net[f]],
                    f"u{f}",
                    fan_name[f].lower().replace(" ", "_") + str(f % 1000),
                    fan_name[f],
                    created,
                )
                for f in range(1, n_fans + 1)
            ],
        )
        conv_out = []
        for (
            c,
            ch,
            fan,
            kind,
            status,
            waiting,
            count,
            preview,
            last,
            last_in,
            first,
            who,
            _,
        ) in conv_rows:
            last_text = latest.get(c)
            priority, score, reasons, intent, spam = "normal", 50, None, None, False
            if last_text is not None:
                v = last_text.verdict[0]
                segment = segments.get(fan)
                hours = (span - last_in) / 3600 if waiting else 0.0
                p, score, said = score_priority(
                    v,
                    PriorityContext(
                        segment=segment,
                        waiting_hours=hours,
                        unanswered_question=waiting and v.intent == "question",
                        industry=segment == "industry",
                    ),
                )
                priority, reasons, intent, spam = p, tuple(said), v.intent, bool(v.spam)
            conv_out.append(
                (
                    c,
                    ws_id,
                    ch,
                    fan,
                    f"t{c}",
                    kind,
                    f"Re: {preview[:60]}" if kind == "email" else None,
                    status,
                    when(last + 86400 * 3) if status == "snoozed" else None,
                    priority,
                    score,
                    reasons,
                    intent,
                    spam,
                    who,
                    waiting,
                    count,
                    preview,
                    when(last),
                    when(last_in),
                    when(first),
                )
            )
        del conv_rows
        _insert(
            conn,
            tables["conversations"],
            (
                "id",
                "workspace_id",
                "channel_id",
                "fan_id",
                "external_thread_id",
                "kind",
                "subject",
                "status",
                "snooze_until",
                "priority",
                "priority_score",
                "priority_reasons",
                "intent",
                "is_spam",
                "assignee_id",
                "waiting_for_us",
                "message_count",
                "last_message_preview",
                "last_activity_at",
                "last_inbound_at",
                "created_at",
            ),
            conv_out,
        )
        channel_of = {row[0]: row[2] for row in conv_out}
        kind_of = {row[0]: row[5] for row in conv_out}
        del conv_out

        def message_rows() -> Iterable[tuple[Any, ...]]:
            for i, (t, c, outbound, body, bt, author) in enumerate(msgs, start=1):
                sent = when(t)
                if outbound or bt is None:
                    yield (
                        i, ws_id, channel_of[c], c, f"m{i}", "outbound", kind_of[c], body, None,
                        sent, None, f"t{c}", sent, None, None, None, None, None, None, None,
                        None, None, None,
                    )  # fmt: skip
                    continue
                v, version = bt.verdict
                yield (
                    i, ws_id, channel_of[c], c, f"m{i}", "inbound", kind_of[c], body, bt.lang,
                    sent, author, f"t{c}", sent, sent, version, v.spam, float(v.spam_score),
                    v.sentiment, v.toxic, v.intent, float(v.intent_score), float(v.urgency),
                    tuple(v.reasons),
                )  # fmt: skip

        columns = (
            "id",
            "workspace_id",
            "channel_id",
            "conversation_id",
            "external_id",
            "direction",
            "kind",
            "text",
            "lang",
            "sent_at",
            "author_identity_id",
            "parent_external_id",
            "created_at",
            "classified_at",
            "classifier_version",
            "spam",
            "spam_score",
            "sentiment",
            "toxic",
            "intent",
            "intent_score",
            "urgency",
            "reasons",
        )
        replies = []
        for batch in _chunked(message_rows()):
            _insert(conn, tables["messages"], columns, batch)
            for row in batch:
                if row[5] == "outbound":
                    replies.append(
                        (ws_id, row[3], owner_id, row[7], "sent", f"bench-{row[0]}", row[0],
                         row[4], 1, row[9], row[9], row[9])
                    )  # fmt: skip
        _insert(
            conn,
            tables["replies"],
            (
                "workspace_id",
                "conversation_id",
                "author_id",
                "text",
                "status",
                "idempotency_key",
                "message_id",
                "external_id",
                "attempts",
                "created_at",
                "updated_at",
                "sent_at",
            ),
            replies,
        )
        catch_up(conn)  # the search index, as the job after a sync or an import fills it
        if conn.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for name in ("channels", "fans", "identities", "conversations", "messages"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # nosec B608
                    f"(SELECT max(id) FROM {name}))"
                )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()


def migration_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def cache_dir() -> pathlib.Path:
    configured = os.environ.get("UNPLUGGED_BENCH_CACHE")
    path = (
        pathlib.Path(configured) if configured else pathlib.Path.home() / ".cache/unplugged/bench"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_sqlite(messages: int = 1_000_000, seed: int = 7) -> pathlib.Path:
    """The SQLite file for ``messages``, built on first use and reused after."""
    name = f"million-{messages}-s{seed}-v{BUILDER_VERSION}-m{migration_head()}.db"
    path = cache_dir() / name
    if path.exists() and path.stat().st_size > 0:  # (opening a missing file makes an empty one)
        return path
    partial = path.with_suffix(f".building-{os.getpid()}")
    for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    try:
        build(f"sqlite:///{partial}", messages=messages, seed=seed)
    except BaseException:
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        raise
    # Everything checkpointed into the main file, so the rename moves the whole database.
    import sqlite3

    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    return path


def main(argv: Sequence[str]) -> None:
    args = list(argv)
    url = None
    if "--url" in args:
        i = args.index("--url")
        url = args[i + 1]
        del args[i : i + 2]
    n = int(args[0]) if args else 1_000_000
    started = time.perf_counter()
    if url:
        build(url, messages=n)
        print(f"built {n:,} messages into {url} in {time.perf_counter() - started:.1f} s")
    else:
        path = cached_sqlite(n)
        print(f"{path} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
