"""Posting signals to the channels (docs/architecture/publishing.md): the rows the hooks create, and the work the
tasks do. Never twice: one SignalPost per (event, platform), claimed under a row lock, its attempt recorded before
the request; an attempt whose outcome is unknown is not simply repeated (Discord: same nonce, within its window;
Telegram: an admin checks the channel)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from channels_sync.clients import (
    CALL_TIMEOUT_SECONDS,
    DiscordClient,
    PlatformUnavailable,
    PlatformUnreachable,
    PostFailed,
    PostOutcomeUnknown,
    PostRefused,
    TelegramClient,
)
from channels_sync.models import Platform
from core import clock
from core.tasks import task_enqueue
from publishing import messages
from publishing.models import PostingSlot, SignalPost
from publishing.pacing import slot_take
from trading_signals.models import Signal, SignalEvent

logger = logging.getLogger("calmnessfi.publishing")
State = SignalPost.State

# An attempt started less than this ago may still be waiting for its answer (logging in, then the post, each bounded
# by the client): another worker leaves the post alone meanwhile.
IN_FLIGHT = timedelta(seconds=2 * CALL_TIMEOUT_SECONDS + 60)
# Discord dedupes a nonce "in the past few minutes": retries after an unknown outcome stay well within that.
DISCORD_NONCE_WINDOW = timedelta(minutes=2)
DISCORD_UNKNOWN_RETRY = timedelta(seconds=15)


class PostRetryLater(Exception):
    """A passing failure: the task raises it so that the queue tries again (core.tasks.retry_delay)."""


@dataclass(frozen=True)
class Target:
    chat_id: str
    off_reason: str  # "" when the platform publishes


def publishing_target(platform: str) -> Target:
    """Where signals go on this platform, or why they do not (a platform that is off is skipped, said in the admin)."""
    if platform == Platform.TELEGRAM:
        chat_id = settings.TELEGRAM_SIGNALS_CHAT_ID or settings.TELEGRAM_CHANNEL_ID
        if not settings.TELEGRAM_BOT_TOKEN:
            return Target(chat_id, _("Telegram n'est pas configuré (TELEGRAM_BOT_TOKEN vide)."))
        if not chat_id:
            return Target(
                "", _("Aucun canal Telegram pour les signaux (TELEGRAM_SIGNALS_CHAT_ID et TELEGRAM_CHANNEL_ID vides).")
            )
        return Target(chat_id, "")
    chat_id = settings.DISCORD_SIGNALS_CHANNEL_ID
    if not settings.DISCORD_BOT_TOKEN:
        return Target(chat_id, _("Discord n'est pas configuré (DISCORD_BOT_TOKEN vide)."))
    if not chat_id:
        return Target("", _("Aucun salon Discord pour les signaux (DISCORD_SIGNALS_CHANNEL_ID vide)."))
    return Target(chat_id, "")


def original_post(*, signal_id: int, platform: str) -> SignalPost | None:
    return (
        SignalPost.objects.filter(signal_id=signal_id, platform=platform, event__kind=SignalEvent.Kind.PUBLISHED)
        .order_by("id")
        .first()
    )


def discord_nonce(post: SignalPost) -> str:
    """The same on every attempt of one post (Discord allows 25 characters)."""
    return f"signal-post-{post.pk}"


# --- what the hooks ask for (inside the signal's transaction) ---


def event_posts_create(*, event: SignalEvent) -> list[SignalPost]:
    """One post per platform for this event, with its task: the original message for PUBLISHED, a reply to it for
    the other kinds (which also edit the original). A platform that is off gets a SKIPPED row with the reason."""
    from publishing.tasks import post_edit, post_send

    posts = []
    for platform in Platform.values:
        target = publishing_target(platform)
        reason, chat_id, original = target.off_reason, target.chat_id, None
        if event.kind != SignalEvent.Kind.PUBLISHED:
            original = original_post(signal_id=event.signal_id, platform=platform)
            if original is None or original.state == State.SKIPPED:
                reason = reason or _("Le signal n'a pas été publié sur cette plateforme : pas de réponse.")
            else:
                chat_id = original.chat_id  # the reply goes where the original is
        post, created = SignalPost.objects.get_or_create(
            event=event,
            platform=platform,
            defaults={
                "signal_id": event.signal_id,
                "chat_id": chat_id,
                "state": State.SKIPPED if reason else State.PENDING,
                "last_error": reason,
            },
        )
        posts.append(post)
        if not created:
            continue
        if post.state == State.PENDING:
            task_enqueue(post_send, post_id=post.pk)
        if original is not None and original.state != State.SKIPPED and not target.off_reason:
            task_enqueue(post_edit, post_id=original.pk)
    return posts


def signal_posts_refresh(*, signal: Signal) -> None:
    """A correction: the original messages are edited to the signal's new version (no reply)."""
    from publishing.tasks import post_edit

    originals = SignalPost.objects.filter(signal=signal, event__kind=SignalEvent.Kind.PUBLISHED).exclude(
        state=State.SKIPPED
    )
    for post in originals:
        task_enqueue(post_edit, post_id=post.pk)


