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

from triage.prefilter import Prefiltered


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _filtered(*patterns: str) -> Prefiltered:
    """:func:`_any` behind a literal prefilter, for the rules every message meets."""
    return Prefiltered(_any(*patterns))


# Category -> pattern, checked in this order. Each alternative is written to
# need the dangerous reading: "followed you since 2015" or "I nearly fainted
# when you played it" must not page anyone. :data:`_MORE` adds, per category,
# the slang, typos and indirect phrasings of the six languages.
_BASE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
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
            # quiet ones: hurting oneself, not waking up, giving things away, counting pills,
            # a tidy goodbye, "goodbye everyone" and a deleted account
            r"\bhurt(?:ing)? myself\b|\b(?:not|never) (?:planning|going|plan) (?:on |to )?wak(?:e|ing) up\b"
            r"|\bgiv(?:en|ing|e) away (?:all )?my (?:stuff|things)\b|\bcounting (?:the|my) pills\b"
            r"|\bwant(?:ed)? to (?:die|disappear)\b|\bwish i (?:was|were) dead\b"
            r"|\bstopped eating\b.{0,60}\bhurt\b",
            r"\bme (?:faire|fais) (?:du )?mal\b|\b(?:pas|plus|jamais) me reveiller\b"
            r"|\bdonne (?:toutes )?mes (?:affaires|trucs|choses)\b|\bcompte les (?:cachets|medocs|comprimes|pilules)\b"
            r"|\b(?:envie de|veux) (?:mourir|disparaitre)\b",
            r"\bhacerme dano\b|\bme (?:\w+ ){0,3}(?:hacer|hago|hice) dano\b|\bno (?:pienso|quiero|voy a) despertar(?:me)?\b"
            r"|\bregale (?:todas )?mis cosas\b|\bcontando (?:las )?pastillas\b|\bquiero (?:morirme|morir|desaparecer)\b",
            r"\b(?:tu|tue) mir (?:\w+ ){0,2}weh\b|\bmir weh (?:tun|zu tun)\b|\bnicht (?:vor|mehr),? (?:wieder )?aufzuwachen\b"
            r"|\bnicht mehr aufwachen\b|\balles verschenkt\b|\b(?:zahl\w*|gezahlt) (?:\w+ ){0,4}tabletten\b"
            r"|\bwill (?:sterben|verschwinden)\b",
            r"\bme machuc(?:ar|o)\b|\bnao (?:pretendo|quero|vou) (?:mais )?acordar\b|\bdei (?:todas )?as minhas coisas\b"
            r"|\bcontando os (?:comprimidos|remedios)\b|\bquero (?:morrer|desaparecer)\b",
            r"\bmi faccio (?:\w+ ){0,2}male\b|\bfarmi male\b|\bnon (?:ho intenzione di|voglio) svegliarmi\b"
            r"|\bregalato tutte le mie cose\b|\bconto le pastiglie\b|\bvoglio (?:morire|sparire)\b",
            r"\b(?:goodbye|bye) (?:everyone|everybody|all)\b.{0,80}\bdelet\w*|\badieu (?:tout le monde|a tous)\b.{0,80}\bsupprim\w*"
            r"|\badios a todos\b.{0,80}\b(?:borr|elimin)\w*|\btschuss an alle\b.{0,80}\bgelosch\w*"
            r"|\b(?:tchau|adeus) a todos\b.{0,80}\b(?:apag|exclu)\w*|\bciao a tutti\b.{0,80}\b(?:cancellat|eliminat)\w*",
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
            # someone down and not moving, a fit, a barrier or a rig giving way, smoke by the stage
            r"\b(?:floor|ground)\b.{0,20}\bnot (?:moving|awake)\b|\b(?:seizure|no medics|paramedics?)\b|\b(?:leg|arm|foot|someone|people|girl|boy|guy|kid)\b.{0,15}\btrapped\b"
            r"|\b(?:barrier|barricade|railing|rail|balcony)\b.{0,40}\b(?:gave way|giving way|collapsed|wobbl\w*|broke)"
            r"|\b(?:lighting|light|sound) (?:tower|rig|truss)\b.{0,40}\b(?:leaning|lean|falling|wobbl\w*)"
            r"|\bclimbing (?:on |up )?the (?:lighting |light |sound )?(?:tower|rig|truss|scaffold\w*)\b"
            r"|\bsmoke (?:coming|pouring) (?:out|from)\b|\bstop the (?:show|gig|concert)\b",
            r"\b(?:bouge|respire|reagit) plus\b|\b(?:peut|pouvait|peux) plus respirer\b|\bbaston\b"
            r"|\bbarriere\b.{0,30}\bceder?\b|\bcrise d'epilepsie\b|\bles secours\b|\bsecouriste\w*"
            r"|\bfumee\b.{0,40}\b(?:derriere|personne|evacu\w*)|\btour (?:lumiere|d'eclairage)\b|\barretez le concert\b",
            r"\bno (?:se mueve|reacciona)\b|\btirad[oa] en el suelo\b|\bbronca enorme\b|\bse esta armando una bronca\b"
            r"|\bvalla\b.{0,30}\bca(?:er|ido|yo)\b|\bcaer la valla\b|\bconvulsi\w*|\bsale humo\b|\bhumo\b.{0,30}\b(?:detras|nadie|evacu\w*)"
            r"|\btorre de (?:luces|luz)\b|\bparen el (?:show|concierto)\b",
            r"\bbewegt sich nicht\b|\b(?:kaum|keine) luft\b|\bprugel\w*|\babsperrung\b.{0,30}\bumgefallen"
            r"|\beingeklemmt\b|\bkrampfanfall\b|\brauch\b.{0,30}\b(?:raus|hinter)\b|\blichtturm\b"
            r"|\bhort auf zu spielen\b|\bstoppt das konzert\b",
            r"\bnao reage\b|\bsem se mexer\b|\bcaid[oa] (?:na frente|no chao)\b|\bnao da (?:pra|para) respirar\b"
            r"|\bpancadaria\b|\bgrade\b.{0,30}\b(?:caiu|cair)\b|\bperna presa\b|\bsocorrista\w*|\bsaindo fumaca\b|\bfumaca\b.{0,30}\b(?:tras|ninguem|evacu\w*)"
            r"|\btorre de luz\b|\bparem o show\b",
            r"\bnon (?:reagisce|si muove|si respira|riesco a respirare)\b|\bbotte al\b|\bsi picchiano\b"
            r"|\btransenna\b.{0,30}\bcrollat\w*|\bincastrat\w*|\bcrisi epilettica\b|\bsoccors\w*"
            r"|\besce fumo\b|\bfumo\b.{0,30}\b(?:dietro|nessuno|evacu\w*)|\btorre delle luci\b|\bfermate il concerto\b",
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
            r"|\bte vas a arrepentir\b(?<!no te vas a arrepentir)",
            # de
            r"\b(?:bring|mach)\w* (?:dich|euch) (?:um|kalt)\b|\bdu bist tot\b"
            r"|\bdas wirst du bereuen\b",
            # pt
            r"\bvou te (?:matar|quebrar)\b|\bvoces vao pagar\b",
            # it
            r"\bti (?:ammazzo|uccido|spacco)\b|\bti faccio passare la voglia\b|\bte ne pentirai\b",
            # "your last show", "a lesson", "you'll regret it", "bring security"
            r"\b(?:again|rejoue\w*|encore|vuelve a|noch einmal|de novo|di nuovo)\b.{0,80}\b(?:your|ton|tu|dein|teu"
            r"|seu|il tuo) (?:last|dernier|ultimo|letztes) (?:show|gig|concert|concierto|konzert|concerto)\b"
            r"|\b(?:not a joke|pas une blague|no es broma|kein witz|nao e piada|non scherzo)\b",
            r"\b(?:taught|teach \w+) a lesson\b|\bmake (?:sure )?(?:you|u|me|i) regret\b"
            r"|\bbring (?:(?:more|lots of|all your) )?security\b(?! next time)",
            r"\b(?:meritent|merite|donner|donne) une (?:bonne )?lecon\b|\b(?:te|vous|me) le (?:fera|ferai|ferons) payer\b",
            r"\bdar(?:le|te|les)? una leccion\b|\bhacer(?:me|te|le|os) arrepentir\b|\btrae(?:d|n)? seguridad\b",
            r"\beine lektion\b|\b(?:wirst|werdet) (?:es |das )?(?:noch )?bereuen\b|\bdass (?:ich|du|ihr) es bereu\w*",
            r"\b(?:merece|dar) uma licao\b|\bfazer (?:voce|vc|te|me) (?:se )?arrepender\b|\bvai se arrepender\b(?<!nao vai se arrepender)"
            r"|\btragam segurancas?\b",
            r"\buna lezione\b|\b(?:me|te|ce|ve) la (?:fara|faro|faremo) pagare\b|\bla pagherai\b|\bporta la sicurezza\b",
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
            # a room number and a wait, a balcony and a floor, a window, a relative's house,
            # someone followed from the venue
            r"\b(?:room|chambre|habitacion|zimmer|quarto|camera) 0+\b.{0,100}\b(?:wait|attend\w*|espero|warte"
            r"|esperar|aspetto|come down|descend\w*|baja|komm runter|desce|scendi)",
            r"\b(?:knows?|sait|sabe|weiss|sa) (?:\w+ ){0,2}(?:which window|quelle fenetre|cual es su ventana|welches fenster|qual e a (?:sua |minha )?janela"
            r"|qual e la sua finestra)\b",
            r"\boutside (?:your|his|her|their|our \w+'?s|\w+'s) (?:house|home|flat|place|building|door)\b"
            r"|\b(?:past|outside) your (?:mum|mom|mother|dad|parents)'?s?\b|\bdevant chez ta (?:mere|soeur)\b"
            r"|\bchez tes parents\b|\bdevant l'immeuble de\b|\bcasa de tu (?:madre|familia)\b|\bdelante del piso de\b"
            r"|\bbei deiner mutter\b|\bvor der wohnung\b|\bcasa da (?:tua|sua) mae\b|\bem frente ao predio\b"
            r"|\bcasa di tua madre\b|\bsotto casa del\b",
            r"\bfollowing (?:me|us|her) (?:from|to|home|around|since)\b|\b(?:nous|me|la) sui[st] depuis\b|\b(?:nos|me) (?:esta )?sigu\w* desde\b"
            r"|\bverfolgt\b.{0,30}\bvon der\b|\bverfolgt (?:mich|uns) (?:bis|von der|vom)\b|\bseguindo (?:eu|a gente|nos)\b|\b(?:segue|seguendo) (?:me|noi)\b|\bci segue\b",
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
            # a street address given for someone's home, a door or a number plate, "DM me for the address"
            r"\b(?:lives|living|wohnt|habite|vive|mora|abita)\b.{0,50}(?:\b0+\b.{0,30}\b(?:street|st|road|rd|lane|avenue"
            r"|rue|calle|avenida|rua|via|viale|piazza)\b|\b(?:street|road|lane|avenue|rue|calle|avenida|rua|via|viale"
            r"|piazza)\b.{0,30}\b0+\b|\w+(?:strasse|str|weg|gasse|allee|platz)\.? 0+\b)",
            r"\b(?:car plate|number plate|licence plate|car reg|plaque d'immatriculation|matricula de su coche"
            r"|placa do carro|targa della (?:sua )?macchina|kennzeichen|numero de rue)\b",
            r"\b(?:dm|mp|md|dms)\b.{0,20}\b(?:for|pour|pra|per|fur|para) (?:the |l'|la |a |o |die )?(?:address|adresse"
            r"|direccion|endereco|indirizzo)\b|\b(?:found|trouve|encontre|gefunden|achei|trovato) (?:\w+ ){0,3}(?:street|rue|calle|strasse|rua)\b",
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
            r"\b(?:putting|put|puts) (?:his|her|their) hands? (?:on|under)\b|\bhands? under my\b|\bgrabbing at (?:us|me)\b|\bpretending to be\b.{0,80}\b(?:meet|hotel)\b",
            r"\bla main sous\b|\b(?:nous|me) touchait\b|\bpor debajo de (?:la|mi) camiseta\b|\b(?:nos|me) agarraba\b"
            r"|\bunters shirt\b|\b(?:an|be)gegrapscht\b|\bbegrapscht\b|\bbetatscht\b"
            r"|\bpor baixo da (?:minha )?(?:camisola|blusa|camiseta|saia)\b|\bpass(?:ava|ou) a mao\b"
            r"|\bmano sotto\b|\bmani addosso\b",
        ),
    ),
)

