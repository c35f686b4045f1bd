"""Events of the accounts app that higher apps act on (they import accounts, never the other way round)."""

from django.dispatch import Signal

# Someone just proved they hold the member's address: its first verification, or a password reset through the
# e-mailed link. Sent inside the service's transaction with `user`. Anything attached to the account before
# (linked Telegram or Discord accounts) may be an intruder's who had registered the address first.
address_ownership_proven = Signal()

# The member's personal data is being erased (their request, or an admin's on their behalf: accounts.privacy).
# Sent with `user` inside the erasing transaction, before the member's own row is anonymised: each app holding
# personal rows connects a receiver in its AppConfig.ready() that deletes or anonymises them (records kept for the
# legal retention period, such as payments and invoices, keep their amounts, codes and dates). A receiver that
# raises rolls the whole erasure back (accounts.privacy.ErasureRefused: a refusal with a French reason). Side
# effects (removing channel access) go through the task queue.
member_erasing = Signal()