# --- the work of the tasks (outside any transaction: the requests happen between short locked transactions) ---


def _defer(task, *, post_id: int, at: datetime) -> None:
    """Run `task` again at `at`, in the current transaction (a pacing slot, a quick Discord retry). A backend that
    cannot defer (the immediate one of the test settings) leaves the post waiting for the admin's retry."""
    if task.get_backend().supports_defer:
        task_enqueue(task.using(run_after=at), post_id=post_id)
    else:
        logger.warning("signal post not deferred", extra={"post": post_id, "at": at.isoformat()})


def _client(platform: str, chat_id: str):
    return TelegramClient(chat_id=chat_id) if platform == Platform.TELEGRAM else DiscordClient()


def _post(post: SignalPost, text: str, reply_to: str) -> str:
    with _client(post.platform, post.chat_id) as client:
        if post.platform == Platform.TELEGRAM:
            return client.post_message(text=text, reply_to_message_id=reply_to)
        return client.post_message(
            channel_id=post.chat_id, text=text, nonce=discord_nonce(post), reply_to_message_id=reply_to
        )


def _edit(post: SignalPost, text: str) -> None:
    with _client(post.platform, post.chat_id) as client:
        if post.platform == Platform.TELEGRAM:
            client.edit_message(message_id=post.message_id, text=text)
        else:
            client.edit_message(channel_id=post.chat_id, message_id=post.message_id, text=text)


def _text(post: SignalPost, signal: Signal) -> str:
    if post.event.kind == SignalEvent.Kind.PUBLISHED:
        return messages.signal_text(signal, platform=post.platform)
    return messages.event_reply_text(post.event)


def _unknown_outcome(post: SignalPost, *, since: datetime, now: datetime, error: str) -> datetime | None:
    """An attempt got no answer: Telegram has no way to tell whether it posted, so an admin checks (UNCERTAIN);
    Discord is asked again with the same nonce (returns when) while its dedupe window lasts. Saves the post."""
    post.call_started_at = None
    if post.platform == Platform.DISCORD:
        post.unconfirmed_since = post.unconfirmed_since or since
        if now - post.unconfirmed_since < DISCORD_NONCE_WINDOW:
            post.last_error = _("Discord n'a pas répondu (%(error)s) : nouvel essai, même nonce.") % {"error": error}
            post.save()
            return now + DISCORD_UNKNOWN_RETRY
    post.state = State.UNCERTAIN
    post.last_error = _(
        "Pas de réponse de %(platform)s (%(error)s) : le message a peut-être été publié. Vérifiez le canal, puis "
        "« Marquer comme publié » avec l'identifiant du message, ou « Republier »."
    ) % {"platform": post.get_platform_display(), "error": error}
    post.save()
    logger.warning("signal post outcome unknown", extra={"post": post.pk, "platform": post.platform})
    return None


@dataclass(frozen=True)
class _Attempt:
    post: SignalPost
    text: str
    version: int  # the signal's version the text shows
    reply_to: str  # the original's message id, for a reply