# More ways people write each kind of danger: slang ("unalive", "kms"), typos
# ("kil u"), the indirect and the sarcastic ("wear a vest to the show",
# "shame if something happened to your little girl"), and the reports of what
# happened to someone else ("her number is going round on twitter").
_MORE: dict[str, tuple[str, ...]] = {
    "self-harm": (
        r"\bwant (?:it all|everything|the pain|it) to (?:stop|end)\b|\bun-?aliv\w*|\bsewer ?slide\b"
        r"|\bi(?:'ll| will|'m gonna|m gonna|'m going to|m going to| am going to)? end (?:it|things|everything)\b"
        r"(?! (?:with|between|on a high))|\b(?:want|wanna|gonna|going) (?:to )?kms\b"
        r"|\b(?:sleep|fall asleep) and (?:never|not) wake up\b|\bsleep forever\b"
        r"|\bnobody (?:would|will|'d|wd) (?:even )?(?:notice|care|miss me)\b.{0,25}\b(?:gone|dead|died|disappear\w*)\b"
        r"|\bnobody (?:would|will|'d) miss me\b|\bthis is my (?:goodbye|farewell)\b(?! to)"
        r"|\b(?:pills|tablets|rope) (?:are |is )?(?:ready|lined up|in front of me)\b|\bgot the (?:pills|rope)\b"
        r"|\b(?:writing|wrote|written|left) my (?:last |goodbye )?note\b|\b(?:goodbye|suicide) note\b"
        r"|\bwon'?t be (?:here|around|alive) (?:much longer|anymore|to see|by (?:then|tomorrow))\b"
        r"|\btired of (?:living|being alive|life)\b|\bhang myself\b|\bslit(?:ting)? my wrists\b",
        r"\bfatigue\w* de vivre\b|\b(?:peux|peut) plus (?:de )?vivre\b|\bsi je disparais(?:sais)?\b"
        r"|\bpersonne (?:ne )?(?:me regrettera|remarquera)\b|\bc'est mon adieu\b|\bmon dernier message\b(?! avant)"
        r"|\bme pendre\b|\bm'ouvrir les veines\b|\bme (?:tailler|couper) les veines\b|\bmettre fin a mes jours\b"
        r"|\bdormir pour toujours\b|\bje vais me tuer\b",
        r"\bno aguanto mas (?:vivir|la vida)\b|\bsi (?:yo )?(?:no estuviera|desapareciera|me muriera)\b"
        r"|\bnadie me (?:extranaria|echaria de menos|va a extranar)\b|\besta es mi despedida\b"
        r"|\bmi ultimo mensaje\b(?! antes)|\b(?:ahorcarme|colgarme)\b|\bme voy a colgar\b(?! (?:la|el|un|una))"
        r"|\bme voy a cortar\b(?! (?:el|la|los) (?:pelo|barba|flequillo|unas))|\bdormir para siempre\b",
        r"\bkann nicht mehr leben\b|\blebensmude\b|\bmude zu leben\b|\bwenn ich (?:weg|tot) (?:ware|bin)\b"
        r"|\bniemand (?:wurde|wird) mich vermissen\b|\bdas ist mein abschied\b|\bmeine letzte nachricht\b(?! vor)"
        r"|\bbring\w* mich um\b|\bmich (?:aufhangen|erhangen)\b|\bfur immer schlafen\b",
        r"\bnao aguento mais viver\b|\bcansad[oa] de viver\b|\bse eu (?:sumisse|morresse)\b"
        r"|\bninguem (?:ia|vai|iria) sentir (?:a )?minha falta\b|\b(?:essa|esta) e (?:a )?minha despedida\b"
        r"|\bminha ultima mensagem\b(?! antes)|\bme enforcar\b|\bvou me cortar\b(?! o cabelo)|\bdormir pra sempre\b"
        r"|\bvou me matar\b(?! de)",
        r"\bnon ce la faccio piu a vivere\b|\bstanc[oa] di vivere\b|\bse (?:io )?sparissi\b"
        r"|\bnessuno sentirebbe la mia mancanza\b|\bquesto e il mio addio\b|\bil mio ultimo messaggio\b(?! prima)"
        r"|\bimpiccarmi\b|\btagliarmi (?:le vene|i polsi)\b|\bmi ammazzo\b(?! dalle)|\bdormire per sempre\b",
        # "it's all too heavy, i've left everything tidy"; a pet given away; "i won't be anywhere soon"
        r"\b(?:too heavy|trop lourd|demasiado|zu schwer|troppo pesante|pesado demais)\b.{0,80}\b(?:tidy|in order"
        r"|sorted|range|ordenado|aufgeraumt|in ordine|arrumado)\b|\b(?:left|leaving) everything (?:tidy|in order|sorted)\b"
        r"|\b(?:gave|given|donne|regale|gegeben|dei|dato) (?:away )?(?:my|mon|ma|mi|meine?n?|meu|minha|il mio|la mia)"
        r" (?:cat|dog|chat|chien|chienne|gat[oa]|perr[oa]|katze|hund|cachorr[oa]|gatt[oa]|cane)\b.{0,15}\b(?:to|a|an|ao|alla?)\b"
        r"|\bwon'?t be anywhere\b|\bne serai plus nulle part\b|\bno voy a estar en ningun (?:lado|sitio)\b"
        r"|\bbald nirgends mehr\b|\bnao vou estar em lugar nenhum\b|\bnon saro piu da nessuna parte\b",
        r"\b(?:je )?(?:ne )?serai (?:plus la|bientot plus la)\b|\bya no (?:voy a estar|estare) (?:aqui|aca|mas)\b"
        r"|\b(?:bin|bald) (?:dann |bald )?nicht mehr da\b|\bnao (?:vou estar|estarei) mais aqui\b|\bnon ci saro piu\b"
        r"|\bwon'?t be here (?:anymore|for (?:the|your) next)\b",
    ),
    "missing person": (
        r"\b(?:lost|can'?t find|cannot find) my (?:0+ ?(?:yo|y/o|year old) |little |youngest |)(?:son|daughter|kid"
        r"|child|boy|girl|little (?:brother|sister))\b|\bnever (?:came|made it) (?:home|back)\b.{0,40}\b(?:after|from)"
        r" the (?:show|gig|concert|festival)|\b(?:after|from) the (?:show|gig|concert|festival)\b.{0,40}\bnever"
        r" (?:came|made it) (?:home|back)",
        r"\b(?:perdu|retrouve plus|trouve plus) (?:mon|ma|notre) (?:fils|fille|enfant|petit|petite|gamin\w*)\b",
        r"\b(?:perdi|no encuentro|no encontramos) a mi (?:hijo|hija|nino|nina|hermanit[oa]|peque)\b",
        r"\b(?:finde|finden) (?:meine|meinen|unsere|unseren) (?:tochter|sohn|kind|kleine\w*)\b.{0,10}\bnicht\b",
        r"\b(?:perdi|nao acho|nao encontro) (?:o |a )?(?:meu|minha) (?:filh[oa]|crianca|irmaozinho|irmazinha)\b",
        r"\b(?:perso|non trovo piu|non trovo) (?:mio|mia) (?:figli[oa]|bambin[oa]|fratellino|sorellina)\b",
    ),
    "crowd danger": (
        r"\b(?:getting|being|got) squish\w*|\b(?:squish|squash)\w*\b.{0,30}\b(?:front|barrier|crowd|rail)|\btrampl\w*|\bstampede\b"
        r"|\b(?:won'?t|not|aren'?t|don'?t) let(?:ting)? (?:us|anyone|people|anybody) out\b"
        r"|\bexits? (?:are|is|were|was) (?:locked|blocked|chained|closed)\b"
        r"|\b(?:someone|somebody|guy|man|dude|bloke|person|girl|woman|kid|people) (?:\w+ ){0,2}(?:has|have|with"
        r"|pulled (?:out )?|waving) an? (?:knife|gun|blade|machete|weapon)\b"
        r"|\b(?:pepper ?spray\w*|tear ?gas)\b.{0,30}\b(?:crowd|pit|front|everyone|people|inside|venue|queue)\b"
        r"|\b(?:sprayed|spraying|someone|somebody)\b.{0,20}\bpepper ?spray"
        r"|\b(?:dropping|collapsing|fainting) (?:from|in|because of) the heat\b|\bpanic attack\b.{0,40}\b(?:pit|front"
        r"|crowd|security|barrier|help)\b|\bnobody can move\b",
        r"\b(?:on|j') ?etouff\w*|\bbousculade\b|\bpietin\w*|\b(?:avec|a|sorti) un (?:couteau|flingue|pistolet|arme)\b"
        r"|\bgaz lacrymo\w*|\blacrymo\b",
        r"\baplast\w*|\bavalancha\b|\bestampida\b|\bpisotead\w*|\b(?:tiene|con|saco) un(?:a)? (?:cuchillo|navaja|pistola"
        r"|arma)\b|\bgas (?:pimienta|lacrimogeno)\b",
        r"\bmassenpanik\b|\bzerquetscht\b|\bzerdruckt\b|\b(?:nieder|tot)getrampelt\b|\b(?:hat|mit) (?:ein|einem|einer)"
        r" (?:messer|waffe|pistole)\b|\bpfefferspray\w*|\btranengas\b",
        r"\besmag\w*|\btumulto\b|\bpisotead\w*|\b(?:com|tem|puxou|sacou) (?:uma )?(?:faca|arma|revolver)\b"
        r"|\bspray de pimenta\b|\bgas lacrimogeneo\b|\bsufocando\b",
        r"\b(?:drink|drinks|glass) (?:was |got |were )?spiked\b|\bspiked (?:my|her|his|our)(?: \w+'s)? drinks?\b"
        r"|\b(?:roofied|drugged (?:me|her|him|my))\b|\bheart attack\b|\ballergic reaction\b|\banaphyla\w*"
        r"|\b(?:stage|ceiling|roof|speaker|curtain|building)\b.{0,20}\b(?:caught fire|in flames)\b",
        r"\bdrogu\w* (?:mon|son|leur|notre) verre\b|\bghb\b|\bcrise cardiaque\b|\ba pris feu\b",
        r"\b(?:algo|droga) en (?:la|mi|su) bebida\b|\bme drogaron\b|\b(?:infarto|ataque al corazon)\b"
        r"|\bse (?:prendio fuego|incendio)\b",
        r"\bk\.? ?o\.?[- ]tropfen\b|\bwas ins (?:getrank|glas)\b|\bherzinfarkt\b|\bfing feuer\b|\bin flammen\b",
        r"\b(?:algo|droga) na (?:minha|sua|bebida)\b|\bboa noite cinderela\b|\bpegou fogo\b",
        r"\bmi hanno drogat\w*|\bqualcosa nel (?:bicchiere|drink)\b|\bha preso fuoco\b",
        r"\bni respirar\b|\bnem (?:da pra|consigo) respirar\b|\bschiacciando\b|\bcalpestat\w*|\b(?:ha|con) un(?:a)? (?:coltello|pistola|arma)\b|\bspray al peperoncino\b"
        r"|\blacrimogen\w*",
    ),
    "threat": (
        r"\bsee what happens (?:to (?:you|u)|when)\b|\bwatch (?:ur|yo|your) back\b|\b(?:put|pop) a (?:bullet|cap) in\b"
        r"|\b(?:i|we)(?:'ll| will|'m gonna| am gonna|m gonna|'re gonna| are gonna| gonna| going to| am going to)"
        r" burn (?:down )?(?:the|your|ur|this|that) (?:venue|club|place|house|bus|studio|hall)\b"
        r"|\bmake sure (?:you|u) never (?:sing|play|perform|walk|work)\b|\bwhat'?s coming (?:to (?:you|u|him|her|them))\b"
        r"|\b(?:i(?:'ve)? got|i have|i'?m bringing|i'll bring) a (?:gun|knife|blade|weapon)\b"
        r"|\bwear a (?:bullet ?proof |stab )?vest\b|\b(?:shame|pity) if (?:something|anything) (?:happened|happens"
        r"|were to happen) to\b|\bhope (?:your|ur|the) (?:tour )?(?:bus|plane|van|car) (?:crash|burn)\w*"
        r"|\b(?:beat|kick) the (?:shit|crap|hell) out of\b|\bkil+ (?:you|u|ya)\b|\bsee how (?:tough|brave|hard|funny)"
        r" (?:you|u)(?:'re| are| r)\b|\bhunt (?:you|u) down\b|\b(?:i|we)(?:'ll| will) find (?:you|u)\b.{0,40}"
        r"\b(?:regret|sorry|pay|lesson|hurt|tough)\b",
        r"\bje (?:vais|vai|v) te (?:crever|saigner|planter|casser la gueule|niquer|cramer|egorger)\b"
        r"|\b(?:faire|fera|ferai|ferons) la peau\b|\bfais gaffe a ta gueule\b|\bce qui va (?:t'|vous )arriver\b"
        r"|\b(?:vais|va|vas) cramer (?:ta|la|votre|ton|leur) (?:salle|bus|maison|studio|camion)\b"
        r"|\battend\w* a la sortie\b.{0,40}\b(?:tu verras|vous verrez|tu vas voir|gare)\b",
        r"\bte (?:voy|vamos) a (?:reventar|partir|romper|quemar|pegar|destrozar|apunalar|encontrar)\b"
        r"|\bcuidate (?:la espalda|las espaldas)\b|\bya veras lo que te\b|\bte vas a enterar\b"
        r"|\b(?:voy|vamos) a quemar (?:la|el|tu|vuestr\w*) (?:sala|local|bus|casa|estudio)\b"
        r"|\bojala (?:te mueras|se muera\w*|os muerais|te pase algo|te maten)\b|\bpartir la madre\b",
        r"\bich (?:krieg|kriege|erwisch\w*) dich\b|\bstech\w* (?:dich|euch) ab\b|\bich stech dich\b"
        r"|\b(?:zund|fackel)\w* (?:den|euren|deinen|die|das) (?:laden|club|bus|halle|haus|studio)\b"
        r"|\bich mach (?:dich|euch) fertig\b|\bgibt'?s (?:arger|aufs maul|was auf die fresse)\b|\bpass (?:blo|bloss|blos) auf\b",
        r"\bvou te (?:achar|quebrar|furar|arrebentar)\b|\bte pegar na saida\b|\bvai ver (?:so )?o que (?:vai )?"
        r"(?:te )?acontec\w*|\b(?:tacar|botar|por) fogo (?:nesse|neste|no|na|em)\b|\bacabar com (?:voce|vc|voces|vcs)\b"
        r"|\btoma cuidado (?:quando|se) (?:vier|voltar|pisar)\b",
        r"\bti (?:trovo\b(?! (?:bene|benissimo|in forma|stupend\w*|bellissim\w*|fantastic\w*|cambiat\w*|molto|sempre"
        r"|davvero|proprio))|becco|faccio (?:a pezzi|fuori|la pelle|nero)|sfondo)\b|\bguardati le spalle\b"
        r"|\bvedrai (?:cosa|che) ti succede\b|\b(?:do|diamo|dare|daro) fuoco (?:al|alla|a)\b"
        r"|\bti aspetto fuori\b.{0,40}\b(?:vediamo|vedrai|ne parliamo|capirai)\b",
        # a warning, a weapon brought to the show, violence promised to another fan
        r"\b(?:you'?ve|you have|u have|you'?ve all) been warned\b|\blast warning\b(?=[.!]|$| to (?:you|u)\b)|\bconsider (?:this|yourself)"
        r" (?:a warning|warned)\b|\bdernier avertissement\b|\bt'es prevenu\w*|\bvous etes prevenus\b"
        r"|\bultimo aviso\b|\b(?:estas|quedas|quedais|estais) avisad\w*|\bletzte warnung\b|\b(?:du bist|ihr seid)"
        r" gewarnt\b|\b(?:esta|ta|estao) avisad\w*|\bultimo avvertimento\b|\b(?:sei|siete) avvisat\w*",
        r"\b(?:bring|bringing|brought|carry|carrying|taking)\w* (?:a |my |his )?(?:gun|knife|weapon|blade|pistol)"
        r" (?:to|into|in)\b|\b(?:ramene|apporte|prend)\w* (?:une arme|un couteau|un flingue)\b"
        r"|\b(?:llevar|llevo|traer|traigo) (?:un arma|una pistola|un cuchillo|una navaja)\b"
        r"|\b(?:waffe|messer|pistole) mit(?:bringen|nehmen|gebracht|genommen)?\b|\b(?:levar|levo|trazer|trago)"
        r" (?:uma arma|uma faca|um revolver)\b|\b(?:porto|portare|portero) (?:una pistola|un coltello|un'arma)\b",
        r"\b(?:smash|break|bash|punch) (?:her|his|your|ur|their) (?:face|head|legs|teeth|nose)\b"
        r"|\b(?:lui|te|leur) (?:casser|peter|defoncer|eclater) (?:la gueule|la tete|les dents)\b"
        r"|\b(?:le|les|te) (?:voy|vamos) a (?:partir|romper|reventar) la (?:cara|cabeza|boca)\b"
        r"|\b(?:polier|hau)\w* (?:ihr|ihm|dir) (?:die fresse|eine rein)\b|\bquebrar a cara d\w+\b"
        r"|\b(?:le|gli|ti) spacc\w* la faccia\b",
        # "i'll find you ... you'll see": a meeting turned into a menace
        r"\bje vais te (?:retrouver|trouver)\b.{0,30}\btu vas (?:comprendre|voir|regretter|payer)\b"
        r"|\bte espero (?:a la salida|afuera|fuera)\b.{0,30}\b(?:vas a ver|ya veras)\b"
        r"|\bich finde dich\b,? (?:verlass dich|und dann|egal wo)|\bte espero (?:la fora|na saida)\b.{0,40}\bvai ver\b",
        # waiting at the stage door "to talk, our way"; wishes of harm; "see what happens"
        r"\b(?:keep|carry on|do that again|try it|cancel)\b.{0,60}\bsee what happens\b|\bmake (?:you|u) listen\b"
        r"|\b(?:me and the lads|with the lads|the boys and i)\b.{0,40}\b(?:wait\w*|there|outside)\b"
        r"|\bhope (?:the|your|ur) (?:stage|roof|bus|plane) (?:collapses|falls|crashes)\b",
        r"\bon va (?:discuter|parler|s'expliquer),? a (?:notre|ma) facon\b|\bcomprendre ta douleur\b"
        r"|\b(?:toi aussi|vous aussi),? tu vas comprendre\b|\bj'espere que (?:la scene|le toit|ton bus) (?:s'effondre|tombe)\b",
        r"\bquieras o no\b|\bhacer(?:me|te|le|os)? arrepentir\w*|\bojala (?:se (?:caiga|derrumbe) el escenario|se estrelle)\b",
        r"\bredest du nie wieder\b|\bwart\w* (?:ich|wir)\b.{0,60}\bauf dich\b.{0,60}\b(?:ernst|kein witz)\b"
        r"|\bhoffentlich (?:sturzt|kracht|fallt) (?:die buhne|euer bus|das dach)\b",
        r"\btomara que (?:o palco|o teto|o onibus|o aviao) (?:desabe|caia)\b|\bdou um jeito\b.{0,40}\b(?:portao|entrada|saida)\b",
        r"\bspero che (?:il palco|il tetto|l'aereo) (?:crolli|cada)\b",
    ),
    "stalking": (
        r"\bi know (?:where )?(?:ur|your|yr) (?:address|house|home|hotel|room|car|street|kids?|children)\b"
        r"|\bi know what car (?:you|u) drive\b|\bi know where (?:your|ur) (?:kids?|children|family|mum|mom|wife|husband"
        r"|girlfriend|boyfriend) (?:live|go|sleep|stay)"
        r"|\bfollow\w* (?:you|u|ya|him|her|them|your \w+|ur \w+) (?:all the way )?(?:to|back to|home)\b.{0,25}"
        r"\b(?:hotel|home|house|flat|apartment|car|room|door)\b"
        r"|\bwhich (?:room|floor) (?:are|r) (?:you|u)\b|\bwhat(?:'s| is) (?:your|ur) room number\b"
        r"|\b(?:i'?m|im|waiting) in (?:the|your|ur) (?:hotel )?lobby\b|\bcan see (?:your|ur) (?:window|house|room|balcony)\b"
        r"|\b(?:i'?m|im|i am) (?:always )?watching (?:you|u)\b(?! (?:on|live|play\w*|perform\w*|stream\w*|tonight|grow))"
        r"|\b(?:you|u) can'?t hide from (?:me|us)\b|\bbehind (?:you|u) at the (?:airport|station|hotel|gym|shop"
        r"|supermarket)\b",
        r"\bje sais ou (?:t'habites|tu (?:habites|vis|dors|loges)|vous (?:habitez|dormez|logez))\b"
        r"|\bje connais (?:ton|ta|votre) (?:adresse|rue|hotel|chambre|maison|immeuble)\b|\bdevant (?:ton|votre) hotel\b"
        r"|\bje te (?:surveille|guette)\b|\bje t'observe\b|\bpeux pas te cacher\b|\bquelle (?:chambre|etage)\b"
        r"|\bje vois (?:ta|votre) fenetre\b",
        r"\b(?:ya )?se (?:tu|su) direccion\b|\b(?:afuera|fuera|frente|enfrente) (?:de|a) tu (?:casa|hotel|edificio"
        r"|departamento|piso|portal)\b|\bte (?:estoy )?(?:vigilando|vigilo|observando|observo)\b|\bte segui hasta\b"
        r"|\bno te (?:puedes|vas a poder) esconder\b|\bveo tu ventana\b|\b(?:que|cual) habitacion\b",
        r"\bich kenne deine (?:adresse|wohnung|strasse)\b|\bich beobachte dich\b|\bvor deine(?:m|r) (?:hotel|tur|wohnung"
        r"|haus)\b|\bbis (?:zum|zur|nach) (?:hotel|haus|hause|wohnung|tur)\b.{0,10}\bgefolgt\b"
        r"|\bkannst dich nicht (?:vor (?:mir|uns) )?verstecken\b|\bsehe dein fenster\b|\bwelches zimmer\b",
        r"\bsei (?:o )?(?:seu|teu) endereco\b|\b(?:to|estou|tou) te (?:observando|vigiando)\b|\bte (?:observo|vigio)\b"
        r"|\b(?:porta|frente) d[oa] (?:seu|sua|teu|tua) (?:hotel|casa|predio|apartamento)\b|\bte segui ate\b"
        r"|\bnao adianta (?:se )?esconder\b|\bvejo (?:a )?(?:sua|tua) janela\b|\bqual (?:e o )?(?:seu )?quarto\b",
        r"\b(?:so|conosco) il tuo indirizzo\b|\bti (?:sto osservando|osservo|tengo d'occhio)\b|\bsotto (?:il tuo"
        r" (?:hotel|albergo)|casa tua)\b|\bfuori (?:casa tua|dal tuo (?:hotel|albergo))\b|\bnon puoi nasconderti\b"
        r"|\bvedo la tua finestra\b|\b(?:che|quale) (?:stanza|camera)\b",
        # moved to be near, photos through a window, things left on a doorstep
        r"\bmoved (?:to|into) (?:your|ur) (?:street|building|road|block)\b|\bto be (?:closer|near) to (?:you|u)\b"
        r"|\bthrough (?:your|ur) (?:window|curtains)\b|\b(?:on|at) (?:your|ur) (?:doorstep|front door)\b"
        r"|\bevery (?:day|night) outside (?:your|ur)\b|\bdemenage\w* dans (?:ta|votre) rue\b|\bpour etre pres de toi\b"
        r"|\bdans (?:ta|votre) boite aux lettres\b|\bme mude a tu (?:calle|barrio|edificio)\b|\bpara estar cerca de ti\b"
        r"|\ben tu buzon\b|\bin deine strasse gezogen\b|\bum dir nah(?:e)? zu sein\b|\bin deinen briefkasten\b"
        r"|\bme mudei pr\w* (?:sua|tua) rua\b|\bpra ficar perto de (?:voce|vc|ti)\b|\bna (?:sua|tua) caixa de correio\b"
        r"|\btrasferit\w* nella tua (?:via|strada)\b|\bper starti vicin\w*|\bnella tua cassetta\b",
        # "we know which car park you use"; a hotel balcony and its floor
        r"\b(?:we|i) know (?:which|what) (?:car park|parking|entrance|door|gate|exit|route|van)\b"
        r"|\bon sait (?:par ou|quelle (?:porte|sortie)|quel (?:hotel|parking))\b|\bse por (?:donde|que puerta) (?:sal|entr)\w*"
        r"|\bwir wissen,? (?:wo ihr|welchen (?:ausgang|eingang|parkplatz))\b|\b(?:ligado|sei) (?:em|por) qual (?:portao|porta"
        r"|entrada|saida)\b|\bsappiamo (?:da quale|quale) (?:uscita|ingresso|porta)\b"
        r"|\bhotel\w*\b.{0,150}\b(?:balcon\w*|balkon|balcony|window|fenetre|ventana|fenster|janela|finestra)\b.{0,30}"
        r"\b(?:0+(?:e|eme|er|rd|th|st|nd|o|a|\.)? ?(?:floor|etage|stock|piso|andar|piano)|(?:terzo|secondo|quarto|primo) piano"
        r"|(?:left|gauche|izquierda|links|esquerda|sinistra))\b",
    ),
    "doxxing": (
        r"\b(?:post|posted|posting|leak\w*|shar\w*|spread\w*)\b.{0,25}\b(?:her|his|their|the \w+'s?|the \w+s') (?:phone ?number"
        r"|number|address|home address|location|school)\b|\b(?:his|her|their) (?:phone |cell |mobile )?(?:number"
        r"|address) (?:is|'s) (?:going (?:round|around)|everywhere|out there|on (?:twitter|x|reddit|discord"
        r"|telegram|tiktok|insta\w*)|0)|\bdox+(?:ed|ing|x?ed)?\b|\bfound where (?:she|he|they) lives?\b"
        r"|\b(?:post|shar|leak|spread)\w*\b.{0,40}\b(?:kids?|children|son|daughter)'?s? school\b"
        r"|\b(?:pics?|photos?|pictures?)\b.{0,12}\bof (?:her|his|their|the \w+'s) (?:house|home|flat|car|front door)\b",
        r"\b(?:son|sa|leur) (?:numero|adresse|tel|telephone)\b.{0,20}\b(?:circule|tourne|fuite|partout)\b"
        r"|\b(?:diffuse|leak|fuite)\w*\b.{0,20}\b(?:son|sa|leur) (?:adresse|numero)\b",
        r"\b(?:publico|publicaron|filtr\w*|compartieron|pasaron|difundi\w*)\b.{0,20}\b(?:su|la) (?:direccion|numero"
        r"|telefono|casa)\b|\bsu (?:numero|direccion|telefono)\b.{0,30}\b(?:circulando|anda por|rulando)\b",
        r"\b(?:handynummer|nummer|adresse)\b.{0,20}\b(?:geht rum|macht die runde|geleakt|kursiert)\b|\bgeleakt\b",
        r"\bvaz(?:aram|ou|ar)\b.{0,20}\b(?:o |a )?(?:endereco|numero|telefone)\b"
        r"|\b(?:endereco|numero|telefone) (?:dele|dela)\b.{0,30}\b(?:rodando|circulando|vazou|vazado)\b",
        r"\b(?:pubblicat\w*|diffus\w*|postat\w*|leakat\w*)\b.{0,20}\b(?:il suo |suo |l')?(?:indirizzo|numero)\b"
        r"|\bil suo (?:numero|indirizzo)\b.{0,20}\b(?:gira|circola)\b",
    ),
    "harassment report": (
        r"\bbullying (?:me|her|him|us|them|a fan|this fan|this girl)\b|\b(?:being|been|getting|got|is) bullied\b"
        r"|\b(?:even )?after (?:i|we|she|he) blocked\b|\bkeeps? (?:making|creating) new"
        r" accounts\b|\bcreepy (?:dms?|messages|pics|photos)\b|\bsen(?:t|ds?|ding) (?:me|her|us) (?:\w+ )?dick pics?\b"
        r"|\b(?:send\w*|get\w*|got|receiv\w*) (?:\w+ ){0,2}(?:rape|death) threats?\b"
        r"|\b(?:is|are|keeps?|been|was|kept) threatening (?:her|him|me|them|us)\b|\bupskirt\w*|\bfilming (?:up|under) (?:her|my|girls)\b"
        r"|\b(?:insult|attack|abus|troll|hate|slur|mock)\w*\b.{0,40}\b(?:under|on) (?:every|each|all (?:of )?(?:your|the))"
        r" (?:single )?(?:post|photo|pic|video|comment|tweet)s?\b",
        r"\b(?:insult|harcel|attaqu|menac)\w*\b.{0,30}\bsous (?:chaque|tous (?:les|vos|tes)) (?:post|publication"
        r"|photo|video)s?\b|\bapres que je l'ai bloque\b|\bmeme bloque\b|\bmain aux fesses\b|\bm'a (?:mis|mit) la main\b",
        r"\b(?:insult|acos|atac|amenaz|burl)\w*\b.{0,30}\b(?:en|bajo) (?:cada|todos (?:tus|vuestros|los)) (?:post"
        r"|publicacion|foto|video)\w*|\baunque (?:lo|la) (?:bloquee|bloquie|bloqueamos)\b"
        r"|\bme (?:toco|agarro) el (?:culo|trasero|pecho)\b",
        r"\b(?:beleidig|bedroh|mobb|beschimpf)\w*\b.{0,30}\bunter (?:jedem|allen) (?:post|beitrag|bild|video)s?\b"
        r"|\bobwohl ich (?:ihn|sie) blockiert\b|\ban den (?:hintern|po|arsch)\b|\ban die brust\b",
        r"\b(?:xing|ofend|ameac|humilh)\w*\b.{0,30}\b(?:em|embaixo de) (?:todo|todos os|cada) (?:post|foto|video)s?\b"
        r"|\bmesmo (?:bloquead[oa]|depois de (?:eu )?bloquear)\b",
        r"\b(?:insult|minacci|offend|perseguit)\w*\b.{0,30}\bsotto (?:ogni|tutti i) (?:post|foto|video)\b"
        r"|\banche se l'ho bloccat[oa]\b|\bpalpat\w*|\btoccat\w* il sedere\b",
    ),
}

