# ruff: noqa: E501 (frozen SQL, written out once)
"""Plan.is_recurring (renewed by Stripe), Subscription.auto_renew and next_charge_at (kept in step with Stripe).

SQLite adds a NOT NULL column by rebuilding the table, and dropping the old table drops its triggers: the plans'
version triggers and the subscriptions' member-figures triggers (subscriptions/figures.py) are dropped before and
created again after, frozen here as that module generates them. PostgreSQL adds the columns in place.
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


SQLITE_SUBSCRIPTION_TRIGGERS = [
    "CREATE TRIGGER subscriptions_subscription_figures_insert AFTER INSERT ON subscriptions_subscription FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(1), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET subscriptions_total = subscriptions_memberfigures.subscriptions_total + excluded.subscriptions_total, version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER subscriptions_subscription_figures_delete AFTER DELETE ON subscriptions_subscription FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(1), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET subscriptions_total = subscriptions_memberfigures.subscriptions_total + excluded.subscriptions_total, version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER subscriptions_subscription_figures_update AFTER UPDATE ON subscriptions_subscription FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(1), -(0), -(0), -(0), -(0), -(0), 1) ON CONFLICT (user_id) DO UPDATE SET subscriptions_total = subscriptions_memberfigures.subscriptions_total + excluded.subscriptions_total, version = subscriptions_memberfigures.version + 1; INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(1), +(0), +(0), +(0), +(0), +(0), 1) ON CONFLICT (user_id) DO UPDATE SET subscriptions_total = subscriptions_memberfigures.subscriptions_total + excluded.subscriptions_total, version = subscriptions_memberfigures.version + 1; END",
]
SQLITE_SUBSCRIPTION_TRIGGERS_DROP = [
    "DROP TRIGGER IF EXISTS subscriptions_subscription_figures_insert",
    "DROP TRIGGER IF EXISTS subscriptions_subscription_figures_delete",
    "DROP TRIGGER IF EXISTS subscriptions_subscription_figures_update",
]
INSTALL = SQLITE_PLANS_TRIGGERS + SQLITE_SUBSCRIPTION_TRIGGERS
DROP = SQLITE_PLANS_TRIGGERS_DROP + SQLITE_SUBSCRIPTION_TRIGGERS_DROP


def _on_sqlite(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0005_plan_features")]

    operations = [
        migrations.RunPython(_on_sqlite(DROP), _on_sqlite(INSTALL)),
        migrations.AddField(
            model_name="plan",
            name="is_recurring",
            field=models.BooleanField(
                default=False,
                help_text="Payée par carte, la formule se renouvelle d'elle-même à chaque échéance (abonnement Stripe).",
                verbose_name="renouvellement automatique",
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="auto_renew",
            field=models.BooleanField(default=False, verbose_name="renouvellement automatique"),
        ),
        migrations.AddField(
            model_name="subscription",
            name="next_charge_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="prochain prélèvement"),
        ),
        migrations.RunPython(_on_sqlite(INSTALL), _on_sqlite(DROP)),
    ]
