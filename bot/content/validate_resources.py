"""`content validate`'s checks of resources, menu, canned replies and safety lexicons.

- every resource id an answer names exists, the resource directory covers the
  taxonomy's 20 regions, and the emergency numbers come first;
- the menu and the safety lexicons name real intents, canned replies parse;
- unverified contacts are warnings;
- content/desks.yml, when present, names known regions, each in one desk, and
  has exactly one fallback desk.
"""

from __future__ import annotations

from pathlib import Path

from bot.content import schema
from bot.content.checks import (
    CheckedIntent,
    Report,
    in_file_order,
    load_yaml,
    node_at,
    read_with_schema,
    warn_unverified,
)
from bot.content.desks import desk_problems
from bot.domain import Route
from bot.nlp.lexicons import LexiconError, load_lexicons
from bot.nlp.normalize import normalize
from bot.nlu.data import Located


def resource_ids_of(resources: Located | None) -> set[str]:
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


def check_regions(
    taxonomy: Located | None, resources: Located | None, resources_path: Path, report: Report
) -> None:
    node = taxonomy.get("regions") if taxonomy is not None else None
    regions = read_with_schema(schema.TaxonomyRegions, node, report) if node is not None else None
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


def check_emergency_order(
    taxonomy: dict[str, CheckedIntent], resources: Located | None, report: Report
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


def check_menu(taxonomy: dict[str, CheckedIntent], menu: Located | None, report: Report) -> None:
    if menu is None:
        return
    start = len(report.issues)
    read_with_schema(schema.MenuFile, menu, report)
    categories = menu.get("categories")
    for category in categories.elements() if categories is not None else ():
        questions = category.get("questions")
        for question in questions.elements() if questions is not None else ():
            intent = question.get("intent")
            if intent is not None and str(intent.value) not in taxonomy:
                report.error(intent.where, f"menu names unknown intent {intent.value!r}")
    in_file_order(report, start)


def check_canned(canned: Located | None, report: Report) -> None:
    parsed = read_with_schema(schema.CannedFile, canned, report) if canned is not None else None
    if parsed is not None:
        report.checked["canned replies"] = len(parsed.canned)


def check_safety(taxonomy: dict[str, CheckedIntent], folder: Path, report: Report) -> None:
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
        root = load_yaml(path, report)
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
        _load_lexicons(folder, taxonomy, report)


def _check_situation(
    taxonomy: dict[str, CheckedIntent],
    situation: Located,
    model: type[schema.Situation],
    seen: dict[str, str],
    report: Report,
) -> None:
    """The schema's checks, then whether the situation is new and its intent known."""
    report.checked["safety situations"] += 1
    start = len(report.issues)
    read_with_schema(model, situation, report)
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
    in_file_order(report, start)


def _load_lexicons(folder: Path, taxonomy: dict[str, CheckedIntent], report: Report) -> None:
    try:
        load_lexicons(folder, intents=set(taxonomy))
    except LexiconError as exc:
        report.error(folder, str(exc))


def warn_unverified_resources(resources: Located | None, report: Report) -> None:
    if resources is None:
        return
    warn_unverified(
        resources.get("national"),
        report,
        lambda value: f"unverified contact {value.get('id')!r}: {value.get('contact')}",
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


def region_ids_of(resources: Located | None) -> set[str]:
    node = resources.get("regions") if resources is not None else None
    ids: set[str] = set()
    for item in node.elements() if node is not None else ():
        item_id = item.get("id")
        if item_id is not None:
            ids.add(str(item_id.value))
    return ids


def check_desks(desks: Located | None, resources: Located | None, report: Report) -> None:
    """content/desks.yml, when there is one: each problem where it is written."""
    if desks is None:
        return
    parsed = read_with_schema(schema.DesksFile, desks, report)
    if parsed is None:
        return
    problems = desk_problems(parsed, region_ids_of(resources))
    for loc, message in problems:
        report.error(node_at(desks, loc).where, message)
    if not problems:
        report.checked["desks"] = len(parsed.desks)
