"""`python -m bot content validate`: everything an editor can get wrong, with file and line.

Rasa's own `rasa data validate` (domain, NLU data, config) runs first when
the Rasa virtualenv is there; then the project's checks, which Rasa cannot
know about:

- every taxonomy intent is in domain.yml and has enough kk and ru examples;
- no example belongs to two intents, and no intent repeats an example in
  another spelling (both compared after `normalize()`, as the NLU sees them);
- every intent has a curated answer in kk and ru, at most 1000 characters,
  in valid Telegram HTML, with https links only;
- every resource id an answer names exists, the resource directory covers the
  taxonomy's 20 regions, and the menu and safety lexicons name real intents;
- nlu/kk_ru.tsv (the Kazakh -> Russian word bridge of the NLU's word vectors)
  has folded Kazakh words, each once, and one Russian word each.

The shape of each file (which keys, of which type, which routes) is the
content schema's (`bot.content.schema`), the same models the bot loads the
content with; its errors are reported here with the file and line.

Unverified facts and contacts are warnings: they are expected while editors
check them, and must not block a release. Errors make the exit code 1.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import ValidationError

from bot.content import schema
from bot.content.answers import OFFERS_A_SPECIALIST
from bot.domain import CHANGE_LANGUAGE_INTENT, PRIVACY_QUESTION_INTENT, Route
from bot.nlp.normalize import normalize
from bot.nlu.data import LANGUAGES, Example, Located, YAMLError, compose, data_files, file_examples
from bot.nlu.tooling import Project, ToolingError, ensure_venv

MAX_ANSWER_CHARS = 1000
# An answer as the bot sends it (text, contacts, the longest region block, the
# footnote, the vote's question) fits a phone screen: visible characters.
MAX_COMPOSED_CHARS = 700
NEAR_DUPLICATE_JACCARD = 0.9
# Intents whose answers carry the most weight need the most examples.
MIN_EXAMPLES = {Route.FAQ: 40, Route.ESCALATE: 40, Route.CRISIS: 40}
MIN_EXAMPLES_OTHER = 20
# Intents the bot answers with its own interface strings (locales/), not domain.yml.
# Intents the bot answers itself: the language keyboard, and the one privacy
# text generated from the settings (bot/ui/citizen_texts.py privacy_notice).
ANSWERED_BY_THE_BOT = frozenset({CHANGE_LANGUAGE_INTENT, PRIVACY_QUESTION_INTENT})
# Telegram's HTML parse mode: the only tags it accepts.
TELEGRAM_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HTTP_URL = re.compile(r"\bhttp://\S+")
# Rasa's warnings about stories and rules do not apply to an NLU-only project.
_RASA_NOISE = (
    "story",
    "stories",
    "rule",
    "not used in any",
    "does not contain any",
    "DeprecationWarning",
    "declare_namespace",
    "pkg_resources",
)


@dataclass(frozen=True, slots=True)
class Issue:
    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.where}: {self.message}"


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)

    def error(self, where: str | Path, message: str) -> None:
        self.issues.append(Issue("error", str(where), message))

    def warning(self, where: str | Path, message: str) -> None:
        self.issues.append(Issue("warning", str(where), message))

    def relative_to(self, root: Path) -> None:
        """Name files relative to `root` and drop repeated issues (shared YAML anchors)."""
        prefix = f"{root.resolve()}/"
        unique: dict[Issue, None] = {}
        for issue in self.issues:
            where = issue.where.replace(prefix, "").replace(f"{root}/", "")
            message = issue.message.replace(prefix, "").replace(f"{root}/", "")
            unique[Issue(issue.level, where, message)] = None
        self.issues = list(unique)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    def render(self, *, warnings: bool = True) -> str:
        shown = [i for i in self.issues if warnings or i.level == "error"]
        lines = [str(i) for i in shown]
        counted = ", ".join(f"{n} {what}" for what, n in sorted(self.checked.items()))
        lines.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            + (f"; checked {counted}" if counted else "")
        )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Intent:
    name: str
    route: Route
    where: str


def validate(root: Path, *, rasa: bool = False, project: Project | None = None) -> Report:
    """Check the checkout at `root`; with `rasa`, run `rasa data validate` as well."""
    report = Report()
    content = root / "content"
    taxonomy_file = _load(content / "taxonomy.yml", report)
    taxonomy = _taxonomy(taxonomy_file, report)
    if rasa:
        _rasa_validate(project or Project(root=root), report)
    domain = _load(root / "domain.yml", report)
    examples = _examples(root / "nlu_data", report)
    if taxonomy is not None:
        _check_domain_intents(taxonomy, domain, root / "domain.yml", report)
        _check_example_counts(taxonomy, examples, root / "nlu_data", report)
    _check_conflicts(examples, report)
    _check_near_duplicates(examples, report)
    resources = _load(content / "resources.yml", report)
    if resources is not None:
        _parsed(schema.ResourcesFile, resources, report)
    resource_ids = _resource_ids(resources)
    if taxonomy is not None:
        _check_answers(taxonomy, domain, root / "domain.yml", resource_ids, report)
        _check_regions(taxonomy_file, resources, content / "resources.yml", report)
        _check_emergency_order(taxonomy, resources, report)
        _check_menu(taxonomy, _load(content / "menu.yml", report, required=False), report)
        _check_safety(taxonomy, content / "safety", report)
    _warn_unverified_resources(resources, report)
    _check_canned(_load(content / "canned.yml", report, required=False), report)
    _check_glossary(root, report)
    if not report.errors:
        _check_composed_lengths(root, report)
    _check_bridge(root / "nlu" / "kk_ru.tsv", report)
    report.relative_to(root)
    return report


def visible_length(html_text: str) -> int:
    """Characters a reader sees in Telegram HTML: tags dropped, entities decoded."""
    return len(unescape(re.sub(r"<[^>]+>", "", html_text)))


def _check_composed_lengths(root: Path, report: Report) -> None:
    """Each answer as sent, with every region's block, under MAX_COMPOSED_CHARS."""
    from aiogram.utils.i18n import I18n

    from bot.config import Settings
    from bot.content.library import ContentLibrary
    from bot.ui import citizen_texts

    if not (root / "content" / "menu.yml").exists():
        return
    library = ContentLibrary.load(root / "content", root / "domain.yml")
    locales = root / "locales" if (root / "locales").is_dir() else Settings().locales_dir
    i18n = I18n(path=locales, default_locale="ru", domain="messages")
    regions = list(library.resources.regions.values())
    for (intent, lang), answer in sorted(library.answers.answers.items()):
        alone = answer.text_for(counselors=False)  # no staff group: the offer left out
        if not alone.strip():
            report.error(
                root / "domain.yml",
                f"utter_{intent} ({lang}) says nothing but the offer of a specialist in this "
                "chat; without a staff group nothing would be left",
            )
        for sentence in answer.offering_sentences():
            if CARRIES_A_CONTACT.search(sentence):
                report.error(
                    root / "domain.yml",
                    f"utter_{intent} ({lang}): {sentence[:60]!r}... offers a specialist in this "
                    "chat and gives a number or a link; without a staff group the sentence is "
                    "left out, so put the contact in a sentence of its own",
                )
        for problem in telegram_html_problems(alone) if alone != answer.text else ():
            report.error(
                root / "domain.yml",
                f"utter_{intent} ({lang}) without its offer of a specialist: {problem}",
            )
        worst, where = 0, ""
        with i18n.context(), i18n.use_locale(lang):
            for region in [None, *regions] if answer.regional else [None]:
                composed = citizen_texts.answer_text(answer, library, region, counselors=True)
                length = visible_length(composed)
                if length > worst:
                    worst, where = length, region.id if region else ""
        if worst > MAX_COMPOSED_CHARS:
            with_region = f", with the region {where}" if where else ""
            report.error(
                root / "domain.yml",
                f"utter_{intent} ({lang}) is {worst} characters as sent{with_region}; "
                f"keep it under {MAX_COMPOSED_CHARS}",
            )
    report.checked["composed answers"] = len(library.answers.answers)


