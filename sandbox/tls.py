"""HTTPS for the sandbox: a throwaway trustme CA and a certificate for the address it binds,
for clients that only speak HTTPS (python-amazon-sp-api derives its Host header from an
`https://` endpoint)."""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import trustme


@dataclass
class Certificates:
    """The server's TLS context and the CA file a client trusts it with."""

    context: ssl.SSLContext
    ca_file: str
    _folder: tempfile.TemporaryDirectory[str] = field(repr=False)

    def remove(self) -> None:
        self._folder.cleanup()


def certificates(host: str) -> Certificates:
    """A fresh CA and a certificate for `host`, 127.0.0.1 and localhost."""
    ca = trustme.CA(organization_name="amazon-elt sandbox")
    names = dict.fromkeys((host, "127.0.0.1", "localhost"))
    issued = ca.issue_cert(*names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    issued.configure_cert(context)
    folder = tempfile.TemporaryDirectory(prefix="sandbox-tls-")
    ca_file = Path(folder.name) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Certificates(context, str(ca_file), folder)
