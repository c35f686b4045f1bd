"""Events of the accounts app that higher apps act on (they import accounts, never the other way round)."""

from django.dispatch import Signal

# Someone just proved they hold the member's address: its first verification, or a password reset through the
# e-mailed link. Sent inside the service's transaction with `user`. Anything attached to the account before
# (linked Telegram or Discord accounts) may be an intruder's who had registered the address first.
address_ownership_proven = Signal()
