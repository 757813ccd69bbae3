"""THE set of sensitive names, URL/header/text scrubbing, and the log record factory that
applies them to every record.

dlt's own redaction misses `secretKey`, `Signature`, `AWSAccessKeyId` and `MWSAuthToken`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

SENSITIVE_NAMES = frozenset(
    name.lower()
    for name in (
        "access_token",
        "refresh_token",
        "client_secret",
        "client_id",
        "x-amz-access-token",
        "restrictedDataToken",
        "authorization",
        "secretKey",
        "Signature",
        "AWSAccessKeyId",
        "SubscriptionId",
        "MWSAuthToken",
        "aws_secret_access_key",
        "aws_secret_key",
        "aws_access_key",
        "aws_access_key_id",
        "AMZPECTY-API-SECRET-KEY",
        "password",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
    )
)

_PAIR = re.compile(
    r"(?i)(?P<name>"
    + "|".join(re.escape(n) for n in sorted(SENSITIVE_NAMES, key=len, reverse=True))
    + r")(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^&\s\"',}]+)"
)

# a URL's query separators and `=`, also percent-encoded once or more (old ECS links nest a
# URL, escaped, inside another's query)
_SEP = r"(?:[?&;]|%(?:25)*(?:3F|26|3B))"
_EQ = r"(?:=|%(?:25)*3D)"
_NAMES = "|".join(re.escape(n) for n in sorted(SENSITIVE_NAMES, key=len, reverse=True))
# a URL in a text that carries a credential in its query (RE2 syntax too, for Arrow columns)
CREDENTIAL_URL = rf"(?i)[a-z][a-z0-9+.-]*://[^\s\"'<>]*?{_SEP}(?:{_NAMES}){_EQ}"
_URL = re.compile(r"(?i)[a-z][a-z0-9+.-]*://[^\s\"'<>]+")
_CREDENTIAL_PARAM = re.compile(
    rf"(?i)(?P<sep>{_SEP})(?:{_NAMES}){_EQ}(?:[^&;#%\s]|%(?!(?:25)*(?:26|3B|23))[0-9a-f]{{2}})*"
)
_QUERY_START = re.compile(r"(?i)^(?:\?|%(?:25)*3F)$")
_EMPTY_PARAM = re.compile(rf"(?i)(\?|%(?:25)*3F){_SEP}")
_EMPTY_QUERY = re.compile(r"(?i)(?:\?|%(?:25)*3F)$")

_secrets_lock = threading.Lock()
_known_secrets: set[str] = set()


def is_sensitive(name: str) -> bool:
    return name.lower() in SENSITIVE_NAMES


def register_secret(value: str | None) -> None:
    """Remember a secret's value so that every scrubbed text masks it wherever it appears."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _known_secrets.add(value)
        install()


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return redact_text(url)
    pairs = [(k, MASK if is_sensitive(k) else v) for k, v in parse_qsl(parts.query, True)]
    return redact_text(urlunsplit(parts._replace(query=urlencode(pairs, safe="*"))))


def _strip_url(url: str) -> str:
    def drop(param: re.Match[str]) -> str:
        sep = param.group("sep")
        return sep if _QUERY_START.match(sep) else ""

    url = _CREDENTIAL_PARAM.sub(drop, url)
    return _EMPTY_QUERY.sub("", _EMPTY_PARAM.sub(r"\1", url))


def strip_credentials(text: str) -> str:
    """Every URL in `text` without the query parameters that identify its caller (ECS links
    carry the access key id as `SubscriptionId`): what is stored keeps the link, not the key."""
    return _URL.sub(lambda url: _strip_url(url.group(0)), text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: MASK if is_sensitive(k) else redact_text(str(v)) for k, v in headers.items()}


def redact_text(text: str) -> str:
    """Masks `name=value` pairs of sensitive names and every registered secret value."""
    text = _PAIR.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    with _secrets_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """A record whose message, traceback and stack carry no secret."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging would report it with its arguments
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact_text(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    return record


_installed = False


def install() -> None:
    """Scrub every log record as it is made: whichever logger makes it (children included),
    whichever handler writes it, added now or later."""
    global _installed
    with _secrets_lock:
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()
    logging.setLogRecordFactory(lambda *args, **kwargs: scrub(make(*args, **kwargs)))
