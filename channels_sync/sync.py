"""The sync run: brings each platform in line with entitlement, and the admin's "now" actions on one member.

Remote calls never happen inside an open transaction: rows are claimed (lease) in a short transaction,
the call is made, and the outcome is recorded in another. A run acts on a row only while it holds it: the lease
is renewed by a compare-and-set before each remote call (and the outcome recorded the same way), so a run
slower than its lease leaves the rows another run took over to that run.
"""

import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from channels_sync import crypto, selectors
from channels_sync.clients import (
    DiscordClient,
    MemberActionFailed,
    OAuthError,
    PlatformUnavailable,
    TelegramClient,
    discord_refresh,
    platform_configured,
)
from channels_sync.models import AccountLink, ChannelAction, ChannelMembership, Platform, SyncKind
from channels_sync.records import JOINED_STATUSES, action_entry, membership_update
from core import clock

logger = logging.getLogger("calmnessfi.channels")

State = ChannelMembership.State
Reason = ChannelMembership.Reason
Action = ChannelAction.Action
Outcome = ChannelAction.Outcome

# Renewed before each remote call, which ends within clients.CALL_TIMEOUT_SECONDS (2 minutes, plus as much
# for logging in): a call never outlives the lease.
LEASE = timedelta(minutes=10)
BACKOFF_CAP_MINUTES = 24 * 60


@dataclass
class PlatformReport:
    platform: str
    disabled: bool = False
    error: str = ""
    counts: Counter = field(default_factory=Counter)
    planned: list[str] = field(default_factory=list)
    outlived: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        keys = ("invited", "added", "removed", "failed", "skipped", "lost")
        result: dict[str, object] = {key: self.counts.get(key, 0) for key in keys}
        result.update(disabled=self.disabled, error=self.error, outlived=len(self.outlived))
        return result


@dataclass
class Done:
    """What a successful action changes on the membership, and the log lines to write."""

    changes: dict
    actions: list[ChannelAction]
    count: str
    added: bool | None = None


class LeaseLost(Exception):
    """This run no longer holds the row (its lease expired, another run may have claimed it): hands off."""


def _claim(*, platform: str, kind: SyncKind, ids: list[int], owner: str, at: datetime) -> list[ChannelMembership]:
    """Locks the batch's rows that still need `kind` and leases them to this run (skip rows another host holds).

    `at` is the time of the claim (not of the run's start): the lease runs from now."""
    with transaction.atomic():
        rows = selectors.memberships_with_flags(platform=platform, at=at).filter(
            selectors.work_filter(kind, at=at), pk__in=ids
        )
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        # In id order: the batch is acted on in the order it was listed, and every run locks rows in one order.
        claimed: list[ChannelMembership] = list(rows.select_related("user").order_by("pk"))
        ChannelMembership.objects.filter(pk__in=[m.pk for m in claimed]).update(
            lease_until=at + LEASE, lease_owner=owner
        )
    return claimed


def _release(memberships: list[ChannelMembership], owner: str) -> None:
    ChannelMembership.objects.filter(pk__in=[m.pk for m in memberships], lease_owner=owner).update(
        lease_until=None, lease_owner=""
    )


def _hold(membership: ChannelMembership, owner: str) -> None:
    """Renews this run's lease on the row before a remote call: one compare-and-set UPDATE, which succeeds only
    while the lease is this run's and has not expired. Raises LeaseLost otherwise."""
    now = clock.now()
    held = ChannelMembership.objects.filter(pk=membership.pk, lease_owner=owner, lease_until__gt=now).update(
        lease_until=now + LEASE
    )
    if not held:
        raise LeaseLost(membership.pk)


def _record_lost(membership: ChannelMembership, actions: list[ChannelAction]) -> None:
    """The row went to another run: the calls already made are logged, the row is left to its holder."""
    ChannelAction.objects.bulk_create(actions)
    logger.warning(
        "channel membership taken over by another run",
        extra={"platform": membership.platform, "user_id": membership.user_id, "calls_made": len(actions)},
    )


@transaction.atomic
def _record(
    membership: ChannelMembership, changes: dict, actions: list, owner: str, at: datetime, added: bool | None = None
) -> bool:
    """Records an outcome and releases the row if this run still holds it (False, and only the calls logged,
    otherwise)."""
    held = membership_update(
        membership=membership,
        changes={**changes, "lease_until": None, "lease_owner": ""},
        at=at,
        added=added,
        lease_owner=owner,
    )
    if not held:
        _record_lost(membership, actions)
        return False
    ChannelAction.objects.bulk_create(actions)
    return True


def _record_success(membership: ChannelMembership, outcome: Done, at: datetime, owner: str) -> bool:
    """Clears the backoff and writes what the action changed (see _record)."""
    changes = {"attempts": 0, "next_attempt_at": None, "last_error": "", "action_reason": "", **outcome.changes}
    return _record(membership, changes, outcome.actions, owner, at, added=outcome.added)


