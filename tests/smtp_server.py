"""A real SMTP server of our own on 127.0.0.1 (aiosmtpd) for tests that send through Django's SMTP backend.

    server = SMTPTestServer(refuse=["bounce@example.com"]).start()
    ...  # EMAIL_BACKEND=smtp, EMAIL_HOST=server.host, EMAIL_PORT=server.port
    server.messages  # every accepted message, parsed
    server.stop()

`refuse` recipients get "550 5.1.1" at RCPT TO, like a real mailbox that does not exist. As a pytest fixture:
`smtp_server` (points Django's settings at the server); import it in an app's conftest.py with
`from tests.smtp_server import smtp_server  # noqa: F401`.
"""

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, refuse):
        self.refuse = {address.lower() for address in refuse}
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPTestServer:
    def __init__(self, *, refuse: list[str] | tuple[str, ...] = (), port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = _Handler(refuse)
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    def start(self) -> "SMTPTestServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def refuse(self, *addresses: str) -> None:
        self.handler.refuse |= {address.lower() for address in addresses}

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def recipients(self) -> list[str]:
        """One entry per delivered (message, recipient) pair."""
        with self.handler.lock:
            return [rcpt for _, rcpts in self.handler.envelopes for rcpt in rcpts]

    def django_settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }


@pytest.fixture
def smtp_server(settings):
    """A running SMTPTestServer with Django's real SMTP backend pointed at it for the test."""
    server = SMTPTestServer().start()
    for name, value in server.django_settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()
