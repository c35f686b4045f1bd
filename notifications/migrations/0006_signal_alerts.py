# ruff: noqa: E501 (frozen SQL, written out once)
"""Members' opt-in alerts of new signals: SignalAlertPreference (market x channel), UserNotification.reference (what
a notice is about, e.g. "signal:42") with one notice of a type per member and reference, and the type
signal_published.

Whether SQLite alters the notifications table in place or rebuilds it (dropping its triggers) depends on the
operation and Django's version: the member figures' triggers on notifications (subscriptions/figures.py, installed by
subscriptions 0003) are dropped before and created again after, frozen as that module generates them, as in 0004.
PostgreSQL keeps its triggers.
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
        ("notifications", "0005_renewal_failed"),
        ("payments", "0008_coupons"),
        ("subscriptions", "0007_trials"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SignalAlertPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "market",
                    models.CharField(
                        choices=[
                            ("forex", "Forex"),
                            ("crypto", "Crypto-monnaies"),
                            ("indices", "Indices"),
                            ("commodities", "Matières premières"),
                            ("stocks", "Actions"),
                        ],
                        max_length=12,
                        verbose_name="marché",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("in_app", "Dans l'application"), ("email", "E-mail"), ("telegram", "Telegram")],
                        max_length=10,
                        verbose_name="canal",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créée le")),
            ],
            options={
                "verbose_name": "alerte de nouveaux signaux",
                "verbose_name_plural": "alertes de nouveaux signaux",
                "ordering": ["user", "market", "channel"],
            },
        ),
        migrations.RunPython(_on_sqlite(SQLITE_TRIGGERS_DROP), _on_sqlite(SQLITE_TRIGGERS)),
        migrations.AddField(
            model_name="usernotification",
            name="reference",
            field=models.CharField(blank=True, max_length=40, null=True, verbose_name="référence"),
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
                    ("renewal_failed", "Renouvellement par carte refusé"),
                    ("signal_published", "Nouveau signal"),
                ],
                max_length=30,
                verbose_name="type",
            ),
        ),
        migrations.AddConstraint(
            model_name="usernotification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reference__isnull", False)),
                fields=("reference", "notification_type", "user"),
                name="notifications_one_type_per_reference",
            ),
        ),
        migrations.RunPython(_on_sqlite(SQLITE_TRIGGERS), _on_sqlite(SQLITE_TRIGGERS_DROP)),
        migrations.AddField(
            model_name="signalalertpreference",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="signal_alert_preferences",
                to=settings.AUTH_USER_MODEL,
                verbose_name="membre",
            ),
        ),
        migrations.AddIndex(
            model_name="signalalertpreference",
            index=models.Index(fields=["market", "user"], name="notifications_alert_market_idx"),
        ),
        migrations.AddConstraint(
            model_name="signalalertpreference",
            constraint=models.UniqueConstraint(
                fields=("user", "market", "channel"), name="notifications_one_alert_per_channel"
            ),
        ),
        migrations.AddConstraint(
            model_name="signalalertpreference",
            constraint=models.CheckConstraint(
                condition=models.Q(("market__in", ["forex", "crypto", "indices", "commodities", "stocks"])),
                name="notifications_alert_market_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="signalalertpreference",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel__in", ["in_app", "email", "telegram"])),
                name="notifications_alert_channel_valid",
            ),
        ),
    ]
