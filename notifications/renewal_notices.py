"""The member's notice of a refused card renewal (Stripe's `invoice.payment_failed`): in-app, and by e-mail through
the durable queue (notifications/tasks.py). Written by billing (billing/renewals.py) in the transaction that applies
the event, so the notice and its e-mail exist exactly when the event was applied; the event's own row lock and
unique id make that once per Stripe attempt, replays and reconciliations included.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.tasks import task_enqueue
from core.templatetags.money import format_money
from notifications.calendar import format_end_date
from notifications.models import NotificationType, UserNotification
from notifications.payment_notices import in_app_delivery_record
from notifications.tasks import renewal_failed_email


def renewal_failed_message(
    *, plan_name: str, amount: Decimal, currency: str, paid_until: datetime | None, next_attempt_at: datetime | None
) -> str:
    """What the member reads, in the app and in the e-mail: access is kept to the paid end, what Stripe does next,
    and what to do (update the card)."""
    parts = [
        _("Le renouvellement automatique de votre formule %(plan)s (%(amount)s) a été refusé par votre banque.")
        % {"plan": plan_name, "amount": format_money(amount, currency)}
    ]
    if paid_until is not None and paid_until > clock.now():
        parts.append(_("Vos accès restent ouverts jusqu'au %(date)s.") % {"date": format_end_date(paid_until)})
    if next_attempt_at is not None:
        parts.append(
            _("Une nouvelle tentative aura lieu automatiquement le %(date)s.")
            % {"date": format_end_date(next_attempt_at)}
        )
    parts.append(
        _(
            "Pour éviter toute interruption, mettez à jour votre carte bancaire depuis la page Paiements de votre "
            "espace membre."
        )
    )
    return " ".join(parts)


@transaction.atomic
def renewal_failed_notice_create(
    *,
    user,
    plan_name: str,
    amount: Decimal,
    currency: str,
    paid_until: datetime | None,
    next_attempt_at: datetime | None,
) -> UserNotification:
    """The in-app notice (sent at once, like the payment notices) and its e-mail's task, in the caller's
    transaction."""
    now = clock.now()
    notice = UserNotification.objects.create(
        user=user,
        notification_type=NotificationType.RENEWAL_FAILED,
        title=_("Paiement refusé : mettez à jour votre carte"),
        message=renewal_failed_message(
            plan_name=plan_name,
            amount=amount,
            currency=currency,
            paid_until=paid_until,
            next_attempt_at=next_attempt_at,
        ),
        status=UserNotification.Status.SENT,
        scheduled_for=now,
        sent_at=now,
    )
    in_app_delivery_record(notice=notice, at=now)
    task_enqueue(renewal_failed_email, notification_id=notice.pk)
    return notice
