"""The `[proofs]` settings: defaults, one-line errors, credentials never shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from coordinator.proofs.factory import open_proof_store
from coordinator.proofs.settings import ProofStoreConfigError, ProofStoreSettings, S3Settings


def test_defaults_need_nothing_installed(tmp_path: Path) -> None:
    settings = ProofStoreSettings()
    assert settings.backend == "embedded"
    assert settings.max_object_bytes == 64 << 20
    assert settings.embedded_dir(tmp_path) == tmp_path / "proofs"
    assert settings.expiry_secs == 7 * 86400
    assert open_proof_store(settings, tmp_path, env={}).writer.name == "embedded"


@pytest.mark.parametrize(("values", "why"), [
    ({"backend": "s3"}, "needs a [proofs.s3] section"),
    ({"backend": "walrus"}, "'embedded' or 's3'"),
    ({"max_object_bytes": 0}, "greater than or equal to 1"),
    ({"expiry_days": -1}, "greater than or equal to 0"),
    ({"s3": {"bucket": "B"}}, "must be an S3 bucket name"),
    ({"s3": {"bucket": "proofs", "endpoint": "http://s3.example.com"}},
     "plain http is allowed only to a loopback address"),
    ({"s3": {"bucket": "proofs", "endpoint": "ftp://127.0.0.1"}}, "must be https://host"),
    ({"s3": {"bucket": "proofs", "endpoint": "https://h/some/path"}}, "no path"),
    ({"colour": "blue"}, "Extra inputs are not permitted"),
])
def test_bad_values_are_refused_with_the_reason(values: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(why)):
        ProofStoreSettings.model_validate(values)


def test_s3_credentials_from_env_or_file_and_never_shown(tmp_path: Path) -> None:
    s3 = S3Settings(bucket="proofs", endpoint="http://127.0.0.1:9")
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"}
    assert s3.credentials(env) == ("AKIDEXAMPLE", "s3cr3t-value")
    with pytest.raises(ProofStoreConfigError, match="no credentials: set AWS_ACCESS_KEY_ID"):
        s3.credentials({})
    creds = tmp_path / "credentials"
    creds.write_text("[ci]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n")
    from_file = S3Settings(bucket="proofs", credentials_file=creds, credentials_profile="ci")
    assert from_file.credentials({}) == ("AKIDFILE", "filesecret")
    wrong = S3Settings(bucket="proofs", credentials_file=creds)
    with pytest.raises(ProofStoreConfigError, match=r"under \[default\]") as caught:
        wrong.credentials({})
    assert "filesecret" not in str(caught.value)
    missing = S3Settings(bucket="proofs", credentials_file=tmp_path / "absent")
    with pytest.raises(ProofStoreConfigError, match="cannot read"):
        missing.credentials({})

    settings = ProofStoreSettings(backend="s3", s3=s3)
    store = open_proof_store(settings, tmp_path, env=env)
    shown = f"{settings!r} {store.writer!r} {vars(store.writer)!r}"
    assert "s3cr3t-value" not in shown
