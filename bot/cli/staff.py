"""`python -m bot staff ACTION`: counselors, supervisors and admins.

    python -m bot staff add TELEGRAM_ID --role counselor --name "Айгерім" [--desk almaty ...]
    python -m bot staff remove TELEGRAM_ID
    python -m bot staff list

The name is the one citizens see, never the Telegram name. `--desk` (ids of
content/desks.yml, repeated for several) makes the member belong to those desks
only; a member with no desk belongs to every desk (docs/desks.md). Admins do the same
in the staff group with /staff. Changes go to the audit log (with no staff
member as the actor, since they come from the command line).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings
from bot.services.staff import StaffError, StaffRole


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("staff", help="counselors, supervisors and admins")
    actions = parser.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a member, or change their role and name")
    add.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID")
    add.add_argument(
        "--role", choices=[r.value for r in StaffRole], default=StaffRole.COUNSELOR.value
    )
    add.add_argument("--name", required=True, help="the display name citizens see")
    add.add_argument(
        "--desk",
        action="append",
        default=[],
        metavar="DESK",
        help="a desk of content/desks.yml the member belongs to (repeat for several)",
    )
    add.set_defaults(handler=_add)
    remove = actions.add_parser("remove", help="remove a member; their cases go back to the queue")
    remove.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID")
    remove.set_defaults(handler=_remove)
    listing = actions.add_parser("list", help="the active members")
    listing.set_defaults(handler=_list)


async def _with_service(action: Any) -> int:
    from bot.db.engine import create_engine, session_factory, upgrade
    from bot.services.staff import StaffService

    settings = Settings()
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            result: int = await action(StaffService(session))
            return result
    finally:
        await engine.dispose()


def unknown_desks(settings: Settings, desks: list[str]) -> list[str]:
    """The desk ids that content/desks.yml (or the single desk "main") does not list."""
    from bot.content.library import ContentLibrary
    from bot.services.desks import MAIN_DESK, DeskDirectory

    content = ContentLibrary.load(settings.content_dir, settings.domain_path)
    directory = DeskDirectory.load(settings, content.resources.regions.keys())
    if directory is None:
        return [desk for desk in desks if desk != MAIN_DESK]
    return [desk for desk in desks if not directory.known(desk)]


def _add(args: argparse.Namespace) -> int:
    unknown = unknown_desks(Settings(), args.desk) if args.desk else []
    if unknown:
        print(f"error: no such desk in content/desks.yml: {', '.join(unknown)}", file=sys.stderr)
        return 1

    async def act(service: Any) -> int:
        try:
            staff = await service.add(args.telegram_id, args.role, args.name, desks=args.desk)
        except StaffError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        desks = ",".join(sorted(await service.desks_of(staff))) or "all desks"
        print(f"{staff.telegram_id}\t{staff.role}\t{staff.display_name}\t{desks}")
        return 0

    return asyncio.run(_with_service(act))


def _remove(args: argparse.Namespace) -> int:
    async def act(service: Any) -> int:
        removal = await service.remove(args.telegram_id)
        if removal is None:
            print(f"error: no active staff member {args.telegram_id}", file=sys.stderr)
            return 1
        released = len(removal.released_case_ids)
        print(f"removed {removal.staff.display_name}; cases back in the queue: {released}")
        return 0

    return asyncio.run(_with_service(act))


def _list(args: argparse.Namespace) -> int:
    async def act(service: Any) -> int:
        members = await service.active()
        desks = await service.desks_by_staff([staff.id for staff in members])
        for staff in members:
            theirs = ",".join(sorted(desks.get(staff.id, ()))) or "all desks"
            print(f"{staff.telegram_id}\t{staff.role}\t{staff.display_name}\t{theirs}")
        return 0

    return asyncio.run(_with_service(act))
