"""Reasons in the reader's language: a stored English reason back to its template, translated.

(The same holds for other words stored in English from a marked template, such as what a
reply's failure says: ``inbox/outbox.py``.)

``triage`` writes each reason from one of its marked templates
(:data:`triage.reasons.TEMPLATES`) and stores the English rendering; rows
written before the templates existed read the same. Here a reason is matched
to its template (plain words first, then the templates with values, the most
literal first), its values are read back, the template is translated (with the
plural form its count needs) and filled in again. Values that are themselves
reason words (a spam cue, a safety category) are translated too; the fan's own
words (a time cue, a profile line, a domain, a teammate's name) are kept. A
reason no template made (written by hand, or by an older version) is shown as
stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import g
from flask_babel import get_translations

from triage.reasons import CUES, PARTS, TEMPLATES

_VALUE = re.compile(r"%\((\w+)\)([sd])")


@dataclass(frozen=True, slots=True)
class _Template:
    pattern: re.Pattern[str]
    forms: tuple[str, ...]  # (msgid,) or (singular, plural)


@lru_cache(maxsize=1)
def _templates() -> tuple[frozenset[str], tuple[_Template, ...]]:
    plain: set[str] = set()
    found: list[tuple[int, _Template]] = []
    for template in dict.fromkeys(TEMPLATES):
        forms = template if isinstance(template, tuple) else (template,)
        if len(forms) == 1 and not _VALUE.search(forms[0]):
            plain.add(forms[0])
            continue
        for form in forms:
            pieces, literal, last = [], 0, 0
            for match in _VALUE.finditer(form):
                text = form[last : match.start()]
                pieces.append(re.escape(text))
                literal += len(text)
                name, kind = match.groups()
                pieces.append(rf"(?P<{name}>\d+)" if kind == "d" else rf"(?P<{name}>.+?)")
                last = match.end()
            pieces.append(re.escape(form[last:]))
            literal += len(form) - last
            found.append((literal, _Template(re.compile("".join(pieces)), forms)))
    found.sort(key=lambda pair: -pair[0])
    return frozenset(plain), tuple(t for _, t in found)


def _value(value: str, plain: frozenset[str], catalog: Any) -> str:
    """A template's value: reason words (one, or cues joined by " + ") translated, else kept."""
    if value in plain:
        return str(catalog.ugettext(value))
    parts = value.split(CUES)
    if len(parts) > 1 and all(p in plain for p in parts):
        return CUES.join(str(catalog.ugettext(p)) for p in parts)
    return value


def translate_reason(text: str, catalog: Any) -> str:
    """``text`` (a stored English reason) in ``catalog``'s language, or as stored if unknown."""
    plain, templates = _templates()
    if text in plain:
        return str(catalog.ugettext(text))
    for template in templates:
        match = template.pattern.fullmatch(text)
        if match is None:
            continue
        values: dict[str, object] = {}
        for name, value in match.groupdict().items():
            values[name] = int(value) if value.isdigit() else _value(value, plain, catalog)
        if len(template.forms) == 2:
            num = values.get("num")
            form = catalog.ungettext(*template.forms, num if isinstance(num, int) else 2)
        else:
            form = catalog.ugettext(template.forms[0])
        return str(form) % values
    parts = text.split(PARTS)
    if len(parts) > 1:
        return PARTS.join(translate_reason(part, catalog) for part in parts)
    return text


def reason(text: object) -> str:
    """The Jinja filter: a stored reason in the reader's language, looked up once per request."""
    key = str(text or "")
    cache: dict[str, str] = g.setdefault("_reasons", {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = translate_reason(key, get_translations())
    return found
