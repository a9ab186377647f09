"""A client no one here wrote: the PyPI package ``ksef-client`` completes its flows against the simulator.

XAdES login with a self-signed certificate (test profile) → KSeF token → token login → online
session → FA(3) sent → KSeF number → UPO → close → session UPO → metadata query → download; then a
batch session, whose upload URLs the client only accepts on a non-loopback host name, so the
simulator runs with ``--public-url`` on an alias of 127.0.0.1.
"""

from __future__ import annotations

import socket
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer, free_port
from tests.simulator import grants_kit as kit
from tests.simulator.spec_check import ResponseRecorder

ksef_client = pytest.importorskip("ksef_client")
from ksef_client import KsefClient, KsefClientOptions  # noqa: E402
from ksef_client import models as m  # noqa: E402
from ksef_client.services import AuthCoordinator, OnlineSessionWorkflow  # noqa: E402

FORM_CODE = m.FormCode(system_code="FA (3)", schema_version="1-0E", value="FA")


def _xmlsec_usable() -> str | None:
    try:
        import xmlsec  # noqa: F401
    except Exception as exc:  # ImportError, or libxml2 version mismatch with lxml
        return f"{type(exc).__name__}: {exc}"
    return None


def _host_alias() -> tuple[str, str]:
    """``(host name, its address)``: a name the client accepts in upload URLs (not 'localhost', not
    an IP literal) and the local address it resolves to, where the simulator then listens."""
    for name in (socket.gethostname(), "localhost.localdomain"):
        try:
            address = socket.gethostbyname(name)
        except OSError:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((address, 0))
            except OSError:
                continue
        return name, address
    pytest.skip("no host name other than 'localhost' resolves to a local address here")


def _recorded(server: SimulatorServer) -> ResponseRecorder:
    """Wrap the app before start: every response the client gets is checked against the spec."""
    recorder = ResponseRecorder(server.app)
    server.app = recorder  # type: ignore[assignment]
    return recorder


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    s = SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False))
    s.recorder = _recorded(s)  # type: ignore[attr-defined]
    with s:
        yield s


