"""Online sessions against the simulator over real HTTP: reuse, waits, UPO, duplicates, key rotation."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakturnik.base.ksef_numbers import is_valid_ksef_number
from fakturnik.base.xmlsafe import parse_xml
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.sessions import (
    OnlineSession,
    Poller,
    PublicKeys,
    build_send_request,
    select_public_key,
    send_all,
)
from tests.ksef.clientkit import InvoiceFactory, client_for, random_nip

UPO_NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
FAST = Poller(timeout=60, initial=0.05, maximum=0.5)


def route_counts(server: Any) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for row in server.sim.stats.as_json()["byRoute"]:
        counts[(row["method"], row["route"])] += row["count"]
    return counts


# --- pure helpers ------------------------------------------------------------------------------------


def _cert(valid_from: datetime, usage: list[str], key_id: str) -> m.PublicKeyCertificate:
    return m.PublicKeyCertificate(
        certificate="AA==",
        certificateId="x" * 44,
        publicKeyId=key_id,
        validFrom=valid_from,
        validTo=valid_from + timedelta(days=365),
        usage=usage,  # type: ignore[arg-type]
    )


def test_select_public_key_prefers_latest_valid_of_the_usage() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    old = _cert(now - timedelta(days=200), ["SymmetricKeyEncryption"], "old")
    new = _cert(now - timedelta(days=10), ["SymmetricKeyEncryption"], "new")
    future = _cert(now + timedelta(days=10), ["SymmetricKeyEncryption"], "future")
    token = _cert(now - timedelta(days=1), ["KsefTokenEncryption"], "token")
    assert select_public_key([old, new, future, token], "SymmetricKeyEncryption", now).publicKeyId == "new"
    assert select_public_key([old, new, future, token], "KsefTokenEncryption", now).publicKeyId == "token"


def test_send_request_hashes_sizes_and_ciphertext() -> None:
    key = crypto.SymmetricKey.generate()
    xml = b"<Faktura>" + b"x" * 100 + b"</Faktura>"
    req = build_send_request(key, xml)
    encrypted = crypto.unb64(req.encryptedInvoiceContent)
    assert req.invoiceSize == len(xml) and req.invoiceHash == crypto.sha256_b64(xml)
    assert req.encryptedInvoiceSize == len(encrypted) == crypto.encrypted_size(len(xml))
    assert req.encryptedInvoiceHash == crypto.sha256_b64(encrypted)
    assert crypto.aes_cbc_decrypt(key, encrypted) == xml
    assert req.offlineMode is False


# --- against the simulator ---------------------------------------------------------------------------


def test_one_session_reused_for_many_invoices(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    factory = InvoiceFactory(nip)
    session = OnlineSession(client, poller=FAST)
    with session:
        sent = [session.send(factory.make(f"R/{i}")) for i in range(5)]
        outcomes = session.wait_for_all(sent)
    assert [o.status_code for o in outcomes] == [200] * 5
    assert all(o.ksef_number and is_valid_ksef_number(o.ksef_number) for o in outcomes)
    assert {o.ksef_number[:10] for o in outcomes if o.ksef_number} == {nip}
    assert [o.invoice_number for o in outcomes] == [f"R/{i}" for i in range(5)]
    counts = route_counts(simulator)
    opened = sum(
        n for (verb, route), n in counts.items() if verb == "POST" and route.endswith("/sessions/online")
    )
    assert opened == 1
    final = session.wait_until_processed()
    assert final.status.code == 200
    assert final.successfulInvoiceCount == 5


def test_invoice_and_session_upo(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    xml = InvoiceFactory(nip).make("UPO/1")
    session = OnlineSession(client, poller=FAST)
    with session:
        sent = session.send(xml)
        outcome = session.wait_for_invoice(sent)
        upo = session.invoice_upo(sent)
    assert upo.sha256_b64 == crypto.sha256_b64(upo.content)
    doc = parse_xml(upo.content)
    assert doc.findtext(f".//{{{UPO_NS}}}NumerKSeFDokumentu") == outcome.ksef_number
    assert doc.findtext(f".//{{{UPO_NS}}}SkrotDokumentu") == crypto.sha256_b64(xml)
    by_number = client.invoice_upo_by_ksef_number(session.ref, outcome.ksef_number or "")
    assert parse_xml(by_number.content).findtext(f".//{{{UPO_NS}}}NumerKSeFDokumentu") == outcome.ksef_number
    session.wait_until_processed()
    pages = session.session_upo_pages()
    assert len(pages) == 1
    assert parse_xml(pages[0].content).findtext(f".//{{{UPO_NS}}}NumerKSeFDokumentu") == outcome.ksef_number


def test_duplicate_invoice_reports_original_ksef_number(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    xml = InvoiceFactory(nip).make("DUP/1")
    _, first = send_all(client, [xml], poller=FAST)
    _, second = send_all(client, [xml], poller=FAST)
    assert first[0].accepted
    assert second[0].status_code == 440
    assert second[0].duplicate_of == first[0].ksef_number


def test_invalid_invoice_is_rejected_with_details(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    broken = InvoiceFactory(nip).make("BAD/1").replace(b"<P_15>", b"<P_15X>").replace(b"</P_15>", b"</P_15X>")
    _, outcomes = send_all(client, [broken], poller=FAST)
    assert outcomes[0].status_code in (430, 450)  # XSD failure: file verification error
    assert outcomes[0].details
    assert not outcomes[0].accepted and outcomes[0].ksef_number is None


def test_session_listing_and_failed_listing(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    factory = InvoiceFactory(nip)
    ref, outcomes = send_all(client, [factory.make("L/1"), b"<broken/>"], poller=FAST)
    assert sorted(o.status_code for o in outcomes)[0] == 200
    everything = list(client.iter_session_invoices(ref, page_size=10))
    failed = list(client.iter_session_invoices(ref, failed_only=True, page_size=10))
    assert len(everything) == 2 and len(failed) == 1
    sessions = client.list_sessions("Online", page_size=10)
    assert ref in {s.referenceNumber for s in sessions.sessions}
    assert ref in {s.referenceNumber for s in client.iter_sessions("Online", page_size=10)}


def test_withdrawn_public_key_is_refetched(simulator: Any) -> None:
    """21470 (unknown publicKeyId) → refetch the Ministry keys and retry once."""
    nip = random_nip()
    client = client_for(simulator, nip)
    keys = PublicKeys(client)
    real = client.public_key_certificates()
    keys._certs = [c.model_copy(update={"publicKeyId": "A" * 43 + "="}) for c in real]
    session = OnlineSession(client, public_keys=keys, poller=FAST)
    with session:
        outcome = session.wait_for_invoice(session.send(InvoiceFactory(nip).make("K/1")))
    assert outcome.accepted


def test_send_after_close_is_refused(simulator: Any) -> None:
    nip = random_nip()
    session = OnlineSession(client_for(simulator, nip), poller=FAST).open()
    session.close()
    with pytest.raises(Exception, match="zamknięta"):
        session.send(b"<x/>")
    assert "key" not in repr(session).lower()


def test_session_is_renewed_at_its_invoice_limit(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    factory = InvoiceFactory(nip)
    session = OnlineSession(client, poller=FAST, max_invoices=2)
    with session:
        sent = [session.send(factory.make(f"N/{i}")) for i in range(5)]
        outcomes = session.wait_for_all(sent)
        upo = session.invoice_upo(sent[0])
    assert all(o.accepted for o in outcomes)
    assert len(session.closed_sessions) == 2
    assert len({s.session_reference_number for s in sent}) == 3
    assert outcomes[0].ksef_number and outcomes[0].ksef_number.encode() in upo.content


def test_session_is_renewed_before_valid_until(simulator: Any) -> None:
    nip = random_nip()
    clock = [datetime.now(UTC)]
    session = OnlineSession(client_for(simulator, nip), poller=FAST, now=lambda: clock[0])
    factory = InvoiceFactory(nip)
    with session:
        first = session.send(factory.make("V/1"))
        clock[0] += timedelta(hours=11, minutes=55)  # 5 minutes before the 12 h validUntil
        second = session.send(factory.make("V/2"))
        assert first.session_reference_number != second.session_reference_number
        assert session.wait_for_invoice(first).accepted and session.wait_for_invoice(second).accepted


def test_lost_answer_is_reconciled_by_hash(simulator: Any) -> None:
    nip = random_nip()
    session = OnlineSession(client_for(simulator, nip), poller=FAST)
    xml = InvoiceFactory(nip).make("H/1")
    with session:
        sent = session.send(xml)  # imagine the answer was lost: only the hash is known
        session.wait_for_invoice(sent)
        found = session.find_by_hash(crypto.sha256_b64(xml))
        assert found is not None and found.accepted and found.reference_number == sent.reference_number
        assert session.find_by_hash(crypto.sha256_b64(b"other")) is None


def test_no_secret_in_debug_logs(simulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    nip = random_nip()
    client = client_for(simulator, nip)
    tokens = client.transport.tokens
    assert tokens is not None
    access = tokens.bearer("access")
    caplog.set_level(logging.DEBUG)
    session = OnlineSession(client, poller=FAST).open()
    key = session._key
    assert key is not None
    outcome = session.wait_for_invoice(session.send(InvoiceFactory(nip).make("LOG/1")))
    session.close()
    assert outcome.accepted
    text = caplog.text + repr(session)
    for secret in (access, crypto.b64(key.key), key.key.hex()):
        assert secret not in text


def test_threads_share_one_session_under_production_limits(simulator_factory: Any) -> None:
    """Four threads send through one session with the production rate limits on: no 429 at all."""
    from concurrent.futures import ThreadPoolExecutor

    from fakturnik.ksef.throttle import Throttle
    from fakturnik.simulator.config import SimulatorConfig

    server = simulator_factory(SimulatorConfig(profile="test", rate_limits_enabled=True))
    nip = random_nip()
    client = client_for(server, nip, throttle=Throttle())
    factory = InvoiceFactory(nip)
    session = OnlineSession(client, poller=Poller(timeout=120, initial=0.5, maximum=2.0))
    with session, ThreadPoolExecutor(4) as pool:
        sent = list(pool.map(lambda i: session.send(factory.make(f"T/{i}")), range(16)))
        outcomes = list(pool.map(session.wait_for_invoice, sent))
    assert all(o.accepted for o in outcomes)
    assert len({o.ksef_number for o in outcomes}) == 16
    assert "429" not in server.sim.stats.as_json()["byStatus"]


def test_a_paused_session_raises_21184_and_a_new_session_takes_the_invoice(simulator: Any) -> None:
    import httpx

    from fakturnik.errors import KsefSessionUnavailableError
    from fakturnik.ksef.sessions import OnlineSession

    nip = random_nip()
    client = client_for(simulator, nip)
    factory = InvoiceFactory(nip)
    httpx.post(
        simulator.root_url + "/admin/faults",
        json={"sessionUnavailable": 1, "sessionUnavailableAfter": 1},
        timeout=10,
    ).raise_for_status()
    try:
        with OnlineSession(client, poller=FAST) as session:
            first = session.send(factory.make("P/1"))
            with pytest.raises(KsefSessionUnavailableError) as caught:
                session.send(factory.make("P/2"))
            assert caught.value.status_code == 400 and 21184 in caught.value.codes
            assert session.wait_for_invoice(first).accepted  # what it took is processed
        _, (second,) = send_all(client, [factory.make("P/2")], poller=FAST)
        assert second.accepted
    finally:
        httpx.post(simulator.root_url + "/admin/faults/reset", timeout=10).raise_for_status()
