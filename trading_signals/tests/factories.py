from datetime import timedelta
from decimal import Decimal

import factory

from core import clock
from trading_signals.models import Market, Signal, TakeProfit


class SignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signal
        skip_postgeneration_save = True

    market = Market.FOREX
    instrument = "EUR/USD"
    direction = Signal.Direction.BUY
    entry_price = Decimal("1.085000")
    stop_loss = Decimal("1.080000")
    status = Signal.Status.OPEN
    is_published = True
    published_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=1))
    comment = "Cassure de résistance."

    @factory.post_generation
    def take_profits(self, create, extracted, **kwargs):
        if create:
            for order, price in enumerate(extracted or [Decimal("1.090000")], start=1):
                TakeProfit.objects.create(signal=self, order=order, price=price)
