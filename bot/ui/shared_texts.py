"""What citizen and staff texts share: the two languages' names and the resource
directory as text (national resources, a region's offices, the star and footnote
of what an editor has not yet confirmed)."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from bot.content.resources import Office, Region, Resource

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский"}


# A contact or office not yet confirmed carries this star; one footnote explains it.
STAR = "*"


def unverified_note() -> str:
    return _("<i>* not yet confirmed by an editor</i>")


def resource_line(resource: Resource, lang: str) -> str:
    name = escape(resource.name.get(lang) or resource.id)
    if not resource.contact:
        return f"• {name}: " + _("its address is not in the directory yet") + STAR
    contact = escape(resource.contact)
    line = f"• <b>{contact}</b> — {name}" if not resource.is_url else f"• {name}: {contact}"
    return line if resource.verified else line + STAR


def with_note(lines: list[str]) -> list[str]:
    """`lines`, and the footnote once if any of them carries the star."""
    if any(STAR in line for line in lines):
        return [*lines, unverified_note()]
    return lines


def office_details(office: Office) -> list[str]:
    known = [
        (_("Phone"), office.phone),
        (_("Address"), office.address),
        (_("Hours"), office.hours),
        (_("Website"), office.website),
    ]
    details = [f"{label}: {escape(value)}" for label, value in known if value]
    details.extend(escape(link) for link in office.social if link)
    return details


def office_lines(office: Office, lang: str) -> list[str]:
    name = f"<b>{escape(office.name.get(lang, ''))}</b>"
    return [name if office.verified else name + STAR, *office_details(office)]


def contacts_missing(region: Region) -> bool:
    """True when an office of the region has no contact in the directory yet."""
    return not (region.department.has_contacts and region.advisory_center.has_contacts)


def region_lines(region: Region, lang: str, *, counselors: bool) -> list[str]:
    """The region's offices; where their contacts are missing, says so, and offers a
    specialist here only when counselors work from a staff group."""
    lines = [f"<b>{escape(region.name.get(lang, region.id))}</b>"]
    lines.extend(office_lines(region.department, lang))
    lines.extend(office_lines(region.advisory_center, lang))
    if contacts_missing(region) and counselors:
        lines.append(
            _("Their contacts are not in the directory yet; a specialist can help you here.")
        )
    elif contacts_missing(region):
        lines.append(_("Their contacts are not in the directory yet."))
    return lines


def region_block(region: Region, lang: str, *, counselors: bool) -> str:
    return "\n".join(with_note(region_lines(region, lang, counselors=counselors)))
