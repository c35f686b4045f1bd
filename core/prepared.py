"""Querysets compiled to SQL once per process, then run again with new values: the reads every request makes.

Django builds and compiles a queryset on each evaluation (filters into a WHERE tree, joins, ordering, the SQL
text): about 0.4 ms of Python for the dashboard's small reads, three times what PostgreSQL takes to run them with
a prepared plan. A `PreparedQuery` keeps the ORM as the one definition of the query (`build`, called with
placeholder values) and compiles it the first time it runs on a connection; each run then only swaps the
placeholders' parameters for the real values, executes the same SQL text (which psycopg prepares on the server,
see DATABASE_SERVER_SIDE_BINDING) and builds the model instances as Django would (field converters,
`select_related` objects).

Compiled twice with two different placeholder sets, the shape must give the same SQL and differ only in the
placeholders' parameters; anything else (a value derived from an argument, a list whose length changes the SQL)
is refused at the first run instead of being frozen into every later one.
"""

import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Two placeholder sets per argument kind: values no real argument takes (negative ids, instants in year 1).
_PLACEHOLDERS = {
    int: (lambda n: -987_654_321 - n, lambda n: -123_456_789 - n),
    datetime: (
        lambda n: datetime(1, 1, 2, 3, 4, 5, 100_000 + n, tzinfo=UTC),
        lambda n: datetime(1, 2, 3, 4, 5, 6, 200_000 + n, tzinfo=UTC),
    ),
}


class PreparedQueryError(ValueError):
    """The shape cannot be compiled once: its SQL or its fixed values depend on an argument."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: dict  # argument name -> positions in params
    model: type
    fields_start: int
    fields_end: int
    init_list: list
    related_populators: list
    converters: dict
    annotation_col_map: dict


class PreparedQuery:
    """`build(**arguments)` returns a queryset of model instances; `run(**arguments)` returns its list.

    `arguments` maps each argument's name to its kind (int or datetime), e.g.
    `PreparedQuery(lambda user_id, at: Subscription.objects.filter(user_id=user_id, ends_at__gt=at), user_id=int,
    at=datetime)`.
    """

    def __init__(self, build: Callable[..., QuerySet], **arguments: type):
        unknown = {name: kind for name, kind in arguments.items() if kind not in _PLACEHOLDERS}
        if unknown:
            raise PreparedQueryError(f"argument kinds not supported: {unknown}")
        self.build = build
        self.arguments = arguments
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def run(self, *, using: str = "default", **values) -> list:
        return run_together([self.statement(using=using, **values)], using=using)[0]

    def statement(self, *, using: str = "default", **values) -> "Statement":
        """This query for `values`, to run alone (`run`) or with others in one round trip (`run_together`)."""
        if values.keys() != self.arguments.keys():
            raise TypeError(f"arguments: expected {sorted(self.arguments)}, got {sorted(values)}")
        connection = connections[using]
        compiled = self._compiled_for(using, connection)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            value = _adapt(connection, self.arguments[name], values[name])
            for position in positions:
                params[position] = value
        return Statement(
            sql=compiled.sql,
            params=params,
            result=lambda rows: [self._instance(compiled, connection, using, row) for row in rows],
        )

    def _instance(self, compiled: _Compiled, connection, using: str, row):
        if compiled.converters:
            row = list(row)
            for position, (converters, expression) in compiled.converters.items():
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        instance = compiled.model.from_db(using, compiled.init_list, row[compiled.fields_start : compiled.fields_end])
        for populator in compiled.related_populators:
            populator.populate(row, instance)
        for name, position in compiled.annotation_col_map.items():
            setattr(instance, name, row[position])
        return instance

    def _compiled_for(self, using: str, connection) -> _Compiled:
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using, connection)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, using: str, connection) -> _Compiled:
        first, second = (self._example(using, connection, variant) for variant in (0, 1))
        (sql, params, compiler, adapted), (other_sql, other_params, _, other_adapted) = first, second
        if sql != other_sql or len(params) != len(other_params):
            raise PreparedQueryError("the SQL depends on the arguments' values")
        slots: dict[str, list[int]] = {name: [] for name in self.arguments}
        for position, (value, other) in enumerate(zip(params, other_params, strict=True)):
            names = [n for n in self.arguments if value == adapted[n] and other == other_adapted[n]]
            if names:
                slots[names[0]].append(position)
            elif value != other:
                raise PreparedQueryError(f"parameter {position} is derived from an argument: pass it as one")
        missing = [name for name, positions in slots.items() if not positions]
        if missing:
            raise PreparedQueryError(f"arguments not used by the query: {missing}")
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            model=klass_info["model"],
            fields_start=start,
            fields_end=end,
            init_list=[column[0].target.attname for column in select[start:end]],
            related_populators=get_related_populators(klass_info, select, using),
            converters=compiler.get_converters([column[0] for column in select[: compiler.col_count]]),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
        )

    def _example(self, using: str, connection, variant: int):
        values = {name: _PLACEHOLDERS[kind][variant](n) for n, (name, kind) in enumerate(self.arguments.items())}
        queryset = self.build(**values).using(using)
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._known_related_objects
            or queryset._prefetch_related_lookups
        ):
            raise PreparedQueryError("only querysets of model instances are supported")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        adapted = {name: _adapt(connection, self.arguments[name], value) for name, value in values.items()}
        return sql, list(params), compiler, adapted


@dataclass(frozen=True)
class Statement:
    """One read: its SQL, its parameters, and what to make of its rows."""

    sql: str
    params: list
    result: Callable[[list[tuple]], object]


def run_together(statements: list[Statement], *, using: str = "default") -> list:
    """Each statement's result, in order. On PostgreSQL they travel in one round trip (psycopg's pipeline mode):
    each round trip costs the worker a wait and PostgreSQL a wake-up, more than these statements' own work.
    Elsewhere, and for a single statement, one after the other."""
    connection = connections[using]
    # Cursors first: opening one runs Django's connection health check, which must not join the pipeline.
    cursors = [connection.cursor() for _ in statements]
    together = connection.connection.pipeline() if len(statements) > 1 and _pipelines(connection) else nullcontext()
    try:
        with connection.wrap_database_errors, together:
            for cursor, statement in zip(cursors, statements, strict=True):
                cursor.execute(statement.sql, statement.params)
            rows = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    return [statement.result(found) for statement, found in zip(statements, rows, strict=True)]


def _pipelines(connection) -> bool:
    # Server-side binding only: its cursors speak the extended protocol that pipeline mode needs.
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return False
    import psycopg

    return psycopg.Pipeline.is_supported()


def _adapt(connection, kind: type, value):
    """The parameter Django would send for `value` (a datetime column's value on this database)."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value(value)
    return kind(value)
