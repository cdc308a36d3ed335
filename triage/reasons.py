"""Short reasons in words, so a person can see why a message was sorted so.

The model decides; these cues only *name* what it most likely saw, in the
words a community manager uses ("mentions a lost ticket", "looks like spam:
link + 'subscribe'"). They are patterns over the normalised text (lower case,
accents folded, links as ``httpurl``), in English, French, Spanish and
German, and run only on the messages they concern, so they cost little.

Every reason a person reads is made here, from one of the message templates
below, marked with :func:`N_` / :func:`Nn_` so ``pybabel extract`` puts them in
the app's catalogue. The reasons are stored as their English rendering (the
API and the command line give them so); the web app translates a stored
reason at display time by finding the template it came from
(:data:`TEMPLATES`) and its values (``crm/views/reasons.py``). This package
knows nothing of languages: it only names its words once.
"""

from __future__ import annotations

import re

from triage.prefilter import Prefiltered
from triage.text import FANCY_RE, normalise_author

# Every reason template: a plain msgid, or a (singular, plural) pair whose count is the
# ``num`` value. Other words stored in English and shown translated register here too
# (inbox/outbox.py: what a reply's failure says).
TEMPLATES: list[str | tuple[str, str]] = []


def N_(message: str) -> str:
    """Marks a reason's words for the catalogue (pybabel's ``N_`` keyword) and registers it.

    The message stays English here; it may hold ``%(name)s`` / ``%(num)d`` values.
    """
    TEMPLATES.append(message)
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a reason with a count (pybabel's ``Nn_:1,2``) and registers it."""
    TEMPLATES.append((singular, plural))
    return singular, plural


def say(template: str, **values: object) -> str:
    """A reason in English, from its template."""
    return template % values if values else template


def say_n(forms: tuple[str, str], num: int, **values: object) -> str:
    """A reason with a count in English: the singular form for 1, the plural otherwise."""
    return (forms[0] if num == 1 else forms[1]) % {"num": num, **values}


# (pattern, words shown) for spam; the words are quoted as the message said them.
_SPAM_CUES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), label)
    for p, label in (
        (r"httpurl", N_("link")),
        (r"\bsub(?:scri\w*|4sub)\b|\babonn\w*|\bsuscr\w*|\babonnier\w*", N_("'subscribe'")),
        (
            r"\b(?:my|ma|mi|mein\w*) (?:channel|chaine|canal|kanal|page|profile?|profil|perfil)\b",
            N_("'my channel'"),
        ),
        (r"\btelegram\b|\bwhats ?app\b", N_("'telegram/whatsapp'")),
        (
            r"\b(?:earn\w*|gagne\w*|gana\w*|verdien\w*|invest\w*|crypto\w*|bitcoin|forex|trading)\b",
            N_("money offer"),
        ),
        (
            r"\blike (?:this|my) comment\b|\bthumbs up if\b|\bsmash like\b|\blike si\b|\blike wenn\b",
            N_("like-bait"),
        ),
        (r"\b(?:free|gratuit\w*|gratis|kostenlos)\b", N_("'free'")),
        (r"\b(?:winner|won|gagnant|ganador|gewinner|prize|giveaway)\b", N_("prize bait")),
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
            N_("mentions a lost ticket"),
        ),
        (
            r"\b(?:refund\w*|rembours\w*|reembols\w*|erstatt\w*|geld zuruck|charged twice|debite)",
            N_("asks for a refund"),
        ),
        (r"\b(?:order|commande|pedido|bestellung)\b|#\w*0", N_("order problem")),
        (
            r"\b(?:link|lien|enlace|download\w*|telechargement|descarga)\b",
            N_("broken link or download"),
        ),
        (
            r"\b(?:log ?in|password|mot de passe|contrasena|passwort|connecter)\b",
            N_("cannot log in"),
        ),
        (
            r"\b(?:wheelchair|fauteuil|silla de ruedas|rollstuhl|accessib\w*|barrierefrei\w*|pmr)\b",
            N_("accessibility request"),
        ),
        (
            r"\b(?:size|taille|talla|grosse|damaged|abime\w*|danad\w*|beschadigt|wrong|mauvais\w*|falsch\w*)\b",
            N_("merch problem"),
        ),
    )
)