def _check_glossary(root: Path, report: Report) -> None:
    """One term for each thing (bot/content/glossary.py): every variant found is an error."""
    from bot.content.glossary import GLOSSARY, UnreadableTextError, glossary_problems

    try:
        problems = glossary_problems(root)
    except (UnreadableTextError, yaml.YAMLError):
        return  # a file that does not parse is reported by its own check
    for problem in problems:
        where, _, message = problem.partition(" ")
        report.error(root / where, f"glossary: {message}")
    report.checked["glossary terms"] = len(GLOSSARY)


def _check_bridge(path: Path, report: Report) -> None:
    """nlu/kk_ru.tsv: `folded Kazakh word<TAB>Russian word`, each Kazakh word once."""
    if not path.is_file():
        return
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        kazakh, tab, russian = line.partition("\t")
        if not tab or "\t" in russian:
            report.error(where, "expected two columns separated by one tab")
            continue
        if kazakh != normalize(kazakh) or " " in kazakh:
            folded = normalize(kazakh)
            report.error(where, f"write the Kazakh word folded, as the NLU sees it: {folded!r}")
        elif kazakh in seen:
            report.error(where, f"{kazakh!r} is already on line {seen[kazakh]}")
        else:
            seen[kazakh] = number
        if russian.strip() and not re.fullmatch(r"[а-яё-]+", russian.strip()):
            report.error(where, "the translation is one lowercase Russian word")
    report.checked["Kazakh-Russian word bridge entries"] += len(seen)


