"""Editors' review: unclear questions become training examples, or are dismissed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.review import ReviewError, ReviewService, add_example
from bot.db.models import MessageLog
from bot.services.citizens import CitizenService


async def _log(session: AsyncSession, text: str | None, lang: str = "kk") -> int:
    citizen = await CitizenService(session).get_or_create(55)
    entry = MessageLog(
        citizen_id=citizen.id,
        lang=lang,
        intent="nlu_fallback",
        confidence=0.2,
        route="fallback",
        text=text,
    )
    session.add(entry)
    await session.commit()
    return entry.id


async def test_assign_writes_example_in_the_right_language(
    session: AsyncSession, tmp_path: Path
) -> None:
    first = await _log(session, "мешіттің имамы кім")
    second = await _log(session, "где взять справку", lang="ru")
    await _log(session, None)  # understood messages keep no text
    review = ReviewService(session, tmp_path, ["theology_question", "out_of_scope"])
    pending = await review.pending()
    assert [p.id for p in pending] == [second, first]  # newest first
    path = await review.assign(first, "theology_question")
    assert path == tmp_path / "kk" / "reviewed.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["nlu"] == [{"intent": "theology_question", "examples": "- мешіттің имамы кім\n"}]
    await review.dismiss(second)
    assert await review.pending() == []
    entry = await session.get(MessageLog, first)
    assert entry is not None
    assert entry.text is None  # the text is gone once reviewed
    with pytest.raises(ReviewError):
        await review.assign(first, "theology_question")
    with pytest.raises(ReviewError):
        await review.assign(second, "no_such_intent")


def test_add_example_keeps_other_intents_and_skips_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.yml"
    add_example(path, "greet", "салем")
    add_example(path, "thanks", "рахмет  вам")
    add_example(path, "greet", "салем")
    add_example(path, "greet", "qalaisyz")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    assert data["nlu"] == [
        {"intent": "greet", "examples": "- салем\n- qalaisyz\n"},
        {"intent": "thanks", "examples": "- рахмет вам\n"},
    ]
