"""Staff of the counselors' group: roles, adding and removing people, and the
canned replies counselors send with one tap (content/canned.yml, kept by editors).

Every change is written to the audit log with the staff member who made it
(None from the command line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.schema import CannedFile
from bot.db.models import Staff, utcnow
from bot.db.repositories.cases import AuditRepository, CaseRepository
from bot.db.repositories.staff import StaffRepository

NAME_LIMIT = 64


class StaffRole(StrEnum):
    COUNSELOR = "counselor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def can_supervise(self) -> bool:
        """Sees every case and reassigns any of them."""
        return self in (StaffRole.SUPERVISOR, StaffRole.ADMIN)

    @property
    def can_manage_staff(self) -> bool:
        return self is StaffRole.ADMIN


def role_of(staff: Staff) -> StaffRole:
    try:
        return StaffRole(staff.role)
    except ValueError:
        return StaffRole.COUNSELOR


class StaffError(ValueError):
    """A request the staff service refuses; `code` is one of role, name, id, last_admin."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class Removal:
    staff: Staff
    released_case_ids: tuple[int, ...]


class StaffService:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._staff = StaffRepository(session)
        self._audit = AuditRepository(session)

    async def member(self, telegram_id: int) -> Staff | None:
        """The active staff member with this Telegram id, or None."""
        staff = await self._staff.by_telegram_id(telegram_id)
        return staff if staff is not None and staff.active else None

    async def get(self, staff_id: int) -> Staff | None:
        return await self._staff.get(staff_id)

    async def active(self) -> Sequence[Staff]:
        return await self._staff.active()

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Staff]:
        return await self._staff.by_ids(ids)

    async def desks_of(self, staff: Staff) -> frozenset[str]:
        """The desks `staff` belongs to; empty: every desk."""
        return await self._staff.desks_of(staff.id)

    async def desks_by_staff(self, ids: Sequence[int]) -> dict[int, frozenset[str]]:
        return await self._staff.desks_by_staff(ids)

    async def add(
        self,
        telegram_id: int,
        role: str,
        display_name: str,
        *,
        actor: Staff | None = None,
        desks: Sequence[str] | None = None,
    ) -> Staff:
        """Add a member, or change the role and name of an existing one; with
        `desks` (ids the caller checked), they belong to those desks only, and
        with no desks given an existing member keeps theirs."""
        try:
            chosen = StaffRole(role)
        except ValueError:
            raise StaffError("role", f"unknown role {role!r}") from None
        name = " ".join(display_name.split())
        if not name or len(name) > NAME_LIMIT:
            raise StaffError("name", f"the display name must have 1 to {NAME_LIMIT} characters")
        if telegram_id <= 0:
            raise StaffError("id", "a Telegram user id is a positive number")
        staff = await self._staff.by_telegram_id(telegram_id)
        if staff is None:
            staff = await self._staff.add(
                Staff(telegram_id=telegram_id, role=chosen.value, display_name=name, active=True)
            )
            action = "staff_add"
        else:
            staff.role = chosen.value
            staff.display_name = name
            staff.active = True
            action = "staff_update"
        await self._session.flush()
        if desks:
            await self._staff.set_desks(staff.id, desks)
        detail = f"{staff.id}:{role}" + (f":{','.join(desks)}" if desks else "")
        await self._audit.add(
            action, staff_id=actor.id if actor else None, case_id=None, detail=detail
        )
        await self._session.commit()
        return staff

    async def remove(self, telegram_id: int, *, actor: Staff | None = None) -> Removal | None:
        """Deactivate a member (kept for the audit log); their cases go back to the queue."""
        staff = await self._staff.by_telegram_id(telegram_id)
        if staff is None or not staff.active:
            return None
        if role_of(staff) is StaffRole.ADMIN and actor is not None:
            admins = [s for s in await self._staff.active() if role_of(s) is StaffRole.ADMIN]
            if len(admins) == 1:
                raise StaffError("last_admin", "the last admin cannot be removed")
        staff.active = False
        cases = CaseRepository(self._session)
        released: list[int] = []
        for case in await cases.held_by(staff.id):
            if await cases.reassign(case.id, staff.id, None, utcnow()):
                released.append(case.id)
                await self._audit.add(
                    "release", staff_id=actor.id if actor else None, case_id=case.id
                )
        await self._audit.add(
            "staff_remove", staff_id=actor.id if actor else None, case_id=None, detail=str(staff.id)
        )
        await self._session.commit()
        return Removal(staff, tuple(released))


@dataclass(frozen=True, slots=True)
class CannedReply:
    id: str
    title: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True, slots=True)
class CannedReplies:
    """Replies counselors send with one tap, in the citizen's language."""

    replies: tuple[CannedReply, ...]

    @classmethod
    def load(cls, path: Path) -> CannedReplies:
        if not path.exists():
            return cls(())
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        replies = tuple(
            CannedReply(
                id=item.id,
                title=dict(item.title),
                text={lang: text.strip() for lang, text in item.text.items()},
            )
            for item in CannedFile.model_validate(raw).canned
        )
        return cls(replies)

    def get(self, reply_id: str) -> CannedReply | None:
        return next((r for r in self.replies if r.id == reply_id), None)
