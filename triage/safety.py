"""Messages about someone's safety, scams, and real offers: rules that name what they saw.

A threat against the band, a fan followed home, a crush at the barrier or a
fan who says they want to die must reach a person within hours, whatever the
statistical heads make of the words: these are rare in any training set, and a
model that has seen thirty of them will miss the thirty-first. So the
classifier asks these rules as well as its own ``safety`` head, and either one
is enough (:func:`safety_category` gives the category, in words).

Scams are the other rare class that costs a lot when misread: an "offer" that
asks the artist to pay a visa fee or send a passport scan. And the opposite
mistake, a real promoter's offer with a fee and a date filed as spam, hides the
message a band most needs to see; :func:`looks_like_real_offer` lets the
classifier overrule its spam head for those.

Every pattern runs over :func:`triage.text.normalise_text` output: lower case,
accents folded, digits as ``0``, links as ``httpurl``. Languages: English,
French, Spanish, German, Portuguese and Italian.
"""

from __future__ import annotations

import re


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Category -> pattern, checked in this order. Each alternative is written to
# need the dangerous reading: "followed you since 2015" or "I nearly fainted
# when you played it" must not page anyone.
SAFETY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "self-harm",
        _any(
            # en
            r"\bkill(?:ing)? myself\b|\bend (?:it all|my life)\b|\bsuicid\w*|\bself[- ]?harm\w*"
            r"|\bcut(?:ting)? myself (?:again|every)|\bdon'?t want to (?:live|be alive) anymore\b"
            r"|\bno reason to live\b|\bbetter off without me\b|\btook all (?:my|the) pills\b"
            r"|\boverdos\w*|\bjump off (?:a|the) bridge\b",
            # fr
            r"\bme (?:suicider|foutre en l'air)\b|\b(?:veux|vais|envie d') en finir\b"
            r"|\bplus envie de vivre\b|\bme (?:scarifie\w*|griffe\w* (?:les bras|jusqu))",
            # es
            r"\bquitarme la vida\b|\bme quiero matar\b|\bno quiero (?:vivir|seguir viviendo)\b"
            r"|\btirar(?:me)? (?:del|de un) puente\b|\bcortarme (?:los brazos|las venas)\b",
            # de
            r"\bmich umbringen\b|\bnicht mehr leben\b|\bselbstmord\w*|\bsuizid\w*|\britz\w* mich\b"
            r"|\bbesser wenn ich nicht mehr da\b|\bmir das leben nehmen\b",
            # pt
            r"\bvou me matar\b(?! de rir)|\bnao quero mais viver\b|\bsumir de vez\b"
            r"|\btirar (?:a )?minha (?:propria )?vida\b",
            # it
            r"\bfarla finita\b|\btogliermi la vita\b|\bucciderm\w*|\bnon voglio piu vivere\b"
            r"|\btutte le pastiglie\b|\bbuttarmi (?:dal|da un) ponte\b",
            # any language: a goodbye letter, "the last time you see me", off a bridge
            r"\b(?:wrote|written|writing|ecrit|escrib\w*|escrevi|geschrieben|scritto)\b.{0,30}"
            r"\b(?:letter|lettre|carta|brief|lettera)\b.{0,20}\b(?:to|for|pour|a|para|pra|an|alla|per)"
            r" (?:my|ma|mes|mi|minha|meine|mia|la mia)\b",
            r"\blast time (?:you|u)(?:'ll| will)? (?:see|hear from) me\b|\bderniere fois que (?:vous|tu)"
            r" (?:me voye[zs]|me vois)\b|\bultima vez que me (?:ven|veem|vem|ves|veis)\b"
            r"|\bletzte mal,? dass (?:ihr|du) mich\b|\bultima volta che mi (?:vedete|vedi)\b",
            r"\b(?:throw|jump)\w* (?:himself|herself|themselves) off\b|\bse (?:jeter|tirer) (?:du|d'un) pont\b"
            r"|\btirar(?:se)? (?:del|de un) puente\b|\bse jogar d[ae] ponte\b|\bvon der brucke springen\b"
            r"|\bsi butta dal ponte\b",
            r"\bdon'?t (?:really )?see the point (?:anymore|of living|in living)\b|\bcansad[oa] de (?:todo|vivir)\b",
        ),
    ),
    (
        "missing person",
        _any(
            r"\b(?:has gone|went|is) missing\b|\bdisparue?\b|\bdesaparec\w*|\bdesapareceu\b"
            r"|\bvermisst\w*|\bscompars[oa]\b",
        ),
    ),
    (
        "crowd danger",
        _any(
            # en
            r"\bcrush(?:ed|ing)?\b.{0,40}\b(?:front|barrier|pit|crowd)|\bcan'?t breathe\b"
            r"|\b(?:fainted|collapsed|passed out|unconscious|not breathing)\b"
            r"|\b(?:fire|smoke)\b.{0,30}\b(?:exit|backstage|coming from|everywhere|evacuat\w*)"
            r"|\bfight\b.{0,30}\b(?:bar|front|pit|crowd|barrier)|\bbleeding\b|\bambulance\b"
            r"|\bemergency exits?\b.{0,40}\b(?:locked|blocked|chained)"
            r"|\b(?:exit|sortie|salida|ausgang|saida|uscita)\w*\b.{0,30}\b(?:blocked|bloque\w*|bloquead\w*"
            r"|versperrt|blockiert|bloccat\w*|chained|cadenas|candado)"
            r"|\b(?:not responding|ne repond plus|repond plus|no responde|reagiert nicht|nao responde"
            r"|non risponde)\b",
            # fr
            r"\becrase\w*\b.{0,40}\b(?:barriere|devant|fosse)|\bmalaise\b|\bevanoui\w*"
            r"|\bs'est ecroule\w*|\bincendie\b|\bbagarre\b|\bsorties? de secours\b|\bsamu\b"
            r"|\bpompiers\b",
            # es
            r"\baplastad\w*|\bdesmay\w*|\bno (?:se )?(?:puede|podia) respirar\b|\bincendio\b"
            r"|\bpelea\b|\bsangr(?:ando|e)\b|\bsalidas? de emergencia\b|\bambulancia\b",
            # de
            r"\bgedrange\b|\bgequetscht\b|\bohnmacht\w*|\bumgekippt\b|\bkipp\w* (?:\w+ ){0,2}um\b"
            r"|\bliegt am boden\b|\bschlagerei\b|\bnotausgang\w*|\bkrankenwagen\b|\bsanitater\b",
            # pt
            r"\besmagad\w*|\bdesmai\w*|\bdesacordad\w*|\bpassou mal\b|\bbriga\b|\bsangrando\b"
            r"|\bgrade\b.{0,30}\bcedeu\b|\bambulancia\b|\bsaida de emergencia\b",
            # it
            r"\bschiacciat\w*|\bsvenut\w*|\brissa\b|\bsanguina\w*|\bambulanza\b"
            r"|\buscit[ae] di (?:emergenza|sicurezza)\b",
        ),
    ),
    (
        "threat",
        _any(
            # en
            r"\b(?:kill|hurt|shoot|stab) (?:you|u|him|her|them|the band)\b|\byou(?:'re| are) dead\b"
            r"|\bwatch your back\b|\byou(?:'ll| will) (?:regret|pay for)\b|\bbomb threat\b",
            # fr
            r"\bje (?:vais|vai) te (?:tuer|buter|defoncer|frapper)\b|\bt'es mort\b"
            r"|\btu vas (?:payer|le regretter)\b",
            # es
            r"\bte (?:voy a|vamos a) (?:matar|partir la cara)\b|\bvas a ver lo que te pasa\b"
            r"|\bte vas a arrepentir\b",
            # de
            r"\b(?:bring|mach)\w* (?:dich|euch) (?:um|kalt)\b|\bdu bist tot\b"
            r"|\bdas wirst du bereuen\b",
            # pt
            r"\bvou te (?:matar|quebrar)\b|\bvoces vao pagar\b",
            # it
            r"\bti (?:ammazzo|uccido|spacco)\b|\bti faccio passare la voglia\b|\bte ne pentirai\b",
        ),
    ),
    (
        "stalking",
        _any(
            # en
            r"\bi know (?:where|which hotel) (?:you|u|he|she|they)\b|\bi know your (?:street|address|room)\b"
            r"|\bfollowed (?:me|her|him|you) (?:home|to (?:the|my|your|her|his))\b"
            r"|\boutside your (?:house|home|flat)\b|\bi know you'?re (?:at|staying)\b"
            r"|\bhotel\b.{0,80}\b(?:lobby|floor|etage|stock|andar|piso)\b",
            # fr
            r"\bje sais (?:ou|dans quel hotel) (?:tu|vous|il|elle)\b|\bconnais ta rue\b"
            r"|\bdevant (?:chez toi|ta maison|ton immeuble)\b|\bm'a suivie?\b"
            r"|\bt'ai suivie? jusqu",
            # es
            r"\b(?:se|sabemos) (?:donde|en que hotel) (?:vives|vivis|duermes|te quedas|paran|estan"
            r"|se queda|para)\b|\bte vi salir\b|\bme (?:estuvo|esta|viene) siguiendo\b"
            r"|\bsiguiendolas?\b",
            # de
            r"\bich weiss,? (?:wo|in welchem hotel) (?:du|ihr|er|sie)\b|\bvor deinem haus\b"
            r"|\bist mir\b.{0,30}\bgefolgt\b",
            # pt
            r"\bsei (?:muito bem )?onde (?:voce|voces|vcs|vc|tu|ele|ela) (?:mora|moram|fica|ficam"
            r"|dorme|esta)\b|\bquarto 0+\b|\bna frente do meu predio\b|\bficou seguindo\b"
            r"|\bsabe qual e (?:a )?minha janela\b",
            # it
            r"\b(?:so|sappiamo) dove (?:abiti|dormi|stai|alloggi)\b|\bti ho seguit\w* fino\b"
            r"|\bmi segue da\b|\bmi aspetta fuori\b",
        ),
    ),
    (
        "doxxing",
        _any(
            r"\b(?:home|private|personal) (?:address|number)\b|\bpost (?:his|her|their) (?:address|number)\b"
            r"|\bhere'?s where \w+ lives\b"
            r"|\b(?:here'?s|hier (?:ist )?die|voici l'|aqui (?:esta )?(?:o|a)|ecco l')\s?(?:home )?"
            r"(?:address|adresse|direccion|endereco|indirizzo)\b",
            r"\b(?:publie|balance|poste)\w* (?:son|ton|leur)s? (?:numero|adresse)\b"
            r"|\b(?:numero|adresse) (?:perso|privee?)\b",
            r"\b(?:numero|direccion) (?:de la mama|de su casa|personal|privad[oa])\b",
            r"\b(?:adresse|handynummer|nummer)\b.{0,60}\b(?:gepostet|veroffentlicht)\b"
            r"|\bprivate (?:handynummer|adresse)\b",
            r"\b(?:endereco|numero)\b.{0,40}\b(?:da mae|posto aqui|vou postar)\b",
            r"\b(?:numero privato|indirizzo di casa)\b",
        ),
    ),
    (
        "harassment report",
        _any(
            r"\b(?:harass\w*|grop\w*|molest(?:ed|ing|er|ers|ation)|sexual(?:ly)? assault\w*)\b"
            r"|\b(?:touching|grabbing|filming) (?:me|girls|her|women)\b|\bsends? me threats\b"
            r"|\bknows what i look like\b|\b(?:it|that|he|this) scared me\b|\bme dio miedo\b"
            r"|\bca m'a fait peur\b|\bhat mir angst gemacht\b|\bme deu medo\b|\bmi ha fatto paura\b",
            # minors asked to come alone, to a hotel
            r"\b(?:0{2} (?:ans|anos|anni|years? old|jahre)|minors?|mineur\w*|menores|minderjahrig\w*"
            r"|minorenni)\b.{0,80}\b(?:hotel|seule?s?|solas?|alone|allein|sozinh\w*|da sol[ei])\b",
            r"\bharcel\w*|\battouch\w*|\bm'a (?:touchee|pelotee)\b|\bmenaces\b",
            r"\bacos(?:o|ado|ada|ando|an|ador)\b|\bme (?:toco|manoseo)\b|\bgrabando a chicas\b"
            r"|\bme amenaza\w*",
            r"\bbelastig\w*|\bangefasst\b|\bfasst mich\b|\bbedroh\w*|\bdroh(?:t|en|ung|ungen) (?:mir|mich|uns)\b|\bdrohung\w*",
            r"\bassedi\w*|\bfilmando por baixo\b|\bme ameac\w*|\bameacas\b|\bestupr\w*",
            r"\bmolestat\w*|\bci toccavano\b|\bminacce\b",
        ),
    ),
)

