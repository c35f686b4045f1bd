# ruff: noqa: E501 -- the demo signals are a table, one signal a line
"""Demo content for a fresh installation: one formation (one lesson reserved to the yearly plan) and signals.

Idempotent: the course is matched by slug and its lessons by order; signals are created only while none
carries the demo marker, so running it again changes nothing.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from core import clock
from formations.models import Course, Lesson
from subscriptions.models import Plan
from trading_signals import results
from trading_signals.models import Signal, SignalEvent, TakeProfit

DEMO_COURSE_SLUG = "bases-du-trading"
RESERVED_COURSE_SLUG = "strategies-avancees"
DEMO_SIGNAL_MARKER = "[démo]"


@dataclass(frozen=True)
class DemoLesson:
    title: str
    summary: str
    body: str
    minutes: int


DEMO_LESSONS = (
    DemoLesson(
        "Lire un graphique en chandeliers",
        "Ouverture, clôture, mèches : ce que raconte chaque bougie.",
        "Une bougie résume une période : son corps va de l'ouverture à la clôture, ses mèches montrent les "
        "extrêmes atteints.\n\nRepérez d'abord la tendance sur une unité de temps longue, puis affinez.",
        12,
    ),
    DemoLesson(
        "Supports et résistances",
        "Tracer les zones où le prix hésite.",
        "Un support est une zone où les acheteurs reprennent la main ; une résistance, l'inverse.\n\n"
        "Plus une zone a été testée, plus sa cassure est significative.",
        15,
    ),
    DemoLesson(
        "Gérer son risque",
        "Taille de position, stop-loss et ratio risque/rendement.",
        "Ne risquez jamais plus de 1 à 2 % de votre capital sur une position.\n\n"
        "Placez le stop-loss là où votre scénario est invalidé, puis calculez la taille de position.",
        18,
    ),
    DemoLesson(
        "Construire son plan de trading",
        "Règles d'entrée, de sortie et journal de bord.",
        "Écrivez vos règles avant d'ouvrir une position et notez chaque trade dans un journal.",
        10,
    ),
)

RESERVED_LESSONS = (
    DemoLesson(
        "Divergences et momentum",
        "Anticiper un retournement avec le RSI.",
        "Une divergence apparaît quand le prix fait un nouveau sommet que l'indicateur ne confirme pas.",
        20,
    ),
    DemoLesson(
        "Trading multi-unités de temps",
        "Aligner tendance de fond et point d'entrée.",
        "Choisissez trois unités de temps : contexte, configuration, déclenchement.",
        25,
    ),
)


@dataclass(frozen=True)
class DemoSignal:
    days_ago: int
    market: str
    instrument: str
    direction: str
    entry: str
    stop: str
    take_profits: tuple[str, ...]
    status: str
    exit: str | None  # the price of a manual close; a take-profit or stop-loss hit ends at its own price
    comment: str


D = DemoSignal
DEMO_SIGNALS = (
    D(118, "forex", "EUR/USD", "buy", "1.0850", "1.0810", ("1.0900", "1.0950"), "tp_hit", None, "Rebond sur support."),
    D(110, "crypto", "BTC/USDT", "buy", "58200", "56500", ("61000",), "tp_hit", None, "Cassure du range."),
    D(101, "forex", "GBP/USD", "sell", "1.2710", "1.2760", ("1.2640",), "sl_hit", None, "Faux signal de retournement."),
    D(95, "indices", "DAX40", "buy", "18350", "18200", ("18600",), "tp_hit", None, "Tendance haussière."),
    D(84, "commodities", "XAU/USD", "buy", "2380", "2355", ("2420", "2450"), "tp_hit", None, "Or en tendance."),
    D(76, "forex", "USD/JPY", "sell", "156.20", "156.90", ("155.00",), "tp_hit", None, "Intervention probable."),
    D(69, "stocks", "AAPL", "buy", "212.50", "206.00", ("225.00",), "closed", "218.00", "Clôturé avant les résultats."),
    D(61, "crypto", "ETH/USDT", "sell", "3450", "3560", ("3200",), "sl_hit", None, "Stop touché sur mèche."),
    D(52, "forex", "EUR/GBP", "buy", "0.8450", "0.8420", ("0.8500",), "tp_hit", None, "Range respecté."),
    D(45, "indices", "NASDAQ100", "sell", "19800", "20050", ("19300",), "cancelled", None, "Annulé : pas de déclenchement."),
    D(37, "forex", "AUD/USD", "buy", "0.6620", "0.6590", ("0.6680",), "sl_hit", None, "Données chinoises décevantes."),
    D(28, "commodities", "WTI", "sell", "81.40", "83.00", ("78.00",), "tp_hit", None, "Stocks en hausse."),
    D(19, "crypto", "SOL/USDT", "buy", "142", "131", ("160", "175"), "tp_hit", None, "Volume en forte hausse."),
    D(9, "forex", "EUR/USD", "sell", "1.0980", "1.1020", ("1.0900",), "open", None, "Double sommet."),
    D(3, "stocks", "NVDA", "buy", "118.00", "111.00", ("130.00",), "open", None, "Support majeur."),
)  # fmt: skip


def _yearly_plan() -> Plan | None:
    """The plan the reserved course opens to: the longest active plan of at least a year (the "annuel" plan)."""
    return Plan.objects.filter(is_active=True, duration_days__gte=365).order_by("-duration_days", "pk").first()


def _ensure_course(*, slug: str, title: str, summary: str, order: int, lessons: tuple[DemoLesson, ...]) -> bool:
    course, created = Course.objects.get_or_create(
        slug=slug, defaults={"title": title, "summary": summary, "order": order, "is_published": True}
    )
    for position, lesson in enumerate(lessons, start=1):
        Lesson.objects.get_or_create(
            course=course,
            order=position,
            defaults={
                "title": lesson.title,
                "summary": lesson.summary,
                "body": lesson.body,
                "duration_minutes": lesson.minutes,
            },
        )
    return created


def _demo_ending(demo: DemoSignal) -> dict:
    """Exit price, result in R and take-profits reached of a finished demo signal (trading_signals.results)."""
    if demo.status == Signal.Status.TP_HIT:
        exit_price, reached = Decimal(demo.take_profits[-1]), len(demo.take_profits)
    elif demo.status == Signal.Status.SL_HIT:
        exit_price, reached = Decimal(demo.stop), 0
    elif demo.status == Signal.Status.CLOSED and demo.exit is not None:
        exit_price, reached = Decimal(demo.exit), 0
    else:
        return {}
    r = results.result_r(
        direction=demo.direction, entry=Decimal(demo.entry), stop_loss=Decimal(demo.stop), exit_price=exit_price
    )
    return {"exit_price": exit_price, "result_r": r, "take_profits_reached": reached}


def _demo_ending_events(signal: Signal, demo: DemoSignal) -> list[SignalEvent]:
    """The events that ended a finished demo signal, as the services would have recorded them (written directly:
    the demo's past is not posted to the channels): each take-profit reached in turn, the stop-loss hit, the close
    or the cancellation, the last one at closed_at."""
    assert signal.closed_at is not None
    Kind = SignalEvent.Kind
    if demo.status == Signal.Status.TP_HIT:
        count = len(demo.take_profits)
        span = signal.closed_at - signal.published_at
        return [
            SignalEvent(
                signal=signal,
                kind=Kind.TP_REACHED,
                take_profit_order=order,
                price=Decimal(price),
                result_r=signal.result_r if order == count else None,
                created_at=signal.published_at + span * order / count,
            )
            for order, price in enumerate(demo.take_profits, start=1)
        ]
    kind: dict[str, str] = {
        Signal.Status.SL_HIT: Kind.SL_HIT,
        Signal.Status.CLOSED: Kind.CLOSED,
        Signal.Status.CANCELLED: Kind.CANCELLED,
    }
    return [
        SignalEvent(
            signal=signal,
            kind=kind[demo.status],
            price=signal.exit_price,
            result_r=signal.result_r,
            created_at=signal.closed_at,
        )
    ]


@transaction.atomic
def demo_content_create() -> dict:
    """Create what is missing of the demo formations and signals; returns what was created."""
    created_courses = 0
    created_courses += _ensure_course(
        slug=DEMO_COURSE_SLUG,
        title="Les bases du trading",
        summary="Quatre leçons pour lire un graphique, placer ses niveaux et gérer son risque.",
        order=1,
        lessons=DEMO_LESSONS,
    )
    yearly = _yearly_plan()
    if yearly is not None:
        reserved_created = _ensure_course(
            slug=RESERVED_COURSE_SLUG,
            title="Stratégies avancées",
            summary="Divergences, momentum et lecture multi-unités de temps pour aller plus loin.",
            order=2,
            lessons=RESERVED_LESSONS,
        )
        if reserved_created:
            Course.objects.get(slug=RESERVED_COURSE_SLUG).plans.set([yearly])
        created_courses += reserved_created

    created_signals = 0
    if not Signal.objects.filter(comment__startswith=DEMO_SIGNAL_MARKER).exists():
        now = clock.now()
        for demo in DEMO_SIGNALS:
            published_at = now - timedelta(days=demo.days_ago, hours=3)
            finished = demo.status != Signal.Status.OPEN
            ending = _demo_ending(demo)
            signal = Signal.objects.create(
                market=demo.market,
                instrument=demo.instrument,
                direction=demo.direction,
                entry_price=Decimal(demo.entry),
                stop_loss=Decimal(demo.stop),
                status=demo.status,
                **ending,
                published_at=published_at,
                closed_at=published_at + timedelta(days=2) if finished else None,
                comment=f"{DEMO_SIGNAL_MARKER} {demo.comment}",
                is_published=True,
            )
            TakeProfit.objects.bulk_create(
                TakeProfit(signal=signal, order=order, price=Decimal(price))
                for order, price in enumerate(demo.take_profits, start=1)
            )
            SignalEvent.objects.create(signal=signal, kind=SignalEvent.Kind.PUBLISHED, created_at=published_at)
            if signal.closed_at is not None:
                SignalEvent.objects.bulk_create(_demo_ending_events(signal, demo))
            created_signals += 1
    return {"courses": created_courses, "signals": created_signals, "reserved_plan": yearly.name if yearly else None}
