"""The domain's vocabulary: routes, case priorities, statuses and outcomes, why
a staff action is refused, and the intent names the code itself relies on.

Every layer (db, content, services, ui, handlers) imports these from here; this
module imports nothing of the bot, so no package needs another for its types.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

# Intent names the code depends on. The taxonomy's names are fixed (add, never
# rename), so these stay valid; the validator checks that each is in it.
FALLBACK_INTENT = "nlu_fallback"  # Rasa's, not the taxonomy's: "not sure"
REQUEST_HUMAN_INTENT = "request_human"
CHANGE_LANGUAGE_INTENT = "change_language"
PRIVACY_QUESTION_INTENT = "privacy_question"
OUT_OF_SCOPE_INTENT = "out_of_scope"


class Route(StrEnum):
    """The taxonomy's routes. `severity` orders them; nothing lowers a crisis."""

    SERVICE = "service"
    FAQ = "faq"
    FALLBACK = "fallback"
    ESCALATE = "escalate"
    CRISIS = "crisis"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @classmethod
    def most_serious(cls, *routes: Route | None) -> Route:
        """The most serious of `routes`; FALLBACK when none is given."""
        present = [r for r in routes if r is not None]
        if not present:
            return cls.FALLBACK
        return max(present, key=lambda r: r.severity)


_SEVERITY = {
    Route.SERVICE: 0,
    Route.FAQ: 0,
    Route.FALLBACK: 1,
    Route.ESCALATE: 2,
    Route.CRISIS: 3,
}


class Priority(IntEnum):
    """A case's priority. Lower is served first."""

    URGENT = 0
    ESCALATE = 1
    REQUEST = 2

    @property
    def label(self) -> str:
        return _PRIORITY_LABELS[self]

    @classmethod
    def for_route(cls, route: Route, intent: str | None) -> Priority:
        if route is Route.CRISIS:
            return cls.URGENT
        if route is Route.ESCALATE and intent != REQUEST_HUMAN_INTENT:
            return cls.ESCALATE
        return cls.REQUEST


_PRIORITY_LABELS = {
    Priority.URGENT: "urgent",
    Priority.ESCALATE: "escalate",
    Priority.REQUEST: "request",
}


class OpenedVia(StrEnum):
    """How a case opened (the reports count them apart)."""

    REQUEST = "request"  # /human, or "a person, please" in words
    OFFER = "offer"  # the talk-to-a-specialist button under an answer
    ESCALATE = "escalate"  # a sensitive message with nothing curated to answer
    CRISIS = "crisis"

    @classmethod
    def for_route(cls, route: Route, intent: str | None) -> OpenedVia:
        """Without a button: what the message itself was."""
        if route is Route.CRISIS:
            return cls.CRISIS
        if intent == REQUEST_HUMAN_INTENT or route is not Route.ESCALATE:
            return cls.REQUEST
        return cls.ESCALATE


class CaseStatus(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.WAITING, CaseStatus.ACTIVE)


class CaseOutcome(StrEnum):
    ANSWERED = "answered"
    IN_PERSON = "in_person"
    EMERGENCY = "emergency"
    NO_RESPONSE = "no_response"
    ABUSE = "abuse"
    # Not chosen by staff: the citizen used /forget.
    WITHDRAWN = "withdrawn"


STAFF_OUTCOMES = (
    CaseOutcome.ANSWERED,
    CaseOutcome.IN_PERSON,
    CaseOutcome.EMERGENCY,
    CaseOutcome.NO_RESPONSE,
    CaseOutcome.ABUSE,
)


class Refusal(StrEnum):
    """Why the case service refused a staff action."""

    MISSING = "missing"
    CLOSED = "closed"
    HELD = "held"
    NOT_HOLDER = "not_holder"
    NOT_HELD = "not_held"
    SAME = "same"
    BAD_TARGET = "bad_target"
