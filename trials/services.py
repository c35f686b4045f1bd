"""Starting a free trial: the checks that keep it to one per person, the trial subscription and its channel access
(docs/member-space.md#free-trials)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_sync.models import AccountLink, Platform
from channels_sync.tasks import member_access_sync_enqueue
from core import clock
from payments.services import payment_member_lock
from subscriptions.models import Plan, Subscription
from trials.models import TrialGrant, trial_fingerprint


class TrialNotAllowed(Exception):
    """The profile is incomplete (as for paying): the API answers 403 with `missing_fields`."""

    def __init__(self, missing_fields: list[str]):
        self.missing_fields = missing_fields
        super().__init__(_("Complétez votre profil avant de commencer votre essai."))


class TrialError(Exception):
    """A trial this plan or this member's accounts cannot give (no trial on the plan, no linked account): a 400."""


class TrialRefused(TrialError):
    """The member already had a trial, or was already a member: a 409."""


ALREADY_HAD_ONE = gettext_lazy("Vous avez déjà bénéficié d'un essai gratuit : choisissez une formule pour continuer.")


def trial_email_normalize(email: str) -> str:
    """The address a trial is remembered by: lower-cased, without a `+tag` in its local part (jean+2@x.fr is
    jean@x.fr), so the same mailbox under another spelling does not buy a second trial."""
    local, _sep, domain = (email or "").strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else domain


def _linked_ids(user) -> dict[str, str]:
    return dict(AccountLink.objects.filter(user=user).values_list("platform", "remote_id"))


def _grants_matching(*, user, email: str):
    """The grants that make a new trial impossible: the member's, their address's, and their linked Telegram and
    Discord accounts', each as written or as an erased member's fingerprint (trials.models.trial_fingerprint)."""
    ids = _linked_ids(user)
    match = Q(user=user) | Q(email__in=[email, trial_fingerprint(email)])
    if ids.get(Platform.TELEGRAM):
        match |= Q(telegram_id__in=[ids[Platform.TELEGRAM], trial_fingerprint(ids[Platform.TELEGRAM])])
    if ids.get(Platform.DISCORD):
        match |= Q(discord_id__in=[ids[Platform.DISCORD], trial_fingerprint(ids[Platform.DISCORD])])
    return TrialGrant.objects.filter(match)


def trial_eligible(*, user) -> bool:
    """Whether the member may start a trial (the plans page shows the button): never covered by any subscription
    and no trial given to them, their address or their linked accounts. Three queries. The profile checks come at
    the start."""
    if Subscription.objects.filter(user=user).exists():
        return False
    return not _grants_matching(user=user, email=trial_email_normalize(user.email)).exists()


def trial_start(*, user, plan: Plan) -> Subscription:
    """Give the member a free trial of `plan`: a subscription (no payment, `is_trial`) from now for the plan's
    `trial_days`, with channel access like any subscription (the member's access sync, queued in this transaction).

    Refused: an incomplete profile (TrialNotAllowed, as for paying); a plan without a trial or no longer offered,
    or no Telegram or Discord account linked (TrialError: the linked ids are what recognises the same person
    under a new address, and where the access goes); a member who was ever covered, or whose address, Telegram or
    Discord account already had a trial (TrialRefused). Under the member's lock (the lock order of
    payments.services); the TrialGrant's unique constraints refuse a second trial whatever races."""
    with transaction.atomic():
        payment_member_lock(user=user)
        if not user.can_make_payment:
            raise TrialNotAllowed(user.missing_profile_fields())
        if not plan.is_active or plan.trial_days <= 0:
            raise TrialError(_("Cette formule ne propose pas d'essai gratuit."))
        ids = _linked_ids(user)
        if not ids:
            raise TrialError(
                _(
                    "Liez votre compte Telegram ou Discord avant de commencer votre essai : c'est là que vous "
                    "recevrez vos accès."
                )
            )
        if Subscription.objects.filter(user=user).exists():
            raise TrialRefused(_("L'essai gratuit est réservé aux nouveaux membres : choisissez une formule."))
        email = trial_email_normalize(user.email)
        if _grants_matching(user=user, email=email).exists():
            raise TrialRefused(str(ALREADY_HAD_ONE))
        now = clock.now()
        subscription = Subscription.objects.create(
            user=user,
            plan=plan,
            payment=None,
            is_trial=True,
            starts_at=now,
            ends_at=now + timedelta(days=plan.trial_days),
            status=Subscription.Status.ACTIVE,
        )
        try:
            with transaction.atomic():
                TrialGrant.objects.create(
                    user=user,
                    plan=plan,
                    subscription=subscription,
                    email=email,
                    telegram_id=ids.get(Platform.TELEGRAM, ""),
                    discord_id=ids.get(Platform.DISCORD, ""),
                    granted_at=now,
                )
        except IntegrityError:
            # Another account of the same person got its trial a moment ago (same address or linked account).
            raise TrialRefused(str(ALREADY_HAD_ONE)) from None
        member_access_sync_enqueue(user_id=user.pk)
    return subscription
