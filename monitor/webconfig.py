"""Basic auth and TLS for `serve`'s HTTP endpoints, in the web config file format of
Prometheus' exporter-toolkit (the one node_exporter and blackbox_exporter read):

    tls_server_config:
      cert_file: server.crt          # paths are relative to this file
      key_file: server.key
    basic_auth_users:
      prometheus: $2y$10$...         # bcrypt hash: htpasswd -nBC 10 "" | tr -d ':\\n'

    >>> web = load_web_config(Path("web.yml"), os.environ)      # doctest: +SKIP
    >>> app.middlewares.append(basic_auth(web.basic_auth_users)) # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import bcrypt
from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import Field

from monitor.errors import ConfigError
from monitor.journey import Model
from monitor.loader import load_model

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TLSServerConfig(Model):
    cert_file: str
    key_file: str
    client_ca_file: str | None = None
    client_auth_type: Literal[
        "NoClientCert",
        "RequestClientCert",
        "RequireAnyClientCert",
        "VerifyClientCertIfGiven",
        "RequireAndVerifyClientCert",
    ] = "NoClientCert"
    min_version: Literal["TLS12", "TLS13"] = "TLS12"


class WebConfig(Model):
    tls_server_config: TLSServerConfig | None = None
    basic_auth_users: dict[str, str] = Field(default_factory=dict)
    http_server_config: dict[str, Any] | None = None  # accepted for compatibility, unused
    base_dir: Path = Field(Path("."), exclude=True)


def load_web_config(path: Path, env: Mapping[str, str]) -> WebConfig:
    config = load_model(path, WebConfig, env)
    for user, hashed in config.basic_auth_users.items():
        if not hashed.startswith(("$2a$", "$2b$", "$2y$")):
            raise ConfigError(
                f"{path}: basic_auth_users.{user}: not a bcrypt hash; make one "
                "with: htpasswd -nBC 10 \"\" | tr -d ':\\n'"
            )
    return config.model_copy(update={"base_dir": path.resolve().parent})


def ssl_context(config: WebConfig) -> ssl.SSLContext | None:
    tls = config.tls_server_config
    if tls is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = (
        ssl.TLSVersion.TLSv1_3 if tls.min_version == "TLS13" else ssl.TLSVersion.TLSv1_2
    )
    try:
        context.load_cert_chain(config.base_dir / tls.cert_file, config.base_dir / tls.key_file)
        if tls.client_ca_file:
            context.load_verify_locations(config.base_dir / tls.client_ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"TLS: cannot load the certificate or key: {exc}") from None
    if tls.client_auth_type in ("RequireAnyClientCert", "RequireAndVerifyClientCert"):
        context.verify_mode = ssl.CERT_REQUIRED
    elif tls.client_auth_type != "NoClientCert":
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def basic_auth(users: Mapping[str, str]) -> Middleware:
    """aiohttp middleware asking every request for one of `users` (bcrypt-hashed passwords)."""
    accepted: set[str] = set()  # digests of checked credentials: bcrypt is slow on purpose

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Liveness probes (Kubernetes, Docker HEALTHCHECK) carry no credentials; it says "ok".
        if request.path == "/healthz":
            return await handler(request)
        if await _allowed(request.headers.get("Authorization", ""), users, accepted):
            return await handler(request)
        raise web.HTTPUnauthorized(
            text="authentication required\n",
            headers={"WWW-Authenticate": 'Basic realm="checkout-monitor"'},
        )

    return middleware


async def _allowed(header: str, users: Mapping[str, str], accepted: set[str]) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    hashed = users.get(user)
    if hashed is None:
        return False
    digest = hashlib.sha256(f"{user}\0{password}\0{hashed}".encode()).hexdigest()
    if digest in accepted:
        return True
    secret, stored = password.encode(), hashed.replace("$2y$", "$2b$", 1).encode()
    if await asyncio.to_thread(bcrypt.checkpw, secret, stored):  # slow by design: off the loop
        if len(accepted) < 1000:
            accepted.add(digest)
        return True
    return False
