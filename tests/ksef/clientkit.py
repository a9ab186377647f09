"""Support for the client tests: static tokens, a client bound to a simulator, valid FA(3) invoices."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.environments import local
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import TokenKind, Transport
from tests.conftest import SAMPLES_DIR

FA_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
TEMPLATE = SAMPLES_DIR / "ksef2__FA_3_Przyklad_1.xml"


@dataclass
class StaticTokens:
    """A TokenSource holding tokens minted in-process (until a full login is wanted)."""

    access: str
    refresh: str = ""
    context_key: str = "Nip:0000000000"

    def bearer(self, kind: TokenKind) -> str:
        return self.refresh if kind == "refresh" and self.refresh else self.access

    def on_unauthorized(self, kind: TokenKind) -> bool:
        return False

    def __repr__(self) -> str:
        return f"StaticTokens(context_key={self.context_key!r})"


def random_nip(rng: random.Random | None = None) -> str:
    """A NIP with a valid checksum (first digit non-zero, no 0 check digit of 10)."""
    r = rng or random.Random()
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [r.randint(1, 9)] + [r.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            nip = "".join(map(str, digits)) + str(check)
            if nip[1:3] != "00":
                return nip


def session_tokens(server: Any, nip: str, permissions: list[str] | None = None) -> StaticTokens:
    from fakturnik.simulator.mint import mint_session

    minted = mint_session(
        server.sim,
        context_type="Nip",
        context_value=nip,
        subject_type="Nip",
        subject_value=nip,
        permissions=permissions,
    )
    return StaticTokens(minted["accessToken"], minted["refreshToken"], f"Nip:{nip}")


def client_for(
    server: Any, nip: str, *, throttle: Throttle | None = None, **transport_args: Any
) -> KsefClient:
    transport = Transport(
        local(server.base_url), tokens=session_tokens(server, nip), throttle=throttle, **transport_args
    )
    return KsefClient(transport)


class InvoiceFactory:
    """Valid FA(3) invoices for a seller: a real sample with the seller NIP and number replaced."""

    def __init__(self, seller_nip: str, template: Path = TEMPLATE, *, buyer_nip: str | None = None) -> None:
        self.seller_nip = seller_nip
        self.buyer_nip = buyer_nip
        self._root = parse_xml(template.read_bytes())

    def make(self, number: str) -> bytes:
        root = copy.deepcopy(self._root)
        nip = root.find(f"{{{FA_NS}}}Podmiot1/{{{FA_NS}}}DaneIdentyfikacyjne/{{{FA_NS}}}NIP")
        p2 = root.find(f"{{{FA_NS}}}Fa/{{{FA_NS}}}P_2")
        assert nip is not None and p2 is not None
        nip.text = self.seller_nip
        if self.buyer_nip:
            buyer = root.find(f"{{{FA_NS}}}Podmiot2/{{{FA_NS}}}DaneIdentyfikacyjne/{{{FA_NS}}}NIP")
            assert buyer is not None
            buyer.text = self.buyer_nip
        p2.text = number
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def many(self, count: int, prefix: str = "FV") -> list[tuple[str, bytes]]:
        return [(f"{prefix}-{i:05d}.xml", self.make(f"{prefix}/{i:05d}")) for i in range(1, count + 1)]