_TIME_CUE = Prefiltered(
    re.compile(
        r"\b(?:tonight|tonite|2nite|today|tomorrow|tmrw|asap|urgent\w*|deadline|last[- ]minute|right now"
        r"|this (?:weekend|week|evening|afternoon|morning)|in an hour|by (?:noon|eod|end of (?:the )?day)|"
        r"ce soir|aujourd'hui|demain|d'urgence|ce week-end|cette semaine|avant midi|dans une heure|"
        r"esta noche|hoy|manana|urgente|este finde|esta semana|ultima hora|en una hora|"
        r"heute(?: abend| nacht)?|(?<!guten )morgen|dringend|sofort|redaktionsschluss|last minute|diese woche|"
        r"hoje(?: a noite)?|amanha|essa semana|esta semana|este fim de semana|ainda hoje|"
        r"stasera|stanotte|oggi|domani|questa settimana|questo weekend|entro (?:oggi|stasera|domani)|"
        # as soon as possible, a deadline, "by Friday", "this Thursday", in each language
        r"as soon as (?:possible|you can)|(?:by|before|until) (?:monday|tuesday|wednesday|thursday|friday"
        r"|the weekend|end of (?:the )?week)|within 0+ ?(?:hours|hrs|h)|this (?:monday|tuesday|wednesday"
        r"|thursday|friday|saturday|sunday)|"
        r"au plus (?:vite|tot)|des que possible|le plus (?:vite|rapidement) possible|date limite|"
        r"(?:d'ici|avant) (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|la fin de la semaine)|"
        r"ce (?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)|"
        r"lo (?:antes|mas pronto) posible|cuanto antes|fecha limite|plazo|"
        r"(?:antes del|para el|hasta el) (?:lunes|martes|miercoles|jueves|viernes|sabado|finde)|"
        r"este (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)|"
        r"so (?:schnell|bald) wie moglich|moglichst (?:schnell|bald)|frist|"
        r"bis (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|ende der woche)|"
        r"diesen (?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)|"
        r"o (?:quanto|mais rapido|mais breve|mais cedo) (?:antes|possivel)|prazo|urgencia|"
        r"ate (?:segunda|terca|quarta|quinta|sexta|sabado|o fim de semana|o final da semana)|"
        r"nest[ae] (?:semana|segunda|terca|quarta|quinta|sexta|sabado|domingo)|"
        r"il prima possibile|al piu presto|quanto prima|scadenza|urgenza|"
        r"entro (?:lunedi|martedi|mercoledi|giovedi|venerdi|sabato|fine settimana)|"
        r"quest[oa] (?:lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica))\b"
    )
)

