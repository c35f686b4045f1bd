"""What a notice is about when it is neither a subscription nor a payment (UserNotification.reference): a string,
because notifications sits below the apps it refers to. Today: a new signal's alerts, "signal:<id>"."""

from django.conf import settings

from notifications.models import NotificationType, UserNotification

SIGNAL_REFERENCE_PREFIX = "signal:"


def signal_reference(signal_id: int) -> str:
    return f"{SIGNAL_REFERENCE_PREFIX}{signal_id}"


def signal_link(signal_id: int) -> str:
    """The signal's page in the member space (member_space:signal_detail), as written in alerts."""
    return f"{settings.FRONTEND_URL.rstrip('/')}/signaux/{signal_id}/"


def signal_link_of(notice: UserNotification) -> str | None:
    """The signal's page for a new-signal alert, None for any other notice."""
    reference = notice.reference or ""
    if notice.notification_type != NotificationType.SIGNAL_PUBLISHED or not reference.startswith(
        SIGNAL_REFERENCE_PREFIX
    ):
        return None
    return signal_link(int(reference.removeprefix(SIGNAL_REFERENCE_PREFIX)))
