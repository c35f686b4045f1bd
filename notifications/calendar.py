"""The reminder calendar, defined once: the command, the e-mails, the admin and the API read it from here.

Offsets count calendar days in settings.TIME_ZONE from the local day on which the subscription that ends
the member's coverage ends: −7 is seven days before that day, +1 the day after. A subscription that renews by
itself (`Subscription.auto_renew`, paid through a Stripe subscription) follows AUTO_RENEW_CALENDAR instead, a free
trial (`Subscription.is_trial`) TRIAL_CALENDAR.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.models import NotificationType


@dataclass(frozen=True)
class CalendarEntry:
    offset_days: int
    type: NotificationType
    title: str | Promise
    message: str | Promise  # placeholders: {plan}, {end_date} and {days_left}

    def render_message(
        self, *, plan_name: str, ends_at: datetime, days_left: int | None = None, payment_pending: bool = False
    ) -> str:
        """`days_left` is the true count on the day of sending: a catch-up run may send the −7 row later.
        `payment_pending`: the member declared, before the end, a payment an admin has not verified yet; asking
        them to renew would be wrong, so the message says it is being verified."""
        days = -self.offset_days if days_left is None else days_left
        message = self.message
        if payment_pending:
            message = AWAITING_PAYMENT_BEFORE_END if self.offset_days < 0 else AWAITING_PAYMENT_AFTER_END
        return str(message).format(plan=plan_name, end_date=format_end_date(ends_at), days_left=days)


AWAITING_PAYMENT_BEFORE_END = _(
    "Votre formule {plan} se termine le {end_date}. Votre paiement est en cours de vérification : vous n'avez rien "
    "à faire, votre abonnement sera prolongé dès sa validation."
)
AWAITING_PAYMENT_AFTER_END = _(
    "Votre formule {plan} a pris fin le {end_date}. Votre paiement est en cours de vérification : vos accès sont "
    "maintenus en attendant sa validation, vous n'avez rien à faire."
)


CALENDAR: tuple[CalendarEntry, ...] = (
    CalendarEntry(
        -7,
        NotificationType.RENEWAL_RECOMMENDED,
        _("Renouvellement recommandé"),
        _(
            "Votre abonnement expire dans {days_left} jours, le {end_date}. Renouvelez dès maintenant votre "
            "formule {plan} pour garder vos accès sans interruption."
        ),
    ),
    CalendarEntry(
        -3,
        NotificationType.EXPIRES_IN_3_DAYS,
        _("Expiration dans 3 jours"),
        _(
            "Plus que 3 jours avant la fin de votre formule {plan}, le {end_date}. Pensez à la renouveler "
            "pour ne rien manquer."
        ),
    ),
    CalendarEntry(
        -2,
        NotificationType.EXPIRES_IN_2_DAYS,
        _("Expiration dans 2 jours"),
        _(
            "Attention ! Votre abonnement expire dans 2 jours, le {end_date}. Renouvelez votre formule {plan} "
            "pour conserver vos accès."
        ),
    ),
    CalendarEntry(
        -1,
        NotificationType.LAST_CHANCE,
        _("Dernière chance !"),
        _("Dernier jour ! Renouvelez maintenant votre formule {plan} : votre abonnement se termine le {end_date}."),
    ),
    CalendarEntry(
        1,
        NotificationType.EXPIRED,
        _("Abonnement expiré"),
        _("Votre abonnement a expiré hier, le {end_date}. Renouvelez votre formule {plan} pour retrouver vos accès."),
    ),
    CalendarEntry(
        2,
        NotificationType.WE_MISS_YOU,
        _("On vous attend !"),
        _(
            "Cela fait 2 jours que votre formule {plan} a pris fin, le {end_date}. La communauté vous attend : "
            "renouvelez pour la retrouver."
        ),
    ),
    CalendarEntry(
        3,
        NotificationType.FINAL_REMINDER,
        _("Dernière notification"),
        _(
            "Dernière relance : votre formule {plan} a pris fin le {end_date}. Renouvelez aujourd'hui pour "
            "retrouver les signaux, les formations et les canaux privés."
        ),
    ),
)

# While a subscription renews by itself the card is charged at its end: J-7 says when, with nothing to do (no
# "renouvelez"), and J-3, J-2, J-1 are not sent. Its rows keep the types of the calendar's rows of the same day, so
# "a later row was created" reads the same whichever calendar created it (auto-renew switched off after J-7: J-3
# follows the normal calendar; switched on after J-3: nothing more).
AUTO_RENEW_CALENDAR: tuple[CalendarEntry, ...] = (
    CalendarEntry(
        -7,
        NotificationType.RENEWAL_RECOMMENDED,
        _("Renouvellement automatique"),
        _(
            "Votre abonnement sera renouvelé automatiquement le {end_date}. Votre formule {plan} continue sans "
            "interruption : vous n'avez rien à faire. Pour changer de carte ou arrêter le renouvellement, rendez-vous "
            "sur la page Paiements de votre espace membre."
        ),
    ),
)
# After its end day an auto-renewing subscription gets nothing: the renewal is under way (Stripe charges at the
# period end and the paid invoice adds the next subscription, which then ends the coverage). Post-expiry reminders
# come only once the renewal failed or was cancelled, which turns `auto_renew` off: the normal calendar then applies.
# notifications.selectors.subscriptions_ending_coverage leaves such subscriptions out of the run's query.
AUTO_RENEW_LAST_OFFSET = 0

# A free trial (Subscription.is_trial) is told about its own end: J-2 and the day after, nothing else (no "renouvelez":
# nothing was paid). Same types as the calendar's rows of those days, so "a later row was created" reads the same if
# the member pays during the trial and their paid subscription then ends the coverage.
TRIAL_CALENDAR: tuple[CalendarEntry, ...] = (
    CalendarEntry(
        -2,
        NotificationType.EXPIRES_IN_2_DAYS,
        _("Fin de votre essai dans 2 jours"),
        _(
            "Votre essai se termine dans {days_left} jours, le {end_date}. Choisissez dès maintenant votre formule "
            "{plan} pour garder vos accès sans interruption."
        ),
    ),
    CalendarEntry(
        1,
        NotificationType.EXPIRED,
        _("Essai terminé"),
        _(
            "Votre essai gratuit de la formule {plan} a pris fin hier, le {end_date}. Choisissez une formule pour "
            "retrouver les signaux, les formations et les canaux privés."
        ),
    ),
)
TRIAL_LAST_OFFSET = TRIAL_CALENDAR[-1].offset_days

FIRST_OFFSET = CALENDAR[0].offset_days
LAST_OFFSET = CALENDAR[-1].offset_days
BY_TYPE: dict[str, CalendarEntry] = {entry.type.value: entry for entry in CALENDAR}
_POSITION: dict[str, int] = {entry.type.value: index for index, entry in enumerate(CALENDAR)}


def entry_due(offset_days: int, *, auto_renew: bool = False, trial: bool = False) -> CalendarEntry | None:
    """The most recent row whose offset is <= `offset_days`, or None outside [first row, last row] (for a
    subscription that renews by itself: the rows of AUTO_RENEW_CALENDAR, up to AUTO_RENEW_LAST_OFFSET; for a free
    trial: TRIAL_CALENDAR's, up to TRIAL_LAST_OFFSET).

    After days without a run this is the only row worth sending: the older ones are stale.
    """
    calendar, last = CALENDAR, LAST_OFFSET
    if auto_renew:
        calendar, last = AUTO_RENEW_CALENDAR, AUTO_RENEW_LAST_OFFSET
    elif trial:
        calendar, last = TRIAL_CALENDAR, TRIAL_LAST_OFFSET
    if offset_days < FIRST_OFFSET or offset_days > last:
        return None
    due = None
    for entry in calendar:
        if entry.offset_days <= offset_days:
            due = entry
    return due


def reminder_renews_by_itself(title: str) -> bool:
    """A reminder created from AUTO_RENEW_CALENDAR (told by its title, stored with it): its e-mail offers to manage
    the subscription, not to renew it."""
    return title in {str(entry.title) for entry in AUTO_RENEW_CALENDAR}


def reminder_ends_a_trial(title: str) -> bool:
    """A reminder created from TRIAL_CALENDAR (told by its title): its e-mail offers to choose a plan."""
    return title in {str(entry.title) for entry in TRIAL_CALENDAR}


def already_covered(entry: CalendarEntry, existing_types: set[str]) -> bool:
    """True when this row, or a later one, was already created for the subscription."""
    position = _POSITION[entry.type.value]
    return any(_POSITION.get(t, -1) >= position for t in existing_types)


def format_end_date(moment: datetime | date) -> str:
    """French long date in TIME_ZONE, e.g. "mardi 3 mars 2026" ("1er" for the first of the month)."""
    day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    with translation.override("fr"):
        text = date_format(day, "l j F Y")
    if day.day == 1:
        text = text.replace(" 1 ", " 1er ", 1)
    return text