# The messages a team must see within hours whatever the model makes of their
# intent: a fan locked out at the door, a same-week offer or replacement slot,
# a press deadline today, a venue problem before the show, something lost at
# tonight's show. Each is (pattern, the case in words); the case is stored as
# the message's time cue and named among the reasons (:data:`MUST_SEE`).
_NOW = (
    r"(?:tonight|tonite|today|tomorrow|tmrw|this (?:week|weekend|friday|saturday|sunday|thursday|evening)"
    r"|ce soir|aujourd'hui|demain|ce week-end|cette semaine|ce (?:vendredi|samedi|dimanche|jeudi)"
    r"|esta noche|hoy|manana|este finde|esta semana|este (?:viernes|sabado|domingo|jueves)"
    r"|heute|morgen|diese woche|dieses wochenende|diesen (?:freitag|samstag|sonntag|donnerstag)"
    r"|hoje|amanha|essa semana|este fim de semana|nest[ea] (?:sexta|sabado|domingo|quinta)"
    r"|stasera|oggi|domani|questa settimana|questo (?:weekend|venerdi|sabato)|questa domenica)"
)
_MUST_SEE_CASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), label)
    for p, label in (
        (
            # at the door now: a ticket that will not scan, a fan kept outside
            r"\b(?:won'?t|doesn'?t|does not|didn'?t|not|wont|dont) (?:scan|work|go through|let (?:us|me) in)\b"
            r".{0,60}\b(?:door|doors|entrance|gate|queue|line|outside|security|venue)\b"
            r"|\b(?:door|doors|entrance|gate|scanner|security|bouncer)\b.{0,60}\b(?:won'?t|doesn'?t|not|wont|dont)"
            r" (?:scan|work|let (?:us|me) in|accept)\b|\b(?:stuck|standing|waiting|locked) outside\b"
            r"|\blocked out\b|\b(?:refused|denied|turned away) (?:at the |entry|entrance)"
            r"|\b(?:billet|qr|code)\b.{0,40}\b(?:passe pas|refuse|invalide|scanne pas)\b|\bbloque\w* (?:a l'entree|dehors)"
            r"|\b(?:on|je) (?:est|suis|sommes) dehors\b|\bne (?:nous|me) laissent? pas entrer\b"
            r"|\b(?:entrada|qr)\b.{0,40}\b(?:no (?:funciona|pasa|lee|sirve)|invalida|rechaz\w*)\b"
            r"|\bno (?:nos|me) dejan (?:entrar|pasar)\b|\b(?:estamos|estoy) (?:afuera|fuera) (?:de la|del|esperando)"
            r"|\b(?:ticket|karte|qr)\b.{0,40}\b(?:funktioniert nicht|geht nicht|ungultig|nicht gescannt)\b"
            r"|\blassen (?:uns|mich) nicht rein\b|\bstehen (?:hier )?(?:drau(?:ss|ß)en|vor der tur)\b"
            r"|\b(?:ingresso|qr)\b.{0,40}\b(?:nao (?:passa|funciona|le)|invalido|recusad\w*)\b"
            r"|\bnao (?:nos|me) deixam entrar\b|\b(?:estamos|to|tou|estou) (?:aqui )?(?:do lado de fora|na porta)\b"
            r"|\b(?:biglietto|qr)\b.{0,40}\b(?:non (?:passa|funziona|viene letto)|non valido|rifiutat\w*)\b"
            r"|\bnon (?:ci|mi) fanno entrare\b|\b(?:siamo|sono) (?:bloccat\w* )?fuori dal\b",
            N_("time-critical: locked out at the door"),
        ),
        (
            # a booking that cannot wait: a cancellation to fill, a slot this week
            r"\b(?:cancel\w*(?! (?:any ?time|at any time))|dropped out|pulled out|replacement|replace|fill in"
            r"|stand in|step in"
            r"|annul\w*|desist\w*|remplac\w*|forfait|sustitu\w*|reemplaz\w*|ersatz\w*|abgesagt|ausgefallen|eingesprungen"
            r"|einspringen|substitu\w*|cancelad\w*|sostitu\w*|annullat\w*|disdett\w*)\b.{0,120}\b"
            + _NOW
            + r"\b"
            r"|\b"
            + _NOW
            + r"\b.{0,120}\b(?:cancel\w*|dropped out|pulled out|replacement|replace|fill in|stand in"
            r"|step in|annul\w*|desist\w*|remplac\w*|sustitu\w*|reemplaz\w*|ersatz\w*|abgesagt|einspringen"
            r"|substitu\w*|sostitu\w*)\b",
            N_("time-critical: a same-week offer"),
        ),
        (
            r"\b(?:deadline|due|goes to print|bouclage|on boucle|cierre|cerramos|redaktionsschluss|fechamento"
            r"|fechamos|chiusura|chiudiamo|in onda|on air|en direct|en vivo|ao vivo|live on)\b.{0,60}"
            r"\b(?:today|tonight|in an hour|this afternoon|aujourd'hui|ce soir|cet apres-midi|hoy|esta tarde"
            r"|heute|hoje|oggi|stasera|0+ ?(?:h|pm|am|uhr))\b"
            r"|\b(?:today|aujourd'hui|hoy|heute|hoje|oggi)\b.{0,40}\b(?:deadline|bouclage|cierre|redaktionsschluss"
            r"|fechamento|chiusura)\b",
            N_("time-critical: a deadline today"),
        ),
        (
            r"\b(?:power cut|power outage|no power|flood\w*|leak\w*|roof|generator|pa (?:is )?(?:down|broken|dead)"
            r"|curfew|coupure|panne|inond\w*|sin luz|inundad\w*|averia|stromausfall|uberflutet|sem luz|alagad\w*"
            r"|senza corrente|allagat\w*|guasto)\b.{0,80}\b(?:tonight|before (?:the show|doors)|doors|ce soir"
            r"|avant le concert|esta noche|antes del concierto|heute abend|vor dem konzert|einlass|hoje|antes do show"
            r"|stasera|prima del concerto)\b",
            N_("time-critical: a venue problem before the show"),
        ),
        (
            r"\b(?:lost|left|forgot|dropped)\b.{0,30}\b(?:phone|wallet|bag|keys|passport|meds|medication|inhaler"
            r"|insulin|epipen)\b.{0,60}\b(?:tonight|last night|at the (?:show|gig|venue|concert)|in the (?:pit|venue))"
            r"|\b(?:perdu|oublie)\b.{0,30}\b(?:telephone|portable|portefeuille|sac|cles|passeport|medicaments"
            r"|insuline)\b.{0,60}\b(?:ce soir|hier soir|au concert|dans la salle|dans la fosse)"
            r"|\b(?:perdi|olvide|deje)\b.{0,30}\b(?:movil|celular|cartera|billetera|bolso|llaves|pasaporte"
            r"|medicacion|insulina)\b.{0,60}\b(?:esta noche|anoche|en el concierto|en la sala)"
            r"|\b(?:verloren|vergessen|liegen lassen)\b.{0,60}\b(?:handy|geldbeutel|portemonnaie|tasche|schlussel"
            r"|pass|medikamente|insulin)\b|\b(?:handy|geldbeutel|portemonnaie|tasche|schlussel|medikamente)\b"
            r".{0,40}\b(?:verloren|liegen lassen)\b.{0,40}\b(?:konzert|halle|heute)"
            r"|\b(?:perdi|esqueci)\b.{0,30}\b(?:celular|carteira|bolsa|chaves|passaporte|remedio|insulina)\b"
            r".{0,60}\b(?:hoje|ontem a noite|no show|na casa)"
            r"|\b(?:perso|dimenticato)\b.{0,30}\b(?:telefono|cellulare|portafoglio|borsa|chiavi|passaporto"
            r"|medicine|insulina)\b.{0,60}\b(?:stasera|ieri sera|al concerto|nel locale)",
            N_("time-critical: lost at tonight's show"),
        ),
    )
)
# The time-critical cases' words as stored in a message's time cue -> the reason.
MUST_SEE = {label.split(": ", 1)[1]: label for _, label in _MUST_SEE_CASES}
# The cases that overrule the spam head: spam pitches have deadlines too ("submissions
# close today"), but not a fan at the door or a band to replace this week.
NEVER_SPAM = frozenset(("locked out at the door", "a same-week offer"))
_ANY_MUST_SEE = Prefiltered(re.compile("|".join(f"(?:{p.pattern})" for p, _ in _MUST_SEE_CASES)))

