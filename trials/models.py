"""Who got a free trial, with what identified them at the time: a member gets at most one trial ever, even from a new
account (docs/member-space.md#free-trials)."""

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

# An erased member's grant keeps, instead of their address and ids, keyed digests of them (trials.privacy): the
# trial is still remembered, and nothing readable stays. Matching a newcomer compares both forms.
FINGERPRINT_PREFIX = "h:"


def trial_fingerprint(value: str) -> str:
    """A keyed digest of a normalised address or an account id: 32 characters, fits every column it replaces."""
    return FINGERPRINT_PREFIX + salted_hmac("trials.erased-member", value, algorithm="sha256").hexdigest()[:30]


class TrialGrant(models.Model):
    """One free trial given: the member, and their normalised e-mail and linked Telegram and Discord ids at that
    moment. Each is unique (the ids when known), so a second trial is refused by the database whatever races: a new
    account with the same address, or with a new address but the same Telegram or Discord account, finds this row.
    Kept when the member's account or the trial's subscription goes (SET_NULL): the point is to remember."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trial_grants",
        verbose_name=_("membre"),
    )
    plan = models.ForeignKey(
        "subscriptions.Plan", on_delete=models.PROTECT, related_name="trial_grants", verbose_name=_("formule")
    )
    subscription = models.OneToOneField(
        "subscriptions.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trial_grant",
        verbose_name=_("abonnement d'essai"),
    )
    email = models.CharField(_("e-mail (normalisé)"), max_length=254)
    telegram_id = models.CharField(_("identifiant Telegram"), max_length=32, blank=True)
    discord_id = models.CharField(_("identifiant Discord"), max_length=32, blank=True)
    granted_at = models.DateTimeField(_("accordé le"))

    class Meta:
        verbose_name = _("essai gratuit accordé")
        verbose_name_plural = _("essais gratuits accordés")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(user__isnull=False), name="trials_one_per_member"
            ),
            models.UniqueConstraint(fields=["email"], name="trials_one_per_email"),
            models.UniqueConstraint(
                fields=["telegram_id"], condition=~models.Q(telegram_id=""), name="trials_one_per_telegram_id"
            ),
            models.UniqueConstraint(
                fields=["discord_id"], condition=~models.Q(discord_id=""), name="trials_one_per_discord_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} – {self.plan}"
