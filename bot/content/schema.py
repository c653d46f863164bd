"""The content's schema: what editors may write, as Pydantic models.

content/taxonomy.yml, menu.yml, resources.yml, canned.yml, the safety
lexicons' situations (content/safety/) and the responses of domain.yml as the
bot uses them. The loaders read through these models, and `content validate`
reports their errors with the file and line (`bot.content.validate`); what a
schema cannot say (names that must exist elsewhere, lengths as sent, Telegram
HTML) stays in the validator's own checks.

Where the loaders used to be lenient (a missing text, a null list) the schema
is too: such fields default to empty. A message of ours (`SchemaError`) says
what is wrong in the editors' words; Pydantic's own messages are left for
plain type mistakes.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bot.domain import Route

LANGUAGES = ("kk", "ru")
# What a menu entry may show instead of an intent's answer.
EMERGENCY_NUMBERS = "emergency_numbers"
SHOWS = frozenset({EMERGENCY_NUMBERS})


def SchemaError(message: str) -> PydanticCustomError:  # noqa: N802 (raised like a class)
    """A validation error whose message is shown to editors as it is."""
    return PydanticCustomError("kenes", message)


def _or_empty(empty: type) -> BeforeValidator:
    """YAML's `key:` with nothing after it is null: read it as empty."""
    return BeforeValidator(lambda value: empty() if value is None else value)


Text = Annotated[str, _or_empty(str)]
Texts = Annotated[dict[str, str], _or_empty(dict)]  # per language
Names = Annotated[list[str], _or_empty(list)]


def _route(value: Any) -> Route:
    try:
        return Route(str(value).strip())
    except ValueError:
        raise SchemaError(f"unknown route {value!r}") from None


RouteName = Annotated[Route, BeforeValidator(_route)]


