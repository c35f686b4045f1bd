import pytest

from notifications.calendar import BY_TYPE, CALENDAR, already_covered, entry_due, format_end_date
from notifications.models import NotificationType
from notifications.tests.factories import local


def test_calendar_has_the_spec_offsets_types_and_titles():
    assert [(e.offset_days, e.type.value, str(e.title)) for e in CALENDAR] == [
        (-7, "renewal_recommended", "Renouvellement recommandé"),
        (-3, "expires_in_3_days", "Expiration dans 3 jours"),
        (-2, "expires_in_2_days", "Expiration dans 2 jours"),
        (-1, "last_chance", "Dernière chance !"),
        (1, "expired", "Abonnement expiré"),
        (2, "we_miss_you", "On vous attend !"),
        (3, "final_reminder", "Dernière notification"),
    ]


@pytest.mark.parametrize(
    ("type_", "opening"),
    [
        (NotificationType.RENEWAL_RECOMMENDED, "Votre abonnement expire dans 7 jours"),
        (NotificationType.EXPIRES_IN_3_DAYS, "Plus que 3 jours"),
        (NotificationType.EXPIRES_IN_2_DAYS, "Attention ! Votre abonnement expire dans 2 jours"),
        (NotificationType.LAST_CHANCE, "Dernier jour ! Renouvelez maintenant"),
        (NotificationType.EXPIRED, "Votre abonnement a expiré hier"),
        (NotificationType.WE_MISS_YOU, "Cela fait 2 jours"),
        (NotificationType.FINAL_REMINDER, "Dernière relance"),
    ],
)
def test_messages_follow_the_brief_and_name_plan_and_date(type_, opening):
    message = BY_TYPE[type_.value].render_message(plan_name="Premium", ends_at=local(2026, 3, 3, 23, 30))
    assert message.startswith(opening)
    assert "Premium" in message
    assert "mardi 3 mars 2026" in message


def test_end_date_is_formatted_in_french_in_the_local_time_zone():
    # 23:30 UTC on 2 March is already 3 March in Paris.
    from datetime import UTC, datetime

    assert format_end_date(datetime(2026, 3, 2, 23, 30, tzinfo=UTC)) == "mardi 3 mars 2026"
    assert format_end_date(local(2028, 2, 29, 0, 30)) == "mardi 29 février 2028"
    assert format_end_date(local(2026, 11, 1, 12)) == "dimanche 1er novembre 2026"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-8, None),
        (-7, "renewal_recommended"),
        (-5, "renewal_recommended"),
        (-3, "expires_in_3_days"),
        (-2, "expires_in_2_days"),
        (-1, "last_chance"),
        (0, "last_chance"),
        (1, "expired"),
        (2, "we_miss_you"),
        (3, "final_reminder"),
        (4, None),
    ],
)
def test_the_due_row_is_the_most_recent_one_not_after_the_offset(offset, expected):
    entry = entry_due(offset)
    assert (entry.type.value if entry else None) == expected


def test_a_row_is_covered_by_itself_or_a_later_row_only():
    last_chance = BY_TYPE["last_chance"]
    assert already_covered(last_chance, {"last_chance"})
    assert already_covered(last_chance, {"expired"})
    assert not already_covered(last_chance, {"renewal_recommended", "expires_in_2_days"})