# Advance-fee scams and phishing dressed as bookings, prizes or platform notices.
_SCAM = _any(
    # fees the artist is asked to pay first
    r"\b(?:visa|work permit) (?:fees?|costs?|charges?)\b",
    r"\b(?:you|u) (?:need to|must|have to|should) (?:first )?(?:pay|send|transfer|wire)\b",
    r"\bwestern union\b|\bmoneygram\b",
    r"\bfrais (?:de visa|de dossier|d'inscription)\b|\bvous devez (?:d'abord )?(?:payer|verser|regler)\b",
    r"\b(?:tasa|tarifa|cuota|gastos) (?:de(?:l)? visa|de tramite)\b"
    r"|\b(?:debes|deben|tienes que|tenes que|tienen que) (?:pagar|depositar|transferir)\b",
    r"\b(?:visa|bearbeitungs|vermittlungs)gebuhr\w*|\b(?:musst|mussen) (?:zuerst |vorab )?\w* ?(?:zahlen|uberweisen)\b",
    r"\btaxa (?:de visto|do visto|administrativa)\b|\b(?:precisa|precisam|tem que|tens de|devem) (?:pagar|depositar|transferir)\b",
    r"\b(?:tassa|spese) (?:per il visto|del visto|di visto)\b|\b(?:devi|dovete) (?:prima )?(?:pagare|versare|bonificare)\b",
    # documents asked for up front
    r"\bpassport (?:scans?|cop(?:y|ies)|details|numbers?)\b|\b(?:scans?|cop(?:y|ies)) of (?:your |all )?passports?\b",
    r"\b(?:copie|scan)s? (?:de )?(?:vos |ton |votre |des )?passeports?\b",
    r"\b(?:copia|escaneo|foto)s? de (?:los |sus |tu |su )?pasaportes?\b",
    r"\b(?:reisepass|pass)(?:kopie|scan)\w*|\bkopie (?:von|vom|des|eures|deines|ihres) (?:reise)?pass",
    r"\b(?:copia|copias|foto) (?:dos |do |de )?passaportes?\b",
    r"\b(?:copia|scansione) (?:del |dei )?passaport[oi]\b",
    # phishing and prizes
    r"\b(?:copyright[- ](?:strike|infringement|violation)|verif(?:y|ied) (?:your )?(?:account|badge))\b",
    r"\b(?:you(?:'ve| have)? won(?!')|claim your (?:prize|reward)|vous avez gagne|has ganado|voce ganhou"
    r"|hai vinto|sie haben gewonnen|du hast gewonnen)\b",
)

