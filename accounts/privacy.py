"""The member's personal data: the export (GDPR art. 15 and 20) and the erasure (art. 17).

accounts sits low in the app layers and imports no app above it, so each app that holds rows about a member
registers, in its AppConfig.ready(), a section of the export (a function of the member returning JSON-ready data)
and the models it covers; and connects a receiver of `accounts.signals.member_erasing` that deletes or anonymises
its rows. The export is the profile plus every registered section (a bounded number of queries per section); the
erasure sends the signal, then anonymises the member's own row. docs/architecture/personal-data.md.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpResponse

from accounts.models import User
from accounts.services import refresh_tokens_blacklist_all
from accounts.signals import member_erasing
from core import clock
from core.tasks import TaskResultStatus


@dataclass(frozen=True)
class ExportSection:
    name: str
    export: Callable[[User], Any]
    models: tuple[type[models.Model], ...]


_SECTIONS: dict[str, ExportSection] = {}


def export_section_register(*, name: str, export: Callable[[User], Any], models: tuple[type[models.Model], ...]):
    """Adds `name` to every export: `export(user)` returns its JSON-ready data; `models` are the models it covers
    (member_space/tests/test_personal_data.py fails for a model about a member that no section covers)."""
    _SECTIONS[name] = ExportSection(name=name, export=export, models=models)


def export_sections() -> dict[str, ExportSection]:
    return dict(_SECTIONS)


def iso(value) -> str | None:
    """A date or datetime as ISO 8601 (UTC for datetimes, as stored), None kept."""
    return value.isoformat() if value is not None else None


def profile_export(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_verified": user.is_verified,
        "telegram_username": user.telegram_username,
        "discord_username": user.discord_username,
        "whatsapp_number": user.whatsapp_number,
        "trading_experience": user.trading_experience,
        "preferred_markets": list(user.preferred_markets or []),
        "risk_tolerance": user.risk_tolerance,
        "email_reminders": user.email_reminders,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


def consent_export(user: User) -> dict:
    return {
        "terms_version": user.terms_version,
        "terms_accepted_at": iso(user.terms_accepted_at),
        "privacy_version": user.privacy_version,
        "privacy_accepted_at": iso(user.privacy_accepted_at),
    }


def member_data_export(*, user: User) -> dict:
    """Everything we hold about the member, as one JSON-ready dict: profile, consent, then each app's section."""
    data: dict[str, Any] = {
        "exported_at": iso(clock.now()),
        "profile": profile_export(user),
        "consent": consent_export(user),
    }
    for name, section in sorted(_SECTIONS.items()):
        data[name] = section.export(user)
    return data


def member_data_response(*, user: User) -> HttpResponse:
    """The export as a JSON file to download, `calmnessfi-donnees-<local date>.json` (API and member page)."""
    body = json.dumps(member_data_export(user=user), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="calmnessfi-donnees-{clock.local_date().isoformat()}.json"'
    response["Cache-Control"] = "no-store"
    return response


class ErasureRefused(Exception):
    """A `member_erasing` receiver refuses the erasure for now (a card subscription Stripe still renews: erasing
    the account would not stop the charges). The message is French and says what to do first; nothing is erased."""


class WrongPassword(Exception):
    """The password given to confirm the deletion is not the member's (the callers answer in French)."""


def deleted_email(user: User) -> str:
    """The placeholder address of an erased member: unique (the id), never deliverable (.invalid, RFC 2606), so the
    real address is free for a new registration."""
    return f"supprime-{user.pk}@invalid"


@transaction.atomic
def member_erase(*, user: User) -> User:
    """Erases the member's personal data, for their own request or an admin's on their behalf.

    Each app erases or anonymises its rows (`member_erasing` receivers: channel links and tokens, with the access
    removal enqueued; notifications; payment references and proofs; lesson progress...), then the member's row is
    anonymised: placeholder address, no names or contacts, an unusable password (which refuses every JWT issued
    before, CHECK_REVOKE_TOKEN), inactive, `deleted_at` set; every refresh token is blacklisted and every session
    ended (each session's hash of the password no longer matches). Payments and invoices stay (10-year accounting
    retention), tied to the anonymous row. Idempotent."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return user
    member_erasing.send(sender=User, user=user)
    _finished_task_results_erase(email=user.email)
    user.email = deleted_email(user)
    user.first_name = user.last_name = ""
    user.telegram_username = user.discord_username = user.whatsapp_number = ""
    user.trading_experience = user.risk_tolerance = ""
    user.preferred_markets = []
    user.email_reminders = False
    user.is_verified = False
    user.is_active = False
    user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.deleted_at = clock.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    # Sessions die by themselves: Django checks each one against a hash of the password, which changed, and the
    # backend refuses an inactive member. The request's own session is flushed by the view.
    refresh_tokens_blacklist_all(user=user)
    # The admin's history names the member's row by its address (LogEntry.object_repr): anonymised too.
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
        object_repr=user.email, change_message=""
    )
    return user


def _finished_task_results_erase(*, email: str) -> int:
    """Deletes the finished account e-mail tasks (re-send, reset, "someone tried to register") whose arguments hold
    the address: the queue keeps finished rows, and these were asked with the address typed in. Waiting or running
    ones are left to run: they find no member under the address any more and send nothing."""
    from django_tasks_db.models import DBTaskResult

    deleted, _by_model = DBTaskResult.objects.filter(
        task_path__startswith="accounts.tasks.",
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        args_kwargs__icontains=email,
    ).delete()
    return deleted


def member_delete(*, user: User, password: str) -> User:
    """The member's own deletion: the password confirms it (WrongPassword otherwise), then `member_erase`."""
    if not user.check_password(password):
        raise WrongPassword
    return member_erase(user=user)
