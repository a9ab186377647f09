"""KSeF environments as data: the Ministry's TEST, DEMO and PRD hosts, the local simulator, any URL.

Every part of the client takes a :class:`KsefEnvironment`; nothing hard-codes a host (digest §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from fakturnik.errors import KsefError


@dataclass(frozen=True)
class KsefEnvironment:
    """Where the KSeF API and the QR verification pages live.

    ``api_url`` is the base including ``/v2`` (no trailing slash); ``qr_url`` is the base of the
    KOD I / KOD II verification links.
    """

    name: str  # "local" | "test" | "demo" | "prod" | "custom"
    api_url: str
    qr_url: str

    @property
    def is_production(self) -> bool:
        return self.name == "prod"

    def url(self, path: str) -> str:
        """Absolute URL of an API path given relative to ``/v2`` (``"/sessions/online"``)."""
        return self.api_url + "/" + path.lstrip("/")


ENVIRONMENTS: dict[str, KsefEnvironment] = {
    "test": KsefEnvironment("test", "https://api-test.ksef.mf.gov.pl/v2", "https://qr-test.ksef.mf.gov.pl"),
    "demo": KsefEnvironment("demo", "https://api-demo.ksef.mf.gov.pl/v2", "https://qr-demo.ksef.mf.gov.pl"),
    "prod": KsefEnvironment("prod", "https://api.ksef.mf.gov.pl/v2", "https://qr.ksef.mf.gov.pl"),
}

_ALIASES = {"te": "test", "tr": "demo", "prd": "prod", "production": "prod", "pre-prod": "demo"}


def _normalise_api_url(base_url: str) -> str:
    """``http://h:p``, ``http://h:p/``, ``http://h:p/v2/`` → ``http://h:p/v2``."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KsefError(f"Nieprawidłowy adres API KSeF: {base_url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/v2"):
        path = path + "/v2"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def local(base_url: str) -> KsefEnvironment:
    """The simulator at ``base_url`` (with or without ``/v2``); its QR pages are served at ``/qr``."""
    api = _normalise_api_url(base_url)
    root = api[: -len("/v2")]
    return KsefEnvironment("local", api, root + "/qr")


def custom(api_url: str, qr_url: str | None = None) -> KsefEnvironment:
    """Any other deployment (a proxy, a gateway); QR base defaults to the API host's ``/qr``."""
    api = _normalise_api_url(api_url)
    return KsefEnvironment("custom", api, (qr_url or api[: -len("/v2")] + "/qr").rstrip("/"))


def resolve(name_or_url: str) -> KsefEnvironment:
    """``"test"``/``"demo"``/``"prod"`` (and aliases TE/TR/PRD) or a URL.

    A URL on a loopback host is taken as the local simulator, any other URL as ``custom``; a URL
    that is exactly one of the Ministry's API bases resolves to that environment.
    """
    key = name_or_url.strip().lower()
    key = _ALIASES.get(key, key)
    if key in ENVIRONMENTS:
        return ENVIRONMENTS[key]
    if "://" not in key:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise KsefError(f"Nieznane środowisko KSeF {name_or_url!r}; dostępne: {known} albo adres URL.")
    api = _normalise_api_url(name_or_url)
    for env in ENVIRONMENTS.values():
        if env.api_url == api:
            return env
    host = urlsplit(api).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return local(api)
    return custom(api)