def _record_failure(
    membership: ChannelMembership, exc: MemberActionFailed, actions: list, at: datetime, owner: str
) -> bool:
    """Backs the member off (exponentially; 24 h and "action required" at once for a refusal only a person can
    lift), see _record."""
    attempts = membership.attempts + 1
    delay = BACKOFF_CAP_MINUTES if exc.refusal else min(2**attempts, BACKOFF_CAP_MINUTES)
    changes = {"attempts": attempts, "next_attempt_at": at + timedelta(minutes=delay), "last_error": str(exc)[:2000]}
    if exc.refusal or attempts >= settings.CHANNEL_MAX_ATTEMPTS:
        changes["state"] = State.ACTION_REQUIRED
        changes["action_reason"] = exc.refusal or Reason.REPEATED_FAILURES
    return _record(membership, changes, actions, owner, at)


class _Runner:
    """The platform-specific actions for the rows `owner` (a run) holds. Each returns a Done or raises
    MemberActionFailed; LeaseLost when the run no longer holds the row before a remote call."""

    client: TelegramClient | DiscordClient

    def __init__(self, platform: str, at: datetime, owner: str):
        self.platform = platform
        self.at = at
        self.owner = owner
        self.links: dict[int, AccountLink] = {}

    def load_links(self, memberships: list[ChannelMembership]) -> None:
        self.links = {
            link.user_id: link
            for link in AccountLink.objects.filter(platform=self.platform, user_id__in=[m.user_id for m in memberships])
        }

    def log(self, membership, action, outcome, remote_id, response=None, error=""):
        return action_entry(
            user=membership.user,
            platform=self.platform,
            action=action,
            outcome=outcome,
            remote_id=remote_id,
            response=response or {},
            error=error,
        )

    def run(self, kind: SyncKind, membership: ChannelMembership, actions: list) -> Done:
        raise NotImplementedError

    def attempt(self, actions: list, membership, action: str, remote_id: str, call: Callable[[], dict]) -> dict:
        """Runs one remote call, if this run still holds the row, and logs it (success or failure) in `actions`."""
        _hold(membership, self.owner)
        try:
            response = call()
        except MemberActionFailed as exc:
            actions.append(self.log(membership, action, Outcome.FAILED, remote_id, exc.response, str(exc)))
            raise
        except PlatformUnavailable as exc:
            actions.append(self.log(membership, action, Outcome.FAILED, remote_id, {}, str(exc)))
            raise
        actions.append(self.log(membership, action, Outcome.OK, remote_id, response))
        return response


class TelegramRunner(_Runner):
    client: TelegramClient

    def __init__(self, at: datetime, owner: str):
        super().__init__(Platform.TELEGRAM, at, owner)
        self.client = TelegramClient()

    def invite(self, membership, actions) -> dict:
        remote_id = self.links[membership.user_id].remote_id
        expires_at = self.at + timedelta(hours=settings.TELEGRAM_INVITE_HOURS)
        invite = self.attempt(
            actions,
            membership,
            Action.INVITE,
            remote_id,
            lambda: self.client.create_invite(name=f"membre-{membership.user_id}", expires_at=expires_at),
        )
        link = invite["invite_link"]
        text = _(
            "Bonjour ! Votre abonnement CalmnessFi vous ouvre le canal. Voici votre lien personnel, "
            "valable %(hours)s h et utilisable une seule fois : %(link)s"
        ) % {"hours": settings.TELEGRAM_INVITE_HOURS, "link": link}
        # The link also shows in the member's dashboard: a failed message does not undo the invite.
        with contextlib.suppress(MemberActionFailed):
            self.attempt(
                actions,
                membership,
                Action.MESSAGE,
                remote_id,
                lambda: self.client.send_message(user_id=remote_id, text=text),
            )
        return {"state": State.INVITED, "has_access": True, "invite_link": link, "invite_expires_at": expires_at}

    def revoke_link(self, membership, actions) -> None:
        if not membership.invite_link:
            return
        with contextlib.suppress(MemberActionFailed):  # an expired or used link cannot be used anyway
            self.attempt(
                actions,
                membership,
                Action.REVOKE,
                "",
                lambda: self.client.revoke_invite(invite_link=membership.invite_link),
            )

    def remove(self, membership, remote_id: str, actions) -> None:
        self.revoke_link(membership, actions)
        self.attempt(
            actions, membership, Action.REMOVE, remote_id, lambda: self.client.remove_member(user_id=remote_id)
        )

    def run(self, kind: SyncKind, membership: ChannelMembership, actions: list) -> Done:
        link = self.links.get(membership.user_id)
        if kind == SyncKind.GRANT:
            return Done(self.invite(membership, actions), actions, "invited")
        if kind == SyncKind.REMOVE:
            self.remove(membership, link.remote_id if link else "", actions)
            changes = {"state": State.REMOVED, "has_access": False, "invite_link": "", "invite_expires_at": None}
            return Done(changes, actions, "removed", added=False)
        if kind == SyncKind.REVOKE_STALE:
            self.remove(membership, membership.stale_remote_id, actions)
            changes = {
                "stale_remote_id": "",
                "has_access": False,
                "invite_link": "",
                "state": _state_after_revoke(link),
            }
            return Done(changes, actions, "removed", added=False)
        if kind == SyncKind.RENEW_INVITE:
            remote_id = self.links[membership.user_id].remote_id
            status = self.attempt(
                actions,
                membership,
                Action.CHECK,
                remote_id,
                lambda: {"status": self.client.member_status(user_id=remote_id)},
            )["status"]
            if status in JOINED_STATUSES:
                return Done({"state": State.MEMBER, "invite_link": ""}, actions, "checked", added=True)
            self.revoke_link(membership, actions)
            return Done(self.invite(membership, actions), actions, "invited")
        raise ValueError(kind)


