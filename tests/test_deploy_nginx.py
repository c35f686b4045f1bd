"""deploy/nginx.conf, run by the real nginx: its access log never holds a query string (tokens live there)."""

import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.harness import ROOT

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
TOKEN = "jeton-secret-4f9a1c"
SECRET_URLS = [
    f"/espace/verifier-email/?token={TOKEN}",
    f"/espace/mot-de-passe/reinitialiser/?token={TOKEN}",
    f"/api/auth/discord/callback/?code={TOKEN}&state={TOKEN}",
]
needs_nginx = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx or openssl not installed"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_access_log_uses_a_format_without_query_string_or_referer():
    conf = NGINX_CONF.read_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    access_logs = re.findall(r"access_log\s+([^;]+);", conf)

    assert formats, "no log_format in deploy/nginx.conf"
    for directive in access_logs:
        parts = directive.split()
        if parts == ["off"]:
            continue
        assert len(parts) >= 2 and parts[1] in formats, f"access_log without our format: {directive}"
    for fmt in formats.values():
        variables = set(re.findall(r"\$(\w+)", fmt))
        assert {"uri", "request_id", "status", "request_time"} <= variables
        assert not variables & {"args", "query_string", "request_uri", "request", "is_args", "http_referer"}
        assert not any(name.startswith("arg_") for name in variables)


class Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def nginx(tmp_path):
    """The real nginx with deploy/nginx.conf: ports, certificate and paths moved into tmp_path."""
    key_and_cert = ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x", *key_and_cert],
        check=True,
        capture_output=True,
    )
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    site = (
        NGINX_CONF.read_text()
        .replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("server 127.0.0.1:8000", f"server 127.0.0.1:{upstream.server_address[1]}")
        .replace("/etc/letsencrypt/live/api.calmnessfi.com/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/letsencrypt/live/api.calmnessfi.com/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/var/log/nginx/calmnessfi.access.log", str(tmp_path / "access.log"))
    )
    (tmp_path / "site.conf").write_text(site)
    temp_paths = "".join(
        f"{name}_temp_path {tmp_path / name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n{temp_paths}include {tmp_path / 'site.conf'};\n}}\n"
    )
    command = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield {"http": f"http://127.0.0.1:{http_port}", "https": f"https://127.0.0.1:{https_port}", "dir": tmp_path}
    process.terminate()
    process.wait(timeout=10)
    upstream.shutdown()


@needs_nginx
def test_nginx_logs_the_path_and_request_id_but_never_the_token(nginx):
    with httpx.Client(verify=False, follow_redirects=False) as client:
        for url in SECRET_URLS:
            assert client.get(nginx["https"] + url).status_code == 200
            assert client.get(nginx["http"] + url).status_code == 301  # the redirect to https

    log = (nginx["dir"] / "access.log").read_text()
    assert len(log.splitlines()) == 2 * len(SECRET_URLS)
    assert TOKEN not in log
    assert '"GET /espace/verifier-email/ HTTP/' in log
    assert '"GET /api/auth/discord/callback/ HTTP/' in log
    assert re.search(r"request_id=[0-9a-f]{32} ", log)
