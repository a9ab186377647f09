"""Online sessions over real HTTP: open, send, asynchronous verdicts, close, UPO (digest §14.3)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from functools import partial

import httpx
import pytest
from lxml import etree

from fakturnik.base.ksef_numbers import is_valid_ksef_number
from fakturnik.base.warsaw import warsaw_today
from fakturnik.ksef.crypto import SymmetricKey, aes_cbc_encrypt, b64, rsa_oaep_encrypt, sha256_b64
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import SAMPLES_DIR
from tests.simulator.sessions_kit import (
    FA2,
    OTHER_NIP,
    Ksef,
    edit_session,
    error_code,
    make_invoice,
    nip,
    send_body,
    upo_schema,
    wait_for,
)
from tests.threads import run_threads


def test_happy_path_gives_ksef_number_and_schema_valid_upos(ksef: Ksef) -> None:
    xml = make_invoice(ksef.nip, "FV/HAPPY/1")
    ref = ksef.online()
    inv_ref = ksef.send_ok(ref, xml)
    inv = ksef.decided(ref, inv_ref)
    assert inv["status"]["code"] == 200
    assert inv["invoiceNumber"] == "FV/HAPPY/1"
    assert inv["invoiceHash"] == sha256_b64(xml)
    assert is_valid_ksef_number(inv["ksefNumber"]) and inv["ksefNumber"].startswith(ksef.nip + "-")
    assert inv["invoicingMode"] == "Online"
    assert inv["acquisitionDate"] >= inv["invoicingDate"]

    upo = ksef.http.get(f"/sessions/{ref}/invoices/{inv_ref}/upo")
    assert upo.status_code == 200 and upo.headers["content-type"].startswith("application/xml")
    assert upo.headers["x-ms-meta-hash"] == sha256_b64(upo.content)
    schema = upo_schema()
    doc = etree.fromstring(upo.content)
    assert schema.validate(doc), schema.error_log
    ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
    assert doc.findtext("u:Dokument/u:NumerKSeFDokumentu", namespaces=ns) == inv["ksefNumber"]
    assert doc.findtext("u:Dokument/u:SkrotDokumentu", namespaces=ns) == sha256_b64(xml)
    assert doc.findtext("u:Uwierzytelnienie/u:IdKontekstu/u:Nip", namespaces=ns) == ksef.nip

    by_ksef = ksef.http.get(f"/sessions/{ref}/invoices/ksef/{inv['ksefNumber']}/upo")
    assert by_ksef.status_code == 200 and by_ksef.content == upo.content
    presigned = httpx.get(inv["upoDownloadUrl"])  # no bearer
    assert presigned.status_code == 200 and presigned.content == upo.content
    assert presigned.headers["x-ms-meta-hash"] == sha256_b64(upo.content)
    assert httpx.get(inv["upoDownloadUrl"].replace("sig=", "sig=0")).status_code == 403

    ksef.close_online(ref)
    final = ksef.final(ref)
    assert final["status"]["code"] == 200
    assert (final["invoiceCount"], final["successfulInvoiceCount"], final["failedInvoiceCount"]) == (1, 1, 0)
    page = final["upo"]["pages"][0]
    session_upo = ksef.http.get(f"/sessions/{ref}/upo/{page['referenceNumber']}")
    assert session_upo.status_code == 200
    session_doc = etree.fromstring(session_upo.content)
    assert schema.validate(session_doc), schema.error_log
    assert session_doc.findtext("u:OpisPotwierdzenia/u:CalkowitaLiczbaDokumentow", namespaces=ns) == "1"
    assert httpx.get(page["downloadUrl"]).content == session_upo.content


def test_session_status_moves_through_100_170_200(ksef: Ksef) -> None:
    ref = ksef.online()
    assert ksef.session(ref)["status"]["code"] == 100
    ksef.send_ok(ref, make_invoice(ksef.nip, "FV/S/1"))
    ksef.close_online(ref)
    assert ksef.session(ref)["status"]["code"] in (170, 200)
    assert ksef.final(ref)["status"]["code"] == 200
    again = ksef.http.post(f"/sessions/online/{ref}/close")
    assert again.status_code == 400 and error_code(again) == 21180


def test_closing_without_invoices_cancels_with_440(ksef: Ksef) -> None:
    ref = ksef.online()
    ksef.close_online(ref)
    final = ksef.final(ref)
    assert final["status"]["code"] == 440 and final["status"]["details"] == ["Nie przesłano faktur"]


def test_no_valid_invoice_gives_445(ksef: Ksef) -> None:
    ref = ksef.online()
    inv_ref = ksef.send_ok(ref, make_invoice(OTHER_NIP, "FV/X/1"))
    assert ksef.decided(ref, inv_ref)["status"]["code"] == 410
    ksef.close_online(ref)
    assert ksef.final(ref)["status"]["code"] == 445
    failed = ksef.all_invoices(ref, failed=True)
    assert [f["referenceNumber"] for f in failed] == [inv_ref]
    upo = ksef.http.get(f"/sessions/{ref}/invoices/{inv_ref}/upo")
    assert upo.status_code == 400 and error_code(upo) == 21178


# -- opening -------------------------------------------------------------------------------------


def test_fa2_is_accepted_on_test_but_not_on_prod(ksef: Ksef) -> None:
    assert ksef.open_online(FA2).status_code == 201
    with SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=False)) as prod:
        client = Ksef(prod, nip=ksef.nip)
        r = client.open_online(FA2)
        assert r.status_code == 400 and error_code(r) == 21405
        assert client.open_online().status_code == 201
        client.close()


def test_unknown_form_code_is_21405(ksef: Ksef) -> None:
    r = ksef.open_online({"systemCode": "FA (9)", "schemaVersion": "1-0E", "value": "FA"})
    assert r.status_code == 400 and error_code(r) == 21405


def test_unknown_public_key_id_is_21470(ksef: Ksef) -> None:
    r = ksef.open_online(publicKeyId=b64(b"\x01" * 32))
    assert r.status_code == 400 and error_code(r) == 21470


def test_key_that_cannot_be_unwrapped_gives_session_415(ksef: Ksef, server: SimulatorServer) -> None:
    other = SymmetricKey.generate()
    bogus = b64(rsa_oaep_encrypt(server.sim.keys.by_usage["KsefTokenEncryption"].certificate, other.key))
    r = ksef.open_online(encryptedSymmetricKey=bogus)
    assert r.status_code == 201
    ref = r.json()["referenceNumber"]
    assert ksef.session(ref)["status"]["code"] == 415
    send = ksef.send(ref, make_invoice(ksef.nip))
    assert send.status_code == 400 and error_code(send) == 21180


# -- synchronous send checks ---------------------------------------------------------------------


def test_unknown_or_foreign_session_is_21173(ksef: Ksef, server: SimulatorServer) -> None:
    r = ksef.send("20260101-SO-0000000000-0000000000-00", make_invoice(ksef.nip))
    assert r.status_code == 400 and error_code(r) == 21173
    ref = ksef.online()
    stranger = Ksef(server, nip=nip(777))
    r = stranger.send(ref, make_invoice(stranger.nip))
    assert r.status_code == 400 and error_code(r) == 21173
    assert (
        stranger.http.get(f"/sessions/{ref}").json()["exception"]["exceptionDetailList"][0]["exceptionCode"]
        == 21173
    )
    stranger.close()


def test_size_and_hash_mismatches_are_21402_and_21403(ksef: Ksef) -> None:
    ref = ksef.online()
    body = send_body(ksef.key, make_invoice(ksef.nip))
    r = ksef.http.post(f"/sessions/online/{ref}/invoices", json={**body, "encryptedInvoiceSize": 16})
    assert r.status_code == 400 and error_code(r) == 21402
    r = ksef.http.post(
        f"/sessions/online/{ref}/invoices", json={**body, "encryptedInvoiceHash": sha256_b64(b"other")}
    )
    assert r.status_code == 400 and error_code(r) == 21403
    r = ksef.http.post(f"/sessions/online/{ref}/invoices", json={**body, "invoiceHash": "short"})
    assert r.status_code == 400 and error_code(r) == 21405


def test_invoice_limit_per_session_is_21155(ksef: Ksef) -> None:
    limits = {"maxInvoices": 2, "maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3}
    r = ksef.http.post(
        "/testdata/limits/context/session", json={"onlineSession": limits, "batchSession": limits}
    )
    assert r.status_code == 200, r.text
    ref = ksef.online()
    ksef.send_ok(ref, make_invoice(ksef.nip, "L/1"))
    ksef.send_ok(ref, make_invoice(ksef.nip, "L/2"))
    r = ksef.send(ref, make_invoice(ksef.nip, "L/3"))
    assert r.status_code == 400 and error_code(r) == 21155


def test_concurrent_sends_are_counted_exactly(ksef: Ksef) -> None:
    ref = ksef.online()
    refs: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        inv_ref = ksef.send_ok(ref, make_invoice(ksef.nip, f"C/{i}"))
        with lock:
            refs.append(inv_ref)

    run_threads([partial(worker, i) for i in range(16)])
    ksef.close_online(ref)
    final = ksef.final(ref)
    assert (final["invoiceCount"], final["successfulInvoiceCount"]) == (16, 16)
    listed = ksef.all_invoices(ref)
    assert sorted(i["ordinalNumber"] for i in listed) == list(range(1, 17))
    assert {i["referenceNumber"] for i in listed} == set(refs)
    assert len({i["ksefNumber"] for i in listed}) == 16


# -- asynchronous verdicts -----------------------------------------------------------------------


def _verdict(ksef: Ksef, xml: bytes, **extra: object) -> dict[str, object]:
    ref = ksef.online()
    status: dict[str, object] = ksef.decided(ref, ksef.send_ok(ref, xml, **extra))["status"]
    return status


def test_undecryptable_content_is_435(ksef: Ksef) -> None:
    ref = ksef.online()
    garbage = b"\x00" * 17
    body = {
        "invoiceHash": sha256_b64(b"x"),
        "invoiceSize": 1,
        "encryptedInvoiceHash": sha256_b64(garbage),
        "encryptedInvoiceSize": len(garbage),
        "encryptedInvoiceContent": b64(garbage),
    }
    r = ksef.http.post(f"/sessions/online/{ref}/invoices", json=body)
    assert r.status_code == 202
    assert ksef.decided(ref, r.json()["referenceNumber"])["status"]["code"] == 435


def test_declared_plain_hash_mismatch_is_430(ksef: Ksef) -> None:
    xml = make_invoice(ksef.nip)
    ref = ksef.online()
    body = {**send_body(ksef.key, xml), "invoiceHash": sha256_b64(b"something else")}
    r = ksef.http.post(f"/sessions/online/{ref}/invoices", json=body)
    assert ksef.decided(ref, r.json()["referenceNumber"])["status"]["code"] == 430


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda x: b"\xef\xbb\xbf" + x, "BOM"),
        (lambda x: x.replace(b"?>", b"?><?evil x?>", 1), "instrukcje"),
        (lambda x: x.replace(b"<P_2>", b"<P_2>\xc2\x80", 1), "niezalecany"),
        (lambda x: x.replace(b"UTF-8", b"ISO-8859-2", 1), "kodowania"),
        (lambda x: x.replace(b"<RodzajFaktury>VAT</RodzajFaktury>", b""), "xsd"),
        (lambda x: x.replace(b"crd.gov.pl/wzor/2025/06/25/13775/", b"example.com/ns", 1), "xsd"),
    ],
)
def test_file_verification_errors_are_430(ksef: Ksef, mutate: object, fragment: str) -> None:
    xml = mutate(make_invoice(ksef.nip))  # type: ignore[operator]
    status = _verdict(ksef, xml)
    assert status["code"] == 430
    assert fragment.lower() in " ".join(status["details"]).lower()  # type: ignore[arg-type]


def test_seller_not_entitled_is_410(ksef: Ksef) -> None:
    assert _verdict(ksef, make_invoice(OTHER_NIP))["code"] == 410


def test_issue_date_in_future_is_450(ksef: Ksef) -> None:
    status = _verdict(ksef, make_invoice(ksef.nip, issued=warsaw_today() + timedelta(days=3)))
    assert status["code"] == 450


def test_bad_nip_checksum_is_450_only_on_prod(ksef: Ksef) -> None:
    bad_buyer = "1234567890"  # checksum digit should be 3
    assert _verdict(ksef, make_invoice(ksef.nip, buyer=bad_buyer))["code"] == 200
    with SimulatorServer(SimulatorConfig(profile="prod", rate_limits_enabled=False)) as prod:
        client = Ksef(prod, nip=ksef.nip)
        assert _verdict(client, make_invoice(ksef.nip, buyer=bad_buyer))["code"] == 450
        client.close()


def test_attachment_online_without_correction_is_415(ksef: Ksef) -> None:
    template = SAMPLES_DIR / "csharp-core__invoice-template-fa-3-with-attachment.xml"
    xml = make_invoice(ksef.nip, "ATT/1", template=template)
    assert _verdict(ksef, xml)["code"] == 415


def test_duplicate_is_440_with_original_ksef_number(ksef: Ksef) -> None:
    xml = make_invoice(ksef.nip, "FV/DUP/1")
    first_ref, [first] = ksef.accept(xml)
    ref = ksef.online()
    dup = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "FV/DUP/1")))
    assert dup["status"]["code"] == 440
    assert dup["invoiceNumber"] == "FV/DUP/1"
    assert dup["status"]["extensions"] == {
        "originalSessionReferenceNumber": first_ref,
        "originalKsefNumber": first["ksefNumber"],
    }
    other_kind = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "FV/DUP/1", kind="ZAL")))
    assert other_kind["status"]["code"] != 440


def test_offline_marking(ksef: Ksef) -> None:
    ref = ksef.online()
    late = ksef.decided(
        ref, ksef.send_ok(ref, make_invoice(ksef.nip, "OFF/1", issued=warsaw_today() - timedelta(1)))
    )
    declared = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "OFF/2"), offlineMode=True))
    today = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "OFF/3")))
    assert [late["invoicingMode"], declared["invoicingMode"], today["invoicingMode"]] == [
        "Offline",
        "Offline",
        "Online",
    ]


def test_technical_correction_rules(ksef: Ksef) -> None:
    ref = ksef.online()
    broken = make_invoice(ksef.nip, "TC/1").replace(b"<RodzajFaktury>VAT</RodzajFaktury>", b"")
    assert ksef.decided(ref, ksef.send_ok(ref, broken))["status"]["code"] == 430
    fixed = make_invoice(ksef.nip, "TC/1")
    corr = ksef.decided(
        ref, ksef.send_ok(ref, fixed, offlineMode=True, hashOfCorrectedInvoice=sha256_b64(broken))
    )
    assert corr["status"]["code"] == 200
    again = ksef.send(
        ref, make_invoice(ksef.nip, "TC/2"), offlineMode=True, hashOfCorrectedInvoice=sha256_b64(broken)
    )
    assert again.status_code == 400 and error_code(again) == 21166
    accepted = ksef.send(
        ref, make_invoice(ksef.nip, "TC/3"), offlineMode=True, hashOfCorrectedInvoice=sha256_b64(fixed)
    )
    assert accepted.status_code == 400 and error_code(accepted) == 21167
    unknown = ksef.send(
        ref, make_invoice(ksef.nip, "TC/4"), offlineMode=True, hashOfCorrectedInvoice=sha256_b64(b"?")
    )
    assert unknown.status_code == 400 and error_code(unknown) == 21166


def test_stuck_processing_keeps_150_until_released(ksef: Ksef, server: SimulatorServer) -> None:
    server.sim.faults.stuck_processing = True
    try:
        ref = ksef.online()
        inv_ref = ksef.send_ok(ref, make_invoice(ksef.nip, "STUCK/1"))
        wait_for(lambda: ksef.invoice(ref, inv_ref)["status"]["code"] == 150)
        assert ksef.invoice(ref, inv_ref)["status"]["code"] == 150
    finally:
        server.sim.faults.stuck_processing = False
    assert ksef.decided(ref, inv_ref)["status"]["code"] == 200


def test_processing_delay_shows_150_first() -> None:
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False, processing_delay=0.6)) as srv:
        client = Ksef(srv, nip=nip(4242))
        ref = client.online()
        inv_ref = client.send_ok(ref, make_invoice(client.nip))
        assert client.invoice(ref, inv_ref)["status"]["code"] in (100, 150)
        assert client.decided(ref, inv_ref)["status"]["code"] == 200
        client.close()


def test_wrong_key_content_never_succeeds(ksef: Ksef) -> None:
    xml = make_invoice(ksef.nip, "WK/1")
    ref = ksef.online()
    enc = aes_cbc_encrypt(SymmetricKey.generate(), xml)
    body = {
        "invoiceHash": sha256_b64(xml),
        "invoiceSize": len(xml),
        "encryptedInvoiceHash": sha256_b64(enc),
        "encryptedInvoiceSize": len(enc),
        "encryptedInvoiceContent": b64(enc),
    }
    r = ksef.http.post(f"/sessions/online/{ref}/invoices", json=body)
    assert ksef.decided(ref, r.json()["referenceNumber"])["status"]["code"] in (430, 435)


def test_invoices_from_the_fa3_sample_factory(ksef: Ksef) -> None:
    from fakturnik.fa3.samples import make_sample_invoice
    from fakturnik.fa3.writer import write_invoice

    today = warsaw_today()
    pln = write_invoice(make_sample_invoice(ksef.nip, "SF/1", lines=10, issue_date=today))
    eur = write_invoice(make_sample_invoice(ksef.nip, "SF/2", lines=3, issue_date=today, currency="EUR"))
    _, invoices = ksef.accept(pln, eur)
    assert [i["status"]["code"] for i in invoices] == [200, 200]
    time.sleep(0.05)
    body = {"subjectType": "Subject1", "dateRange": {"dateType": "Invoicing", "from": f"{today}T00:00:00"}}
    rows = ksef.http.post("/invoices/query/metadata", json=body).json()["invoices"]
    assert {r["currency"] for r in rows} == {"PLN", "EUR"}


def test_fa3_invoice_in_an_fa2_session_is_430(ksef: Ksef) -> None:
    r = ksef.open_online(FA2)
    ref = r.json()["referenceNumber"]
    status = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "FA2/1")))["status"]
    assert status["code"] == 430


def test_sweep_closes_expired_sessions_without_being_asked(server: SimulatorServer) -> None:
    from fakturnik.simulator.processing import sweep_expired
    from fakturnik.simulator.session_store import iso

    client = Ksef(server, nip=nip(6061))
    ref = client.online()
    edit_session(server, ref, validUntil=iso(server.sim.now() - timedelta(seconds=1)))
    sweep_expired(server.sim)
    stored = server.sim.state.get("session", ref)
    assert stored is not None and stored["status"]["code"] in (170, 440)
    assert client.final(ref)["status"]["code"] == 440
    client.close()


def test_resending_an_accepted_file_does_not_open_a_technical_correction(ksef: Ksef) -> None:
    xml = make_invoice(ksef.nip, "RS/1")
    ksef.accept(xml)
    ref = ksef.online()
    assert ksef.decided(ref, ksef.send_ok(ref, xml))["status"]["code"] == 440
    r = ksef.send(
        ref, make_invoice(ksef.nip, "RS/2"), offlineMode=True, hashOfCorrectedInvoice=sha256_b64(xml)
    )
    assert r.status_code == 400 and error_code(r) == 21167


def test_pef_invoice_in_a_pef_session(ksef: Ksef) -> None:
    from tests.simulator.sessions_kit import PEF3, make_pef_invoice

    r = ksef.open_online(PEF3)
    assert r.status_code == 201, r.text
    ref = r.json()["referenceNumber"]
    ok = ksef.decided(ref, ksef.send_ok(ref, make_pef_invoice(ksef.nip, OTHER_NIP, "PEF/1")))
    assert ok["status"]["code"] == 200 and ok["ksefNumber"].startswith(ksef.nip)
    foreign = ksef.decided(ref, ksef.send_ok(ref, make_pef_invoice(OTHER_NIP, ksef.nip, "PEF/2")))
    assert foreign["status"]["code"] == 410
    fa3_in_pef = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "PEF/3")))
    assert fa3_in_pef["status"]["code"] == 430
    time.sleep(0.05)
    body = {
        "subjectType": "Subject1",
        "dateRange": {"dateType": "Invoicing", "from": f"{warsaw_today()}T00:00:00"},
        "formType": "PEF",
    }
    rows = ksef.http.post("/invoices/query/metadata", json=body).json()["invoices"]
    assert [(row["invoiceType"], row["grossAmount"]) for row in rows] == [("VatPef", 123.0)]


def test_a_failing_job_ends_with_500_instead_of_hanging(ksef: Ksef, monkeypatch: pytest.MonkeyPatch) -> None:
    from fakturnik.simulator import decisions

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(decisions, "judge", boom)
    ref = ksef.online()
    inv = ksef.decided(ref, ksef.send_ok(ref, make_invoice(ksef.nip, "BUG/1")))
    assert inv["status"]["code"] == 500
    ksef.close_online(ref)
    assert ksef.final(ref)["status"]["code"] == 445