# --- loading -------------------------------------------------------------------


def _load(path: Path, report: Report, *, required: bool = True) -> Located | None:
    if not path.is_file():
        if required:
            report.error(path, "file is missing")
        return None
    try:
        return compose(path)
    except YAMLError as exc:
        report.error(exc.where, f"not valid YAML: {exc.problem}")
        return None


Model = TypeVar("Model", bound=schema.Schema)


def _parsed(model: type[Model], node: Located, report: Report) -> Model | None:
    """`node` read with the content schema; its errors reported where they are written."""
    try:
        return model.model_validate(node.value)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = str(error["msg"])
            if error["type"] != "kenes" and loc:  # Pydantic's own words: say which field
                message = f"{_dotted(loc)}: {message}"
            report.error(_node_at(node, loc).where, message)
        return None


def _node_at(node: Located, loc: tuple[int | str, ...]) -> Located:
    """The node a schema error points at, or the deepest one written down."""
    for key in loc:
        elements = node.elements()
        if isinstance(key, int):
            child = elements[key] if 0 <= key < len(elements) else None
        else:
            child = node.get(key)
        if child is None:
            break
        node = child
    return node


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for key in loc:
        path += f"[{key}]" if isinstance(key, int) else f".{key}" if path else str(key)
    return path


def _in_file_order(report: Report, start: int) -> None:
    """Sort the issues added since `start` (one file's) by line."""

    def line(issue: Issue) -> int:
        _, _, number = issue.where.rpartition(":")
        return int(number) if number.isdigit() else 0

    report.issues[start:] = sorted(report.issues[start:], key=line)


def _taxonomy(root: Located | None, report: Report) -> dict[str, _Intent] | None:
    if root is None:
        return None
    intents: dict[str, _Intent] = {}
    items = root.get("intents")
    for item in items.elements() if items is not None else ():
        intent = _parsed(schema.TaxonomyIntent, item, report)
        if intent is not None:
            intents[intent.name] = _Intent(intent.name, intent.route, item.where)
    return intents


def _examples(nlu_dir: Path, report: Report) -> list[Example]:
    if not nlu_dir.is_dir():
        report.error(nlu_dir, "the NLU data folder is missing")
        return []
    examples: list[Example] = []
    for path in data_files(nlu_dir):
        examples.extend(_file_examples(path, nlu_dir, report))
    for example in examples:
        if example.lang not in LANGUAGES:
            report.error(example.where, "examples must be under nlu_data/kk or nlu_data/ru")
            break
        if not example.text.strip():
            report.error(example.where, "empty example")
    report.checked["examples"] = len(examples)
    return examples


# --- rasa data validate --------------------------------------------------------


def _file_examples(path: Path, nlu_dir: Path, report: Report) -> list[Example]:
    try:
        return list(file_examples(path, nlu_dir))
    except YAMLError as exc:
        report.error(exc.where, f"not valid YAML: {exc.problem}")
        return []


def _rasa_validate(project: Project, report: Report) -> None:
    ensure_venv(project)
    command = [
        str(project.rasa),
        "data",
        "validate",
        "--domain",
        str(project.domain),
        "--data",
        str(project.nlu_data),
        "--config",
        str(project.config),
    ]
    try:
        result = subprocess.run(
            command,
            cwd=project.root,
            env=project.rasa_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolingError(f"rasa data validate could not run: {exc}") from exc
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines()]
    relevant = [
        line
        for line in lines
        if line and not any(noise in line for noise in _RASA_NOISE) and _is_finding(line)
    ]
    for line in relevant:
        report.warning("rasa data validate", line)
    if result.returncode != 0:
        tail = " | ".join(line for line in lines if line)[-1500:]
        report.error("rasa data validate", f"failed (exit code {result.returncode}): {tail}")
    report.checked["rasa data validate"] = 1


