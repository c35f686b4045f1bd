from django.apps import AppConfig


class TradingSignalsConfig(AppConfig):
    name = "trading_signals"
    verbose_name = "Signaux de trading"
