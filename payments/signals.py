"""What the apps above payments hear about a payment's fate (docs/architecture/payments.md).

Sent inside the transaction that decided it, after the payment's row is written: a receiver writes only rows of
its own (an in-app notification, a task for the worker), so they commit or roll back with the decision, and
whatever must reach the outside (a Telegram invitation) is a task of the durable queue, run after the commit.
payments imports none of the receivers' apps (notifications, channels_sync): they connect in their AppConfig.
"""

from django.dispatch import Signal

# payment (confirmed, its plan and user loaded), subscription (the one it created).
payment_confirmed = Signal()
# payment (rejected, with its reason).
payment_rejected = Signal()
# payment (cancelled by the member, an admin, or because its card session expired).
payment_cancelled = Signal()
# payment (refunded, its plan and user loaded), refund (its record, with the access outcome applied).
payment_refunded = Signal()
# payment, refund: an admin chose again when the refunded payment's access ends (now or at the paid end).
refund_access_decided = Signal()
