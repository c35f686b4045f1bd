# ruff: noqa: E501 (a help text as the model has it)
"""Free trials (issue 17): Plan.trial_days and Subscription.is_trial (never paid for).

SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the plans' version triggers and the
subscriptions' member-figures triggers are dropped before and created again after, as in 0006 (the same frozen SQL).
PostgreSQL adds the columns in place.
"""

import importlib

from django.db import migrations, models

FROZEN = importlib.import_module("subscriptions.migrations.0006_recurring_plans_auto_renew")


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0006_recurring_plans_auto_renew")]

    operations = [
        migrations.RunPython(FROZEN._on_sqlite(FROZEN.DROP), FROZEN._on_sqlite(FROZEN.INSTALL)),
        migrations.AddField(
            model_name="plan",
            name="trial_days",
            field=models.PositiveIntegerField(
                default=0,
                help_text="0 : pas d'essai. Sinon, un nouveau membre peut l'essayer gratuitement ce nombre de jours, une fois.",
                verbose_name="essai gratuit (jours)",
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="is_trial",
            field=models.BooleanField(default=False, verbose_name="essai gratuit"),
        ),
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_trial", False), ("payment__isnull", True), _connector="OR"),
                name="subscriptions_trial_unpaid",
            ),
        ),
        migrations.RunPython(FROZEN._on_sqlite(FROZEN.INSTALL), FROZEN._on_sqlite(FROZEN.DROP)),
    ]