_MONEY = _any(
    r"(?:€|\$|£|r\$)\s?0+(?:[.,]0+)?\b",
    r"\b0+(?:[.,]0+)?\s?(?:k\b|€|\$|£|eur\b|euros?\b|usd\b|gbp\b|chf\b|dollars?\b|pounds?\b"
    r"|reais\b|pesos\b|franken\b|balles\b|lucas\b|cash\b|bar\b|netto\b|brutto\b)",
    r"\b(?:fee|cachet|gage|honorar|gage|compenso|cache)\b.{0,20}\b0+",
)
_DATE = _any(
    r"\b0{1,2}(?:st|nd|rd|th|er|e|\.)?\s?(?:of |de )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov"
    r"|dec|janv|fevr|avr|mai|juin|juil|aout|ene|abr|ago|dic|marz|okt|dez|fev|set|out|gen|mag|giu"
    r"|lug|ott)\w*",
    r"\b0{1,2}[./-]0{1,2}(?:[./-]0{2,4})?\b",
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|jeudi"
    r"|vendredi|samedi|dimanche|lunes|martes|miercoles|jueves|viernes|sabado|domingo|montag"
    r"|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|segunda|terca|quarta|quinta|sexta"
    r"|lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica|tonight|tomorrow|ce soir|demain"
    r"|esta noche|manana|heute|morgen|hoje|amanha|stasera|domani)\b",
)


