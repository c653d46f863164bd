"""Routes: what the bot does with a message, ordered by seriousness."""

from __future__ import annotations

from enum import StrEnum


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
