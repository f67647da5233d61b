"""A day's partition of a detail table (version_downloads, category_downloads): built aside under a temporary name
by the day's import, then swapped in for the old one in the same transaction."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg2.errors
from psycopg2 import sql

from pepy.domain.errors import InvalidImport
from pepy.infrastructure.postgres.copy import copy_query_into


def day_partition(table: str, day: date) -> str:
    """The name of a daily partition."""
    return f"{table}_{day:%Y%m%d}"


class DayPartition:
    """A day's partition of `table`, built as `new` and attached as `final` by `swap_in`."""

    def __init__(self, table: str, day: date):
        self.table = table
        self.day = day
        self.final = day_partition(table, day)
        self.new = f"{self.final}_new"
        self.new_index = f"{self.final}_key_new"
        self.rows = 0

    @classmethod
    def build(cls, cur, table: str, day: date, rows: tuple[str, str], key: str) -> DayPartition:
        """Create the new partition and fill it with `rows` (its columns, and a query of their values in which
        `{day}` stands for the day), then build its unique index on `key`; InvalidImport if two rows share a key."""
        partition = cls(table, day)
        cur.execute(
            sql.SQL(
                "CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
                "CHECK (day >= {day} AND day < {next}))"
            ).format(
                new=sql.Identifier(partition.new),
                table=sql.Identifier(table),
                day=sql.Literal(day),
                next=sql.Literal(day + timedelta(days=1)),
            )
        )
        columns, query = rows
        partition.rows = copy_query_into(
            cur,
            sql.SQL(query).format(day=sql.Literal(day)),
            sql.SQL("{} ({})").format(sql.Identifier(partition.new), sql.SQL(columns)),
        )
        # Built once over rows no import changes again (a re-import builds a new partition): full leaf pages, not 90%.
        try:
            cur.execute(
                sql.SQL(
                    "CREATE UNIQUE INDEX {index} ON {new} ({key}) NULLS NOT DISTINCT WITH (fillfactor = 100)"
                ).format(index=sql.Identifier(partition.new_index), new=sql.Identifier(partition.new), key=sql.SQL(key))
            )
        except psycopg2.errors.UniqueViolation as error:
            raise InvalidImport(f"The source gave duplicate rows for {table}: {error.diag.message_detail}") from error
        return partition

    def swap_in(self, cur) -> None:
        """Drop the day's old partition and attach the new one in its place."""
        ident = sql.Identifier
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident(self.final)))
        cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(ident(self.new), ident(self.final)))
        cur.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(ident(self.new_index), ident(f"{self.final}_key")))
        cur.execute(
            sql.SQL("ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES FROM ({a}) TO ({b})").format(
                table=ident(self.table),
                part=ident(self.final),
                a=sql.Literal(self.day),
                b=sql.Literal(self.day + timedelta(days=1)),
            )
        )
