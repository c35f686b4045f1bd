from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Abonnements"

    def ready(self):
        from subscriptions import signals

        signals.connect()
