"""STARTTLS and implicit TLS with login, against aiosmtpd with a throw-away certificate."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.delivery import deliver_pending
from alerts.subscribers import SubscriberSpec, add_subscriber
from tests.alerts.conftest import add_document, add_event, add_portal, make_config
from tests.alerts.smtp_sink import _Handler, free_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts it like a real CA's
    monkeypatch.setenv("EDUWATCH_TEST_SMTP_PASSWORD", "s3cret")
    return cert, key


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"robot" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_modes_with_login(sqlite_db, certificate, security):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = _Handler()
    port = free_port()
    options = {"tls_context": context, "require_starttls": True} if security == "starttls" else {
        "ssl_context": context, "auth_require_tls": False}  # aiosmtpd does not see implicit TLS as TLS
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_required=True, **options)
    controller.start()
    try:
        with sqlite_db.transaction() as session:
            add_subscriber(session, SubscriberSpec("ops", email="ops@example.org"))
            portal = add_portal(session)
            add_event(session, add_document(session, portal), portal)
        base = make_config(sqlite_db.url, port)
        email = replace(base.email, security=security, username="robot", password_env="EDUWATCH_TEST_SMTP_PASSWORD")
        report = deliver_pending(sqlite_db, replace(base, email=email))
        assert report.sent == 1 and len(handler.messages) == 1
    finally:
        controller.stop()