SAFETY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, _any(pattern.pattern, *_MORE.get(category, ()))) for category, pattern in _BASE_RULES
)

# Phrases in which the dangerous words are a fan's hyperbole: taken out before the
# rules look ("i'm dying of laughter", "my crush in the front row", "you're dead to me").
_HARMLESS = _filtered(
    r"\b(?:die|dying|died|dead|morir\w*|morire|morrer|morri|morro|mourir|meurs|meurt|sterb\w*|muoio|muero|morto)"
    r" (?:de|dalle|da|di|vor|of|from|laughing|a) ?(?:la |de )?(?:risa|risate|rir|rire|lachen|verguenza|vergogna"
    r"|vergonha|honte|amor|amore|ganas|saudade|emocion|emozione|felicidad|felicita|joie|laughter|laughing"
    r"|cringe|cuteness)\w*",
    r"\b(?:suivi|colis|commande|tracking|seguimiento|pedido|paquete|envio|rastreio|sendung\w*|ordine|spedizione)\b"
    r".{0,20}\b(?:ne bouge plus|bouge plus|no se mueve|nao se mexe|non si muove|bewegt sich nicht)\b",
    r"\b(?:crush on|my crush|mon crush|mi crush|meu crush)\b|\b(?:you'?re|you are|u r|ur) dead to me\b",
    r"\bcan'?t breathe\b (?:this|that|omg|lol|haha|from laugh\w*|laugh\w*|because of how)",
    r"\b(?:smoke|fog) machines?\b|\bmachine a fumee\b|\bmaquina de (?:humo|fumaca)\b|\bnebelmaschine\b"
    r"|\bmacchina del fumo\b",
    r"\bi (?:literally |actually |almost |nearly )?(?:fainted|passed out|collapsed|died) (?:when|as soon as|the moment"
    r"|because)\b",
    r"\b(?:know|sais|se|weiss|sei|so)(?: (?:already|deja|ya|schon|ja|gia))?,? (?:where|ou|donde|wo|onde|dove)"
    r" (?:you|u|vous|ihr|du|tu|voces|vcs|suonate)(?:'re| are| r)? (?:playing|play|perform\w*|jouez|joues?|tocais"
    r"|tocas|tocan|spielt|spielst|tocam|suonate|suoni|next|gonna play|vao tocar)\b",
)


# Advance-fee scams and phishing dressed as bookings, prizes or platform notices.
_SCAM = _filtered(
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
# Behind a literal prefilter (triage/prefilter.py): most messages lack every word it needs.
_ANY_SAFETY = Prefiltered(
    re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in SAFETY_RULES))
)
_ANY_LURE = Prefiltered(
    re.compile(
        "|".join(
            f"(?:{p.pattern})"
            for p in (_CREDENTIALS, _SMALL_FEE, _PRIZE, _PLATFORM_LURE, _ACCOUNT_THREAT, _PERMIT)
        )
    )
)


def safety_category(norm: str) -> str | None:
    """The first safety category whose rule matches the normalised text, if any."""
    norm = _plain_quotes(norm)
    if _ANY_SAFETY.search(norm) is None:
        return None
    if _HARMLESS.search(norm):
        norm = _HARMLESS.sub(" ", norm)
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