INTENT_WORDS = {
    "booking": N_("booking request"),
    "press": N_("press request"),
    "collab": N_("collaboration proposal"),
    "support": N_("needs help"),
    "question": N_("asks a question"),
    "complaint": N_("complaint"),
    "praise": N_("compliment"),
}

# What the safety rules (triage/safety.py) and the safety head name.
MAY_BE_IN_DANGER = N_("may be in danger")  # the safety head, when no rule names the danger
SAFETY_WORDS = (
    N_("self-harm"),
    N_("missing person"),
    N_("crowd danger"),
    N_("threat"),
    N_("stalking"),
    N_("doxxing"),
    N_("harassment report"),
    MAY_BE_IN_DANGER,
)

# Reasons of a message (triage/classifier.py) and a conversation (triage/priority.py).
SAFETY = N_("safety: %(danger)s")
SCAM = N_("scam: asks for money, documents or log-in details")
SPAM = N_("spam")
LOOKS_LIKE_SPAM = N_("looks like spam")
LOOKS_LIKE_SPAM_BECAUSE = N_("looks like spam: %(cues)s")
BOT_LIKE_NAME = N_("bot-like author name")
ABUSIVE = N_("abusive language")
TIME_CRITICAL = N_("time-critical: '%(cue)s'")
UPSET_FAN = N_("upset fan")
INDUSTRY_CONTACT = N_("industry contact")
SUPERFAN = N_("superfan")
REGULAR_FAN = N_("regular fan")
RETURNING_FAN = N_("returning fan")
QUESTION_UNANSWERED = N_("question still unanswered")
BOT_ACCOUNT = N_("bot account")
TROLL = N_("troll")
WAITING_HOURS = Nn_("waiting %(num)d hour", "waiting %(num)d hours")
WAITING_DAYS = Nn_("waiting %(num)d day", "waiting %(num)d days")
PRESSING = {
    "booking": N_("pressing for a booking"),
    "support": N_("pressing for a support request"),
    "press": N_("pressing for a press request"),
    "collab": N_("pressing for a collaboration"),
    "question": N_("pressing for a question"),
    "complaint": N_("pressing for a complaint"),
    "other": N_("pressing for a message"),
}
SET_BY = N_("set by %(name)s")
SET_BY_TEAMMATE = N_("set by a teammate")

