from django.apps import AppConfig
from django.conf import settings


class ChannelsSyncConfig(AppConfig):
    name = "channels_sync"
    verbose_name = "Canaux Telegram et Discord"

    def ready(self):
        from accounts.signals import address_ownership_proven
        from channels_sync import checks  # noqa: F401  (registers the start-up checks)

        # Links made before someone proved they own the address may be an intruder's: dropped (issue 12, #5).
        address_ownership_proven.connect(_drop_links, dispatch_uid="channels_sync.drop_links")

        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from channels_sync import privacy
        from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, LinkToken

        # The member's data (docs/architecture/personal-data.md): exported; erased with their access removed now.
        export_section_register(
            name="channels",
            export=privacy.channels_export,
            models=(AccountLink, LinkToken, ChannelMembership, ChannelAction),
        )
        member_erasing.connect(_erase_member, dispatch_uid="channels_sync.member_erasing")

        from payments.signals import payment_confirmed, payment_refunded, payment_rejected, refund_access_decided

        # A payment decided: the member's access follows within seconds, through the task worker (a task row written
        # in the deciding transaction); a rejection ends a pending-payment grace (channels_sync.selectors).
        payment_confirmed.connect(_sync_member_access, dispatch_uid="channels_sync.payment_confirmed")
        payment_rejected.connect(_sync_member_access, dispatch_uid="channels_sync.payment_rejected")
        # A refund cancels the subscription it paid for (or lets it run to its end): access follows the same way.
        payment_refunded.connect(_sync_member_access, dispatch_uid="channels_sync.payment_refunded")
        refund_access_decided.connect(_sync_member_access, dispatch_uid="channels_sync.refund_access_decided")

        # Reminders by Telegram only when a bot is configured: otherwise no delivery row is created for it.
        if settings.TELEGRAM_BOT_TOKEN:
            from channels_sync.senders import TelegramSender
            from notifications.senders import register_sender

            register_sender(TelegramSender())


def _sync_member_access(sender, payment, **kwargs) -> None:
    from channels_sync.tasks import member_access_sync_enqueue

    member_access_sync_enqueue(user_id=payment.user_id)


def _drop_links(sender, user, **kwargs) -> None:
    from channels_sync.linking import member_links_drop

    member_links_drop(user=user)


def _erase_member(sender, *, user, **kwargs) -> None:
    from channels_sync.privacy import member_channels_erase

    member_channels_erase(user=user)
