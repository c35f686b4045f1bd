"""Reads: who should have access, what the sync must do, and what a member sees of their channel access."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from channels_sync.clients import platform_configured
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform, SyncKind
from core import clock
from payments.selectors import payment_pending_before_end
from subscriptions.models import Subscription
from subscriptions.selectors import in_force_q

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

State = ChannelMembership.State
Reason = ChannelMembership.Reason


def channel_grace() -> timedelta:
    """How long channel access outlives the subscription that gave it (CHANNEL_GRACE_HOURS)."""
    return timedelta(hours=settings.CHANNEL_GRACE_HOURS)


def _ended_within(*, at: datetime, span: timedelta) -> Q:
    """Subscriptions ended by time (not cancelled) less than `span` before `at`."""
    return Q(
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.EXPIRED],
        starts_at__lte=at,
        ends_at__lte=at,
        ends_at__gt=at - span,
    )


def in_grace_q(*, at: datetime) -> Q:
    """Subscriptions ended less than `channel_grace()` before `at`: they still give channel access until their
    end + the grace. Matches nothing when the grace is 0."""
    return _ended_within(at=at, span=channel_grace())


def pending_payment_grace() -> timedelta:
    """How long channel access outlives a member's coverage while a payment they declared before its end is
    being verified (PENDING_PAYMENT_GRACE_HOURS): nobody is removed while an admin has not looked at their
    payment yet."""
    return timedelta(hours=settings.PENDING_PAYMENT_GRACE_HOURS)


def awaiting_payment_q(*, at: datetime) -> Q:
    """Subscriptions ended (by time, not cancelled) less than `pending_payment_grace()` before `at` whose member
    declared, before that end, a payment still pending. A rejection, a cancellation or a confirmation (the new
    subscription then entitles) ends it. Matches nothing when that grace is 0."""
    return _ended_within(at=at, span=pending_payment_grace()) & Q(payment_pending_before_end())


def grace_next_change(*, user_id: int, at: datetime, payment_pending: bool = True) -> datetime | None:
    """The next instant after `at` at which a grace alone changes what the member's subscriptions entitle them
    to: a subscription's end (it enters a grace) or its end + a grace (it leaves it). None without any grace,
    and then no query: access changes only when a subscription in force ends or a queued one starts.
    `payment_pending` False (the caller knows the member has no pending payment) leaves the pending-payment grace out.

    A payment confirmed, rejected or cancelled is a write: it changes the dashboard's key, not its lifetime."""
    grace, pending_grace = channel_grace(), pending_payment_grace() if payment_pending else timedelta(0)
    if not grace and not pending_grace:
        return None
    not_cancelled = [Subscription.Status.ACTIVE, Subscription.Status.EXPIRED]
    # Per grace that is on: the earliest end among the subscriptions in it (it leaves at that end + the grace).
    leaving = [(span, ended) for span, ended in ((grace, in_grace_q), (pending_grace, awaiting_payment_q)) if span]
    ends = Subscription.objects.filter(
        user_id=user_id, status__in=not_cancelled, ends_at__gt=at - max(span for span, _ in leaving)
    ).aggregate(
        entering=Min("ends_at", filter=Q(ends_at__gt=at)),
        **{f"leaving_{i}": Min("ends_at", filter=ended(at=at)) for i, (_, ended) in enumerate(leaving)},
    )
    candidates = [ends["entering"]] + [
        ends[f"leaving_{i}"] + span for i, (span, _) in enumerate(leaving) if ends[f"leaving_{i}"] is not None
    ]
    return min((instant for instant in candidates if instant is not None), default=None)


def entitled_subscriptions_q(*, platform: str, at: datetime) -> Q:
    """Subscriptions giving access to `platform` at `at`: in force (by time), ended less than the channel grace
    ago, or ended while a payment declared before their end is still being verified."""
    grants = Q(**{f"plan__grants_{platform}": True})
    entitling = in_force_q(at=at)  # alone without graces: no OR, the query stays on the (user, status, ends_at) index
    if channel_grace():
        entitling |= in_grace_q(at=at)
    if pending_payment_grace():
        entitling |= awaiting_payment_q(at=at)
    return grants & entitling


