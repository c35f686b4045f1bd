from decimal import Decimal

from django import template
from django.utils.formats import number_format

from formations.models import Course
from formations.policies import course_lock_message

register = template.Library()


@register.filter
def price(value) -> str:
    """A price without its storage zeros (1.085000 → « 1,085 »), in the active locale."""
    if value is None or value == "":
        return "—"
    normalized = Decimal(value).normalize()
    exponent = normalized.as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity, not a price
        raise TypeError(f"not a finite price: {value!r}")
    places = max(-exponent, 0)
    return number_format(normalized, decimal_pos=places)


@register.filter
def lock_message(course: Course) -> str:
    """Why the member cannot open this course yet (formations.policies: one wording for the pages and the API)."""
    return course_lock_message(course=course)


@register.filter
def epoch_ms(moment) -> int:
    """Milliseconds since the epoch: what the countdown's JavaScript compares (no sub-second truncation)."""
    return round(moment.timestamp() * 1000)
