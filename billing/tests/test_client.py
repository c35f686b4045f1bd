"""stripe_client(): the real stripe library, with our key, sent to STRIPE_API_BASE (a recording HTTP server here)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from billing.client import stripe_client, stripe_enabled


@pytest.fixture
def recording_server():
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization", "")))
            body = json.dumps({"id": "cus_local", "object": "customer", "email": "membre@example.com"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_the_client_calls_the_configured_api_base_with_the_secret_key(settings, recording_server):
    base, seen = recording_server
    settings.STRIPE_SECRET_KEY = "sk_test_client_0123456789"
    settings.STRIPE_API_BASE = base

    customer = stripe_client().v1.customers.retrieve("cus_local")

    assert customer.email == "membre@example.com"
    assert seen == [("/v1/customers/cus_local", "Bearer sk_test_client_0123456789")]


@pytest.mark.parametrize(("key", "enabled"), [("", False), ("sk_test_x", True)])
def test_stripe_is_enabled_by_its_secret_key(settings, key, enabled):
    settings.STRIPE_SECRET_KEY = key

    assert stripe_enabled() is enabled