def _entitled(platform: str, at: datetime) -> Exists:
    return Exists(
        Subscription.objects.filter(entitled_subscriptions_q(platform=platform, at=at), user=OuterRef("user_id"))
    )


def _linked(platform: str) -> Exists:
    return Exists(AccountLink.objects.filter(platform=platform, user=OuterRef("user_id")))


class MembershipFlags(TypedDict):
    """What memberships_with_flags annotates each membership with."""

    entitled: bool
    linked: bool


def memberships_with_flags(
    *, platform: str, at: datetime
) -> "QuerySet[WithAnnotations[ChannelMembership, MembershipFlags]]":
    return ChannelMembership.objects.filter(platform=platform).annotate(
        entitled=_entitled(platform, at), linked=_linked(platform)
    )


def _due(at: datetime) -> Q:
    return (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=at)
    )


# The sync's work, as filters on `memberships_with_flags`. Each is re-applied when a row is claimed,
# so a row another host handled in the meantime no longer matches.
def revoke_stale_q() -> Q:
    return ~Q(stale_remote_id="")


def remove_q() -> Q:
    return Q(has_access=True, entitled=False, stale_remote_id="")


def grant_q() -> Q:
    return Q(
        has_access=False,
        entitled=True,
        linked=True,
        stale_remote_id="",
        state__in=[State.LINKED, State.REMOVED, State.ACTION_REQUIRED, State.NOT_LINKED, State.LINK_PENDING],
    )


def renew_invite_q(*, at: datetime) -> Q:
    """Telegram invites that expired unused (or whose join we never heard of): check, then re-invite.

    Includes "action required" rows that still hold access (a failed check or removal), so they are not stuck.
    """
    return Q(
        has_access=True,
        entitled=True,
        linked=True,
        state__in=[State.INVITED, State.ACTION_REQUIRED],
        invite_expires_at__lte=at,
    )


def sync_work(*, platform: str, at: datetime) -> dict[SyncKind, QuerySet[ChannelMembership]]:
    """Due work per kind, in the order the sync runs it (revocations before grants)."""
    # Only Telegram sends invites that can expire unused; Discord adds the member itself.
    kinds = [kind for kind in SyncKind if kind != SyncKind.RENEW_INVITE or platform == Platform.TELEGRAM]
    base = memberships_with_flags(platform=platform, at=at)
    return {kind: base.filter(work_filter(kind, at=at)) for kind in kinds}


def work_filter(kind: SyncKind, *, at: datetime) -> Q:
    return {
        SyncKind.REVOKE_STALE: revoke_stale_q(),
        SyncKind.REMOVE: remove_q(),
        SyncKind.GRANT: grant_q(),
        SyncKind.RENEW_INVITE: renew_invite_q(at=at),
    }[kind] & _due(at)


def entitled_but_waiting_count(*, platform: str, at: datetime) -> int:
    """Members entitled to the platform who have no linked account yet, or whose retry is not due."""
    entitled_users = Subscription.objects.filter(entitled_subscriptions_q(platform=platform, at=at)).values("user_id")
    not_linked = entitled_users.exclude(user__channel_links__platform=platform).values("user_id").distinct().count()
    backing_off = (
        memberships_with_flags(platform=platform, at=at)
        .filter(entitled=True, has_access=False, next_attempt_at__gt=at)
        .count()
    )
    return not_linked + backing_off


def outlived_access(*, platform: str, at: datetime) -> QuerySet[ChannelMembership]:
    """Members who still have access although no subscription entitles them (grace included)."""
    return (
        memberships_with_flags(platform=platform, at=at)
        .filter(has_access=True, entitled=False)
        .select_related("user")
        .order_by("user__email")
    )


def is_entitled(*, user, platform: str, at: datetime | None = None) -> bool:
    at = at or clock.now()
    return Subscription.objects.filter(entitled_subscriptions_q(platform=platform, at=at), user=user).exists()


