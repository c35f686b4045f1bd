"""Refunds: a payment may become refunded (its status check widened) and each refund is a record of its own. SQLite
rebuilds the payments table for the new check: the member figures' triggers are put back as in 0004."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REINSTALL = importlib.import_module("payments.migrations.0004_payment_methods_codes_proofs")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_payment_code_required_one_pending"),
        ("subscriptions", "0006_recurring_plans_auto_renew"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, REINSTALL.reinstall_payment_figures_triggers),
        migrations.CreateModel(
            name="Refund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10, verbose_name="montant remboursé")),
                ("currency", models.CharField(max_length=3, verbose_name="devise")),
                ("external_id", models.CharField(blank=True, max_length=255, verbose_name="référence Stripe")),
                (
                    "access_ends",
                    models.CharField(
                        choices=[("now", "Maintenant"), ("paid_end", "À la fin de la période payée")],
                        default="now",
                        max_length=10,
                        verbose_name="fin de l'accès",
                    ),
                ),
                ("recorded_at", models.DateTimeField(verbose_name="enregistré le")),
                ("access_decided_at", models.DateTimeField(verbose_name="accès décidé le")),
            ],
            options={
                "verbose_name": "remboursement",
                "verbose_name_plural": "remboursements",
                "ordering": ["-recorded_at", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="payment",
            name="payments_status_valid",
        ),
        migrations.AlterField(
            model_name="payment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "En attente"),
                    ("confirmed", "Confirmé"),
                    ("rejected", "Rejeté"),
                    ("cancelled", "Annulé"),
                    ("refunded", "Remboursé"),
                ],
                default="pending",
                max_length=10,
                verbose_name="statut",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "confirmed", "rejected", "cancelled", "refunded"])),
                name="payments_status_valid",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="access_decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="accès décidé par",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="payment",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refund",
                to="payments.payment",
                verbose_name="paiement",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="enregistré par",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="payments_refund_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("currency__regex", "^[A-Z]{3}$")), name="payments_refund_currency_iso"
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("access_ends__in", ["now", "paid_end"])), name="payments_refund_access_ends_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("external_id",),
                name="payments_refund_external_id_unique",
            ),
        ),
        migrations.RunPython(REINSTALL.reinstall_payment_figures_triggers, migrations.RunPython.noop),
    ]