@transaction.atomic
def _send_claim(*, post_id: int, last_attempt: bool, pace: bool) -> _Attempt | PostRetryLater | str:
    """The attempt to make, recorded (and committed by the caller's return) before the request; or why not: what
    happened instead (a string), or the PostRetryLater to raise once this transaction has recorded it."""
    from publishing.tasks import post_send

    post = SignalPost.objects.select_for_update().select_related("event").get(pk=post_id)
    if post.state != State.PENDING:
        return f"nothing to do ({post.state})"
    now = clock.now()
    if post.call_started_at is not None:
        if now - post.call_started_at < IN_FLIGHT:
            return "in flight in another worker"
        # The worker of that attempt died during the request.
        if _unknown_outcome(post, since=post.call_started_at, now=now, error=_("tentative interrompue")) is None:
            return "outcome unknown"
    if (
        post.platform == Platform.DISCORD
        and post.unconfirmed_since
        and now - post.unconfirmed_since >= DISCORD_NONCE_WINDOW
    ):
        _unknown_outcome(post, since=post.unconfirmed_since, now=now, error=post.last_error)
        return "outcome unknown"
    reply_to = ""
    if post.event.kind != SignalEvent.Kind.PUBLISHED:
        original = original_post(signal_id=post.signal_id, platform=post.platform)
        if original is None or original.state == State.SKIPPED:
            post.state, post.last_error = State.SKIPPED, _("Le message d'origine n'est pas dans le canal.")
            post.save()
            return "skipped: no original"
        if original.state != State.SENT:
            error = _("Le message d'origine n'est pas encore publié (%(state)s).") % {
                "state": original.get_state_display()
            }
            _failed_attempt(post, error, last_attempt=last_attempt)
            return PostRetryLater(error)
        reply_to = original.message_id
    if pace and (slot_at := slot_take(platform=post.platform, chat_id=post.chat_id)):
        _defer(post_send, post_id=post.pk, at=slot_at)
        return f"waiting for the chat's slot at {slot_at:%H:%M:%S}"
    signal = Signal.objects.get(pk=post.signal_id)
    post.attempts += 1
    post.call_started_at = now
    post.save(update_fields=["attempts", "call_started_at", "updated_at"])
    return _Attempt(post=post, text=_text(post, signal), version=signal.version, reply_to=reply_to)


def signal_post_send(*, post_id: int, last_attempt: bool, pace: bool) -> str:
    """Posts one message, at most once. Returns what happened; raises PostRetryLater for the queue's retry.

    1. Claim, under the row's lock: nothing to do unless PENDING; an attempt of another worker still in flight is
       left alone; one that died mid-request has an unknown outcome. A reply waits for its original. The chat's
       pacing slot is taken (or the task comes back at its time). The attempt is recorded, and committed, before
       the request.
    2. The request, outside any transaction.
    3. Its outcome recorded under the lock."""
    from publishing.tasks import post_edit, post_send

    attempt = _send_claim(post_id=post_id, last_attempt=last_attempt, pace=pace)
    if isinstance(attempt, PostRetryLater):
        raise attempt
    if isinstance(attempt, str):
        return attempt
    post, version = attempt.post, attempt.version

    error, retry_after, unknown = "", None, False
    message_id = ""
    try:
        message_id = _post(post, attempt.text, attempt.reply_to)
    except PostOutcomeUnknown as exc:
        error, unknown = str(exc), True
    except (PostFailed, PlatformUnreachable) as exc:
        error, retry_after = str(exc), getattr(exc, "retry_after", None)
    except (PlatformUnavailable, PostRefused) as exc:
        with transaction.atomic():
            post = SignalPost.objects.select_for_update().get(pk=post_id)
            post.call_started_at, post.state, post.last_error = None, State.FAILED, str(exc)
            post.save()
        logger.error("signal post refused", extra={"post": post_id, "platform": post.platform, "error": str(exc)})
        return "refused"

    with transaction.atomic():
        post = SignalPost.objects.select_for_update().select_related("event").get(pk=post_id)
        now = clock.now()
        if message_id:
            post.state, post.message_id, post.sent_at, post.last_error = State.SENT, message_id, now, ""
            post.call_started_at = post.unconfirmed_since = None
            if post.event.kind == SignalEvent.Kind.PUBLISHED:
                post.rendered_version = version
                # A change made while the post was on its way: the message catches up.
                if Signal.objects.filter(pk=post.signal_id, version__gt=version).exists():
                    task_enqueue(post_edit, post_id=post.pk)
            post.save()
            return f"sent {message_id}"
        if unknown:
            retry_at = _unknown_outcome(post, since=post.call_started_at or now, now=now, error=error)
            if retry_at is not None:
                _defer(post_send, post_id=post.pk, at=retry_at)
            return "outcome unknown"
        post.call_started_at = None
        _failed_attempt(post, error, last_attempt=last_attempt)
        if retry_after:
            _slot_push(post, until=now + timedelta(seconds=retry_after))
    raise PostRetryLater(error)