# Scams that need two cues at once: a lure and the ask.
_LINK = re.compile(r"httpurl|\b(?:links?|lien|enlace)\b")
# "I nearly fainted when you played it" is a fan's joy, not an emergency.
_NEARLY = re.compile(r"\b(?:almost|nearly) (?:fainted|collapsed|passed out)\b")
_CREDENTIALS = re.compile(
    r"\b(?:password|passwort|senha|contrasena|mot de passe|identifiants|credenciales|login[- ]daten"
    r"|datos bancarios|dados bancarios|coordonnees bancaires|bank details|card details|kreditkarte"
    r"|nome utente e password|usuario e senha|dati bancari|bankdaten)\b"
)
_PRIZE = re.compile(
    r"\b(?:gewonnen|gewinn|ganhou|sorteado|vincitor\w*|hai vinto|winner|giveaway|gagnant\w*"
    r"|ganador\w*|ganaste|selected|ausgewahlt|selecionad\w*|selezionat\w*|seleccionad\w*)\b"
)
_SMALL_FEE = re.compile(
    r"\b(?:fianza|cauzione|kaution|caucao|contributo spese|participation aux frais|frais de douane"
    r"|activation fee|frete|versandgebuhr|spese di spedizione|shipping fee|frais de port"
    r"|gastos de envio|paga solo|pague so|zahle nur|pay only|geschenkkart\w*|gift ?cards?"
    r"|cartes? cadeaux?|tarjetas? regalo|cartao presente|carte regalo)\b"
)
_ACCOUNT_THREAT = re.compile(
    r"\b(?:account|compte|cuenta|konto|conta|profilo|perfil)\b.{0,60}"
    r"\b(?:suspend\w*|desactiv\w*|disattiv\w*|deaktiv\w*|desativad\w*|will be (?:disabled|deleted)"
    r"|gesperrt|bloquead\w*|bloccat\w*)"
)
_PLATFORM_LURE = re.compile(
    r"\b(?:copyright|droits d'auteur|derechos de autor|urheberrecht\w*|direitos de autor"
    r"|diritti d'autore|verifica\w*|verifizier\w*|selo azul|spunta blu|blaue\w* (?:haken|hakchen)"
    r"|badge bleu|insignia azul|blue (?:tick|badge|check)|regalias|royalties|droits non reclames)\b"
)
_PERMIT = re.compile(
    r"\b(?:process|tramitar|traiter|bearbeiten|processar|elaborare)\b.{0,40}"
    r"\b(?:permits?|permisos?|permis|erlaubnis|autorizac\w*|permess\w*|visas?|vistos?)\b"
)


