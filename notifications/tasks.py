"""Notifications' durable tasks (core/tasks.py): JSON arguments, idempotent enough to be tried again."""

from core.emails import email_message
from core.tasks import task
from notifications.models import UserNotification


@task()
def renewal_failed_email(*, notification_id: int) -> None:
    """The e-mail of a refused card renewal: the notice's own title and message, and the link to the member's
    payments page, where the Stripe portal button lives (no call to Stripe when sending). A payment e-mail: sent
    whatever the member's reminder preference, like a rejected payment's."""
    notice = UserNotification.objects.select_related("user").get(pk=notification_id)
    user = notice.user
    if not user.is_active or not user.email:
        return
    email_message(
        template="notifications/renewal_failed",
        to=user.email,
        subject=f"CalmnessFi – {notice.title}",
        context={"first_name": user.first_name, "title": notice.title, "message": notice.message},
    ).send()
