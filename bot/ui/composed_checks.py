"""The checks of `content validate` that compose the answers as the bot sends them.

They need bot.ui (the citizen's texts, translated with aiogram's I18n), which
bot.content may not import; so bot.content's `validate` takes them as its
`upper_checks`. `validate` here is the whole of `content validate` (the command
and the tests run it); `content publish` passes `UPPER_CHECKS` to
bot.content.publish.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.content import validate as content_validate
from bot.content.checks import Check, Report
from bot.content.library import ContentLibrary
from bot.content.validate import CARRIES_A_CONTACT, telegram_html_problems
from bot.nlu.tooling import Project
from bot.ui import citizen_texts

# An answer as the bot sends it (text, contacts, the longest region block, the
# footnote, the vote's question) fits a phone screen: visible characters.
MAX_COMPOSED_CHARS = 700


def validate(root: Path, *, rasa: bool = False, project: Project | None = None) -> Report:
    """`content validate` in full: bot.content's checks, then `UPPER_CHECKS`."""
    return content_validate.validate(root, rasa=rasa, project=project, upper_checks=UPPER_CHECKS)


def visible_length(html_text: str) -> int:
    """Characters a reader sees in Telegram HTML: tags dropped, entities decoded."""
    return len(unescape(re.sub(r"<[^>]+>", "", html_text)))


def check_composed_lengths(root: Path, report: Report) -> None:
    """Each answer as sent, with every region's block, under MAX_COMPOSED_CHARS."""
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


UPPER_CHECKS: tuple[Check, ...] = (check_composed_lengths,)
