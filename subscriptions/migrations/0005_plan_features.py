# ruff: noqa: E501 (frozen SQL, written out once)
"""Plan.features: the lines of what a plan gives, written by the admin.

SQLite adds a NOT NULL column by rebuilding the table, and dropping the old table drops its triggers: the plans'
version triggers (subscriptions/figures.py, installed by 0004) are dropped before and created again after, frozen
here as that module generates them. PostgreSQL adds the column in place and keeps its triggers.
"""

from django.db import migrations, models

SQLITE_PLANS_TRIGGERS = [
    "CREATE TRIGGER subscriptions_plan_version_insert AFTER INSERT ON subscriptions_plan FOR EACH ROW BEGIN INSERT INTO subscriptions_plansversion (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = subscriptions_plansversion.version + 1; END",
    "CREATE TRIGGER subscriptions_plan_version_delete AFTER DELETE ON subscriptions_plan FOR EACH ROW BEGIN INSERT INTO subscriptions_plansversion (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = subscriptions_plansversion.version + 1; END",
    "CREATE TRIGGER subscriptions_plan_version_update AFTER UPDATE ON subscriptions_plan FOR EACH ROW BEGIN INSERT INTO subscriptions_plansversion (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = subscriptions_plansversion.version + 1; END",
]
SQLITE_PLANS_TRIGGERS_DROP = [
    "DROP TRIGGER IF EXISTS subscriptions_plan_version_insert",
    "DROP TRIGGER IF EXISTS subscriptions_plan_version_delete",
    "DROP TRIGGER IF EXISTS subscriptions_plan_version_update",
]


def _on_sqlite(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0004_dashboard_versions")]

    operations = [
        migrations.RunPython(_on_sqlite(SQLITE_PLANS_TRIGGERS_DROP), _on_sqlite(SQLITE_PLANS_TRIGGERS)),
        migrations.AddField(
            model_name="plan",
            name="features",
            field=models.TextField(
                blank=True,
                help_text="Une ligne par avantage, montrée telle quelle sur la page des formules (lignes vides ignorées).",
                verbose_name="avantages",
            ),
        ),
        migrations.RunPython(_on_sqlite(SQLITE_PLANS_TRIGGERS), _on_sqlite(SQLITE_PLANS_TRIGGERS_DROP)),
    ]
