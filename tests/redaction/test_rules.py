"""The classes of leak the issue names, one behaviour at a time, on both redactors.

JSON escaping of any depth, `Authorization` with any scheme (the scheme stays), the other
credential headers, every Slack token shape, credentials on command lines, and the
bookkeeping around them: counts, allowlist, user patterns, redaction before truncation.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import quote_plus

import pytest
from recall_cases import local_pipeline

from beacon.config import BeaconConfig, LimitsConfig, RedactionConfig
from beacon.pipeline import build_pipeline
from beacon.pipeline.redact import MARKER, Redactor
from beacon.schema import new_event

REDACTORS = {"collector": Redactor(), "stdlib": Redactor(prefilter=False)}


def _redact(redactor: Redactor, text: str) -> str:
    """`text` as a string field of an event, redacted by the event path."""
    event = {"field": text}
    redactor.redact_event(event)
    return event["field"]


def _escaped(text: str, depth: int) -> str:
    for _ in range(depth):
        text = json.dumps(text)[1:-1]
    return text


@pytest.mark.parametrize("name", sorted(REDACTORS))
@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
def test_quoted_pairs_redacted_at_every_json_escape_depth(name: str, depth: int) -> None:
    """`"password": "…"` inside JSON inside JSON: the value goes however deep it sits."""
    inner = '{"user": "ci", "password": "FAKE pass phrase 0123", "api_key": "FAKEkey0123456"}'
    text = _escaped(inner, depth)
    out = _redact(REDACTORS[name], text)
    assert "FAKE pass" not in out and "phrase 0123" not in out and "FAKEkey" not in out
    assert out.count(MARKER) == 2
    assert _escaped('"user": "ci"', depth) in out  # the rest of the document stays


@pytest.mark.parametrize("name", sorted(REDACTORS))
@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("Authorization: Bearer FAKEtok3n.value-0123", "Authorization: Bearer "),
        ("Authorization: Basic ZmFrZXVzZXI6RkFLRXBhc3M=", "Authorization: Basic "),
        ("Authorization: Token FAKE0123456789abcdef", "Authorization: Token "),
        ("Authorization: Splunk FAKE0000-1111-2222-3333", "Authorization: Splunk "),
        ("authorization: SSWS FAKE00okta00token", "authorization: SSWS "),
        ("Authorization: Negotiate YIIFAKEFAKEFAKE==", "Authorization: Negotiate "),
        ('Authorization: Digest username="u", nonce="FAKEnonce", response="FAKE0123"', "Digest "),
        ("Authorization: FAKEbareCredential0123", "Authorization: "),
        ("Proxy-Authorization: Basic ZmFrZTpGQUtF", "Proxy-Authorization: Basic "),
        ('"Authorization": "Bot FAKEbot.token.0123"', '"Authorization": "Bot '),
        ("Authorization%3A+Bearer+FAKEtok3n0123456", "Authorization%3A+Bearer+"),
    ],
)
def test_authorization_with_any_scheme_keeps_the_scheme_word(
    name: str, header: str, kept: str
) -> None:
    """The credential goes for every scheme (or none); the scheme word stays."""
    out = _redact(REDACTORS[name], f"curl -H '{header}' https://api.example.com")
    assert kept + MARKER in out
    assert "FAKE" not in out and "ZmFrZ" not in out and "YII" not in out


@pytest.mark.parametrize("name", sorted(REDACTORS))
def test_aws_sigv4_loses_credential_and_signature(name: str) -> None:
    """`AWS4-HMAC-SHA256 Credential=…, Signature=…`: both go, in headers and presigned URLs."""
    signature = "fa1e" * 16
    header = (
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/"
        f"s3/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    url = (
        "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2F"
        f"us-east-1%2Fs3%2Faws4_request&X-Amz-Signature={signature}"
    )
    for text in (header, url, header.removeprefix("Authorization: ")):
        out = _redact(REDACTORS[name], text)
        assert "AKIAIOSFODNN7EXAMPLE" not in out and signature not in out, out


@pytest.mark.parametrize("name", sorted(REDACTORS))
@pytest.mark.parametrize(
    "header",
    [
        "X-Api-Key: FAKEapiKEY0123456",
        "x-goog-api-key: AIzaFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE000",
        "Ocp-Apim-Subscription-Key: FAKE0123456789abcdef",
        "X-Auth-Token: FAKEauthTOKEN01234",
        "X-Vault-Token: hvs.FAKEFAKEFAKEFAKEFAKEFAKE",
        "PRIVATE-TOKEN: glpat-FAKEFAKEFAKEFAKEFAKE",
        "Cookie: theme=dark; session_id=FAKEsessionCOOKIE0123; csrftoken=FAKEcsrf01",
        "Set-Cookie: session=FAKEsetCOOKIE0123; Path=/; HttpOnly",
    ],
)
def test_credential_headers_lose_their_values(name: str, header: str) -> None:
    """API-key, token and cookie headers: raw, quoted, JSON-escaped and URL-encoded."""
    value = header.split(": ", 1)[1]
    secrets = [part.split("=", 1)[-1] for part in value.split("; ") if "FAKE" in part]
    assert secrets
    for text in (header, f"-H '{header}'", json.dumps({"h": header}), quote_plus(header)):
        out = _redact(REDACTORS[name], text)
        for secret in secrets:
            assert secret not in out, (text, out)


@pytest.mark.parametrize("name", sorted(REDACTORS))
@pytest.mark.parametrize(
    "token",
    [
        "xoxb-0000000000-0000000000000-FAKEFAKEFAKEFAKEFAKEFAKE",
        "xoxp-0000000000-0000000000-0000000000000-fakefakefakefakefakefakefakefake",
        "xoxa-2-FAKEFAKEFAKEFAKE",
        "xoxo-FAKEFAKEFAKEFAKE",
        "xoxs-FAKEFAKEFAKEFAKE",
        "xoxr-FAKEFAKEFAKEFAKE",
        "xoxe.xoxp-1-FAKEFAKEFAKEFAKEFAKEFAKE",
        "xoxe-1-FAKEFAKEFAKEFAKEFAKEFAKE",
        "xapp-1-AFAKE00000-0000000000000-fa1efa1efa1efa1e",
    ],
)
def test_every_slack_token_shape(name: str, token: str) -> None:
    """Bot, user, app, legacy, refresh and configuration tokens."""
    out = _redact(REDACTORS[name], f"SLACK_CFG={token}\nslack {token}")
    assert token not in out and token[:12] not in out


@pytest.mark.parametrize("name", sorted(REDACTORS))
@pytest.mark.parametrize(
    ("command", "secret"),
    [
        ("curl -u deploy:FAKEcurlPass0 https://x", "FAKEcurlPass0"),
        ("curl --user deploy:FAKEcurlPass1 https://x", "FAKEcurlPass1"),
        ("curl -uadmin:FAKEcurlPass2 https://x", "FAKEcurlPass2"),
        ("wget --password=FAKEwgetPass https://x", "FAKEwgetPass"),
        ("wget --http-password FAKEwgetHttp https://x", "FAKEwgetHttp"),
        ("sshpass -p FAKEsshPass ssh host", "FAKEsshPass"),
        ("SSHPASS=FAKEsshEnv sshpass -e ssh host", "FAKEsshEnv"),
        ("mysql -h db -u root -pFAKEmysqlPass app", "FAKEmysqlPass"),
        ("mysqldump -uroot -pFAKEdumpPass app > a.sql", "FAKEdumpPass"),
        ("PGPASSWORD=FAKEpgPass psql -h db app", "FAKEpgPass"),
        ("git clone https://ci:FAKEgitToken0@git.example.com/a.git", "FAKEgitToken0"),
        ("git clone https://FAKEgitTokenOnly0123456789@github.com/a.git", "FAKEgitTokenOnly"),
        ("docker login -u ci -p FAKEdockerPass registry", "FAKEdockerPass"),
        ("docker login --password=FAKEdockerEq registry", "FAKEdockerEq"),
        ("htpasswd -b /etc/.htpasswd admin FAKEhtPass", "FAKEhtPass"),
        ("htpasswd -nb admin FAKEhtNb", "FAKEhtNb"),
        ("openssl enc -aes256 -pass pass:FAKEsslPass -in a", "FAKEsslPass"),
        ("openssl rsa -passin pass:FAKEsslIn -in k.pem", "FAKEsslIn"),
        ("redis-cli -a FAKEredisPass ping", "FAKEredisPass"),
        ("ldapsearch -x -D cn=admin -w FAKEldapPass", "FAKEldapPass"),
        ("sqlcmd -S db -U sa -P FAKEsqlPass", "FAKEsqlPass"),
    ],
)
def test_credentials_on_command_lines(name: str, command: str, secret: str) -> None:
    """Every command-line form the issue lists, plain and as a JSON-escaped tool input."""
    for text in (command, json.dumps({"command": command}), json.dumps(json.dumps(command))):
        out = _redact(REDACTORS[name], text)
        assert secret not in out, out
        assert MARKER in out


def test_mysql_prompt_flag_and_docker_run_user_are_not_secrets() -> None:
    """`mysql -p` (prompt), `-P 3306`, `docker run -u 1000:1000`: nothing to redact."""
    for text in ("mysql -u root -p app", "mysql -P 3306 -h db", "docker run -u 1000:1000 img"):
        assert Redactor(prefilter=False).redact_text(text) == (text, 0)


def test_redaction_count_counts_each_replacement() -> None:
    """Three distinct secrets and one repeat of a context value: four replacements."""
    text = (
        "export DB_PASSWORD=FAKEpassw0rd1 ghp_" + "FAKE" * 9 + " "
        "Authorization: Bearer FAKEbearer0123456789 then echo FAKEpassw0rd1"
    )
    for pipeline in (build_pipeline(BeaconConfig()), local_pipeline(BeaconConfig())):
        event = new_event("command.executed", harness="x", command={"command": text})
        result = pipeline.process(event)
        assert result is not None
        assert result["content"] == {"redacted": True, "redaction_count": 4}
        assert result["command"]["command"].count(MARKER) == 4


@pytest.mark.parametrize("local", [False, True])
def test_allowlist_and_user_patterns_apply_to_catalog_kinds(local: bool) -> None:
    """An allowlisted credential stays in any kind's position; user patterns still redact."""
    config = replace(
        BeaconConfig(),
        redaction=RedactionConfig(
            True,
            patterns=[r"corp-[0-9a-f]{8}"],
            allowlist=["sk_test_FAKEallowedFAKEallowed", "FAKEallowedBearer0123"],
        ),
    )
    pipeline = local_pipeline(config) if local else build_pipeline(config)
    text = (
        "use corp-deadbeef and sk_test_FAKEallowedFAKEallowed with "
        "Authorization: Bearer FAKEallowedBearer0123 and password=FAKEreal0"
    )
    event = pipeline.process(new_event("prompt.submitted", harness="x", prompt={"text": text}))
    assert event is not None
    assert event["prompt"]["text"] == (
        f"use {MARKER} and sk_test_FAKEallowedFAKEallowed with "
        f"Authorization: Bearer FAKEallowedBearer0123 and password={MARKER}"
    )
    assert event["content"]["redaction_count"] == 2


