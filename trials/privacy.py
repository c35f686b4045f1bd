"""The member's free trial in their data export, and its pseudonymisation when the member's data is erased
(accounts.privacy, docs/architecture/personal-data.md).

A trial is given once per person (e-mail, Telegram id, Discord id): deleting the account must not buy a second one.
So an erased member's grant keeps, instead of the address and ids, keyed digests of them
(`trials.models.trial_fingerprint`), which `trials.services` matches as well as the plain values; the digests name
no one and reveal nothing without the server's secret key."""

from accounts.privacy import iso
from trials.models import FINGERPRINT_PREFIX, TrialGrant, trial_fingerprint


def trials_export(user) -> list[dict]:
    return [
        {
            "plan": grant.plan.name,
            "granted_at": iso(grant.granted_at),
            "email": grant.email,
            "telegram_id": grant.telegram_id,
            "discord_id": grant.discord_id,
        }
        for grant in TrialGrant.objects.filter(user=user).select_related("plan").order_by("granted_at", "pk")
    ]


def member_trial_grants_pseudonymise(*, user) -> int:
    """Replaces the address and ids of the member's trial grant by their digests. Returns how many grants changed."""
    grants = list(TrialGrant.objects.filter(user=user).exclude(email__startswith=FINGERPRINT_PREFIX))
    for grant in grants:
        grant.email = trial_fingerprint(grant.email)
        grant.telegram_id = trial_fingerprint(grant.telegram_id) if grant.telegram_id else ""
        grant.discord_id = trial_fingerprint(grant.discord_id) if grant.discord_id else ""
    TrialGrant.objects.bulk_update(grants, ["email", "telegram_id", "discord_id"])
    return len(grants)
