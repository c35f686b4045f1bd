from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publication des signaux")

    def ready(self):
        from trading_signals.hooks import signal_corrected, signal_event_recorded

        # Sent inside the signal's transaction: the posts' rows and their tasks are part of it.
        signal_event_recorded.connect(_event_recorded, dispatch_uid="publishing.signal_event_recorded")
        signal_corrected.connect(_signal_corrected, dispatch_uid="publishing.signal_corrected")


def _event_recorded(sender, *, event, **kwargs) -> None:
    from publishing.services import event_posts_create

    event_posts_create(event=event)


def _signal_corrected(sender, *, trading_signal, **kwargs) -> None:
    from publishing.services import signal_posts_refresh

    signal_posts_refresh(signal=trading_signal)
