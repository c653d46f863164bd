"""`content validate`'s checks of the NLU data: examples, `rasa data validate`, the word bridge.

- every taxonomy intent is in domain.yml and has enough kk and ru examples;
- no example belongs to two intents, and no intent repeats an example in
  another spelling (both compared after `normalize()`, as the NLU sees them);
- nlu/kk_ru.tsv (the Kazakh -> Russian word bridge of the NLU's word vectors)
  has folded Kazakh words, each once, and one Russian word each.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from bot.content.checks import CheckedIntent, Report
from bot.domain import Route
from bot.nlp.normalize import normalize
from bot.nlu.data import LANGUAGES, Example, Located, YAMLError, data_files, file_examples
from bot.nlu.tooling import Project, ToolingError, ensure_venv

NEAR_DUPLICATE_JACCARD = 0.9
# Intents whose answers carry the most weight need the most examples.
MIN_EXAMPLES = {Route.FAQ: 40, Route.ESCALATE: 40, Route.CRISIS: 40}
MIN_EXAMPLES_OTHER = 20

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


def check_bridge(path: Path, report: Report) -> None:
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


def read_examples(nlu_dir: Path, report: Report) -> list[Example]:
    if not nlu_dir.is_dir():
        report.error(nlu_dir, "the NLU data folder is missing")
        return []
    examples: list[Example] = []
    for path in data_files(nlu_dir):
        examples.extend(read_file_examples(path, nlu_dir, report))
    for example in examples:
        if example.lang not in LANGUAGES:
            report.error(example.where, "examples must be under nlu_data/kk or nlu_data/ru")
            break
        if not example.text.strip():
            report.error(example.where, "empty example")
    report.checked["examples"] = len(examples)
    return examples


# --- rasa data validate --------------------------------------------------------


def read_file_examples(path: Path, nlu_dir: Path, report: Report) -> list[Example]:
    try:
        return list(file_examples(path, nlu_dir))
    except YAMLError as exc:
        report.error(exc.where, f"not valid YAML: {exc.problem}")
        return []


def rasa_validate(project: Project, report: Report) -> None:
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


def check_domain_intents(
    taxonomy: dict[str, CheckedIntent], domain: Located | None, path: Path, report: Report
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


def check_example_counts(
    taxonomy: dict[str, CheckedIntent], examples: list[Example], nlu_dir: Path, report: Report
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


def check_conflicts(examples: list[Example], report: Report) -> None:
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


def check_near_duplicates(examples: list[Example], report: Report) -> None:
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