# What the member sees
_NEXT_STEPS = {
    Platform.TELEGRAM: {
        State.NOT_LINKED: "Liez votre compte Telegram depuis votre espace membre pour recevoir votre invitation.",
        State.LINK_PENDING: "Ouvrez le lien du bot Telegram et appuyez sur « Démarrer » pour terminer la liaison.",
        State.INVITED: "Rejoignez le canal avec votre lien personnel (utilisable une seule fois).",
        State.MEMBER: "Vous avez accès au canal Telegram.",
        State.LEFT: "Vous avez quitté le canal : demandez un nouveau lien depuis votre espace membre.",
        State.REMOVED: "Votre accès a pris fin avec votre abonnement : renouvelez-le pour revenir.",
        State.ACTION_REQUIRED: "Un problème empêche votre accès : écrivez /start au bot ou contactez le support.",
    },
    Platform.DISCORD: {
        State.NOT_LINKED: "Liez votre compte Discord depuis votre espace membre pour rejoindre le serveur.",
        State.LINK_PENDING: "Terminez l'autorisation sur Discord pour lier votre compte.",
        State.INVITED: "Vous allez être ajouté au serveur Discord.",
        State.MEMBER: "Vous avez accès au serveur Discord.",
        State.LEFT: "Vous avez quitté le serveur : reliez votre compte Discord pour revenir.",
        State.REMOVED: "Votre accès a pris fin avec votre abonnement : renouvelez-le pour revenir.",
        State.ACTION_REQUIRED: "Reconnectez votre compte Discord depuis votre espace membre.",
    },
}
# "Action required" for a refusal only a person can lift says which, and who acts (else the platform's default).
_REFUSAL_STEPS = {
    Platform.DISCORD: {
        Reason.BANNED: "Votre compte Discord est banni du serveur : contactez le support pour lever le bannissement.",
        Reason.ROLE_ABOVE_BOT: (
            "Votre rôle sur le serveur Discord empêche le bot de gérer votre accès : le support s'en occupe, "
            "contactez-le si besoin."
        ),
        Reason.UNKNOWN_ACCOUNT: (
            "Discord ne trouve plus votre compte : liez votre compte Discord actuel depuis votre espace membre."
        ),
    },
    Platform.TELEGRAM: {},
}
_LINKED_ENTITLED = "Votre compte est lié : votre accès sera ouvert sous quelques minutes."
_LINKED_NOT_ENTITLED = "Votre compte est lié. Choisissez une formule incluant cet accès pour rejoindre."


def _status(platform: str, membership: ChannelMembership | None, entitled: bool) -> dict:
    state = State(membership.state) if membership else State.NOT_LINKED
    refusals = _REFUSAL_STEPS[Platform(platform)]
    reason = membership.action_reason if membership else ""
    if state == State.LINKED:
        step = _LINKED_ENTITLED if entitled else _LINKED_NOT_ENTITLED
    elif state == State.ACTION_REQUIRED and reason in refusals:
        step = refusals[Reason(reason)]
    else:
        step = _NEXT_STEPS[Platform(platform)][state]
    return {
        "state": state,
        "state_label": str(State(state).label),
        "invite_link": membership.invite_link if membership and state == State.INVITED else None,
        "next_step": _(step),
    }


def _entitled_pairs(user_ids: list[int], at: datetime) -> set[tuple[int, str]]:
    """(user id, platform) pairs with access now, in one query (the rule differs only by the plan's flag)."""
    either = entitled_subscriptions_q(platform=Platform.TELEGRAM, at=at) | entitled_subscriptions_q(
        platform=Platform.DISCORD, at=at
    )
    pairs: set[tuple[int, str]] = set()
    rows = Subscription.objects.filter(either, user_id__in=user_ids).values_list(
        "user_id", "plan__grants_telegram", "plan__grants_discord"
    )
    for user_id, telegram, discord in rows:
        if telegram:
            pairs.add((user_id, Platform.TELEGRAM))
        if discord:
            pairs.add((user_id, Platform.DISCORD))
    return pairs