@pytest.fixture(autouse=True)
def responses_match_the_spec(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, every response the simulator sent (happy paths included) fits the spec."""
    yield
    for name in ("server", "aliased"):
        if name in request.fixturenames:
            value = request.getfixturevalue(name)
            server = value[0] if isinstance(value, tuple) else value
            recorder: ResponseRecorder = server.recorder
            problems = recorder.problems()
            recorder.seen.clear()
            assert problems == [], "\n".join(problems)


@pytest.fixture(scope="module")
def client(server: SimulatorServer) -> Iterator[KsefClient]:
    with KsefClient(KsefClientOptions(base_url=server.base_url)) as c:
        yield c


@pytest.fixture(scope="module")
def aliased() -> Iterator[tuple[SimulatorServer, KsefClient]]:
    """A simulator whose upload URLs (``--public-url``) name the machine, not the loopback."""
    name, address = _host_alias()
    port = free_port(address)
    config = SimulatorConfig(profile="test", rate_limits_enabled=False, public_url=f"http://{name}:{port}")
    s = SimulatorServer(config, host=address, port=port)
    s.recorder = _recorded(s)  # type: ignore[attr-defined]
    with s:
        options = KsefClientOptions(base_url=s.base_url, strict_presigned_url_validation=False)
        with KsefClient(options) as c:
            yield s, c


# Every operation the online flow below goes through (17), each checked against the spec on the way.
FULL_FLOW_OPERATIONS = {
    ("GET", "/security/public-key-certificates"),
    ("POST", "/auth/challenge"),
    ("POST", "/auth/xades-signature"),
    ("POST", "/auth/ksef-token"),
    ("GET", "/auth/{referenceNumber}"),
    ("POST", "/auth/token/redeem"),
    ("POST", "/tokens"),
    ("GET", "/tokens/{referenceNumber}"),
    ("POST", "/sessions/online"),
    ("POST", "/sessions/online/{referenceNumber}/invoices"),
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"),
    ("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"),
    ("POST", "/sessions/online/{referenceNumber}/close"),
    ("GET", "/sessions/{referenceNumber}"),
    ("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}"),
    ("POST", "/invoices/query/metadata"),
    ("GET", "/invoices/ksef/{ksefNumber}"),
}


def _wait(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _xades_login(client: KsefClient, nip: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from tests.simulator import xades_helpers as xh

    problem = _xmlsec_usable()
    if problem:
        # ksef-client signs with python-xmlsec (extra "xml"); where it cannot load, sign the
        # client's own AuthTokenRequest with signxml instead and let the client do the rest
        warnings.warn(
            f"python-xmlsec unusable ({problem}); AuthTokenRequest signed with signxml", stacklevel=2
        )
        monkeypatch.setattr(
            "ksef_client.services.xades.sign_xades_enveloped",
            lambda xml, cert_pem, key_pem: xh.sign(xml.encode(), identity).decode(),
        )
    identity = xh.person(nip)
    result = AuthCoordinator(client.auth).authenticate_with_xades(
        context_identifier_type="nip",
        context_identifier_value=nip,
        subject_identifier_type="certificateSubject",
        certificate_pem=identity.cert_pem.decode(),
        private_key_pem=identity.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        poll_interval_seconds=0.1,
        max_attempts=100,
    )
    return result.access_token


def _ksef_token(client: KsefClient, access_token: str) -> str:
    created = client.tokens.generate_token(
        m.GenerateTokenRequest(
            description="Token testowy ksef-client",
            permissions=[m.TokenPermissionType.INVOICEWRITE, m.TokenPermissionType.INVOICEREAD],
        ),
        access_token=access_token,
    )

    def active() -> bool | None:
        status = client.tokens.get_token_status(created.reference_number, access_token=access_token)
        return True if str(getattr(status.status, "value", status.status)) == "Active" else None

    _wait(active, "the KSeF token to become Active")
    return created.token


def _token_login(client: KsefClient, token: str, nip: str) -> str:
    pem = client.security.get_public_key_certificate_pem(m.PublicKeyCertificateUsage.KSEFTOKENENCRYPTION)
    result = AuthCoordinator(client.auth).authenticate_with_ksef_token(
        token=token,
        public_certificate=pem,
        context_identifier_type="nip",
        context_identifier_value=nip,
        poll_interval_seconds=0.1,
        max_attempts=100,
    )
    return result.access_token


def test_ksef_client_full_online_flow(
    client: KsefClient, server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    nip = kit.nip()
    xades_access = _xades_login(client, nip, monkeypatch)
    token = _ksef_token(client, xades_access)
    access = _token_login(client, token, nip)

    pem = client.security.get_public_key_certificate_pem(m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION)
    session = OnlineSessionWorkflow(client.sessions).open_session(
        form_code=FORM_CODE, public_certificate=pem, access_token=access
    )
    invoice_xml = write_invoice(make_sample_invoice(nip, "FV/TP/0001"))
    sent = session.send_invoice(invoice_xml, access_token=access)

    def ksef_number() -> str | None:
        status = client.sessions.get_session_invoice_status(
            session.reference_number, sent.reference_number, access_token=access
        )
        assert status.status.code in (100, 150, 200), status.status
        return status.ksef_number if status.status.code == 200 else None

    number = _wait(ksef_number, "the KSeF number")
    assert number.startswith(nip + "-")

    upo = client.sessions.get_session_invoice_upo_by_ksef(
        session.reference_number, number, access_token=access
    )
    assert number.encode() in upo and b"<?xml" in upo[:100]

    session.close(access_token=access)

    def session_upo() -> Any:
        status = client.sessions.get_session_status(session.reference_number, access_token=access)
        return status if status.status.code == 200 and status.upo and status.upo.pages else None

    closed = _wait(session_upo, "the session UPO")
    assert closed.successful_invoice_count == 1
    page = closed.upo.pages[0]
    session_upo_xml = client.sessions.get_session_upo(
        session.reference_number, page.reference_number, access_token=access
    )
    assert number.encode() in session_upo_xml

    now = datetime.now(UTC)
    found = client.invoices.query_invoice_metadata_by_date_range(
        subject_type=m.InvoiceQuerySubjectType.SUBJECT1,
        date_type=m.InvoiceQueryDateType.INVOICING,
        date_from=(now - timedelta(hours=1)).isoformat(),
        date_to=(now + timedelta(hours=1)).isoformat(),
        access_token=access,
        page_size=10,
    )
    assert [i.ksef_number for i in found.invoices] == [number]

    downloaded = client.invoices.get_invoice_bytes(number, access_token=access)
    assert downloaded.content == invoice_xml
    # every response on the way is checked against the spec (fixture responses_match_the_spec)
    seen = server.recorder.operations()  # type: ignore[attr-defined]
    assert not FULL_FLOW_OPERATIONS - seen, f"not seen: {sorted(FULL_FLOW_OPERATIONS - seen)}"


def test_ksef_client_batch_session_with_public_url_alias(aliased: tuple[SimulatorServer, KsefClient]) -> None:
    from ksef_client.services import BatchSessionWorkflow

    server, client = aliased
    from ksef_client.utils.zip_utils import build_zip

    nip = kit.nip()
    access = kit.token(server, nip)
    files = {
        f"fv-{i}.xml": write_invoice(make_sample_invoice(nip, f"FV/TPB/{i:04d}", lines=3)) for i in range(5)
    }
    pem = client.security.get_public_key_certificate_pem(m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION)
    ref = BatchSessionWorkflow(client.sessions, client.http_client).open_upload_and_close(
        form_code=FORM_CODE, zip_bytes=build_zip(files), public_certificate=pem, access_token=access
    )

    def done() -> Any:
        status = client.sessions.get_session_status(ref, access_token=access)
        return status if status.status.code not in (100, 150, 170) else None

    status = _wait(done, "the batch session to be processed")
    assert status.status.code == 200, status.status
    assert status.successful_invoice_count == 5
    listed = client.sessions.get_session_invoices(ref, page_size=10, access_token=access)
    assert sorted(i.invoice_file_name or "" for i in listed.invoices) == sorted(files)
    assert all(i.ksef_number for i in listed.invoices)


def _operation_code(client: KsefClient, ref: str, access: str) -> int:
    def final() -> int | None:
        code = client.permissions.get_operation_status(ref, access_token=access).status.code
        return None if code == 100 else code

    result: int = _wait(final, "the permission operation")
    return result


def test_ksef_client_permissions_limits_and_test_data(client: KsefClient, server: SimulatorServer) -> None:
    """The client's permission, limit, test-data and Peppol calls parse the simulator's answers."""
    client_nip, office_nip, employee = kit.nip(), kit.nip(), kit.pesel()
    client.testdata.create_person(
        m.PersonCreateRequest.from_dict(
            {"nip": office_nip, "pesel": kit.pesel(), "isBailiff": False, "description": "Właściciel biura"}
        )
    )
    a_access, b_access = kit.token(server, client_nip), kit.token(server, office_nip)
    grant = m.EntityPermissionsGrantRequest.from_dict(
        kit.entity_grant_body(office_nip, ["InvoiceWrite"], True)
    )
    ref = client.permissions.grant_entity(grant, access_token=a_access).reference_number
    assert _operation_code(client, ref, a_access) == 200
    indirect = m.IndirectPermissionsGrantRequest.from_dict(
        kit.indirect_grant_body(("Pesel", employee), ["InvoiceWrite"], {"type": "Nip", "value": client_nip})
    )
    ref = client.permissions.grant_indirect(indirect, access_token=b_access).reference_number
    assert _operation_code(client, ref, b_access) == 200

    received = client.permissions.query_entities_grants(
        m.EntityPermissionsQueryRequest.from_dict({}), access_token=b_access
    )
    assert [(p.context_identifier.value, p.can_delegate) for p in received.permissions] == [
        (client_nip, True)
    ]
    granted = client.permissions.query_persons_grants(
        m.PersonPermissionsQueryRequest.from_dict({"queryType": "PermissionsGrantedInCurrentContext"}),
        access_token=b_access,
    )
    assert [p.authorized_identifier.value for p in granted.permissions] == [employee]
    employee_access = kit.token(server, client_nip, ("Pesel", employee))
    personal = client.permissions.query_personal_grants(
        m.PersonalPermissionsQueryRequest.from_dict({}), access_token=employee_access
    )
    assert [str(getattr(p.permission_scope, "value", p.permission_scope)) for p in personal.permissions] == [
        "InvoiceWrite"
    ]

    # ksef-client 0.20 follows API 2.9.0: GET /rate-limits now carries every group it requires
    # (collectiveIdentifier of 2.7.0, the 2.8.0 close groups, anonymous, global); its
    # EffectiveContextLimits still wants a collectiveIdentifier entry that the 2.7.0 contract does not
    # define for GET /limits/context, which is checked in test_limits.py and test_spec_coverage.py instead.
    rate = client.rate_limits.get_rate_limits(a_access)
    assert (rate.online_session_close.per_second, rate.batch_session_close.per_hour) == (20, 120)
    assert rate.collective_identifier.per_minute == 60 and rate.global_.per_second == -1
    assert client.limits.get_subject_limits(a_access).certificate is not None
    providers = client.peppol.list_providers()
    assert providers.has_more is False
