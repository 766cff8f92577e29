"""Hardening of the app and its outputs (REDTEAM D4-D27): configuration, access, uploads, alerts."""

import subprocess
import tomllib
from pathlib import Path

from monitoring.prometheus import serve

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit/config.toml").read_text())


def test_uploads_are_bounded_to_500_mb_per_file_with_xsrf_protection_on():
    server = _config()["server"]
    assert 0 < server["maxUploadSize"] <= 500
    assert server.get("enableXsrfProtection", True) is True


def test_browsers_get_no_error_details_from_uncaught_exceptions():
    assert _config()["client"]["showErrorDetails"] == "none"


def test_the_secrets_file_is_ignored_by_git():
    found = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert found.returncode == 0


def test_metrics_server_listens_on_localhost_unless_told_otherwise(store):
    server, thread = serve(store, 0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()
