"""X-KSeF-Feature (API 2.8.0, from the changelog): subject-identifier-validation on test environments."""

from __future__ import annotations

from fakturnik.simulator import features
from tests.simulator.sessions_kit import FA3, Ksef, encryption_block, make_invoice

BAD_BUYER = "1234567890"  # checksum digit should be 3


def _code(ksef: Ksef, header: str | None) -> int:
    headers = {features.HEADER: header} if header else {}
    r = ksef.http.post(
        "/sessions/online",
        json={"formCode": FA3, "encryption": encryption_block(ksef.server, ksef.key)},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    ref = r.json()["referenceNumber"]
    code: int = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, buyer=BAD_BUYER)))["status"][
        "code"
    ]
    return code


def test_without_the_header_test_accepts_a_bad_buyer_nip(ksef: Ksef) -> None:
    assert _code(ksef, None) == 200


def test_with_the_header_the_parties_are_validated(ksef: Ksef) -> None:
    assert _code(ksef, "subject-identifier-validation") == 450


def test_unknown_features_are_ignored(ksef: Ksef) -> None:
    assert _code(ksef, "some-future-feature") == 200
    assert features.requested({"X-KSeF-Feature": "Subject-Identifier-Validation, x"}) == [
        "subject-identifier-validation"
    ]
