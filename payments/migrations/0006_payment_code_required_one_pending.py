"""The code becomes required, unique and well-formed; at most one pending payment per member. SQLite rebuilds the
table again (required column, new check): the member figures' triggers are put back as in 0004."""

import importlib

from django.db import migrations, models

import payments.models

REINSTALL = importlib.import_module("payments.migrations.0004_payment_methods_codes_proofs")


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_payment_codes_and_one_pending")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, REINSTALL.reinstall_payment_figures_triggers),
        migrations.AlterField(
            model_name="payment",
            name="code",
            field=models.CharField(
                default=payments.models.payment_code_generate,
                editable=False,
                help_text="Référence que le membre indique avec son paiement.",
                max_length=10,
                unique=True,
                verbose_name="code",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("code__regex", "^CFI-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")),
                name="payments_code_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")), fields=("user",), name="payments_one_pending_per_user"
            ),
        ),
        migrations.RunPython(REINSTALL.reinstall_payment_figures_triggers, migrations.RunPython.noop),
    ]
