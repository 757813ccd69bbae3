"""THE set of sensitive names, URL/header/text scrubbing, and a logging filter that applies them.

dlt's own redaction misses `secretKey`, `Signature`, `AWSAccessKeyId` and `MWSAuthToken`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
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

_secrets_lock = threading.Lock()
_known_secrets: set[str] = set()


def is_sensitive(name: str) -> bool:
    return name.lower() in SENSITIVE_NAMES


def register_secret(value: str | None) -> None:
    """Remember a secret's value so that every scrubbed text masks it wherever it appears."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _known_secrets.add(value)


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return redact_text(url)
    pairs = [(k, MASK if is_sensitive(k) else v) for k, v in parse_qsl(parts.query, True)]
    return redact_text(urlunsplit(parts._replace(query=urlencode(pairs, safe="*"))))


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


class RedactingFilter(logging.Filter):
    """Scrubs every record that passes through a handler or logger it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact_text(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        return True


_FILTER = RedactingFilter()


def install(logger_names: Iterable[str] = ("dlt", "sources", "urllib3", "requests", "")) -> None:
    """Attach the filter to the named loggers and to every handler of the root logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
