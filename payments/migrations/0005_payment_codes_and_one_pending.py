"""Data for 0006's constraints: a unique code for every existing payment, and one pending payment per member.

A member who already has several pending payments keeps the newest (their latest statement); the older ones are
marked cancelled (cancelled_by empty: by this migration), so an admin still sees them in the history. The code
generator is a frozen copy of payments.models.payment_code_generate.
"""

import secrets

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

CODE_PREFIX = "CFI-"
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
BATCH = 1000


def _new_code(taken: set[str]) -> str:
    while True:
        code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def give_codes(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    taken = set(Payment.objects.exclude(code=None).values_list("code", flat=True))
    batch = []
    for payment in Payment.objects.filter(code=None).only("pk").iterator(chunk_size=BATCH):
        payment.code = _new_code(taken)
        batch.append(payment)
        if len(batch) == BATCH:
            Payment.objects.bulk_update(batch, ["code"])
            batch = []
    Payment.objects.bulk_update(batch, ["code"])


def keep_one_pending_per_member(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    members = (
        Payment.objects.filter(status="pending").values("user_id").annotate(pending=Count("id")).filter(pending__gt=1)
    )
    for row in members.iterator():
        pending = Payment.objects.filter(user_id=row["user_id"], status="pending").order_by("-created_at", "-id")
        older = list(pending.values_list("pk", flat=True)[1:])
        Payment.objects.filter(pk__in=older).update(status="cancelled", cancelled_at=timezone.now())


def refuse_to_forget_cancellations(apps, schema_editor):
    # Before 0004 no payment could be cancelled: going back would have to invent another status for these rows.
    cancelled = apps.get_model("payments", "Payment").objects.filter(status="cancelled").count()
    if cancelled:
        raise RuntimeError(
            f"{cancelled} cancelled payment(s) exist: the schema before payments 0004 cannot hold them. "
            "Migrate backwards only on a database without cancelled payments."
        )


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_payment_methods_codes_proofs")]

    operations = [
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.RunPython(keep_one_pending_per_member, refuse_to_forget_cancellations),
    ]
