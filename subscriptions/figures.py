# ruff: noqa: S608 (every name and expression in the SQL below is a constant of this module)
"""The SQL that keeps `MemberFigures` and `PlansVersion` (see their docstrings): the triggers and the full recount,
defined once.

Each source table contributes expressions of one row (`{r}` stands for the row); a statement's contribution is
the sum of its rows' contributions, per member. Every statement that writes a member's rows also raises that
member's `version` by one, whatever it changed (a notification sent shows in the recent list although the unread
count stays): the dashboard cache keys its entries with it. The status literals are the enums' values
(`subscriptions/tests/test_member_figures.py` pins them) and the tables of the apps above this one are named here
as SQL strings only, so this app imports none of them. The app at the top (`member_space`) installs the same
version-only triggers on the channel tables with `install_statements(vendor, sources=...)`.

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
VERSION = "version"
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

# Plans: every dashboard shows plan names, so any write to plans raises one global version (one row, id 1).
PLANS = "subscriptions_plan"
PLANS_VERSION = "subscriptions_plansversion"


def trigger_name(table: str, event: str) -> str:
    return f"{table}_figures_{event}"


def plans_trigger_name(event: str) -> str:
    return f"{PLANS}_version_{event}"


def _upsert_sql(parts: dict[str, str]) -> tuple[str, str]:
    """(columns inserted, assignments on conflict) of the member's row: each contribution added, version + 1."""
    columns = ", ".join(("user_id", *COLUMNS, VERSION))
    updates = [f"{column} = {FIGURES}.{column} + excluded.{column}" for column in parts]
    updates.append(f"{VERSION} = {FIGURES}.{VERSION} + 1")
    return columns, ", ".join(updates)


# SQLite: one trigger per row.


def _row_upsert(parts: dict[str, str], r: str, sign: str) -> str:
    """The row's contribution added (sign "+") or subtracted ("-"); an upsert either way, so a member whose row
    does not exist yet (history written before the triggers, or none counted) gets one."""
    columns, updates = _upsert_sql(parts)
    values = ", ".join(f"{sign}({parts.get(column, '0').format(r=r)})" for column in COLUMNS)
    return (
        f"INSERT INTO {FIGURES} ({columns}) VALUES ({r}.user_id, {values}, 1) "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates};"
    )


def _sqlite_install(table: str, parts: dict[str, str]) -> list[str]:
    bodies = {
        "insert": _row_upsert(parts, "NEW", "+"),
        "delete": _row_upsert(parts, "OLD", "-"),
        "update": _row_upsert(parts, "OLD", "-") + " " + _row_upsert(parts, "NEW", "+"),
    }
    return [
        f"CREATE TRIGGER {trigger_name(table, event)} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN {body} END"
        for event, body in bodies.items()
    ]


# PostgreSQL: one trigger per statement, reading its transition tables.


def _delta(parts: dict[str, str], sides: dict[str, str]) -> str:
    """Per member, the sum of the contributions of the rows of each transition table (sign: "+" or "-")."""
    selects = [
        "SELECT r.user_id, "
        + ", ".join(f"{sign}({parts.get(column, '0').format(r='r')}) AS {column}" for column in COLUMNS)
        + f" FROM {rows} r"
        for rows, sign in sides.items()
    ]
    sums = ", ".join(f"SUM(x.{column}) AS {column}" for column in COLUMNS)
    return f"SELECT x.user_id, {sums} FROM ({' UNION ALL '.join(selects)}) x GROUP BY x.user_id"


def _statement_body(parts: dict[str, str], event: str) -> str:
    sides = {"insert": {"new_rows": "+"}, "delete": {"old_rows": "-"}, "update": {"new_rows": "+", "old_rows": "-"}}
    columns, updates = _upsert_sql(parts)
    return (
        f"INSERT INTO {FIGURES} ({columns}) "
        f"SELECT d.user_id, {', '.join(f'd.{column}' for column in COLUMNS)}, 1 "
        f"FROM ({_delta(parts, sides[event])}) d ORDER BY d.user_id "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates};"
    )


def _postgresql_install(table: str, parts: dict[str, str]) -> list[str]:
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
            f"BEGIN {_statement_body(parts, event)} RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} REFERENCING {transitions[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


# Plans: one global version.

_PLANS_BUMP = (
    f"INSERT INTO {PLANS_VERSION} (id, {VERSION}) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET {VERSION} = {PLANS_VERSION}.{VERSION} + 1;"
)


def _plans_install(vendor: str) -> list[str]:
    statements = []
    for event in EVENTS:
        name = plans_trigger_name(event)
        if vendor == "postgresql":
            statements += [
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {_PLANS_BUMP} RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {PLANS} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
        else:
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {PLANS} FOR EACH ROW BEGIN {_PLANS_BUMP} END"
            )
    return statements


def install_statements(vendor: str, sources: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Every statement creating the triggers on this database: on `sources` (table -> contributions, {} for a
    table that only raises its members' version) if given, else on this app's sources and on plans."""
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"member figures triggers: no SQL for {vendor}")
    install = _postgresql_install if vendor == "postgresql" else _sqlite_install
    statements = [sql for table, parts in (sources or SOURCES).items() for sql in install(table, parts)]
    return statements if sources is not None else statements + _plans_install(vendor)


def uninstall_statements(vendor: str, sources: dict[str, dict[str, str]] | None = None) -> list[str]:
    names = [(table, trigger_name(table, event)) for table in (sources or SOURCES) for event in EVENTS]
    if sources is None:
        names += [(PLANS, plans_trigger_name(event)) for event in EVENTS]
    statements = []
    for table, name in names:
        if vendor == "postgresql":
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def rebuild_statements() -> list[str]:
    """Every member's figures counted again from their history; every member's version raised (their dashboards
    may change), none reset (an entry cached under an old version must never match again)."""
    parts = []
    for table, exprs in SOURCES.items():
        values = ", ".join(
            (f"SUM({exprs[column].format(r='t')})" if column in exprs else "0") + f" AS {column}" for column in COLUMNS
        )
        parts.append(f"SELECT t.user_id AS user_id, {values} FROM {table} t GROUP BY t.user_id")
    totals = ", ".join(f"SUM(u.{column})" for column in COLUMNS)
    recounted = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS)
    return [
        f"UPDATE {FIGURES} SET {', '.join(f'{column} = 0' for column in COLUMNS)}, {VERSION} = {VERSION} + 1",
        # WHERE true: SQLite's parser needs it before an upsert on INSERT ... SELECT.
        f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}, {VERSION}) "
        f"SELECT u.user_id, {totals}, 1 FROM ({' UNION ALL '.join(parts)}) u WHERE true GROUP BY u.user_id "
        f"ON CONFLICT (user_id) DO UPDATE SET {recounted}",
    ]
