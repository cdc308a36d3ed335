"""The ``classify`` command-line contract: one answer per line, in order."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from triage.classifier import Model
from triage.cli import run_classify

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "spam",
    "spam_score",
    "sentiment",
    "toxic",
    "intent",
    "priority",
    "priority_score",
    "lang",
    "reasons",
}


def classify_lines(lines: list[str], model: Model) -> list[dict[str, object]]:
    out = io.StringIO()
    assert run_classify(io.StringIO("\n".join(lines) + "\n"), out, model) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_answers_every_line_in_input_order(model: Model) -> None:
    messages = [
        {"text": "We'd love to book you for our festival on July 12, fee 2000 EUR. Available?"},
        {"text": "omg i love this song so much 😍"},
        {"text": "my tickets for tonight never arrived, order #4411", "author": "Ana"},
        {"text": "Subscribe to my channel for free iPhones http://bit.ly/x", "author": "promo"},
    ]
    # Repeat so the batch is larger than one message and order can go wrong.
    lines = [json.dumps(m, ensure_ascii=False) for m in messages] * 3
    results = classify_lines(lines, model)
    assert len(results) == len(lines)
    intents = [r["intent"] for r in results]
    assert intents[:4] == intents[4:8] == intents[8:]
    assert intents[0] == "booking"
    assert intents[2] == "support"
    assert results[3]["spam"] is True
    for result in results:
        assert set(result) >= REQUIRED


def test_bad_line_gets_an_error_and_the_rest_go_on(model: Model) -> None:
    lines = [
        json.dumps({"text": "when is the next album out?"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"author": "no text here"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "ok", "author": {"nested": True}}),
        json.dumps({"text": "thank you for last night, magical"}),
    ]
    results = classify_lines(lines, model)
    assert len(results) == len(lines)
    assert results[0]["intent"] == "question"
    assert "invalid JSON" in str(results[1]["error"])
    assert results[2] == {"error": "expected a JSON object"}
    assert "text" in str(results[3]["error"])
    assert "text" in str(results[4]["error"])
    assert "author" in str(results[5]["error"])
    assert results[6]["intent"] == "praise"


def test_blank_lines_are_skipped_without_output(model: Model) -> None:
    lines = ["", json.dumps({"text": "hello"}), "   ", json.dumps({"text": "bye"}), ""]
    assert len(classify_lines(lines, model)) == 2


def test_optional_fields_may_be_null(model: Model) -> None:
    line = json.dumps(
        {"text": "Wann kommt das neue Album?", "author": None, "network": None, "lang": None}
    )
    (result,) = classify_lines([line], model)
    assert result["lang"] == "de"


def test_network_language_wins_over_detection(model: Model) -> None:
    (result,) = classify_lines([json.dumps({"text": "ok", "lang": "pt-BR"})], model)
    assert result["lang"] == "pt"


def test_module_command_reads_stdin_and_survives_bad_bytes() -> None:
    payload = (
        json.dumps(
            {"text": "Could you send your press kit? I write for a music magazine."}
        ).encode()
        + b"\n\xff\xfe not utf-8 \n"
        + json.dumps({"text": "\u00a1Hola! \u00bfCu\u00e1ndo vienes a Madrid?"}).encode()
        + b"\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "triage", "classify"],
        input=payload,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(results) == 3
    assert results[0]["intent"] == "press"
    assert "error" in results[1]
    assert results[2]["lang"] == "es"


def test_classify_import_stays_light() -> None:
    code = (
        "import sys, triage.cli; "
        "heavy = [m for m in ('sklearn', 'flask', 'sqlalchemy') if m in sys.modules]; "
        "print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60, check=True
    )
    assert done.stdout.decode().strip() == "[]"
