"""Read the labelled sets into one list of rows, each with the tasks it teaches.

Every source is untrusted text in a format someone else wrote: a row that
cannot be read (bad CSV, missing label, label out of range) is counted and
skipped, never allowed to stop training.

Which rows are *held out* is decided here, once, so that the evaluation copy
of the model and the evaluation itself agree:

* youtube-spam: the LMFAO video (train on Psy and Katy Perry, test on a
  video never seen);
* tweeteval sentiment: a fixed fifth of ``extra``, chosen by a hash of the
  text (stable across runs and machines);
* tweeteval offensive: the official val split;
* fan messages and bots: the ``*_heldout.jsonl`` files, written from other
  templates than the training files.

One set is never part of the corpus at all: the *independent* fan messages in
``data/independent/``, written by people who never saw the templates or the
training messages. :func:`load_independent` reads them for evaluation only, and
:func:`evaluation_texts` lets training drop any row that says the same thing (as
well as any of the *quiet dangers* in ``data/quiet/``, :func:`load_quiet_dangers`,
also for evaluation only).
The ``data/voices/`` messages were written the same way but apart from them,
and are training data like any other source; ``data/safety/`` ones too, for the
safety head alone.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from triage import safety
from triage.text import normalise_text

TASKS = ("spam", "sentiment", "toxic", "intent", "priority", "safety")
SENTIMENTS = ("negative", "neutral", "positive")
INTENTS = ("question", "booking", "press", "collab", "support", "praise", "complaint", "other")
PRIORITIES = ("urgent", "high", "normal", "low")
# The urgency head's classes: a message less, as, or more pressing than is
# usual for its intent (derived from "priority" and "intent" at training).
URGENCY = ("lower", "usual", "higher")
LABELS: dict[str, tuple[str, ...]] = {
    "spam": ("ham", "spam"),
    "sentiment": SENTIMENTS,
    "toxic": ("ok", "toxic"),
    "intent": INTENTS,
    "priority": PRIORITIES,
    # Someone may be in danger (threat, stalking, self-harm, crowd danger, ...).
    "safety": ("ok", "safety"),
}
HEAD_LABELS: dict[str, tuple[str, ...]] = {**LABELS, "urgency": URGENCY}

OWN_DATA = Path(__file__).resolve().parent / "data"
INDEPENDENT_DATA = OWN_DATA / "independent"
VOICES_DATA = OWN_DATA / "voices"


def default_data_dir() -> Path:
    """``../shared/data`` beside the repository, or ``$UNPLUGGED_TRAINING_DATA``."""
    env = os.environ.get("UNPLUGGED_TRAINING_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(slots=True)
class Row:
    """One text and what it teaches: ``labels[task]`` is a class index."""

    text: str
    author: str
    source: str
    labels: dict[str, int]
    weight: float = 1.0
    holdout: bool = False
    lang: str = ""


@dataclass(slots=True)
class Corpus:
    rows: list[Row] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def for_task(self, task: str, *, holdout: bool | None = None) -> list[Row]:
        return [
            r for r in self.rows if task in r.labels and (holdout is None or r.holdout == holdout)
        ]


def _stable_fifth(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()[0] % 5 == 0


def _lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\r\n") for line in handle]


def _label(value: str, allowed: int) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if 0 <= number < allowed else None


def _paired(
    corpus: Corpus, folder: Path, split: str, allowed: int, name: str
) -> Iterator[tuple[str, int]]:
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    if len(texts) != len(labels):
        corpus.skipped[f"{name}: text/label count mismatch"] += abs(len(texts) - len(labels))
    for text, raw in zip(texts, labels, strict=False):
        label = _label(raw, allowed)
        if label is None or not text.strip():
            corpus.skipped[name] += 1
            continue
        yield text, label


def load_youtube(corpus: Corpus, data_dir: Path) -> None:
    for path in sorted((data_dir / "youtube-spam").glob("*.csv")):
        video = path.stem.split("-", 1)[-1]
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for record in csv.DictReader(handle):
                text = (record.get("CONTENT") or "").replace("\ufeff", "").strip()
                label = _label(record.get("CLASS") or "", 2)
                if not text or label is None:
                    corpus.skipped["youtube-spam"] += 1
                    continue
                corpus.add(
                    Row(
                        text,
                        (record.get("AUTHOR") or "").strip(),
                        f"youtube:{video}",
                        {"spam": label},
                        holdout=video == "LMFAO",
                    )
                )


def load_sms(corpus: Corpus, data_dir: Path) -> None:
    for line in _lines(data_dir / "sms-spam" / "SMSSpamCollection"):
        label, _, text = line.partition("\t")
        if label not in ("ham", "spam") or not text.strip():
            corpus.skipped["sms-spam"] += 1
            continue
        corpus.add(Row(text, "", "sms", {"spam": int(label == "spam")}))


def load_sentiment(corpus: Corpus, data_dir: Path) -> None:
    """SemEval-2017 tweets. ``extra`` is drawn from the official test split, the
    same population as the withheld tweets, so the held-out fifth comes from
    ``extra`` only; ``val`` (older tweets, far fewer negatives) only trains."""
    folder = data_dir / "tweeteval" / "sentiment"
    for split in ("val", "extra"):
        for text, label in _paired(corpus, folder, split, 3, "sentiment"):
            holdout = split == "extra" and _stable_fifth(text)
            corpus.add(Row(text, "", f"sentiment:{split}", {"sentiment": label}, holdout=holdout))


def load_emotion(corpus: Corpus, data_dir: Path) -> None:
    """Emotion tweets as extra sentiment signal: joy/optimism +, anger/sadness -.

    They are also the safety head's dark-but-harmless negatives (angry, sad, crude
    tweets, nobody in danger), except the few a safety rule names."""
    folder = data_dir / "tweeteval" / "emotion"
    to_sentiment = {0: 0, 1: 2, 2: 2, 3: 0}
    for split in ("train", "val"):
        for text, label in _paired(corpus, folder, split, 4, "emotion"):
            labels = {"sentiment": to_sentiment[label]}
            if safety.safety_category(normalise_text(text)) is None:
                labels["safety"] = 0
            corpus.add(Row(text, "", "emotion", labels))


def load_offensive(corpus: Corpus, data_dir: Path) -> None:
    folder = data_dir / "tweeteval" / "offensive"
    for split in ("train", "val"):
        for text, label in _paired(corpus, folder, split, 2, "offensive"):
            corpus.add(Row(text, "", "offensive", {"toxic": label}, holdout=split == "val"))


def load_hate(corpus: Corpus, data_dir: Path) -> None:
    """HatEval: hateful tweets are toxic; its "not hate" class still holds
    plenty of insults, so those rows teach nothing about toxicity."""
    folder = data_dir / "tweeteval" / "hate"
    for split in ("train", "val"):
        for text, label in _paired(corpus, folder, split, 2, "hate"):
            if label == 1:
                corpus.add(Row(text, "", "hate", {"toxic": 1}))


def load_davidson(corpus: Corpus, data_dir: Path) -> None:
    path = data_dir / "hate-offensive" / "labeled_data.csv"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for record in csv.DictReader(handle):
            text = (record.get("tweet") or "").strip()
            label = _label(record.get("class") or "", 3)
            if not text or label is None:
                corpus.skipped["hate-offensive"] += 1
                continue
            corpus.add(Row(text, "", "davidson", {"toxic": int(label != 2)}))


def load_tweet_acts(corpus: Corpus, data_dir: Path) -> None:
    """Speech acts as weak intent labels: questions, and plain statements as "other"."""
    acts = {"QUE": "question", "STM": "other", "OTH": "other"}
    path = data_dir / "tweet-acts" / "TWEET_DATA.csv"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for record in csv.reader(handle):
            if len(record) != 2 or not record[0].strip():
                corpus.skipped["tweet-acts"] += 1
                continue
            intent = acts.get(record[1].strip())
            if intent is not None:
                corpus.add(Row(record[0], "", "tweet-acts", {"intent": INTENTS.index(intent)}))


def load_complaints(corpus: Corpus, data_dir: Path) -> None:
    """Complaints to companies: negative sentiment signal for the complaint class."""
    path = data_dir / "complaints" / "complaints-data.csv"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for record in csv.reader(handle):
            if len(record) < 3 or _label(record[2], 2) is None or not record[1].strip():
                corpus.skipped["complaints"] += 1
                continue
            if record[2].strip() == "1":
                corpus.add(Row(record[1], "", "complaints", {"sentiment": 0}))


def fan_row(record: dict[str, object], source: str, holdout: bool, weight: float = 1.0) -> Row:
    """A row from one of our own JSON lines; raises ValueError when malformed."""
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing text")
    author = record.get("author") or ""
    if not isinstance(author, str):
        raise ValueError("author is not a string")
    labels: dict[str, int] = {}
    for task, names in LABELS.items():
        value = record.get(task)
        if value is None:
            continue
        if isinstance(value, bool):
            value = names[int(value)]
        if value not in names:
            raise ValueError(f"{task} label {value!r} is not one of {names}")
        labels[task] = names.index(str(value))
    if not labels:
        raise ValueError("no label")
    lang = record.get("lang")
    return Row(
        text,
        author,
        source,
        labels,
        weight=weight,
        holdout=holdout,
        lang=lang if isinstance(lang, str) else "",
    )


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    yield {}
                    continue
                yield record if isinstance(record, dict) else {}


# Labels a written file says nothing about: its writers were asked for a mix with none of
# the kind. train_business.jsonl holds offers, press requests and fans' questions and praise,
# every one neither abuse nor spam: as toxicity and spam examples they are a one-sided sample,
# and taught as such they moved OffensEval 0.766 -> 0.761 and unseen-video spam 0.946 -> 0.944.
SILENT_LABELS: dict[str, tuple[str, ...]] = {"train_business.jsonl": ("toxic", "spam")}


def load_own(corpus: Corpus, own_dir: Path = OWN_DATA) -> None:
    files = (
        ("fan_messages.jsonl", "fan", False),
        ("fan_messages_heldout.jsonl", "fan", True),
        ("spam_bots.jsonl", "bots", False),
        ("spam_bots_heldout.jsonl", "bots", True),
    )
    for name, source, holdout in files:
        for record in read_jsonl(own_dir / name):
            try:
                row = fan_row(record, source, holdout)
            except ValueError:
                corpus.skipped[name] += 1
                continue
            if source == "bots":
                # Bot files teach spam only: their other labels are placeholders.
                row.labels = {"spam": row.labels["spam"]}
            elif source == "fan":
                # The templates hold no one in danger: negatives for the safety head.
                row.labels.setdefault("safety", 0)
            corpus.add(row)
    # voices/ teaches every head; safety/ is weighed for the safety head alone (train.HEADS).
    for folder in ("voices", "safety"):
        for path in sorted((own_dir / folder).glob("*.jsonl")):
            silent = SILENT_LABELS.get(path.name, ())
            for record in read_jsonl(path):
                try:
                    row = fan_row(record, folder, holdout=False)
                except ValueError:
                    corpus.skipped[path.name] += 1
                    continue
                for task in silent:
                    row.labels.pop(task, None)
                corpus.add(row)


_WORDS = re.compile(r"\w+")


def text_key(text: str) -> str:
    """What two texts must share to count as the same message: their words, in lower case."""
    return " ".join(_WORDS.findall(text.casefold()))


def _evaluation_records(folder: Path, label: str) -> list[dict[str, object]]:
    """The records of an evaluation folder that have a text and ``label``."""
    return [
        record
        for path in sorted(folder.glob("*.jsonl"))
        for record in read_jsonl(path)
        if isinstance(record.get("text"), str) and record.get(label) is not None
    ]


def load_independent(own_dir: Path = OWN_DATA) -> list[dict[str, object]]:
    """The independent evaluation set: records with every label, never trained on."""
    return [r for r in _evaluation_records(own_dir / "independent", "intent") if r["intent"]]


def independent_texts(own_dir: Path = OWN_DATA) -> frozenset[str]:
    """:func:`text_key` of every independent message, for training to leave out."""
    return frozenset(text_key(str(r["text"])) for r in load_independent(own_dir))


def load_quiet_dangers(own_dir: Path = OWN_DATA) -> list[dict[str, object]]:
    """The quiet dangers: someone in danger said in passing, and harmless messages that
    sound dark, each with a ``safety`` label; for evaluation only, never trained on.

    Trained on, a writer's messages of this kind taught the model nothing about another
    writer's (see ``data/README.md``), so they measure the safety class instead.
    """
    records = _evaluation_records(own_dir / "quiet", "safety")
    return [r for r in records if isinstance(r["safety"], bool)]


def evaluation_texts(own_dir: Path = OWN_DATA) -> frozenset[str]:
    """:func:`text_key` of every message kept for evaluation alone (the independent set
    and the quiet dangers): training leaves out any row that says the same thing."""
    quiet = frozenset(text_key(str(r["text"])) for r in load_quiet_dangers(own_dir))
    return independent_texts(own_dir) | quiet


LOADERS = (
    load_youtube,
    load_sms,
    load_sentiment,
    load_emotion,
    load_offensive,
    load_hate,
    load_davidson,
    load_tweet_acts,
    load_complaints,
)


def load_corpus(data_dir: Path, own_dir: Path = OWN_DATA) -> Corpus:
    corpus = Corpus()
    for loader in LOADERS:
        try:
            loader(corpus, data_dir)
        except FileNotFoundError as exc:
            corpus.skipped[f"missing file {Path(exc.filename or '').name}"] += 1
    load_own(corpus, own_dir)
    return corpus


def corrections_rows(
    corrections: Iterable[dict[str, object]], weight: float
) -> tuple[list[Row], int]:
    """The team's corrections as heavy training rows; returns (rows, rejected)."""
    rows: list[Row] = []
    rejected = 0
    for record in corrections:
        try:
            row = fan_row(dict(record), "correction", holdout=False, weight=weight)
        except (ValueError, TypeError):
            rejected += 1
            continue
        rows.append(row)
    return rows, rejected
