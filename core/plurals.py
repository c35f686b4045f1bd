"""French agreement with a count, for pages, e-mails, admin messages and command output.

French takes the singular for 0 and 1 ("0 leçon", "1 leçon", "2 leçons"). Django's `pluralize` and `ngettext`
without a catalog entry follow English (0 is plural), and the messages here are written in French directly.
"""

from decimal import Decimal


def fr_plural(count: int | Decimal, singular: str, plural: str) -> str:
    """`singular` for counts below 2 (0, 1, 1.5), else `plural`."""
    return singular if -2 < count < 2 else plural
