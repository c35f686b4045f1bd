# ruff: noqa: S608 (every name and expression in the SQL below is a constant of this file)
"""MemberFigures and the triggers that keep it: see subscriptions.models.MemberFigures.

Written out here (not imported from the application) so this migration means the same forever. Each source table
contributes expressions of one row (`{r}` is NEW or OLD); a row's contribution is added on insert, subtracted on
delete, and on an update that changes it, subtracted (old row) then added (new row). Additions are upserts (the
member's first row creates theirs); subtractions update the existing row. On PostgreSQL the upsert locks the
member's row until commit, so concurrent writers for one member queue and no increment is lost.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

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


def _add(table: str, r: str) -> str:
    parts = SOURCES[table]
    values = ", ".join(parts.get(column, "0").format(r=r) for column in COLUMNS)
    updates = ", ".join(f"{column} = {FIGURES}.{column} + excluded.{column}" for column in parts)
    return (
        f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}) VALUES ({r}.user_id, {values}) "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates};"
    )


def _subtract(table: str, r: str) -> str:
    updates = ", ".join(f"{column} = {column} - ({expr.format(r=r)})" for column, expr in SOURCES[table].items())
    return f"UPDATE {FIGURES} SET {updates} WHERE user_id = {r}.user_id;"


def _changed(table: str) -> str:
    """The update changes the row's contribution (or its member)."""
    tests = ["OLD.user_id <> NEW.user_id"]
    tests += [f"({expr.format(r='OLD')}) <> ({expr.format(r='NEW')})" for expr in SOURCES[table].values()]
    return " OR ".join(dict.fromkeys(tests))


def _bodies(table: str) -> dict[str, tuple[str, str]]:
    """event -> (WHEN condition or "", statements)."""
    return {
        "INSERT": ("", _add(table, "NEW")),
        "DELETE": ("", _subtract(table, "OLD")),
        "UPDATE": (_changed(table), _subtract(table, "OLD") + " " + _add(table, "NEW")),
    }


def _install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in SOURCES:
        for event, (condition, statements) in _bodies(table).items():
            name = f"{table}_figures_{event.lower()}"
            when = f"WHEN ({condition})" if condition else ""
            if vendor == "postgresql":
                schema_editor.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {statements} RETURN NULL; END $$"
                )
                schema_editor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when} EXECUTE FUNCTION {name}()"
                )
            elif vendor == "sqlite":
                schema_editor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {when} BEGIN {statements} END"
                )
            else:
                raise NotImplementedError(f"member figures triggers: no SQL for {vendor}")
    rebuild(schema_editor.connection)


def _uninstall(apps, schema_editor):
    for table in SOURCES:
        for event in ("insert", "delete", "update"):
            name = f"{table}_figures_{event}"
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if _pg(schema_editor) else ""))
            if _pg(schema_editor):
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _pg(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def rebuild(connection) -> None:
    """Every member's figures counted again from their history (the existing rows when the triggers start)."""
    parts = []
    for table, exprs in SOURCES.items():
        values = ", ".join(
            (f"SUM({exprs[column].format(r='t')})" if column in exprs else "0") + f" AS {column}" for column in COLUMNS
        )
        parts.append(f"SELECT t.user_id AS user_id, {values} FROM {table} t GROUP BY t.user_id")
    totals = ", ".join(f"SUM(u.{column})" for column in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FIGURES}")
        cursor.execute(
            f"INSERT INTO {FIGURES} (user_id, {', '.join(COLUMNS)}) "
            f"SELECT u.user_id, {totals} FROM ({' UNION ALL '.join(parts)}) u GROUP BY u.user_id"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("subscriptions", "0001_initial"),
        ("payments", "0003_payment_rejected_by_and_indexes"),
        ("notifications", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MemberFigures",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("subscriptions_total", models.BigIntegerField(default=0)),
                ("payments_total", models.BigIntegerField(default=0)),
                ("payments_confirmed", models.BigIntegerField(default=0)),
                ("payments_pending", models.BigIntegerField(default=0)),
                ("paid_cents", models.BigIntegerField(default=0)),
                ("notifications_unread", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "totaux du membre", "verbose_name_plural": "totaux des membres"},
        ),
        migrations.RunPython(_install, _uninstall),
    ]
