"""The one way an e-mail to a member is built: French text and HTML from templates/emails/."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_message(
    *, template: str, to: str, context: dict[str, Any], subject: str | None = None, connection=None
) -> EmailMultiAlternatives:
    """`templates/emails/<template>.txt` and `.html`, with `frontend_url` (no trailing slash) in the context; the
    subject is given or rendered from `<template>_subject.txt` (on one line)."""
    context = {"frontend_url": settings.FRONTEND_URL.rstrip("/"), **context}
    if subject is None:
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message
