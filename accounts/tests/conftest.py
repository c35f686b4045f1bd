import re

from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.smtp_server import smtp_server  # noqa: F401

TOKEN_RE = re.compile(r"\?token=([^\s\"<&]+)")


def token_from_last_mail(to: str) -> str:
    """Read the token from the link of the last e-mail sent to `to`, as the member would."""
    messages = [m for m in mail.outbox if to.lower() in [a.lower() for a in m.to]]
    assert messages, f"no e-mail sent to {to}"
    match = TOKEN_RE.search(str(messages[-1].body))
    assert match, messages[-1].body
    return match.group(1)


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client
