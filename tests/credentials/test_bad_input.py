"""Bad input around certificates: the wrong KSeF type, a password that does not open the PKCS#12 file,
an expired or a revoked certificate — a precise Polish error, and nothing changed (production profile)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fakturnik.app import Fakturnik
from fakturnik.errors import InputError
from fakturnik.ksef.credentials import CertificateCredential, load_pem, save_pkcs12
from fakturnik.ksef.enrollment import enroll_certificate
from fakturnik.ksef.sessions import Poller
from tests.credentials.kit import NIP_A, owner_client, portal_certificate
from tests.ksef.identities import new_key, self_signed_between


def _snapshot(fk: Fakturnik, cid: int) -> tuple[object, ...]:
    cred = fk.companies.credential(cid)
    rows = tuple((c.serial, c.active, c.ksef_status) for c in fk.certificates.list(cid))
    with fk.ctx.db.transaction() as s:
        from sqlalchemy import func, select

        from fakturnik.store.models import VaultSecret

        secrets_count = s.scalar(select(func.count()).select_from(VaultSecret))
    return (cred.kind if cred else None, cred.serial if cred else None, rows, secrets_count)


def _vault_credential(fk: Fakturnik, cid: int, kind: str) -> CertificateCredential:
    from fakturnik.store.models import Credential

    with fk.ctx.db.transaction() as s:
        from sqlalchemy import select

        name = s.scalar(
            select(Credential.secret_name).where(
                Credential.company_id == cid, Credential.kind == kind, Credential.active.is_(True)
            )
        )
    assert name
    return load_pem(fk.ctx.vault.get(name + ".cert").reveal(), fk.ctx.vault.get(name + ".key").reveal())


def _pem(credential: CertificateCredential) -> tuple[bytes, bytes]:
    return (
        credential.certificate.public_bytes(serialization.Encoding.PEM),
        credential.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def test_bad_certificates_are_refused_and_nothing_changes(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    portal_certificate(fk_prod, cid)
    assert fk_prod.certificates.enroll(cid, ["offline"]).ok
    before = _snapshot(fk_prod, cid)

    # the Offline certificate handed in as the login credential (upload, and the plain credential upload)
    offline = _vault_credential(fk_prod, cid, "offline_certificate")
    p12 = save_pkcs12(offline, b"dobre-haslo")
    with pytest.raises(InputError, match="typu Offline") as wrong_type:
        fk_prod.certificates.upload(cid, pkcs12=p12, password="dobre-haslo")
    assert wrong_type.value.problems[0].path == "certificate" and "KOD II" in str(wrong_type.value)
    with pytest.raises(InputError, match="typu Offline"):
        fk_prod.companies.set_pkcs12(cid, p12, "dobre-haslo")
    # … and an Authentication one handed in as the Offline certificate
    auth = _vault_credential(fk_prod, cid, "certificate")
    with pytest.raises(InputError, match="nie jest certyfikatem KSeF typu Offline"):
        fk_prod.certificates.upload(
            cid, pkcs12=save_pkcs12(auth, b"x-haslo"), password="x-haslo", offline=True
        )

    # a password that does not open the file
    with pytest.raises(InputError, match="złe hasło") as bad_password:
        fk_prod.certificates.upload(cid, pkcs12=save_pkcs12(auth, b"dobre-haslo"), password="złe-hasło")
    assert bad_password.value.problems[0].path == "password" and "złe-hasło" not in str(bad_password.value)
    with pytest.raises(InputError, match="PKCS#12"):
        fk_prod.certificates.upload(cid, pkcs12=b"to nie jest plik", password="x")

    # an expired certificate
    key = new_key("ec")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Stary certyfikat")])
    now = datetime.now(UTC)
    expired = self_signed_between(name, key, now - timedelta(days=400), now - timedelta(days=35))
    cert_pem, key_pem = _pem(CertificateCredential(expired, key))
    with pytest.raises(InputError, match="wygasł"):
        fk_prod.certificates.upload(cid, certificate_pem=cert_pem, private_key_pem=key_pem)

    # a KSeF certificate revoked in KSeF (e.g. at the portal) before it was handed in
    client = owner_client(fk_prod)
    revoked = enroll_certificate(client, "Odwolany certyfikat", "Authentication", poller=Poller(timeout=30))
    client.revoke_certificate(revoked.serial_number)
    client.close()
    cert_pem, key_pem = _pem(revoked.credential)
    with pytest.raises(InputError, match="unieważniony w KSeF") as was_revoked:
        fk_prod.certificates.upload(cid, certificate_pem=cert_pem, private_key_pem=key_pem)
    assert revoked.serial_number in str(was_revoked.value) and "Nic nie zapisano" in str(was_revoked.value)

    # other bad input
    with pytest.raises(InputError, match="rodzaj"):
        fk_prod.certificates.enroll(cid, ["Qualified"])
    with pytest.raises(InputError, match="margines"):
        fk_prod.certificates.set_policy(cid, margin_days=0)
    with pytest.raises(InputError, match="już zapisany"):
        fk_prod.certificates.upload(cid, pkcs12=save_pkcs12(auth, b"dobre-haslo"), password="dobre-haslo")
    assert _snapshot(fk_prod, cid) == before
    assert "PRIVATE" not in repr(fk_prod.certificates.list(cid))


def test_a_good_certificate_is_uploaded_after_a_test_login(fk_prod: Fakturnik) -> None:
    cid = fk_prod.companies.by_nip(NIP_A).id
    client = owner_client(fk_prod)
    enrolled = enroll_certificate(client, "Certyfikat z portalu", "Authentication", poller=Poller(timeout=30))
    client.close()
    result = fk_prod.certificates.upload(
        cid, pkcs12=save_pkcs12(enrolled.credential, b"haslo-p12"), password="haslo-p12"
    )
    assert result.ok and result.changed, result.message
    assert fk_prod.companies.credential(cid).serial == enrolled.serial_number  # type: ignore[union-attr]