def _plain_quotes(norm: str) -> str:
    """Phones type ’ for ': the rules are written with '."""
    return norm.replace("\u2019", "'") if "\u2019" in norm else norm


def _two_cue_scam(norm: str) -> bool:
    """A lure and an ask together. Each cue is looked for once, and the ask only
    when there is a lure: most messages have neither, and this runs on all of them."""
    if _ANY_LURE.search(norm) is None:
        return False
    credentials = _CREDENTIALS.search(norm) is not None
    small_fee = _SMALL_FEE.search(norm) is not None
    prize = _PRIZE.search(norm) is not None
    platform = _PLATFORM_LURE.search(norm) is not None
    account = _ACCOUNT_THREAT.search(norm) is not None
    permit = _PERMIT.search(norm) is not None
    if not (credentials or small_fee or prize or platform or account or permit):
        return False
    has_link = _LINK.search(norm) is not None
    money = (small_fee or prize or permit) and _MONEY.search(norm) is not None
    return bool(
        (credentials and (has_link or account))
        or (small_fee and money)
        or (prize and money and has_link)
        or (platform and (has_link or account))
        or (account and has_link)
        or (permit and money)
    )


# One pass that says "some rule might match": nearly every message has none, and one
# scan of the text costs less than seven.
_ANY_SAFETY = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in SAFETY_RULES))
_ANY_LURE = re.compile(
    "|".join(
        f"(?:{p.pattern})"
        for p in (_CREDENTIALS, _SMALL_FEE, _PRIZE, _PLATFORM_LURE, _ACCOUNT_THREAT, _PERMIT)
    )
)


def safety_category(norm: str) -> str | None:
    """The first safety category whose rule matches the normalised text, if any."""
    norm = _plain_quotes(norm)
    if _ANY_SAFETY.search(norm) is None:
        return None
    for category, pattern in SAFETY_RULES:
        if pattern.search(norm):
            if category == "crowd danger" and _NEARLY.search(norm) and not _other_crowd(norm):
                continue
            return category
    return None


def _other_crowd(norm: str) -> bool:
    """A crowd-danger cue besides "nearly fainted" and the like."""
    return bool(dict(SAFETY_RULES)["crowd danger"].search(_NEARLY.sub(" ", norm)))


def is_scam(norm: str) -> bool:
    """Whether the text asks for money, documents or a click the way scams do."""
    norm = _plain_quotes(norm)
    return bool(_SCAM.search(norm)) or _two_cue_scam(norm)


def looks_like_real_offer(norm: str, scam: bool | None = None) -> bool:
    """A fee and a date, and nothing a scam asks for: a real promoter's message.

    ``scam`` is :func:`is_scam`'s answer when the caller already has it.
    """
    norm = _plain_quotes(norm)
    if not (_MONEY.search(norm) and _DATE.search(norm)):
        return False
    return not (is_scam(norm) if scam is None else scam)
