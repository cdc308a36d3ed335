"""Short reasons in words, so a person can see why a message was sorted so.

The model decides; these cues only *name* what it most likely saw, in the
words a community manager uses ("mentions a lost ticket", "looks like spam:
link + 'subscribe'"). They are patterns over the normalised text (lower case,
accents folded, links as ``httpurl``), in English, French, Spanish and
German, and run only on the messages they concern, so they cost little.
"""

from __future__ import annotations

import re

from triage.text import FANCY_RE, normalise_author

# (pattern, words shown) for spam; the words are quoted as the message said them.
_SPAM_CUES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), label)
    for p, label in (
        (r"httpurl", "link"),
        (r"\bsub(?:scri\w*|4sub)\b|\babonn\w*|\bsuscr\w*|\babonnier\w*", "'subscribe'"),
        (
            r"\b(?:my|ma|mi|mein\w*) (?:channel|chaine|canal|kanal|page|profile?|profil|perfil)\b",
            "'my channel'",
        ),
        (r"\btelegram\b|\bwhats ?app\b", "'telegram/whatsapp'"),
        (
            r"\b(?:earn\w*|gagne\w*|gana\w*|verdien\w*|invest\w*|crypto\w*|bitcoin|forex|trading)\b",
            "money offer",
        ),
        (
            r"\blike (?:this|my) comment\b|\bthumbs up if\b|\bsmash like\b|\blike si\b|\blike wenn\b",
            "like-bait",
        ),
        (r"\b(?:free|gratuit\w*|gratis|kostenlos)\b", "'free'"),
        (r"\b(?:winner|won|gagnant|ganador|gewinner|prize|giveaway)\b", "prize bait"),
    )
)
_BOT_NAME = re.compile(
    r"\b(?:profile?|profil|perfil|bio|18\+|telegram|whatsapp|channel|chaine|canal|kanal|click|tap|"
    r"hot|sexy|nude|naughty|private|dating|single|earn|crypto|forex|mentor|robux)\b"
)

_SUPPORT_CUES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), label)
    for p, label in (
        (
            r"\b(?:ticket|tickets|e-ticket|billet\w*|places?|entradas?|karten?)\b.{0,60}"
            r"(?:never|not|haven't|still|lost|invalid|won't|n'|pas|perdu|jamais|no |nunca|perdi|"
            r"nicht|verloren|ungultig|noch)"
            r"|(?:lost|perdu|perdi|verloren)\w* (?:my|mon|ma|mes|mi|mein\w*) (?:ticket|billet|entrada|ticket)",
            "mentions a lost ticket",
        ),
        (
            r"\b(?:refund\w*|rembours\w*|reembols\w*|erstatt\w*|geld zuruck|charged twice|debite)",
            "asks for a refund",
        ),
        (r"\b(?:order|commande|pedido|bestellung)\b|#\w*0", "order problem"),
        (
            r"\b(?:link|lien|enlace|download\w*|telechargement|descarga)\b",
            "broken link or download",
        ),
        (r"\b(?:log ?in|password|mot de passe|contrasena|passwort|connecter)\b", "cannot log in"),
        (
            r"\b(?:wheelchair|fauteuil|silla de ruedas|rollstuhl|accessib\w*|barrierefrei\w*|pmr)\b",
            "accessibility request",
        ),
        (
            r"\b(?:size|taille|talla|grosse|damaged|abime\w*|danad\w*|beschadigt|wrong|mauvais\w*|falsch\w*)\b",
            "merch problem",
        ),
    )
)

_TIME_CUE = re.compile(
    r"\b(?:tonight|today|tomorrow|asap|urgent\w*|deadline|last[- ]minute|right now|this weekend|"
    r"ce soir|aujourd'hui|demain|d'urgence|ce week-end|"
    r"esta noche|hoy|manana|urgente|este finde|ultima hora|"
    r"heute(?: abend)?|(?<!guten )morgen|dringend|sofort|redaktionsschluss|last minute)\b"
)

INTENT_WORDS = {
    "booking": "booking request",
    "press": "press request",
    "collab": "collaboration proposal",
    "support": "needs help",
    "question": "asks a question",
    "complaint": "complaint",
    "praise": "compliment",
}


def set_by(name: str | None) -> str:
    """The reason a teammate's own choice (a priority, a segment) carries."""
    return f"set by {name}" if name else "set by a teammate"


def time_cue(norm: str) -> str | None:
    """The first time-critical word ("tonight", "demain", "dringend"), if any."""
    match = _TIME_CUE.search(norm)
    return match.group(0) if match else None


def spam_reason(norm: str, author: str) -> str:
    cues = [label for pattern, label in _SPAM_CUES if pattern.search(norm)]
    if FANCY_RE.search(author) or _BOT_NAME.search(normalise_author(author)):
        cues.insert(0, "bot-like author name")
    if not cues:
        return "looks like spam"
    return "looks like spam: " + " + ".join(cues[:3])


def support_reasons(norm: str) -> list[str]:
    found = [label for pattern, label in _SUPPORT_CUES if pattern.search(norm)]
    return found[:2]
