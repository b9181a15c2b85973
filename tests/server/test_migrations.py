"""Schema migrations keep the data they reshape, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from server.db.migrate import alembic_config


async def _migrate(engine: AsyncEngine, step: str, revision: str) -> None:
    def run(connection: object) -> None:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def _rows(engine: AsyncEngine, table: str, column: str) -> set[tuple]:
    async with engine.connect() as connection:
        found = await connection.execute(text(f"SELECT {column}, number, direct FROM {table}"))
        return {(key, number, bool(direct)) for key, number, direct in found}


async def test_index_rows_lose_their_related_twins_and_get_them_back(database_url: str
                                                                     ) -> None:
    engine = create_async_engine(database_url)
    try:
        await _migrate(engine, "upgrade", "0005")
        old = {("mbox:ann", 1, True), ("mbox:ann", 1, False), ("mbox:lrs", 1, False),
               ("mbox:ann", 2, False)}
        async with engine.begin() as connection:
            for table, column in (("statement_agents", "agent"),
                                  ("statement_activities", "activity")):
                await connection.execute(
                    text(f"INSERT INTO {table} ({column}, number, direct) VALUES (:k, :n, :d)"),
                    [{"k": k, "n": n, "d": d} for k, n, d in old])
        await _migrate(engine, "upgrade", "head")
        lean = {("mbox:ann", 1, True), ("mbox:lrs", 1, False), ("mbox:ann", 2, False)}
        assert await _rows(engine, "statement_agents", "agent") == lean
        assert await _rows(engine, "statement_activities", "activity") == lean
        await _migrate(engine, "downgrade", "0005")
        assert await _rows(engine, "statement_agents", "agent") == old
        assert await _rows(engine, "statement_activities", "activity") == old
    finally:
        await engine.dispose()


async def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    # a column, index or constraint added to a model without a migration (or the other way
    # round) would work in tests that create the models and fail on an upgraded database
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from server.db.models import Base

    engine = create_async_engine(database_url)
    await _migrate(engine, "upgrade", "head")

    def differences(connection: object) -> list[object]:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with engine.connect() as connection:
        found = await connection.run_sync(differences)
    await engine.dispose()
    assert found == [], "\n".join(map(str, found))
