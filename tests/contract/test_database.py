"""The `Database` protocol itself, on both engines: SQL written once with `?` placeholders
means the same thing on each."""

from __future__ import annotations

from ferry.store import Database, Tx


async def test_a_literal_percent_sign_means_itself_with_and_without_parameters(
    region_db: Database,
) -> None:
    def read(tx: Tx) -> tuple[object, ...]:
        bare = tx.execute("SELECT 'a%b', 'c%%d'").fetchone()
        bound = tx.execute("SELECT 'a%b', ?", ("%x?",)).fetchone()
        return (*bare, *bound)

    assert await region_db.read(read) == ("a%b", "c%%d", "a%b", "%x?")


async def test_rows_read_by_position_and_by_column_name(region_db: Database) -> None:
    row = await region_db.read(lambda tx: tx.execute("SELECT 1 AS one, 'two' AS two").fetchone())
    assert (row[0], row["one"], row[1], row["two"]) == (1, 1, "two", "two")