def _is_finding(line: str) -> bool:
    lowered = line.lower()
    return any(word in lowered for word in ("userwarning", "error", "warning", "invalid", "found"))


# --- intents and examples --------------------------------------------------------


def _check_domain_intents(
    taxonomy: dict[str, _Intent], domain: Located | None, path: Path, report: Report
) -> None:
    if domain is None:
        return
    declared: set[str] = set()
    node = domain.get("intents")
    for item in node.elements() if node is not None else ():
        value = item.value
        declared.update(value if isinstance(value, dict) else [str(value)])
    where = node.where if node is not None else str(path)
    for intent in taxonomy.values():
        if intent.name not in declared:
            report.error(where, f"taxonomy intent {intent.name!r} is not in domain.yml `intents`")
    report.checked["intents"] = len(taxonomy)


def _check_example_counts(
    taxonomy: dict[str, _Intent], examples: list[Example], nlu_dir: Path, report: Report
) -> None:
    counts = Counter((e.intent, e.lang) for e in examples)
    first: dict[str, str] = {}
    for example in examples:
        if example.intent not in first and example.intent not in taxonomy:
            report.error(example.where, f"intent {example.intent!r} is not in the taxonomy")
        first.setdefault(example.intent, example.where)
    for intent in taxonomy.values():
        needed = MIN_EXAMPLES.get(intent.route, MIN_EXAMPLES_OTHER)
        for lang in LANGUAGES:
            have = counts[(intent.name, lang)]
            if have < needed:
                report.error(
                    first.get(intent.name, str(nlu_dir / lang)),
                    f"{intent.name} has {have} {lang} example(s); "
                    f"a {intent.route.value} intent needs at least {needed}",
                )


def _check_conflicts(examples: list[Example], report: Report) -> None:
    """The same message (after normalize) under two intents teaches the NLU nothing."""
    by_text: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        key = normalize(example.text)
        if key:
            by_text[key].append(example)
    for group in by_text.values():
        intents = {e.intent for e in group}
        if len(intents) < 2:
            continue
        for example in group:
            others = ", ".join(
                f"{o.intent} ({o.where})" for o in group if o.intent != example.intent
            )
            report.error(
                example.where,
                f"{example.text!r} ({example.intent}) is also an example of {others}",
            )


def _check_near_duplicates(examples: list[Example], report: Report) -> None:
    """Within one intent and language: identical after normalize (an error: the NLU
    sees one example twice), or nearly the same words (a warning: little to learn)."""
    groups: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        groups[(example.intent, example.lang)].append(example)
    for group in groups.values():
        seen: list[tuple[Example, str, frozenset[str]]] = []
        for example in group:
            text = normalize(example.text)
            words = frozenset(text.split())
            for other, other_text, other_words in seen:
                if text == other_text:
                    report.error(
                        example.where,
                        f"{example.text!r} repeats {other.text!r} ({other.where}) "
                        "once spelling is normalised",
                    )
                    break
                if words and other_words and _jaccard(words, other_words) >= NEAR_DUPLICATE_JACCARD:
                    report.warning(
                        example.where,
                        f"{example.text!r} is nearly the same as {other.text!r} ({other.where}); "
                        "vary the wording",
                    )
                    break
            else:
                seen.append((example, text, words))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


# --- answers -----------------------------------------------------------------------


def _check_answers(
    taxonomy: dict[str, _Intent],
    domain: Located | None,
    path: Path,
    resource_ids: set[str],
    report: Report,
) -> None:
    if domain is None:
        return
    responses = domain.get("responses")
    by_name = dict(responses.items()) if responses is not None else {}
    where = responses.where if responses is not None else str(path)
    for intent in taxonomy.values():
        name = f"utter_{intent.name}"
        variants = by_name.get(name)
        if variants is None and intent.name in ANSWERED_BY_THE_BOT:
            continue
        if variants is None:
            report.error(where, f"{intent.name} ({intent.route.value}) has no answer {name}")
            continue
        seen: Counter[str] = Counter()
        refused = False
        for variant in variants.elements():
            if not variant.is_mapping:
                report.error(variant.where, f"{name}: a variant without a kk/ru language condition")
                continue
            parsed = _parsed(schema.AnswerVariant, variant, report)
            if parsed is None:
                refused = True  # reported; its language is not known for sure
                continue
            lang = parsed.language
            if lang is None:
                report.error(variant.where, f"{name}: a variant without a kk/ru language condition")
                continue
            seen[lang] += 1
            _check_variant(name, lang, variant, resource_ids, report, faq=intent.route is Route.FAQ)
            if intent.route in (Route.CRISIS, Route.ESCALATE):
                _check_sensitive_variant(name, lang, intent.route, variant, report)
        for lang in LANGUAGES if not refused else ():
            if seen[lang] == 0:
                report.error(variants.where, f"{name} has no {lang} variant")
            elif seen[lang] > 1:
                report.error(variants.where, f"{name} has {seen[lang]} {lang} variants; keep one")
    report.checked["answers"] = len(taxonomy)