class DiscordRunner(_Runner):
    client: DiscordClient

    def __init__(self, at: datetime, owner: str):
        super().__init__(Platform.DISCORD, at, owner)
        self.client = DiscordClient()

    def access_token(self, membership, link: AccountLink, actions) -> str:
        """A valid access token, refreshed when close to expiry. The new refresh token is saved at once."""
        if link.token_expires_at and link.token_expires_at > self.at + timedelta(minutes=5):
            return crypto.decrypt(link.access_token_encrypted)
        _hold(membership, self.owner)  # the refresh is a remote call too (its refresh token is single-use)
        try:
            tokens = discord_refresh(refresh_token=crypto.decrypt(link.refresh_token_encrypted), now=self.at)
        except OAuthError as exc:
            actions.append(self.log(membership, Action.REFRESH, Outcome.FAILED, link.remote_id, {}, str(exc)))
            raise MemberActionFailed(
                _("Le jeton Discord a expiré : le membre doit reconnecter son compte."), refusal=Reason.TOKEN
            ) from exc
        link.access_token_encrypted = crypto.encrypt(tokens.access_token)
        link.refresh_token_encrypted = crypto.encrypt(tokens.refresh_token)
        link.token_expires_at = tokens.expires_at
        link.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "token_expires_at", "updated_at"])
        actions.append(
            self.log(membership, Action.REFRESH, Outcome.OK, link.remote_id, {"expires_at": str(tokens.expires_at)})
        )
        return tokens.access_token

    def run(self, kind: SyncKind, membership: ChannelMembership, actions: list) -> Done:
        link = self.links.get(membership.user_id)
        if kind == SyncKind.GRANT:
            account = self.links[membership.user_id]  # only linked members are granted access
            token = self.access_token(membership, account, actions)
            self.attempt(
                actions,
                membership,
                Action.ADD,
                account.remote_id,
                lambda: self.client.add_member(user_id=account.remote_id, access_token=token),
            )
            return Done({"state": State.MEMBER, "has_access": True}, actions, "added", added=True)
        remote_id = membership.stale_remote_id if kind == SyncKind.REVOKE_STALE else (link.remote_id if link else "")
        self.attempt(
            actions, membership, Action.REMOVE, remote_id, lambda: self.client.remove_member(user_id=remote_id)
        )
        if kind == SyncKind.REVOKE_STALE:
            changes = {"stale_remote_id": "", "has_access": False, "state": _state_after_revoke(link)}
            return Done(changes, actions, "removed")
        return Done({"state": State.REMOVED, "has_access": False}, actions, "removed", added=False)


def _state_after_revoke(link: AccountLink | None) -> str:
    """The old account is out: the member's current account is invited next, or they have none (links dropped
    when someone proved they own the address, `member_links_drop`)."""
    return State.LINKED if link else State.NOT_LINKED


RUNNERS: dict[str, Callable[[datetime, str], _Runner]] = {
    Platform.TELEGRAM: TelegramRunner,
    Platform.DISCORD: DiscordRunner,
}


