# ruff: noqa: S608 (every name and expression in the SQL below is a constant of this module)
"""The SQL that keeps `MemberFigures` (see its docstring): the triggers and the full recount, defined once.

Each source table contributes expressions of one row (`{r}` stands for the row); a statement's contribution is
the sum of its rows' contributions, per member. The status literals are the enums' values
(`subscriptions/tests/test_member_figures.py` pins them), written out so this app does not import the apps
above it.

On PostgreSQL one trigger per statement and event reads the statement's rows from its transition tables and
adds (new rows) or subtracts (old rows) their totals in one upsert per statement, members in id order: a bulk
insert of 1,000 reminders costs one aggregated write, not 1,000. The upsert locks each member's row until
commit, so concurrent writers for one member queue and no increment is lost. SQLite has no statement triggers:
one trigger per row and event, same expressions.

The migrations that installed these keep frozen copies (a test checks the latest one matches this module).
"""

FIGURES = "subscriptions_memberfigures"
COLUMNS = (
    "subscriptions_total",
    "payments_total",
    "payments_confirmed",
    "payments_pending",
    "paid_cents",
    "notifications_unread",
)
SOURCES = {
    "subscriptions_subscription": {"subscriptions_total": "1"},
    "payments_payment": {
        "payments_total": "1",
        "payments_confirmed": "CASE WHEN {r}.status = 'confirmed' THEN 1 ELSE 0 END",
        "payments_pending": "CASE WHEN {r}.status = 'pending' THEN 1 ELSE 0 END",
        "paid_cents": "CASE WHEN {r}.status = 'confirmed' THEN CAST(ROUND({r}.amount * 100) AS BIGINT) ELSE 0 END",
    },
    "notifications_usernotification": {
        "notifications_unread": "CASE WHEN {r}.status IN ('pending', 'sent') THEN 1 ELSE 0 END",
    },
}
EVENTS = ("insert", "delete", "update")


def trigger_name(table: str, event: str) -> str:
    return f"{table}_figures_{event}"


# SQLite: one trigger per row.


def _row_add(table: str, r: str) -> str:
    parts = SOURCES[table]
    values = ", ".join(parts.get(column, "0").format(r=r) for column in COLUMNS)
    updates = ", ".join(f"{column} = {FIGURES}.{column} + excluded.{column}" for column in parts)
    return (
        f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}) VALUES ({r}.user_id, {values}) "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates};"
    )


def _row_subtract(table: str, r: str) -> str:
    updates = ", ".join(f"{column} = {column} - ({expr.format(r=r)})" for column, expr in SOURCES[table].items())
    return f"UPDATE {FIGURES} SET {updates} WHERE user_id = {r}.user_id;"


def _row_changed(table: str) -> str:
    """The update changes the row's contribution (or its member)."""
    tests = ["OLD.user_id <> NEW.user_id"]
    tests += [f"({expr.format(r='OLD')}) <> ({expr.format(r='NEW')})" for expr in SOURCES[table].values()]
    return " OR ".join(dict.fromkeys(tests))


def _sqlite_install(table: str) -> list[str]:
    bodies = {
        "insert": ("", _row_add(table, "NEW")),
        "delete": ("", _row_subtract(table, "OLD")),
        "update": (_row_changed(table), _row_subtract(table, "OLD") + " " + _row_add(table, "NEW")),
    }
    statements = []
    for event, (condition, body) in bodies.items():
        when = f"WHEN ({condition})" if condition else ""
        statements.append(
            f"CREATE TRIGGER {trigger_name(table, event)} AFTER {event.upper()} ON {table} "
            f"FOR EACH ROW {when} BEGIN {body} END"
        )
    return statements


# PostgreSQL: one trigger per statement, reading its transition tables.


def _delta(table: str, sides: dict[str, str]) -> str:
    """Per member, the sum of the contributions of the rows of each transition table (sign: "+" or "-")."""
    parts = SOURCES[table]
    selects = [
        "SELECT r.user_id, "
        + ", ".join(f"{sign}({parts.get(column, '0').format(r='r')}) AS {column}" for column in COLUMNS)
        + f" FROM {rows} r"
        for rows, sign in sides.items()
    ]
    sums = ", ".join(f"SUM(x.{column}) AS {column}" for column in COLUMNS)
    return f"SELECT x.user_id, {sums} FROM ({' UNION ALL '.join(selects)}) x GROUP BY x.user_id"


def _statement_body(table: str, event: str) -> str:
    sides = {"insert": {"new_rows": "+"}, "delete": {"old_rows": "-"}, "update": {"new_rows": "+", "old_rows": "-"}}
    changed = " OR ".join(f"d.{column} <> 0" for column in SOURCES[table])
    updates = ", ".join(f"{column} = {FIGURES}.{column} + excluded.{column}" for column in SOURCES[table])
    return (
        f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}) "
        f"SELECT d.user_id, {', '.join(f'd.{column}' for column in COLUMNS)} "
        f"FROM ({_delta(table, sides[event])}) d WHERE {changed} ORDER BY d.user_id "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates};"
    )


def _postgresql_install(table: str) -> list[str]:
    transitions = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    statements = []
    for event in EVENTS:
        name = trigger_name(table, event)
        statements += [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_statement_body(table, event)} RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} REFERENCING {transitions[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def install_statements(vendor: str) -> list[str]:
    """Every statement creating the triggers on this database."""
    if vendor == "postgresql":
        return [sql for table in SOURCES for sql in _postgresql_install(table)]
    if vendor == "sqlite":
        return [sql for table in SOURCES for sql in _sqlite_install(table)]
    raise NotImplementedError(f"member figures triggers: no SQL for {vendor}")


def uninstall_statements(vendor: str) -> list[str]:
    statements = []
    for table in SOURCES:
        for event in EVENTS:
            name = trigger_name(table, event)
            if vendor == "postgresql":
                statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def rebuild_statements() -> list[str]:
    """Every member's figures counted again from their history."""
    parts = []
    for table, exprs in SOURCES.items():
        values = ", ".join(
            (f"SUM({exprs[column].format(r='t')})" if column in exprs else "0") + f" AS {column}" for column in COLUMNS
        )
        parts.append(f"SELECT t.user_id AS user_id, {values} FROM {table} t GROUP BY t.user_id")
    totals = ", ".join(f"SUM(u.{column})" for column in COLUMNS)
    return [
        f"DELETE FROM {FIGURES}",
        f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}) "
        f"SELECT u.user_id, {totals} FROM ({' UNION ALL '.join(parts)}) u GROUP BY u.user_id",
    ]
