"""KsefClient against the simulator over HTTP: auth operations, tokens, permissions, certificates,
limits, test data, Peppol, errors — and no secret in any repr or error text."""

from __future__ import annotations

import time
from typing import Any

import pytest

from fakturnik.errors import KsefApiError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.client import KsefClient, Page
from fakturnik.ksef.csr import build_csr
from fakturnik.ksef.environments import local
from fakturnik.ksef.sessions import PublicKeys
from fakturnik.ksef.transport import Transport
from tests.ksef.clientkit import client_for, random_nip

PERSON_DETAILS = {
    "subjectDetailsType": "PersonByIdentifier",
    "personById": {"firstName": "Anna", "lastName": "Nowak"},
}


def _wait_permission_op(client: KsefClient, ref: str) -> int:
    for _ in range(100):
        code = client.permission_operation_status(ref).status.code
        if code != 100:
            return code
        time.sleep(0.05)
    raise AssertionError("permission operation stuck at 100")


def _public_client(server: Any) -> KsefClient:
    return KsefClient(Transport(local(server.base_url)))


def test_ksef_token_lifecycle_and_token_login_through_client_methods(simulator: Any) -> None:
    nip = random_nip()
    owner = client_for(simulator, nip)
    created = owner.create_token(
        m.GenerateTokenRequest(permissions=["InvoiceRead", "InvoiceWrite"], description="token CI")
    )
    assert owner.token_status(created.referenceNumber).status in ("Pending", "Active")
    assert created.referenceNumber in {t.referenceNumber for t in owner.iter_tokens(page_size=10)}
    for _ in range(100):
        if owner.token_status(created.referenceNumber).status == "Active":
            break
        time.sleep(0.05)

    public = _public_client(simulator)
    challenge = public.auth_challenge()
    cert = PublicKeys(public).get("KsefTokenEncryption")
    secret = f"{created.token}|{challenge.timestampMs}".encode()
    init = public.auth_ksef_token(
        m.InitTokenAuthenticationRequest(
            challenge=challenge.challenge,
            contextIdentifier=m.AuthenticationContextIdentifier(type="Nip", value=nip),
            encryptedToken=crypto.b64(crypto.rsa_oaep_encrypt(crypto.unb64(cert.certificate), secret)),
            publicKeyId=cert.publicKeyId,
        )
    )
    op_token = init.authenticationToken.token
    for _ in range(100):
        status = public.auth_status(init.referenceNumber, op_token)
        if status.status.code != 100:
            break
        time.sleep(0.05)
    assert status.status.code == 200
    tokens = public.auth_token_redeem(op_token)
    refreshed = public.auth_token_refresh(tokens.refreshToken.token)
    assert refreshed.accessToken.token
    with pytest.raises(KsefApiError):
        public.auth_token_redeem(op_token)  # once only

    owner.revoke_token(created.referenceNumber)
    assert owner.token_status(created.referenceNumber).status in ("Revoking", "Revoked")