# A phone number, a short number or a link: what a sentence must not lose.
CARRIES_A_CONTACT = re.compile(r"\b\d{3}\b|\d[\d\s()-]{5,}\d|<a\s|https?://|\bwww\.")

# "Shown below": under a regional answer the region's block may say it has no contacts yet.
POINTS_BELOW = re.compile(r"\bниже\b|\bтөменде\w*|\bтөмендегі\w*", re.IGNORECASE)


def _check_variant(
    name: str,
    lang: str,
    variant: Located,
    resource_ids: set[str],
    report: Report,
    *,
    faq: bool = False,
) -> None:
    text_node = variant.get("text")
    if text_node is None or not str(text_node.value).strip():
        report.error(variant.where, f"{name} ({lang}) has no text")
        return
    text = str(text_node.value).strip()
    where = text_node.where
    if len(text) > MAX_ANSWER_CHARS:
        report.error(
            where, f"{name} ({lang}) is {len(text)} characters; the limit is {MAX_ANSWER_CHARS}"
        )
    for problem in telegram_html_problems(text):
        report.error(where, f"{name} ({lang}): {problem}")
    metadata = variant.get("metadata")
    specialist = metadata.get("specialist") if metadata is not None else None
    if faq and OFFERS_A_SPECIALIST.search(text) and not (specialist and specialist.value):
        report.error(
            where,
            f"{name} ({lang}) offers a specialist in this chat: set `specialist: true` "
            "in its metadata, so the button to one is there",
        )
    if metadata is None:
        return
    regional = metadata.get("regional")
    pointer = POINTS_BELOW.search(text)
    if regional is not None and regional.value and pointer:
        report.error(
            where,
            f"{name} ({lang}) says the contacts are {pointer.group()!r}, but a region may have "
            "none in the directory yet; name the office instead",
        )
    resources = metadata.get("resources")
    for item in resources.elements() if resources is not None else ():
        if str(item.value) not in resource_ids:
            report.error(
                item.where, f"{name} names resource {item.value!r}, not in content/resources.yml"
            )
    facts = metadata.get("facts")
    for fact in facts.elements() if facts is not None else ():
        value = fact.value if fact.is_mapping else {}
        if not value.get("verified", False):
            report.warning(
                fact.where,
                f"{name}: unverified fact {value.get('claim', '')!r}"
                f" (source: {value.get('source') or 'none given'})",
            )


# A rating question in an answer's own text ("Was this helpful?" is the bot's to add).
ASKS_FOR_A_RATING = re.compile(
    r"пайдалы болды ма|көмектесті ме|был(?:о|а)? (?:ли )?полез|помог(?:ло|ла)? ли|"
    r"оцените|бағалаңыз|helpful\?",
    re.IGNORECASE,
)


def _check_sensitive_variant(
    name: str, lang: str, route: Route, variant: Located, report: Report
) -> None:
    """A crisis or escalate answer carries no buttons of its own and asks for no rating:
    the bot puts only a way to a person under it."""
    for key in ("buttons", "quick_replies"):
        node = variant.get(key)
        if node is not None:
            report.error(
                node.where,
                f"{name} ({lang}) is on the {route.value} route: no `{key}` under it "
                "(only the way to a counselor, which the bot adds)",
            )
    text_node = variant.get("text")
    match = ASKS_FOR_A_RATING.search(str(text_node.value)) if text_node is not None else None
    if text_node is not None and match:
        report.error(
            text_node.where,
            f"{name} ({lang}) is on the {route.value} route and asks for a rating "
            f"({match.group()!r}); crisis and escalate replies are never rated",
        )


