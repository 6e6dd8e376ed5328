"""The hottest reads, run straight on the driver: a Core SELECT compiled by SQLAlchemy, executed by asyncpg.

A list page runs two statements (the caller's sign-in and the page). Through SQLAlchemy's execution layers
(execution context, parameter processing, cursor adaptation in a greenlet, the result object) each cost
0.13-0.2 ms of CPU on the bench machine beyond what asyncpg itself spends; running both here took the page
from 7.27M to 6.44M instructions per request (``bench/instructions.py``).
``select_rows`` keeps SQLAlchemy for what it is for, building and compiling the SQL (once per statement
shape, cached by SQLAlchemy's own cache key, with its bind and result processors), and hands the compiled
text and the parameters to the asyncpg connection under the session, inside the session's transaction.

Everything else falls back to the session's connection, unchanged: other drivers (aiosqlite), statements whose
parameters are rendered into the SQL at execution (expanding ``IN`` lists, literal parameters) or that do not
cache. Errors go through the SQLAlchemy adapter's own translation, so callers see the same exceptions either
way; a connection the server dropped meanwhile is left to the pool's checkout check
(``kronos.kit.db._refuse_closed_connection``), as asyncpg marks it closed.

This reaches into the asyncpg adapter (its transaction, lock and error translation) and the compiler's cached
parameter handling, which are SQLAlchemy internals: ``tests/kit/test_driver.py`` checks rows, parameters,
transaction and row-level-security binding against SQLAlchemy's own execution, so an upgrade that changes
them fails there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.util import LRUCache

_CACHE_SIZE: Final = 1000
# SQLAlchemy's compiled statements by cache key, as the engine keeps its own.
_COMPILED: LRUCache[Any, Any] = LRUCache(_CACHE_SIZE)
# What running one takes, by compiled statement (the entry holds it, so its id is not reused while cached).
_PLANS: LRUCache[int, tuple[Any, _Plan | None]] = LRUCache(_CACHE_SIZE)


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of $1, $2...
    bind: tuple[tuple[int, Any], ...]  # (position, processor) for the parameters that have one
    result: tuple[tuple[int, Any], ...]  # (column, processor) for the columns that have one


def _plan(compiled: Any, dialect: Dialect) -> _Plan | None:
    """None for a statement the driver cannot run as compiled."""
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.positiontup is None:
        return None
    names = tuple(compiled.positiontup)
    processors = compiled._bind_processors
    bind = []
    for position, name in enumerate(names):
        processor = processors.get(name)
        if isinstance(processor, tuple):  # tuple-typed parameters: SQLAlchemy expands them
            return None
        if processor is not None:
            bind.append((position, processor))
    result = []
    for index, entry in enumerate(compiled._result_columns):
        try:
            processor = entry.type._cached_result_processor(dialect, None)
        except Exception:  # a processor that needs the driver's column type (numerics): SQLAlchemy's path
            return None
        if processor is not None:
            result.append((index, processor))
    return _Plan(compiled.string, names, tuple(bind), tuple(result))


def _prepare(
    connection: AsyncConnection, statement: Select[Any], params: Mapping[str, Any] | None
) -> tuple[_Plan, list[Any]] | None:
    dialect = connection.dialect
    compiled: Any
    compiled, extracted, collected, _hit = statement._compile_w_cache(
        dialect, compiled_cache=_COMPILED, column_keys=[], for_executemany=False
    )
    if extracted is None:  # no cache key: not worth a plan
        return None
    entry = _PLANS.get(id(compiled))
    if entry is None or entry[0] is not compiled:
        entry = (compiled, _plan(compiled, dialect))
        _PLANS[id(compiled)] = entry
    plan = entry[1]
    if plan is None:
        return None
    values = compiled.construct_params(
        params, extracted_parameters=extracted, escape_names=False, _collected_params=collected
    )
    arguments = [values[name] for name in plan.names]
    for position, processor in plan.bind:
        arguments[position] = processor(arguments[position])
    return plan, arguments


async def select_rows(
    session: AsyncSession, statement: Select[Any], params: Mapping[str, Any] | None = None
) -> Sequence[Sequence[Any]]:
    """All rows of ``statement`` in ``session``'s transaction (begun if need be, with the session's events),
    indexable by position as the select lists its columns."""
    connection = await session.connection()
    prepared = _prepare(connection, statement, params) if connection.dialect.driver == "asyncpg" else None
    if prepared is None:
        result: Sequence[Sequence[Any]] = (await connection.execute(statement, params)).all()
        return result
    plan, arguments = prepared
    adapter: Any = (await connection.get_raw_connection()).dbapi_connection
    async with adapter._execute_mutex:
        try:
            if adapter._transaction is None:
                await adapter._start_transaction()
            rows: Sequence[Any] = await adapter._connection.fetch(plan.sql, *arguments)
        except Exception as error:
            adapter._handle_exception(error)  # raises SQLAlchemy's translation of the driver's error
            raise  # not reached
    if not plan.result:
        return rows
    processed = []
    for row in rows:
        values = list(row)
        for index, processor in plan.result:
            values[index] = processor(values[index])
        processed.append(values)
    return processed
