"""The resource directory (content/resources.yml): emergency numbers, national
resources and the 20 regions, with a resolver for region names as people type them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.content import schema
from bot.nlp.normalize import normalize

_VOWELS = "аеиоуыэюя"
# How many letters a case ending may add to a stem ("Қарағанды" -> "Қарағандыдағы").
_MAX_ENDING = 7
_MIN_STEM = 4


@dataclass(frozen=True, slots=True)
class EmergencyNumber:
    number: str
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class Resource:
    """A national contact: a phone number or an https link."""

    id: str
    kind: str
    contact: str
    name: dict[str, str]
    description: dict[str, str]
    source: str
    verified: bool

    @property
    def is_url(self) -> bool:
        return self.kind == "url" and self.contact.startswith("https://")


@dataclass(frozen=True, slots=True)
class Office:
    """A department or an advisory center of one region. Unknown fields are None."""

    name: dict[str, str]
    phone: str | None
    address: str | None
    website: str | None
    hours: str | None
    social: tuple[str, ...]
    verified: bool

    @property
    def has_contacts(self) -> bool:
        """True when the directory gives at least one way to reach the office."""
        return any((self.phone, self.address, self.hours, self.website, *self.social))


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    name: dict[str, str]
    kind: str
    aliases: tuple[str, ...]
    department: Office
    advisory_center: Office


@dataclass(frozen=True, slots=True)
class ResourceDirectory:
    emergency_numbers: tuple[EmergencyNumber, ...]
    national: dict[str, Resource]
    regions: dict[str, Region]
    _matchers: tuple[tuple[tuple[str, ...], str], ...]
    # Per crisis intent, the numbers to put first (content/resources.yml).
    emergency_order: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def emergency_for(self, situation: str | None) -> tuple[EmergencyNumber, ...]:
        """Every emergency number, the ones this kind of crisis needs first.

        A situation with no order of its own (or none at all) keeps the
        directory's order; numbers the situation does not list follow it.
        """
        order = self.emergency_order.get(situation or "", ())
        rank = {number: i for i, number in enumerate(order)}
        indexed = list(enumerate(self.emergency_numbers))
        indexed.sort(key=lambda item: (rank.get(item[1].number, len(rank)), item[0]))
        return tuple(number for _, number in indexed)

    @classmethod
    def load(cls, path: Path) -> ResourceDirectory:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        parsed = schema.ResourcesFile.model_validate(raw)
        emergency = tuple(
            EmergencyNumber(number=e.number, label=dict(e.label)) for e in parsed.emergency_numbers
        )
        national = {
            r.id: Resource(
                id=r.id,
                kind=r.kind,
                contact=r.contact,
                name=dict(r.name),
                description=dict(r.description),
                source=r.source,
                verified=r.verified,
            )
            for r in parsed.national
        }
        regions = {r.id: _region(r) for r in parsed.regions}
        order = {situation: tuple(numbers) for situation, numbers in parsed.emergency_order.items()}
        matchers: list[tuple[tuple[str, ...], str]] = []
        for region in regions.values():
            names = [*region.aliases, *region.name.values()]
            for alias in names:
                stems = tuple(_stem(token) for token in normalize(alias).split())
                if stems:
                    matchers.append((stems, region.id))
        # Longest alias first: "Алматы облысы" is the region, "Алматы" alone the city.
        matchers.sort(key=lambda m: (-len(m[0]), -sum(len(s) for s in m[0])))
        return cls(emergency, national, regions, tuple(matchers), order)

    def find_region(self, text: str) -> Region | None:
        """The region named in `text`, in any common spelling or grammatical form."""
        words = normalize(text).split()
        for stems, region_id in self._matchers:
            n = len(stems)
            for i in range(len(words) - n + 1):
                if all(_matches(words[i + k], stems[k]) for k in range(n)):
                    return self.regions[region_id]
        return None


def _stem(token: str) -> str:
    stem = token.rstrip(_VOWELS)
    return stem if len(stem) >= _MIN_STEM else token


def _matches(word: str, stem: str) -> bool:
    return word.startswith(stem) and len(word) - len(stem) <= _MAX_ENDING


def _office(office: schema.Office) -> Office:
    return Office(
        name=dict(office.name),
        phone=office.phone,
        address=office.address,
        website=office.website,
        hours=office.hours,
        social=tuple(office.social),
        verified=office.verified,
    )


def _region(region: schema.RegionEntry) -> Region:
    return Region(
        id=region.id,
        name=dict(region.name),
        kind=region.kind,
        aliases=tuple(region.aliases),
        department=_office(region.department),
        advisory_center=_office(region.advisory_center),
    )
