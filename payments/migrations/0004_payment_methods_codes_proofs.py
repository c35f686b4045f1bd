"""Issue 15: payment methods set up by admins, a code on each payment, cancellation, proofs of payment.

The code arrives nullable here, is given to every existing payment in 0005, and becomes required and unique in
0006. SQLite rebuilds a table to add a required column or change a check constraint, and the rebuild drops the
table's triggers: the member figures' triggers on payments (subscriptions/figures.py) are put back at the end, from
the SQL subscriptions' migration 0004 froze (this migration runs after it).
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FIGURES_MIGRATION = importlib.import_module("subscriptions.migrations.0004_dashboard_versions")
PAYMENTS_TABLE = "payments_payment"
SQLITE_DROP = [sql for sql in FIGURES_MIGRATION.SQLITE_UNINSTALL if sql.split()[-1].startswith(PAYMENTS_TABLE)]
SQLITE_CREATE = [sql for sql in FIGURES_MIGRATION.SQLITE_INSTALL if f" ON {PAYMENTS_TABLE} " in sql]


def reinstall_payment_figures_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DROP + SQLITE_CREATE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment_rejected_by_and_indexes"),
        ("subscriptions", "0004_dashboard_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Backwards, the rebuilds below run in reverse order: the triggers go back after them too.
        migrations.RunPython(migrations.RunPython.noop, reinstall_payment_figures_triggers),
        migrations.CreateModel(
            name="PaymentMethod",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("bank_transfer", "Virement bancaire"),
                            ("card", "Carte bancaire"),
                            ("paypal", "PayPal"),
                            ("crypto", "Crypto-monnaie"),
                            ("mobile_money", "Mobile money"),
                            ("cash", "Espèces"),
                        ],
                        max_length=20,
                        verbose_name="type",
                    ),
                ),
                (
                    "label",
                    models.CharField(help_text="Nom affiché aux membres.", max_length=100, verbose_name="libellé"),
                ),
                ("details", models.JSONField(blank=True, default=dict, verbose_name="coordonnées")),
                (
                    "instructions",
                    models.TextField(
                        blank=True,
                        help_text=(
                            "Envoyées au membre après sa déclaration. Variables remplacées : {amount} (montant, ex. "
                            "49,00), {currency} (devise), {code} (code du paiement, à mettre en référence), {plan} "
                            "(formule)."
                        ),
                        max_length=4000,
                        verbose_name="instructions",
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(default=True, help_text="Proposé aux membres.", verbose_name="actif"),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Ordre d'affichage (croissant).", verbose_name="position"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="modifié le")),
            ],
            options={
                "verbose_name": "moyen de paiement",
                "verbose_name_plural": "moyens de paiement",
                "ordering": ["position", "id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("kind__in", ["bank_transfer", "card", "paypal", "crypto", "mobile_money", "cash"])
                        ),
                        name="payments_paymentmethod_kind_valid",
                    )
                ],
            },
        ),
        migrations.RemoveConstraint(model_name="payment", name="payments_status_valid"),
        migrations.AddField(
            model_name="payment",
            name="payment_method",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="payments.paymentmethod",
                verbose_name="moyen de paiement",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="code",
            field=models.CharField(editable=False, max_length=10, null=True, verbose_name="code"),
        ),
        migrations.AddField(
            model_name="payment",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="annulé le"),
        ),
        migrations.AddField(
            model_name="payment",
            name="cancelled_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="annulé par",
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="proof_name",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=100, verbose_name="fichier de la preuve"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="proof_type",
            field=models.CharField(
                blank=True,
                choices=[("image/png", "PNG"), ("image/jpeg", "JPEG"), ("application/pdf", "PDF")],
                default="",
                max_length=20,
                verbose_name="type de la preuve",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="proof_uploaded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="preuve envoyée le"),
        ),
        migrations.AlterField(
            model_name="payment",
            name="method",
            field=models.CharField(
                choices=[
                    ("bank_transfer", "Virement bancaire"),
                    ("card", "Carte bancaire"),
                    ("paypal", "PayPal"),
                    ("crypto", "Crypto-monnaie"),
                    ("mobile_money", "Mobile money"),
                    ("cash", "Espèces"),
                ],
                max_length=20,
                verbose_name="type de moyen",
            ),
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
                ],
                default="pending",
                max_length=10,
                verbose_name="statut",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "confirmed", "rejected", "cancelled"])),
                name="payments_status_valid",
            ),
        ),
        migrations.RunPython(reinstall_payment_figures_triggers, migrations.RunPython.noop),
    ]
