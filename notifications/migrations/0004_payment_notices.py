# ruff: noqa: E501 (frozen SQL, written out once)
"""Notices about a payment (payment_confirmed, payment_rejected): UserNotification.payment, one notice of a type per
payment.

SQLite adds the unique constraint by rebuilding the table, and dropping the old table drops its triggers: the member
figures' triggers on notifications (subscriptions/figures.py, installed by subscriptions 0003) are dropped before and
created again after, frozen here as that module generates them. PostgreSQL keeps its triggers.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE_TRIGGERS = [
    "CREATE TRIGGER notifications_usernotification_figures_insert AFTER INSERT ON notifications_usernotification FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(CASE WHEN NEW.status IN ('pending', 'sent') THEN 1 ELSE 0 END), 1) ON CONFLICT (user_id) DO UPDATE SET notifications_unread = subscriptions_memberfigures.notifications_unread + excluded.notifications_unread, version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER notifications_usernotification_figures_delete AFTER DELETE ON notifications_usernotification FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(CASE WHEN OLD.status IN ('pending', 'sent') THEN 1 ELSE 0 END), 1) ON CONFLICT (user_id) DO UPDATE SET notifications_unread = subscriptions_memberfigures.notifications_unread + excluded.notifications_unread, version = subscriptions_memberfigures.version + 1; END",
    "CREATE TRIGGER notifications_usernotification_figures_update AFTER UPDATE ON notifications_usernotification FOR EACH ROW BEGIN INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (OLD.user_id, -(0), -(0), -(0), -(0), -(0), -(CASE WHEN OLD.status IN ('pending', 'sent') THEN 1 ELSE 0 END), 1) ON CONFLICT (user_id) DO UPDATE SET notifications_unread = subscriptions_memberfigures.notifications_unread + excluded.notifications_unread, version = subscriptions_memberfigures.version + 1; INSERT INTO subscriptions_memberfigures (user_id, subscriptions_total, payments_total, payments_confirmed, payments_pending, paid_cents, notifications_unread, version) VALUES (NEW.user_id, +(0), +(0), +(0), +(0), +(0), +(CASE WHEN NEW.status IN ('pending', 'sent') THEN 1 ELSE 0 END), 1) ON CONFLICT (user_id) DO UPDATE SET notifications_unread = subscriptions_memberfigures.notifications_unread + excluded.notifications_unread, version = subscriptions_memberfigures.version + 1; END",
]
SQLITE_TRIGGERS_DROP = [
    "DROP TRIGGER IF EXISTS notifications_usernotification_figures_insert",
    "DROP TRIGGER IF EXISTS notifications_usernotification_figures_delete",
    "DROP TRIGGER IF EXISTS notifications_usernotification_figures_update",
]


def _on_sqlite(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_drop_redundant_fk_indexes"),
        ("payments", "0006_payment_code_required_one_pending"),
        ("subscriptions", "0005_plan_features"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(SQLITE_TRIGGERS_DROP), _on_sqlite(SQLITE_TRIGGERS)),
        migrations.AddField(
            model_name="usernotification",
            name="payment",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to="payments.payment",
                verbose_name="paiement",
            ),
        ),
        migrations.AlterField(
            model_name="usernotification",
            name="notification_type",
            field=models.CharField(
                choices=[
                    ("renewal_recommended", "Renouvellement recommandé"),
                    ("expires_in_3_days", "Expiration dans 3 jours"),
                    ("expires_in_2_days", "Expiration dans 2 jours"),
                    ("last_chance", "Dernière chance !"),
                    ("expired", "Abonnement expiré"),
                    ("we_miss_you", "On vous attend !"),
                    ("final_reminder", "Dernière notification"),
                    ("payment_confirmed", "Paiement confirmé"),
                    ("payment_rejected", "Paiement refusé"),
                ],
                max_length=30,
                verbose_name="type",
            ),
        ),
        migrations.AddConstraint(
            model_name="usernotification",
            constraint=models.UniqueConstraint(
                fields=("payment", "notification_type"), name="notifications_one_type_per_payment"
            ),
        ),
        migrations.RunPython(_on_sqlite(SQLITE_TRIGGERS), _on_sqlite(SQLITE_TRIGGERS_DROP)),
    ]