def channel_sync(
    *, platform: str, dry_run: bool = False, batch_size: int = 100, user_ids: list[int] | None = None
) -> PlatformReport:
    """Brings one platform in line with entitlement: only differences cause remote calls.

    Rows are claimed with a lease so several hosts can run at once, and acted on only while held (a row whose
    lease this run lost is counted as "lost" and left to the run that took it). One member's failure or refusal
    is logged and retried later with backoff; a bot that cannot act at all (its rights, its token, a wrong
    channel, guild or role id) stops the platform (report.error).
    """
    report = PlatformReport(platform=platform)
    if not platform_configured(platform):
        report.disabled = True
        return report
    at = clock.now()
    work = selectors.sync_work(platform=platform, at=at)
    if user_ids is not None:
        work = {kind: qs.filter(user_id__in=user_ids) for kind, qs in work.items()}
    if user_ids is None:
        report.counts["skipped"] = selectors.entitled_but_waiting_count(platform=platform, at=at)
    if dry_run:
        for kind, memberships in work.items():
            for email in memberships.values_list("user__email", flat=True).order_by("user__email"):
                report.planned.append(f"{kind.label} : {email}")
        report.outlived = [m.user.email for m in selectors.outlived_access(platform=platform, at=at)]
        return report

    owner = str(uuid.uuid4())
    runner = RUNNERS[platform](at, owner)
    with runner.client:
        try:
            for kind, memberships in work.items():
                ids = list(memberships.order_by("pk").values_list("pk", flat=True))
                for start in range(0, len(ids), batch_size):
                    _run_batch(runner, kind, ids[start : start + batch_size], report)
        except PlatformUnavailable as exc:
            report.error = str(exc)
            report.counts["failed"] += 1
            logger.error("channel platform stopped", extra={"platform": platform, "error": str(exc)})
    report.outlived = [m.user.email for m in selectors.outlived_access(platform=platform, at=clock.now())]
    return report


def _run_batch(runner: _Runner, kind: SyncKind, ids: list[int], report: PlatformReport) -> None:
    claimed = _claim(platform=runner.platform, kind=kind, ids=ids, owner=runner.owner, at=clock.now())
    runner.load_links(claimed)
    for index, membership in enumerate(claimed):
        try:
            report.counts[_act(runner, kind, membership)] += 1
        except PlatformUnavailable:
            _release(claimed[index:], runner.owner)
            raise


def _act(runner: _Runner, kind: SyncKind, membership: ChannelMembership) -> str:
    """Does `kind` for one member the run holds and records the outcome. Returns the report's count for it
    ("lost" when the row went to another run). PlatformUnavailable goes up, the calls made logged."""
    actions: list[ChannelAction] = []
    try:
        outcome = runner.run(kind, membership, actions)
    except LeaseLost:
        _record_lost(membership, actions)
        return "lost"
    except MemberActionFailed as exc:
        return "failed" if _record_failure(membership, exc, actions, clock.now(), runner.owner) else "lost"
    except PlatformUnavailable:
        ChannelAction.objects.bulk_create(actions)
        raise
    return outcome.count if _record_success(membership, outcome, runner.at, runner.owner) else "lost"


# One member, now (after linking, admin actions)
def member_sync_after_link(*, user, platform: str) -> None:
    """Right after a member links an account: grant (or revoke a replaced account) now rather than at the
    next cron run. Best effort: whatever fails here, the cron run does it again."""
    try:
        channel_sync(platform=platform, user_ids=[user.pk])
    except Exception:
        logger.exception("sync after link failed", extra={"platform": platform, "user_id": user.pk})


def _busy() -> str:
    return _("Cet accès est en cours de traitement par une autre exécution : réessayez dans quelques minutes.")


def membership_resync_now(*, membership: ChannelMembership) -> PlatformReport:
    """Clears the backoff and syncs this member on this platform right away (unless a run holds the row now:
    that run does it)."""
    ChannelMembership.objects.filter(pk=membership.pk).update(next_attempt_at=None, attempts=0)
    if ChannelMembership.objects.filter(pk=membership.pk, lease_until__gte=clock.now()).exists():
        return PlatformReport(platform=membership.platform, error=_busy())
    return channel_sync(platform=membership.platform, user_ids=[membership.user_id])


def membership_remove_now(*, membership: ChannelMembership) -> PlatformReport:
    """Takes access back now, whatever the subscription says (a still-entitled member is invited again
    at the next run: cancel the subscription to keep someone out). Leases the row like a run, so it never
    acts on a member a running sync holds."""
    at = clock.now()
    report = PlatformReport(platform=membership.platform)
    if not platform_configured(membership.platform):
        report.disabled = True
        return report
    owner = str(uuid.uuid4())
    leased = (
        ChannelMembership.objects.filter(pk=membership.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=at))
        .update(lease_until=at + LEASE, lease_owner=owner)
    )
    if not leased:
        report.error = _busy()
        return report
    membership = ChannelMembership.objects.select_related("user").get(pk=membership.pk)
    runner = RUNNERS[membership.platform](at, owner)
    runner.load_links([membership])
    with runner.client:
        try:
            count = _act(runner, SyncKind.REMOVE, membership)
        except PlatformUnavailable as exc:
            _release([membership], owner)
            report.error = str(exc)
            report.counts["failed"] += 1
            return report
    if count == "lost":
        report.error = _busy()
    else:
        report.counts[count] += 1
    return report