def telegram_html_problems(text: str) -> list[str]:
    """What Telegram's HTML parse mode would reject in `text` (empty when valid)."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        problems += _bare_characters(text[position : match.start()])
        position = match.end()
        closing, tag, attributes, _ = match.groups()
        tag = tag.lower()
        if tag not in TELEGRAM_TAGS:
            problems.append(f"<{tag}> is not a Telegram HTML tag")
            continue
        if closing:
            if not stack or stack[-1] != tag:
                expected = f"</{stack[-1]}>" if stack else "nothing"
                problems.append(f"</{tag}> does not match (expected {expected})")
                if tag in stack:
                    del stack[len(stack) - 1 - stack[::-1].index(tag) :]
            else:
                stack.pop()
            continue
        stack.append(tag)
        if tag == "a":
            href = _HREF.search(attributes or "")
            url = (href.group(1) or href.group(2) or "") if href else ""
            if not url:
                problems.append("<a> without href")
            elif not url.startswith("https://"):
                problems.append(f"link {url!r} is not https://")
    problems += _bare_characters(text[position:])
    problems += [f"unclosed <{tag}>" for tag in reversed(stack)]
    problems += [f"link {m.group(0)!r} is not https://" for m in _HTTP_URL.finditer(text)]
    return problems


def _bare_characters(chunk: str) -> list[str]:
    problems = []
    if "<" in chunk or ">" in chunk:
        problems.append("a bare < or > (write &lt; or &gt;, or use a Telegram tag)")
    if "&" in _ENTITY.sub("", chunk):
        problems.append("a bare & (write &amp;)")
    return problems


# --- resources, regions, menu, safety lexicons ---------------------------------------


def _resource_ids(resources: Located | None) -> set[str]:
    if resources is None:
        return set()
    ids: set[str] = set()
    for section in ("national", "regions"):
        node = resources.get(section)
        for item in node.elements() if node is not None else ():
            item_id = item.get("id")
            if item_id is not None:
                ids.add(str(item_id.value))
    return ids


def _check_regions(
    taxonomy: Located | None, resources: Located | None, resources_path: Path, report: Report
) -> None:
    node = taxonomy.get("regions") if taxonomy is not None else None
    regions = _parsed(schema.TaxonomyRegions, node, report) if node is not None else None
    if regions is None or resources is None:
        return
    wanted = [*regions.cities, *regions.oblasts]
    known: set[str] = set()
    node = resources.get("regions")
    for item in node.elements() if node is not None else ():
        value = item.value if item.is_mapping else {}
        names = [value.get("id", ""), *(value.get("name") or {}).values()]
        names += list(value.get("aliases") or ())
        known.update(_region_key(str(n)) for n in names if n)
    for region in wanted:
        if _region_key(region) not in known:
            report.error(resources_path, f"region {region!r} of the taxonomy has no entry")
    report.checked["regions"] = len(wanted)


def _check_emergency_order(
    taxonomy: dict[str, _Intent], resources: Located | None, report: Report
) -> None:
    """emergency_order: crisis intents only, numbers of the directory, each once."""
    if resources is None:
        return
    numbers = resources.get("emergency_numbers")
    known = {
        str(item.value.get("number"))
        for item in (numbers.elements() if numbers is not None else ())
        if item.is_mapping
    }
    order = resources.get("emergency_order")
    if order is None or not order.is_mapping:
        return
    for situation, listed in order.items():
        intent = taxonomy.get(situation)
        if intent is None or intent.route is not Route.CRISIS:
            report.error(listed.where, f"emergency_order: {situation!r} is not a crisis intent")
        seen: set[str] = set()
        for item in listed.elements():
            number = str(item.value)
            if number not in known:
                report.error(item.where, f"emergency_order: {number!r} is not an emergency number")
            elif number in seen:
                report.error(item.where, f"emergency_order: {number!r} is listed twice")
            seen.add(number)
    report.checked["emergency orders"] = len(list(order.items()))


def _region_key(name: str) -> str:
    return normalize(name.replace("_", " "))


def _check_menu(taxonomy: dict[str, _Intent], menu: Located | None, report: Report) -> None:
    if menu is None:
        return
    start = len(report.issues)
    _parsed(schema.MenuFile, menu, report)
    categories = menu.get("categories")
    for category in categories.elements() if categories is not None else ():
        questions = category.get("questions")
        for question in questions.elements() if questions is not None else ():
            intent = question.get("intent")
            if intent is not None and str(intent.value) not in taxonomy:
                report.error(intent.where, f"menu names unknown intent {intent.value!r}")
    _in_file_order(report, start)


def _check_canned(canned: Located | None, report: Report) -> None:
    parsed = _parsed(schema.CannedFile, canned, report) if canned is not None else None
    if parsed is not None:
        report.checked["canned replies"] = len(parsed.canned)


def _check_safety(taxonomy: dict[str, _Intent], folder: Path, report: Report) -> None:
    """Safety lexicons parse, and each situation names a real intent and route.

    A file holds one situation (top-level `situation`, `route`, `intent`) or
    a `situations:` list of them. The safety check's own loader then reads
    the folder as the bot will, with its stricter rules.
    """
    if not folder.is_dir():
        return
    seen: dict[str, str] = {}
    errors_before = len(report.errors)
    files = sorted(folder.glob("*.yml"))
    for path in files:
        root = _load(path, report)
        if root is None:
            continue
        situations = root.get("situations")
        if situations is not None:
            for situation in situations.elements():
                _check_situation(taxonomy, situation, schema.ListedSituation, seen, report)
        elif root.get("situation") is not None:
            _check_situation(taxonomy, root, schema.LexiconSituation, seen, report)
        else:
            report.error(path, "a safety lexicon needs `situation`, `route` and `intent`")
    if files and len(report.errors) == errors_before:
        _load_safety_check(folder, taxonomy, report)


def _check_situation(
    taxonomy: dict[str, _Intent],
    situation: Located,
    model: type[schema.Situation],
    seen: dict[str, str],
    report: Report,
) -> None:
    """The schema's checks, then whether the situation is new and its intent known."""
    report.checked["safety situations"] += 1
    start = len(report.issues)
    _parsed(model, situation, report)
    ident, route, intent = (situation.get(k) for k in (model.ID, "route", "intent"))
    if ident is None or route is None or intent is None:
        return
    if str(ident.value) in seen:
        report.error(ident.where, f"situation {ident.value!r} repeats {seen[str(ident.value)]}")
    seen[str(ident.value)] = ident.where
    spec = taxonomy.get(str(intent.value))
    # The route as written, even when the schema refused something else.
    written = next((r for r in Route if r.value == str(route.value).strip()), None)
    if spec is None:
        report.error(intent.where, f"unknown intent {intent.value!r}")
    elif written is not None and spec.route is not written:
        report.warning(
            route.where,
            f"route {written.value} differs from the taxonomy's {spec.route.value} for {spec.name}",
        )
    _in_file_order(report, start)