# Reasons of a fan's segment (triage/segments.py); several are joined with ", ".
SPAM_SHARE = Nn_("%(num)d of %(total)d messages is spam", "%(num)d of %(total)d messages are spam")
ABUSIVE_MESSAGES = Nn_("%(num)d abusive message", "%(num)d abusive messages")
WRITES_FROM = N_("writes from %(domain)s")
PROFILE_SAYS = N_("profile says '%(words)s'")
BUSINESS_MESSAGES = Nn_(
    "%(num)d booking, press or collaboration message",
    "%(num)d booking, press or collaboration messages",
)
MESSAGES = Nn_("%(num)d message", "%(num)d messages")
SILENT_FOR = Nn_("silent for %(num)d day", "silent for %(num)d days")
ENGAGEMENT = N_("engagement %(score)s")
ON_NETWORKS = Nn_("on %(num)d network", "on %(num)d networks")
MOSTLY_POSITIVE = N_("mostly positive")
MESSAGES_IN_CONVERSATIONS = Nn_(
    "%(num)d message in %(conversations)d conversations",
    "%(num)d messages in %(conversations)d conversations",
)
FIRST_MESSAGE = N_("first message")
FIRST_SEEN_TODAY = N_("first seen today")
FIRST_SEEN_AGO = Nn_("first seen %(num)d day ago", "first seen %(num)d days ago")
PARTS = ", "  # how a segment reason joins its parts ("12 messages, silent for 40 days")
CUES = " + "  # how a spam reason joins its cues ("link + 'subscribe'")


def set_by(name: str | None) -> str:
    """The reason a teammate's own choice (a priority, a segment) carries."""
    return say(SET_BY, name=name) if name else SET_BY_TEAMMATE


def time_cue(norm: str) -> str | None:
    """A time-critical case in words ("locked out at the door", a key of
    :data:`MUST_SEE`), else the first time-critical word ("tonight", "demain"), if any."""
    norm = norm.replace("\u2019", "'") if "\u2019" in norm else norm
    if _ANY_MUST_SEE.search(norm):
        for pattern, label in _MUST_SEE_CASES:
            if pattern.search(norm):
                return label.split(": ", 1)[1]
    match = _TIME_CUE.search(norm)
    return match.group(0) if match else None


def spam_reason(norm: str, author: str) -> str:
    cues = [label for pattern, label in _SPAM_CUES if pattern.search(norm)]
    if FANCY_RE.search(author) or _BOT_NAME.search(normalise_author(author)):
        cues.insert(0, BOT_LIKE_NAME)
    if not cues:
        return LOOKS_LIKE_SPAM
    return say(LOOKS_LIKE_SPAM_BECAUSE, cues=CUES.join(cues[:3]))


def support_reasons(norm: str) -> list[str]:
    found = [label for pattern, label in _SUPPORT_CUES if pattern.search(norm)]
    return found[:2]