class Schema(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    # Keys without which an entry means nothing, and what to tell the editor
    # then (also when the entry is not a mapping at all).
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    REQUIRED_MESSAGE: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _required(cls, data: Any) -> Any:
        if not cls.REQUIRED:
            return data
        if not isinstance(data, dict) or any(data.get(key) is None for key in cls.REQUIRED):
            raise SchemaError(cls.REQUIRED_MESSAGE)
        return data


# --- content/taxonomy.yml ----------------------------------------------------------


class TaxonomyIntent(Schema):
    REQUIRED = ("name", "route")
    REQUIRED_MESSAGE = "a taxonomy intent needs `name` and `route`"

    name: str
    route: RouteName
    description: Text = ""
    # `points` (what an answer must convey) are notes for editors, some
    # written as "a: b" (a mapping to YAML): not read.


class TaxonomyRegions(Schema):
    cities: Names = []
    oblasts: Names = []


class TaxonomyFile(Schema):
    intents: Annotated[list[TaxonomyIntent], _or_empty(list)] = []
    regions: TaxonomyRegions | None = None


# --- content/menu.yml ----------------------------------------------------------------


class MenuQuestion(Schema):
    """An intent's answer, or (`show`) something the bot shows itself."""

    intent: Text = ""
    label: Texts
    show: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _intent_or_show(cls, data: Any) -> Any:
        if isinstance(data, dict) and (data.get("intent") is None) == (data.get("show") is None):
            raise SchemaError("a menu entry has either an intent or a show")
        return data

    @field_validator("show")
    @classmethod
    def _known_show(cls, show: str) -> str:
        if show and show not in SHOWS:
            raise SchemaError(f"menu shows unknown {show!r}: one of {sorted(SHOWS)}")
        return show


class MenuCategory(Schema):
    id: str
    title: Texts
    questions: Annotated[list[MenuQuestion], _or_empty(list)] = []


class MenuFile(Schema):
    categories: Annotated[list[MenuCategory], _or_empty(list)] = []


# --- content/resources.yml --------------------------------------------------------------


class EmergencyNumber(Schema):
    number: str
    label: Texts = {}


class NationalResource(Schema):
    """A national contact: a phone number or an https link."""

    id: str
    kind: Text = "phone"
    contact: Text = ""
    name: Texts = {}
    description: Texts = {}
    source: Text = ""
    verified: bool = False


class Office(Schema):
    """A department or an advisory center of one region. Unknown fields are null."""

    name: Texts = {}
    phone: str | None = None
    address: str | None = None
    website: str | None = None
    hours: str | None = None
    social: Names = []
    verified: bool = False


class RegionEntry(Schema):
    id: str
    name: Texts = {}
    kind: Text = "oblast"
    aliases: Names = []
    department: Annotated[Office, _or_empty(dict)] = Office()
    advisory_center: Annotated[Office, _or_empty(dict)] = Office()


class ResourcesFile(Schema):
    emergency_numbers: Annotated[list[EmergencyNumber], _or_empty(list)] = []
    # Per crisis intent, the numbers to put first.
    emergency_order: Annotated[dict[str, Names], _or_empty(dict)] = {}
    national: Annotated[list[NationalResource], _or_empty(list)] = []
    regions: Annotated[list[RegionEntry], _or_empty(list)] = []


# --- domain.yml: the curated answers ---------------------------------------------------


class Condition(Schema):
    type: Text = ""
    name: Text = ""
    value: Any = None


class Fact(Schema):
    claim: Text = ""
    source: Text = ""
    verified: bool = False


class AnswerMetadata(Schema):
    resources: Names = []
    regional: bool = False
    # The text offers a specialist: a "talk to a specialist" button goes under it.
    specialist: bool = False
    facts: Annotated[list[Fact], _or_empty(list)] = []


class AnswerVariant(Schema):
    """One variant of an `utter_<intent>` response; the language is a slot condition."""

    text: str | None = None
    condition: Annotated[list[Condition], _or_empty(list)] = []
    metadata: Annotated[AnswerMetadata, _or_empty(dict)] = AnswerMetadata()

    @property
    def language(self) -> str | None:
        for condition in self.condition:
            if condition.name == "language" and condition.value in LANGUAGES:
                return str(condition.value)
        return None


class DomainFile(Schema):
    responses: Annotated[
        dict[str, Annotated[list[AnswerVariant], _or_empty(list)]], _or_empty(dict)
    ] = {}


# --- content/canned.yml ----------------------------------------------------------------


class CannedReply(Schema):
    id: str
    title: Texts = {}
    text: Texts = {}


class CannedFile(Schema):
    canned: Annotated[list[CannedReply], _or_empty(list)] = []


# --- content/desks.yml (optional): the regions' advisory centers -------------------------


class DeskHours(Schema):
    start: str = "09:00"
    end: str = "18:00"
    days: str = "mon,tue,wed,thu,fri"
    timezone: str = "Asia/Almaty"


class DeskSla(Schema):
    urgent: float | None = None
    escalate: float | None = None
    request: float | None = None


class DeskEntry(Schema):
    REQUIRED = ("id", "chat_id")
    REQUIRED_MESSAGE = "a desk needs `id` and `chat_id` (its staff group)"

    id: str
    name: Texts = {}
    chat_id: int
    regions: Names = []
    fallback: bool = False
    hours: DeskHours | None = None
    sla_minutes: DeskSla | None = None


class DesksFile(Schema):
    desks: Annotated[list[DeskEntry], _or_empty(list)] = []


# --- content/safety/*.yml: a lexicon's situation ---------------------------------------


def _list_of_texts(key: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(t, str) for t in value)
        ):
            raise SchemaError(f"{key} must be a list of strings")
        return value

    return BeforeValidator(check)


class Situation(Schema):
    """A situation as a lexicon file states it (top-level `situation`, `route`, `intent`).

    The safety check's own loader (`bot.nlp.safety`) then compiles its
    words, with its stricter rules.
    """

    ID: ClassVar[str] = "situation"
    REQUIRED = ("situation", "route", "intent")
    REQUIRED_MESSAGE = "a situation needs situation, route and intent"

    route: RouteName
    intent: str
    patterns: Annotated[list[str] | None, _list_of_texts("patterns")] = None
    phrases: Annotated[list[str] | None, _list_of_texts("phrases")] = None

    @model_validator(mode="after")
    def _has_entries(self) -> Situation:
        if self.patterns is None and self.phrases is None:
            raise SchemaError("a situation needs patterns or phrases")
        return self


class LexiconSituation(Situation):
    situation: str


class ListedSituation(Situation):
    """One of a `situations:` list, named by `id`."""

    ID = "id"
    REQUIRED = ("id", "route", "intent")
    REQUIRED_MESSAGE = "a situation needs id, route and intent"

    id: str