@pytest.mark.parametrize("local", [False, True])
def test_redaction_runs_before_truncation(local: bool) -> None:
    """A token straddling the field limit is redacted whole, not cut and kept in part."""
    config = replace(BeaconConfig(), limits=LimitsConfig(256, 256, 65536))
    pipeline = local_pipeline(config) if local else build_pipeline(config)
    token = "ghp_" + "FAKE" * 9
    text = "x" * 230 + " " + token + " and more text after it"
    event = pipeline.process(new_event("command.executed", harness="x", command={"command": text}))
    assert event is not None
    assert "ghp_FAKE"[:6] not in event["command"]["command"]
    assert event["content"]["redaction_count"] == 1
    assert event["content"]["truncations"]


def test_secret_dict_values_are_replaced_keeping_the_authorization_scheme() -> None:
    """Under secret-named keys: any value goes; `Authorization` keeps its scheme word."""
    for redactor in REDACTORS.values():
        event = {
            "headers": {
                "Authorization": "Bearer FAKEtoken0123",
                "proxy-authorization": "Basic ZmFrZTpGQUtF",
                "X-Api-Key": "FAKEkey",
                "Cookie": "a=b; FAKE=1",
            },
            "auths": {"registry.example.com": {"auth": "ZmFrZTpGQUtFcGFzcw=="}},
            "query": {"sig": "FAKEsig0123456789", "max_tokens": 4096},
            "env": {"DB_PASSWORD": 123456, "MYSQL_PWD": "FAKEpwd"},
        }
        count = redactor.redact_event(event)
        assert event["headers"] == {
            "Authorization": f"Bearer {MARKER}",
            "proxy-authorization": f"Basic {MARKER}",
            "X-Api-Key": MARKER,
            "Cookie": MARKER,
        }
        assert event["auths"]["registry.example.com"]["auth"] == MARKER
        assert event["query"] == {"sig": MARKER, "max_tokens": 4096}
        assert event["env"] == {"DB_PASSWORD": MARKER, "MYSQL_PWD": MARKER}
        assert count == 8