def _failed_attempt(post: SignalPost, error: str, *, last_attempt: bool) -> None:
    """A passing failure: recorded; the queue tries again, unless this was its last attempt (FAILED, for the admin's
    « Réessayer maintenant »)."""
    post.last_error = error
    if last_attempt:
        post.state = State.FAILED
    post.save()


def _slot_push(post: SignalPost, *, until: datetime) -> None:
    """A 429: nothing goes to that chat before `until`, from any worker."""
    PostingSlot.objects.get_or_create(platform=post.platform, chat_id=post.chat_id)
    PostingSlot.objects.filter(platform=post.platform, chat_id=post.chat_id, next_at__lt=until).update(next_at=until)


def signal_post_edit(*, post_id: int, pace: bool) -> str:
    """Brings an original message up to its signal's current version. Idempotent: an edit to the same text is a
    success, and a message already at the version is left alone. Raises PostRetryLater for a passing failure."""
    from publishing.tasks import post_edit

    with transaction.atomic():
        post = SignalPost.objects.select_for_update().select_related("event").get(pk=post_id)
        if post.state != State.SENT:
            # Not in the channel (yet): the post, when it happens, renders the signal as it is then.
            return f"nothing to edit ({post.state})"
        signal = Signal.objects.get(pk=post.signal_id)
        if post.rendered_version >= signal.version:
            return "up to date"
        if off_reason := publishing_target(post.platform).off_reason:
            post.last_error = _("Modification impossible : %(reason)s") % {"reason": off_reason}
            post.save()
            return "platform off"
        if pace and (slot_at := slot_take(platform=post.platform, chat_id=post.chat_id)):
            _defer(post_edit, post_id=post.pk, at=slot_at)
            return f"waiting for the chat's slot at {slot_at:%H:%M:%S}"
        text, version = _text(post, signal), signal.version

    try:
        _edit(post, text)
    except (PostFailed, PlatformUnreachable, PostOutcomeUnknown) as exc:
        _edit_error(post_id, _("Modification en attente : %(error)s") % {"error": exc})
        raise PostRetryLater(str(exc)) from exc
    except (PlatformUnavailable, PostRefused) as exc:
        _edit_error(post_id, _("Modification impossible : %(error)s") % {"error": exc})
        return "edit refused"

    with transaction.atomic():
        post = SignalPost.objects.select_for_update().get(pk=post_id)
        post.rendered_version = max(post.rendered_version, version)
        post.last_error = ""
        post.save(update_fields=["rendered_version", "last_error", "updated_at"])
    return f"edited to version {version}"


def _edit_error(post_id: int, error: str) -> None:
    SignalPost.objects.filter(pk=post_id).update(last_error=error, updated_at=clock.now())


# --- the admin's actions ---


@transaction.atomic
def signal_post_retry(*, post: SignalPost) -> bool:
    """« Réessayer maintenant »: a failed or waiting post is tried again now; a published original with an edit
    error is edited again. False when there is nothing to retry (published, to check, or not published)."""
    from publishing.tasks import post_edit, post_send

    post = SignalPost.objects.select_for_update().get(pk=post.pk)
    if post.state in (State.FAILED, State.PENDING):
        post.state = State.PENDING
        post.save(update_fields=["state", "updated_at"])
        task_enqueue(post_send, post_id=post.pk)
        return True
    if post.state == State.SENT and post.last_error:
        task_enqueue(post_edit, post_id=post.pk)
        return True
    return False


