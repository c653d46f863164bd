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

This module runs them all (`validate`) and holds the checks of the answers;
the NLU data's are in `validate_nlu`, the resources', menu's and lexicons' in
`validate_resources`, the report and the YAML reading they share in `checks`.
The checks of each answer as sent (at most 700 visible characters, with every
region's block) compose it with bot.ui, which this package may not import:
they are in `bot.ui.composed_checks`, whose `validate` runs this one with them.

Unverified facts and contacts are warnings: they are expected while editors
check them, and must not block a release. Errors make the exit code 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml

from bot import telegram_html
from bot.content import schema
from bot.content.answers import OFFERS_A_SPECIALIST
from bot.content.checks import (
    Check,
    CheckedIntent,
    Report,
    load_yaml,
    read_taxonomy,
    read_with_schema,
    warn_unverified,
)
from bot.content.validate_nlu import (
    check_bridge,
    check_conflicts,
    check_domain_intents,
    check_example_counts,
    check_near_duplicates,
    rasa_validate,
    read_examples,
)
from bot.content.validate_resources import (
    check_canned,
    check_desks,
    check_emergency_order,
    check_menu,
    check_regions,
    check_safety,
    resource_ids_of,
    warn_unverified_resources,
)
from bot.domain import CHANGE_LANGUAGE_INTENT, PRIVACY_QUESTION_INTENT, Route
from bot.nlu.data import LANGUAGES, Located
from bot.nlu.tooling import Project

MAX_ANSWER_CHARS = 1000
# Intents the bot answers with its own interface strings (locales/), not domain.yml.
# Intents the bot answers itself: the language keyboard, and the one privacy
# text generated from the settings (bot/ui/citizen_texts.py privacy_notice).
ANSWERED_BY_THE_BOT = frozenset({CHANGE_LANGUAGE_INTENT, PRIVACY_QUESTION_INTENT})
_HTTP_URL = re.compile(r"\bhttp://\S+")


def validate(
    root: Path,
    *,
    rasa: bool = False,
    project: Project | None = None,
    upper_checks: Sequence[Check] = (),
) -> Report:
    """Check the checkout at `root`; with `rasa`, run `rasa data validate` as well.

    `upper_checks` are the checks of the layers above (the answers as bot.ui
    composes them: bot.ui.composed_checks); they run when the rest found no error,
    as they load the whole content.
    """
    report = Report()
    content = root / "content"
    taxonomy_file = load_yaml(content / "taxonomy.yml", report)
    taxonomy = read_taxonomy(taxonomy_file, report)
    if rasa:
        rasa_validate(project or Project(root=root), report)
    domain = load_yaml(root / "domain.yml", report)
    examples = read_examples(root / "nlu_data", report)
    if taxonomy is not None:
        check_domain_intents(taxonomy, domain, root / "domain.yml", report)
        check_example_counts(taxonomy, examples, root / "nlu_data", report)
    check_conflicts(examples, report)
    check_near_duplicates(examples, report)
    resources = load_yaml(content / "resources.yml", report)
    if resources is not None:
        read_with_schema(schema.ResourcesFile, resources, report)
    resource_ids = resource_ids_of(resources)
    if taxonomy is not None:
        _check_answers(taxonomy, domain, root / "domain.yml", resource_ids, report)
        check_regions(taxonomy_file, resources, content / "resources.yml", report)
        check_emergency_order(taxonomy, resources, report)
        check_menu(taxonomy, load_yaml(content / "menu.yml", report, required=False), report)
        check_safety(taxonomy, content / "safety", report)
    warn_unverified_resources(resources, report)
    check_canned(load_yaml(content / "canned.yml", report, required=False), report)
    check_desks(load_yaml(content / "desks.yml", report, required=False), resources, report)
    _check_glossary(root, report)
    for check in upper_checks if not report.errors else ():
        check(root, report)
    check_bridge(root / "nlu" / "kk_ru.tsv", report)
    report.relative_to(root)
    return report


def _check_glossary(root: Path, report: Report) -> None:
    """One term for each thing (bot/content/glossary.py): every variant found is an error."""
    from bot.content.citizen_texts import UnreadableTextError
    from bot.content.glossary import GLOSSARY, glossary_problems

    try:
        problems = glossary_problems(root)
    except (UnreadableTextError, yaml.YAMLError):
        return  # a file that does not parse is reported by its own check
    for problem in problems:
        where, _, message = problem.partition(" ")
        report.error(root / where, f"glossary: {message}")
    report.checked["glossary terms"] = len(GLOSSARY)


# --- answers -----------------------------------------------------------------------


def _check_answers(
    taxonomy: dict[str, CheckedIntent],
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
            parsed = read_with_schema(schema.AnswerVariant, variant, report)
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


def _check_variant(  # noqa: PLR0913 - the variant, where it is, and the report it adds to
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
    warn_unverified(
        metadata.get("facts"),
        report,
        lambda value: f"{name}: unverified fact {value.get('claim', '')!r}",
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
    """What Telegram's HTML parse mode would reject in `text` (bot.telegram_html), and
    links that are not https:// (empty when valid)."""
    problems = telegram_html.problems(text)
    for url in telegram_html.links(text):
        if not url:
            problems.append("<a> without href")
        elif not url.startswith("https://"):
            problems.append(f"link {url!r} is not https://")
    problems += [f"link {m.group(0)!r} is not https://" for m in _HTTP_URL.finditer(text)]
    return problems
