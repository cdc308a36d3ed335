"""Priority: what the team reads first, with the reasons in words.

The score (0-100) adds up:

1. **What the message is.** A base per intent (:data:`INTENT_BASE`): a
   booking, a support problem (a lost ticket) or a press request comes before
   a question, and a question before a compliment. When the intent head's
   probabilities are known (``intent_scores``), the base is each intent's base
   weighed by its probability: a brand's offer read as 68% chatter and 23%
   booking ranks above plain chatter. On the template held-out set this took
   the ranking AUC from 0.981 to 0.986, on the independent set from 0.950 to
   0.955. A person's intent correction replaces the probabilities.
2. **How pressing it is, for its kind.** The model's urgency head says
   whether the message is more or less pressing than usual for its intent
   ("our headliner cancelled, can you play tomorrow?" vs a booking for next
   year); it learns from priority labels and the team's priority corrections.
   Up to +/-22 points (:data:`URGENCY_POINTS`): one priority step. When it
   says "pressing" (:data:`PRESSING`) the reasons say so, and an urgent
   message always carries at least one reason.
3. **A time-critical word** ("tonight", "demain", "dringend", "stasera", "by
   Friday", "prazo") on a business message or a question: +10, and it is named
   in the reasons; on another message, +10 times the probability that it is
   business or a question, named when that is even odds or more. A
   time-critical *case* (a fan locked out at the door, a same-week offer or
   replacement slot, a deadline today, a venue problem before the show,
   something lost at tonight's show: :data:`triage.reasons.MUST_SEE`) starts
   any intent at :data:`MUST_SEE_FLOOR` before those +10, so it is ``high`` at
   least (``urgent`` for business), and abuse does not sink it below ``high``.
4. **Who is writing** (:class:`PriorityContext`): industry contacts and
   superfans up, bots and trolls down. Without a clock word, only a message read
   as business can be ``urgent`` (:data:`TOP_OF_HIGH` caps the rest): the
   weighed base lifts a question that may be an offer, not past ``high``.
5. **How long they wait**: up to +20 over three days, plus +8 for a question
   nobody has answered. Waiting lifts a business message to the top of
   ``high`` (:data:`WAIT_CEILING_BUSINESS`) and anything else no higher than
   :data:`WAIT_CEILING`: last week's question rises to ``high``, yet never
   above today's booking request or lost ticket. Waiting alone never makes a
   message urgent: urgent means "someone should look within hours", and an
   order problem from last week is overdue, not an emergency.

A message about someone's safety (a threat, stalking, self-harm, a crush at
the barrier: :mod:`triage.safety`) is ``urgent`` at 95 or more whatever else is
true of it, even from a troll. Otherwise spam is always ``low`` (score at most 5)
and abuse at most 20: no rule above can lift them. Thresholds: ``urgent`` >= 80, ``high`` >= 60, ``normal`` >= 35.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from triage import reasons as R

INTENT_BASE = {
    "booking": 72,
    "support": 70,
    "press": 68,
    "collab": 64,
    "question": 48,
    "complaint": 42,
    "other": 22,
    "praise": 18,
}
# The priority each intent gets when nothing makes it more or less pressing:
# what the urgency head's "usual" means, and what corrections are read against.
USUAL_PRIORITY = {
    "booking": "high",
    "support": "high",
    "press": "high",
    "collab": "high",
    "question": "normal",
    "complaint": "normal",
    "other": "low",
    "praise": "low",
}
PRIORITY_ORDER = ("urgent", "high", "normal", "low")
URGENCY_POINTS = 22.0
PRESSING = 0.7  # an urgency this high is worth naming among the reasons
TIME_CUE_POINTS = 10.0
BUSINESS = frozenset({"booking", "support", "press", "collab"})
CLOCKED = BUSINESS | {"question"}  # the intents a time-critical word makes more pressing
THRESHOLDS = (("urgent", 80), ("high", 60), ("normal", 35))
WAIT_CEILING = 69  # just below a business message as it comes (support 70, booking 72)
TOP_OF_HIGH = 79
WAIT_CEILING_BUSINESS = TOP_OF_HIGH  # waiting alone never makes a message urgent

# Who is writing nudges within a band, not across it: a superfan's support
# problem or a known contact's booking is high; it takes a time-critical word
# or days of waiting to make it urgent.
SEGMENT_BONUS = {
    "industry": (6, R.INDUSTRY_CONTACT),
    "superfan": (6, R.SUPERFAN),
    "regular": (3, R.REGULAR_FAN),
    "lapsed": (2, R.RETURNING_FAN),
    "new": (0, ""),
}
SAFETY_FLOOR = 95
# A time-critical case (:data:`triage.reasons.MUST_SEE`) starts here, then gains the
# clock's points: high for a question or complaint, urgent for business.
MUST_SEE_FLOOR = 62
SPAM_CAP = 5
ABUSE_CAP = 20
TROLL_CAP = 15


@dataclass(frozen=True, slots=True)
class PriorityContext:
    """What the inbox knows beyond the message itself."""

    segment: str | None = None
    waiting_hours: float = 0.0
    unanswered_question: bool = False
    industry: bool = False


class Scorable(Protocol):
    """The fields of a classification that priority depends on."""

    @property
    def spam(self) -> bool: ...
    @property
    def toxic(self) -> bool: ...
    @property
    def intent(self) -> str: ...
    @property
    def intent_score(self) -> float: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def urgency(self) -> float: ...
    @property
    def time_cue(self) -> str | None: ...


def intent_weights(classification: Scorable) -> dict[str, float] | None:
    """The intent head's probabilities, if known and still the intent's own.

    ``None`` when they are missing (an old row) or when they no longer agree
    with the intent (a person corrected it): the intent alone counts then."""
    scores = getattr(classification, "intent_scores", None)
    if not scores:
        return None
    total = sum(scores.values())
    if total <= 0 or max(scores, key=scores.__getitem__) != classification.intent:
        return None
    return {k: v / total for k, v in scores.items()}


def intent_base(classification: Scorable) -> tuple[float, float]:
    """``(base, clock)``: the intent's base score, weighed by the head's probabilities
    when known, and how much a time-critical word counts (1 for business or a
    question, else the probability that the message is one of those)."""
    intent = classification.intent
    weights = intent_weights(classification)
    if weights is None:
        return float(INTENT_BASE.get(intent, INTENT_BASE["other"])), float(intent in CLOCKED)
    base = sum(p * INTENT_BASE.get(k, INTENT_BASE["other"]) for k, p in weights.items())
    clock = 1.0 if intent in CLOCKED else sum(p for k, p in weights.items() if k in CLOCKED)
    return base, clock


def urgency_offset(intent: str, priority: str) -> int:
    """-1, 0 or +1: ``priority`` below, at or above the usual one for ``intent``."""
    usual = PRIORITY_ORDER.index(USUAL_PRIORITY.get(intent, "low"))
    given = PRIORITY_ORDER.index(priority)
    return max(-1, min(1, usual - given))


def priority_for(score: int) -> str:
    for name, floor in THRESHOLDS:
        if score >= floor:
            return name
    return "low"


def waiting_words(hours: float) -> str:
    if hours >= 24:
        return R.say_n(R.WAITING_DAYS, int(hours // 24))
    return R.say_n(R.WAITING_HOURS, int(hours))


def score_priority(
    classification: Scorable, ctx: PriorityContext | None = None
) -> tuple[str, int, list[str]]:
    """``(priority, score 0-100, reasons)`` for one classified message."""
    ctx = ctx or PriorityContext()
    danger = getattr(classification, "safety", None)
    if danger:
        said = [R.say(R.SAFETY, danger=danger)]
        if ctx.waiting_hours >= 2:
            said.append(waiting_words(ctx.waiting_hours))
        return "urgent", min(100, SAFETY_FLOOR + min(5, int(ctx.waiting_hours))), said
    if classification.spam:
        return "low", min(SPAM_CAP, round(classification.urgency * SPAM_CAP)), [R.SPAM]

    intent = classification.intent
    score, clock = intent_base(classification)
    # urgency 0.5 is "as usual for this intent"; 1.0 one step up, 0.0 one down.
    score += URGENCY_POINTS * 2.0 * (classification.urgency - 0.5)
    reasons: list[str] = []

    pressing = R.PRESSING.get(intent, R.PRESSING["other"])
    cue = classification.time_cue
    must_see = R.MUST_SEE.get(cue or "")
    clock_named = bool(cue) and clock >= 0.5
    if must_see:
        # A fan locked out tonight, a same-week offer: at least high whatever the intent.
        score = max(score, MUST_SEE_FLOOR) + TIME_CUE_POINTS
        reasons.append(must_see)
    elif clock_named:
        score += TIME_CUE_POINTS * clock
        reasons.append(R.say(R.TIME_CRITICAL, cue=cue))
    else:
        # A clock word on a message that is less likely business than not counts for
        # that much, unnamed.
        score += TIME_CUE_POINTS * clock if cue else 0.0
        if classification.urgency >= PRESSING:
            # The urgency head lifted it without a clock word: say so, so no urgent
            # conversation is left without a reason.
            reasons.append(pressing)
    if intent == "support" and classification.sentiment == "negative":
        score += 4
        reasons.append(R.UPSET_FAN)

    segment = ctx.segment
    if ctx.industry or segment == "industry":
        bonus, words = SEGMENT_BONUS["industry"]
        score += bonus
        reasons.append(words)
    elif segment in SEGMENT_BONUS and SEGMENT_BONUS[segment][0]:
        bonus, words = SEGMENT_BONUS[segment]
        score += bonus
        reasons.append(words)

    if intent not in BUSINESS and not (must_see or clock_named):
        # Without a clock word only a business reading is urgent: the weighed base lifts a
        # question that may be an offer, yet "pressing for a question" stays high at most.
        score = min(score, TOP_OF_HIGH)

    before_waiting = score
    if ctx.waiting_hours >= 2:
        score += min(20.0, ctx.waiting_hours / 72.0 * 20.0)
        reasons.append(waiting_words(ctx.waiting_hours))
    if ctx.unanswered_question:
        score += 8
        reasons.append(R.QUESTION_UNANSWERED)
    ceiling = WAIT_CEILING_BUSINESS if intent in BUSINESS else WAIT_CEILING
    score = min(score, max(before_waiting, ceiling))

    if segment == "bot":
        return "low", min(SPAM_CAP, int(score)), [R.BOT_ACCOUNT, *reasons]
    if classification.toxic:
        # A fan swearing at a scanner that will not let them in still needs someone tonight.
        score = min(score, MUST_SEE_FLOOR if must_see else ABUSE_CAP)
        reasons.insert(0, R.ABUSIVE)
    if segment == "troll":
        score = min(score, TROLL_CAP)
        reasons.insert(0, R.TROLL)

    final = max(0, min(100, round(score)))
    if priority_for(final) == "urgent" and not reasons:
        reasons.append(pressing)  # every urgent conversation says why
    return priority_for(final), final, reasons