def _load_safety_check(folder: Path, taxonomy: dict[str, _Intent], report: Report) -> None:
    try:
        from bot.services.safety import LexiconError, SafetyCheck
    except ImportError:  # the safety check is optional for this validator
        return
    try:
        SafetyCheck.from_directory(folder, intents=set(taxonomy))
    except LexiconError as exc:
        report.error(folder, str(exc))


def _warn_unverified_resources(resources: Located | None, report: Report) -> None:
    if resources is None:
        return
    national = resources.get("national")
    for item in national.elements() if national is not None else ():
        value = item.value if item.is_mapping else {}
        if not value.get("verified", False):
            report.warning(
                item.where,
                f"unverified contact {value.get('id')!r}: {value.get('contact')}"
                f" (source: {value.get('source') or 'none given'})",
            )
    regions = resources.get("regions")
    empty = 0
    for item in regions.elements() if regions is not None else ():
        for office in ("department", "advisory_center"):
            node = item.get(office)
            value = node.value if node is not None and node.is_mapping else None
            if not value:
                continue
            filled = [k for k in ("phone", "address", "website", "hours") if value.get(k)]
            empty += not filled
            if not value.get("verified", False) and filled:
                region = item.get("id")
                report.warning(
                    node.where if node is not None else item.where,
                    f"unverified {office} contact of {region.value if region else '?'}: "
                    + ", ".join(f"{k} {value[k]}" for k in filled),
                )
    if empty:
        report.warning(
            regions.where if regions is not None else "resources",
            f"{empty} regional office(s) have no contacts yet; fill them from official sources",
        )


def summarize(issues: Iterable[Issue]) -> Counter[str]:
    """How many issues of each level (for tests and scripts)."""
    return Counter(i.level for i in issues)