def test_auth_sessions_list_and_revoke(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    other = client_for(simulator, nip)
    items = list(client.iter_auth_sessions(page_size=10))
    assert len(items) == 2 and sum(1 for i in items if i.isCurrent) == 1
    victim = next(i for i in items if not i.isCurrent)  # the session of `other`
    client.auth_session_revoke(victim.referenceNumber)
    with pytest.raises(KsefApiError):
        other.auth_token_refresh()
    client.auth_session_revoke_current()
    with pytest.raises(KsefApiError):
        client.auth_token_refresh()


def test_permissions_grant_query_revoke(simulator: Any) -> None:
    nip, person = random_nip(), random_nip()
    client = client_for(simulator, nip)
    op = client.grant_person_permissions(
        m.PersonPermissionsGrantRequest.model_validate(
            {
                "subjectIdentifier": {"type": "Nip", "value": person},
                "permissions": ["InvoiceRead", "InvoiceWrite"],
                "description": "księgowa",
                "subjectDetails": PERSON_DETAILS,
            }
        )
    )
    assert _wait_permission_op(client, op.referenceNumber) == 200
    granted = client.query_person_permissions(
        m.PersonPermissionsQueryRequest(queryType="PermissionsGrantedInCurrentContext"), Page(0, 10)
    )
    mine = [p for p in granted.permissions if p.authorizedIdentifier.value == person]
    assert {p.permissionScope for p in mine} == {"InvoiceRead", "InvoiceWrite"}
    revoke = client.revoke_common_permission(mine[0].id)
    assert _wait_permission_op(client, revoke.referenceNumber) == 200
    after = client.query_person_permissions(
        m.PersonPermissionsQueryRequest(queryType="PermissionsGrantedInCurrentContext"), Page(0, 10)
    )
    assert len([p for p in after.permissions if p.authorizedIdentifier.value == person]) == 1


def test_entity_grant_and_received_query(simulator: Any) -> None:
    client_nip, office_nip = random_nip(), random_nip()
    client = client_for(simulator, client_nip)
    op = client.grant_entity_permissions(
        m.EntityPermissionsGrantRequest.model_validate(
            {
                "subjectIdentifier": {"type": "Nip", "value": office_nip},
                "permissions": [{"type": "InvoiceRead", "canDelegate": True}],
                "description": "biuro rachunkowe",
                "subjectDetails": {"fullName": "Biuro Rachunkowe Sp. z o.o."},
            }
        )
    )
    assert _wait_permission_op(client, op.referenceNumber) == 200
    office = client_for(simulator, office_nip)
    received = office.query_entity_permissions(m.EntityPermissionsQueryRequest(), Page(0, 10))
    assert any(p.contextIdentifier.value == client_nip for p in received.permissions)
    assert office.query_entity_roles(Page(0, 10)).roles == []
    assert (
        client.query_personal_permissions(m.PersonalPermissionsQueryRequest(), Page(0, 10)).hasMore is False
    )
    assert client.attachment_permission_status().isAttachmentAllowed is False


@pytest.mark.parametrize("certificate_type", ["Authentication", "Offline"])
def test_certificate_enroll_retrieve_query_revoke(simulator: Any, certificate_type: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    assert client.certificate_limits().canRequest
    data = client.certificate_enrollment_data()
    request = build_csr(data.model_dump(exclude_none=True))
    enrolled = client.enroll_certificate(
        m.EnrollCertificateRequest(
            certificateName="Serwer faktur", certificateType=certificate_type, csr=request.b64
        )
    )
    for _ in range(100):
        status = client.certificate_enrollment_status(enrolled.referenceNumber)
        if status.status.code != 100:
            break
        time.sleep(0.05)
    assert status.status.code == 200 and status.certificateSerialNumber
    serial = status.certificateSerialNumber
    got = client.retrieve_certificates(m.RetrieveCertificatesRequest(certificateSerialNumbers=[serial]))
    assert got.certificates[0].certificateType == certificate_type
    listed = client.query_certificates(m.QueryCertificatesRequest(), Page(0, 10))
    assert [c.certificateSerialNumber for c in listed.certificates] == [serial]
    client.revoke_certificate(serial, m.RevokeCertificateRequest(revocationReason="Superseded"))
    assert client.query_certificates(m.QueryCertificatesRequest(status="Revoked")).certificates
    assert "private_key=<redacted>" in repr(request)


def test_limits_rate_limits_and_test_data(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    assert client.context_limits().onlineSession.maxInvoices == 10_000
    assert client.subject_limits().certificate is not None
    assert client.rate_limits().invoiceSend.perHour == 180
    client.testdata_set_session_limits(
        m.SetSessionLimitsRequest.model_validate(
            {
                "onlineSession": {
                    "maxInvoiceSizeInMB": 1,
                    "maxInvoiceWithAttachmentSizeInMB": 3,
                    "maxInvoices": 5,
                },
                "batchSession": {
                    "maxInvoiceSizeInMB": 1,
                    "maxInvoiceWithAttachmentSizeInMB": 3,
                    "maxInvoices": 5,
                },
            }
        )
    )
    assert client.context_limits().onlineSession.maxInvoices == 5
    client.testdata_reset_session_limits()
    assert client.context_limits().onlineSession.maxInvoices == 10_000
    limits = {"perSecond": 1, "perMinute": 2, "perHour": 3}
    groups = list(m.ApiRateLimitsOverride.model_fields)
    client.testdata_set_rate_limits(
        m.SetRateLimitsRequest.model_validate({"rateLimits": dict.fromkeys(groups, limits)})
    )
    assert client.rate_limits().invoiceSend.perHour == 3
    client.testdata_production_rate_limits()
    assert client.rate_limits().invoiceSend.perHour == 180
    client.testdata_reset_rate_limits()
    client.testdata_set_subject_limits(
        m.SetSubjectLimitsRequest.model_validate(
            {"subjectIdentifierType": "Nip", "certificate": {"maxCertificates": 2}}
        )
    )
    client.testdata_reset_subject_limits()

    public = _public_client(simulator)
    person_nip = random_nip()
    public.testdata_create_person(
        m.PersonCreateRequest(
            nip=person_nip, pesel="90010112345", isBailiff=False, description="osoba testowa"
        )
    )
    public.testdata_remove_person(m.PersonRemoveRequest(nip=person_nip))
    group = random_nip()
    public.testdata_create_subject(
        m.SubjectCreateRequest(subjectNip=group, subjectType="VatGroup", description="grupa VAT")
    )
    public.testdata_remove_subject(m.SubjectRemoveRequest(subjectNip=group))
    public.testdata_allow_attachments(m.AttachmentPermissionGrantRequest(nip=nip))
    assert client.attachment_permission_status().isAttachmentAllowed is True
    public.testdata_revoke_attachments(m.AttachmentPermissionRevokeRequest(nip=nip))
    ctx = {"type": "Nip", "value": nip}
    public.testdata_block_context(
        m.BlockContextAuthenticationRequest.model_validate({"contextIdentifier": ctx})
    )
    public.testdata_unblock_context(
        m.UnblockContextAuthenticationRequest.model_validate({"contextIdentifier": ctx})
    )
    assert public.query_peppol_providers(Page(0, 10)).peppolProviders == []


def test_api_errors_carry_ksef_codes(simulator: Any) -> None:
    client = client_for(simulator, random_nip())
    with pytest.raises(KsefApiError) as err:
        client.session_status("20250625-SO-2C3E6C8000-B675CF5D68-07")
    assert err.value.status_code == 400 and 21173 in err.value.codes


def test_no_secret_in_reprs_or_errors(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    tokens = client.transport.tokens
    assert tokens is not None
    access = tokens.bearer("access")
    created = client.create_token(
        m.GenerateTokenRequest(permissions=["InvoiceRead"], description="sekretny token")
    )
    texts = [repr(client), repr(client.transport), repr(tokens)]
    try:
        client.session_status("20250625-SO-2C3E6C8000-B675CF5D68-07")
    except KsefApiError as exc:
        texts += [str(exc), repr(exc)]
    for text in texts:
        assert access not in text and created.token not in text


def test_xades_login_through_client_methods(simulator: Any) -> None:
    from fakturnik.ksef.context import ContextIdentifier
    from fakturnik.ksef.xades import sign_new_auth_request
    from tests.ksef.identities import seal_credential

    nip = random_nip()
    public = _public_client(simulator)
    challenge = public.auth_challenge()
    signed = sign_new_auth_request(seal_credential(nip), ContextIdentifier.nip(nip), challenge.challenge)
    init = public.auth_xades_signature(signed, verify_certificate_chain=False)
    for _ in range(100):
        status = public.auth_status(init.referenceNumber, init.authenticationToken.token)
        if status.status.code != 100:
            break
        time.sleep(0.05)
    assert status.status.code == 200 and status.authenticationMethodInfo.category == "XadesSignature"
    tokens = public.auth_token_redeem(init.authenticationToken.token)
    assert tokens.accessToken.validUntil < tokens.refreshToken.validUntil


def test_enrolled_certificate_logs_in(simulator: Any) -> None:
    from fakturnik.ksef.auth import AuthManager
    from fakturnik.ksef.context import ContextIdentifier
    from fakturnik.ksef.enrollment import enroll_certificate
    from fakturnik.ksef.sessions import Poller

    nip = random_nip()
    enrolled = enroll_certificate(
        client_for(simulator, nip), "Serwer faktur", poller=Poller(timeout=60, initial=0.05)
    )
    assert "redacted" in repr(enrolled)
    manager = AuthManager.with_certificate(
        Transport(local(simulator.base_url)), ContextIdentifier.nip(nip), enrolled.credential
    )
    client = KsefClient(manager.api)
    assert client.context_limits().onlineSession.maxInvoices > 0
    assert manager.authentications == 1
    assert any(i.isCurrent for i in client.iter_auth_sessions())
