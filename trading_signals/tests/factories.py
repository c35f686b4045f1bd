from datetime import timedelta
from decimal import Decimal

import factory

from core import clock
from trading_signals.models import Market, Signal, TakeProfit

ENDING_R = {
    Signal.Status.TP_HIT: Decimal("1.00"),
    Signal.Status.SL_HIT: Decimal("-1.00"),
    Signal.Status.CLOSED: Decimal("0.50"),
}


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
    # A signal created closed gets a plausible ending (the database requires a result when it has one); tests of
    # figures pass their own result_r, and the services compute theirs.
    result_r = factory.LazyAttribute(lambda signal: ENDING_R.get(signal.status))
    exit_price = factory.LazyAttribute(lambda signal: Decimal("1.090000") if signal.status in ENDING_R else None)
    closed_at = factory.LazyAttribute(
        lambda signal: signal.published_at + timedelta(hours=1) if signal.status != Signal.Status.OPEN else None
    )
    comment = "Cassure de résistance."

    @factory.post_generation
    def take_profits(self, create, extracted, **kwargs):
        if create:
            for order, price in enumerate(extracted or [Decimal("1.090000")], start=1):
                TakeProfit.objects.create(signal=self, order=order, price=price)
