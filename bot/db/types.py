"""Column types of our own, portable between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` whose values always read back timezone-aware.

    PostgreSQL returns aware datetimes; SQLite keeps no zone and returns naive
    ones, which were written in UTC. The schema is that of
    `DateTime(timezone=True)`, so migrations do not change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)