def channel_statuses_for(users) -> dict[int, dict]:
    """Batched `channel_status_for` (users or user ids), whatever the number of users: one query, and a second
    only while one of them has a linked account waiting for access.

    Entitlement changes only what a linked account shows (without a membership row, or in any other state, the
    step does not depend on it), so the subscriptions are read only for the members in that state."""
    user_ids = [user if isinstance(user, int) else user.pk for user in users]
    by_pair = {(m.user_id, m.platform): m for m in ChannelMembership.objects.filter(user_id__in=user_ids)}
    waiting = sorted({uid for (uid, _platform), m in by_pair.items() if m.state == State.LINKED})
    entitled = _entitled_pairs(waiting, clock.now()) if waiting else set()
    return {
        uid: {
            platform: _status(platform, by_pair.get((uid, platform)), (uid, platform) in entitled)
            for platform in Platform.values
        }
        for uid in user_ids
    }


def channel_status_for(user) -> dict:
    """Per platform: `{state, state_label, invite_link, next_step}` for the member's own screens."""
    return channel_statuses_for([user])[user.pk]


def actions_for(*, user, limit: int = 50) -> QuerySet[ChannelAction]:
    return ChannelAction.objects.filter(user=user)[:limit]


# What the admin reads after confirming a payment
@dataclass(frozen=True)
class AccessOutcome:
    """Where a member's access on one platform stands, in the admin's words. `settled` is False while the sync
    still has something to do that it has not tried yet (the admin's confirmation waits a little for those)."""

    message: str
    settled: bool = True


def _access_outcome(
    platform: str, *, entitled: bool, linked: bool, membership: ChannelMembership | None
) -> AccessOutcome:
    name = str(Platform(platform).label)
    if not platform_configured(platform):
        return AccessOutcome(_("%(platform)s : plateforme non configurée") % {"platform": name})
    if not entitled:
        return AccessOutcome(_("%(platform)s : non inclus dans la formule") % {"platform": name})
    if not linked:
        if platform == Platform.TELEGRAM:
            return AccessOutcome(
                _("le membre n'a pas encore lié son compte Telegram : l'invitation partira dès la liaison")
            )
        return AccessOutcome(_("le membre n'a pas encore lié son compte Discord : l'ajout se fera dès la liaison"))
    state = membership.state if membership else ""
    if membership is not None and membership.has_access and not membership.stale_remote_id:
        if state == State.INVITED:
            return AccessOutcome(_("invitation Telegram envoyée"))
        if state == State.MEMBER:
            if platform == Platform.TELEGRAM:
                return AccessOutcome(_("déjà dans le canal Telegram"))
            return AccessOutcome(_("ajouté au serveur Discord"))
    if membership is not None and state == State.ACTION_REQUIRED:
        reason = Reason(membership.action_reason).label if membership.action_reason else _("voir l'accès au canal")
        return AccessOutcome(_("%(platform)s : action requise (%(reason)s)") % {"platform": name, "reason": reason})
    if membership is not None and membership.attempts:
        # Failed and backing off: the next sync tries again; waiting here would not change it.
        return AccessOutcome(
            _("%(platform)s : échec, sera retenté par la prochaine synchronisation") % {"platform": name}
        )
    return AccessOutcome(
        _("%(platform)s : sera fait par la prochaine synchronisation") % {"platform": name}, settled=False
    )


def access_outcomes_for_users(user_ids: list[int]) -> dict[int, dict[str, AccessOutcome]]:
    """Batched `access_outcomes_for`: three queries whatever the number of members."""
    entitled = _entitled_pairs(user_ids, clock.now())
    linked = set(AccountLink.objects.filter(user_id__in=user_ids).values_list("user_id", "platform"))
    memberships = {(m.user_id, m.platform): m for m in ChannelMembership.objects.filter(user_id__in=user_ids)}
    return {
        user_id: {
            platform: _access_outcome(
                platform,
                entitled=(user_id, platform) in entitled,
                linked=(user_id, platform) in linked,
                membership=memberships.get((user_id, platform)),
            )
            for platform in Platform.values
        }
        for user_id in user_ids
    }


def access_outcomes_for(*, user_id: int) -> dict[str, AccessOutcome]:
    """Per platform, what the member's access came to (read from their ChannelMembership rows): "invitation Telegram
    envoyée", "ajouté au serveur Discord", not linked yet, platform not configured, not in the plan, action required,
    or still to be done by the next sync (the only outcome not `settled`)."""
    return access_outcomes_for_users([user_id])[user_id]
