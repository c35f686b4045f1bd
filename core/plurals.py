"""French agreement with a count, for pages, e-mails, admin messages and command output.

French takes the singular for 0 and 1 ("0 leçon", "1 leçon", "2 leçons"). Django's `pluralize` and `ngettext`
without a catalog entry follow English (0 is plural), and the messages here are written in French directly.
"""

from decimal import Decimal
from typing import TypeVar

Words = TypeVar("Words")  # str, or a lazy translation


def fr_plural(count: int | Decimal, singular: Words, plural: Words) -> Words:
    """`singular` for counts below 2 (0, 1, 1.5), else `plural`."""
    return singular if -2 < count < 2 else plural


def fr_count(count: int, singular: str, plural: str) -> str:
    """The count and its agreeing words: fr_count(2, "échec", "échecs") == "2 échecs"."""
    return f"{count} {fr_plural(count, singular, plural)}"