@transaction.atomic
def signal_post_mark_sent(*, post: SignalPost, message_id: str) -> bool:
    """« Marquer comme publié »: the admin found the message of a post left to check in the channel; its id is
    recorded, the original is edited to the signal's current text (an identical text changes nothing), and its
    replies that gave up waiting for it are tried again."""
    from publishing.tasks import post_edit, post_send

    post = SignalPost.objects.select_for_update().select_related("event").get(pk=post.pk)
    if post.state != State.UNCERTAIN or not message_id.strip():
        return False
    post.state, post.message_id, post.sent_at = State.SENT, message_id.strip(), clock.now()
    post.call_started_at = post.unconfirmed_since = None
    post.last_error, post.rendered_version = "", 0
    post.save()
    if post.event.kind == SignalEvent.Kind.PUBLISHED:
        task_enqueue(post_edit, post_id=post.pk)
        replies = (
            SignalPost.objects.select_for_update()
            .filter(signal_id=post.signal_id, platform=post.platform, state=State.FAILED)
            .exclude(event__kind=SignalEvent.Kind.PUBLISHED)
        )
        for reply in replies:
            reply.state = State.PENDING
            reply.save(update_fields=["state", "updated_at"])
            task_enqueue(post_send, post_id=reply.pk)
    return True


@transaction.atomic
def signal_post_republish(*, post: SignalPost) -> bool:
    """« Republier »: the admin checked that the message of a post left to check is not in the channel; it is
    posted again."""
    from publishing.tasks import post_send

    post = SignalPost.objects.select_for_update().get(pk=post.pk)
    if post.state != State.UNCERTAIN:
        return False
    post.state, post.last_error = State.PENDING, ""
    post.call_started_at = post.unconfirmed_since = None
    post.save()
    task_enqueue(post_send, post_id=post.pk)
    return True


# --- the cron's catch-up (manage.py signal_posts_retry) ---


@dataclass(frozen=True)
class CatchUp:
    posts: int  # failed posts queued again
    edits: int  # originals whose edit is queued again

    def summary(self) -> dict:
        return {"posts": self.posts, "edits": self.edits}


def signal_posts_catch_up(*, since: datetime, dry_run: bool = False) -> CatchUp:
    """What an outage longer than the queue's retries left behind, for posts created since `since`: failed posts go
    back to the queue, and originals a failed edit left behind their signal are edited again. Safe to repeat and on
    several hosts: each post changes under its row lock (signal_post_retry), and an edit brings a message to the
    signal's version once (identical text is a success). Posts left to check (« À vérifier ») stay with the admin."""
    from django.db.models import Exists, F, OuterRef, Q

    original_sent = SignalPost.objects.filter(
        signal=OuterRef("signal"),
        platform=OuterRef("platform"),
        event__kind=SignalEvent.Kind.PUBLISHED,
        state=State.SENT,
    )
    # A reply waits for its original: while that one is not in the channel, queuing the reply again only fails it.
    failed = SignalPost.objects.filter(
        Q(event__kind=SignalEvent.Kind.PUBLISHED) | Exists(original_sent), state=State.FAILED, created_at__gte=since
    ).order_by("id")
    behind = SignalPost.objects.filter(
        state=State.SENT,
        created_at__gte=since,
        event__kind=SignalEvent.Kind.PUBLISHED,
        rendered_version__lt=F("signal__version"),
    ).order_by("id")
    if dry_run:
        return CatchUp(posts=failed.count(), edits=behind.count())
    posts = sum(signal_post_retry(post=post) for post in failed)
    edits = 0
    for post in behind:
        if publishing_target(post.platform).off_reason:
            continue
        with transaction.atomic():
            from publishing.tasks import post_edit

            task_enqueue(post_edit, post_id=post.pk)
        edits += 1
    return CatchUp(posts=posts, edits=edits)
