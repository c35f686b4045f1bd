"""Coupons (issue 17): the codes, their uses, and on each payment its list price, discount and coupon. Existing
payments get list_price = amount (no discount). SQLite rebuilds the payments table for the new columns and checks,
which drops the member figures' triggers: they are put back as in 0004 (and backwards too)."""

import importlib

import django.db.models.deletion
import django.db.models.expressions
import django.db.models.functions.math
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

REINSTALL = importlib.import_module("payments.migrations.0004_payment_methods_codes_proofs")


def fill_list_price(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Payment.objects.filter(list_price__isnull=True).update(list_price=models.F("amount"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_payment_refunds"),
        ("subscriptions", "0006_recurring_plans_auto_renew"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, REINSTALL.reinstall_payment_figures_triggers),
        migrations.CreateModel(
            name="CouponRedemption",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="utilisé le")),
            ],
            options={
                "verbose_name": "utilisation de code promo",
                "verbose_name_plural": "utilisations de codes promo",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="payment",
            name="discount",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=10, verbose_name="remise"),
        ),
        migrations.AddField(
            model_name="payment",
            name="list_price",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=10, null=True, verbose_name="prix catalogue"
            ),
        ),
        migrations.RunPython(fill_list_price, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Coupon",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.CharField(
                        help_text="Saisi par le membre, sans distinction de casse ; enregistré en majuscules.",
                        max_length=40,
                        verbose_name="code",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("percent", "Pourcentage"), ("fixed", "Montant fixe")],
                        max_length=10,
                        verbose_name="type",
                    ),
                ),
                (
                    "value",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="Pourcentage (1 à 99) ou montant retiré du prix, dans la devise indiquée.",
                        max_digits=10,
                        verbose_name="valeur",
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        default="EUR",
                        help_text="Pour un montant fixe : la devise des formules visées.",
                        max_length=3,
                        verbose_name="devise",
                    ),
                ),
                ("valid_from", models.DateTimeField(blank=True, null=True, verbose_name="valable à partir du")),
                ("valid_until", models.DateTimeField(blank=True, null=True, verbose_name="valable jusqu'au")),
                (
                    "max_uses",
                    models.PositiveIntegerField(
                        blank=True, help_text="Vide : sans limite.", null=True, verbose_name="utilisations maximales"
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="actif")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="créé le")),
                (
                    "plans",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Aucune : valable pour toutes les formules.",
                        related_name="coupons",
                        to="subscriptions.plan",
                        verbose_name="formules",
                    ),
                ),
            ],
            options={
                "verbose_name": "code promo",
                "verbose_name_plural": "codes promo",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="payment",
            name="coupon",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="payments.coupon",
                verbose_name="code promo",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("discount__gte", 0)), name="payments_discount_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("list_price__isnull", True),
                    django.db.models.lookups.Exact(
                        django.db.models.functions.Round(
                            django.db.models.expressions.CombinedExpression(
                                django.db.models.expressions.CombinedExpression(
                                    models.F("list_price"), "-", models.F("discount")
                                ),
                                "*",
                                models.Value(100),
                            )
                        ),
                        django.db.models.functions.Round(
                            django.db.models.expressions.CombinedExpression(models.F("amount"), "*", models.Value(100))
                        ),
                    ),
                    _connector="OR",
                ),
                name="payments_amount_is_list_price_less_discount",
            ),
        ),
        migrations.AddField(
            model_name="couponredemption",
            name="coupon",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="redemptions",
                to="payments.coupon",
                verbose_name="code promo",
            ),
        ),
        migrations.AddField(
            model_name="couponredemption",
            name="payment",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="coupon_redemption",
                to="payments.payment",
                verbose_name="paiement",
            ),
        ),
        migrations.AddField(
            model_name="couponredemption",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="coupon_redemptions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="membre",
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("code"), name="payments_coupon_code_unique_ci"
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["percent", "fixed"])), name="payments_coupon_kind_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "percent"), ("value__gte", 1), ("value__lte", 99)),
                    models.Q(("kind", "fixed"), ("value__gt", 0)),
                    _connector="OR",
                ),
                name="payments_coupon_value_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                condition=models.Q(("currency__regex", "^[A-Z]{3}$")), name="payments_coupon_currency_iso"
            ),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_from__isnull", True),
                    ("valid_until__isnull", True),
                    ("valid_until__gt", models.F("valid_from")),
                    _connector="OR",
                ),
                name="payments_coupon_valid_until_after_from",
            ),
        ),
        migrations.AddConstraint(
            model_name="couponredemption",
            constraint=models.UniqueConstraint(fields=("coupon", "user"), name="payments_coupon_once_per_member"),
        ),
        migrations.RunPython(REINSTALL.reinstall_payment_figures_triggers, migrations.RunPython.noop),
    ]
