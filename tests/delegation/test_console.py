"""The office console from the store alone: counts, deadlines, filters, tenancy, office-credential rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.app import Actor, Fakturnik
from fakturnik.app.offices import ConsoleFilter
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from fakturnik.store.models import Invoice, OutboxEntry
from tests.ksef.identities import seal_credential

OFFICE, C1, C2, C3 = "7740001454", "5265877635", "1111111111", "5213003700"


def _certificate(fk: Fakturnik, company_id: int, nip: str) -> None:
    cred = seal_credential(nip)
    fk.companies.set_certificate(
        company_id,
        cred.certificate.public_bytes(serialization.Encoding.PEM),
        cred.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def test_console_counts_filters_and_tenancy(tmp_path: Path) -> None:
    with Fakturnik.open(tmp_path, settings=EngineSettings.fast(), use_keyring=False) as fk:
        office = fk.companies.add(OFFICE, "Biuro Rachunkowe", "test").id
        clients = {nip: fk.companies.add(nip, f"Klient {nip}", "test").id for nip in (C1, C2, C3)}
        other_env = fk.companies.add("9166568761", "Inny", "demo").id

        # the rules of the office credential
        with pytest.raises(ConflictError, match="nie ma certyfikatu KSeF"):
            fk.offices.use_office(clients[C1], office)
        _certificate(fk, office, OFFICE)
        with pytest.raises(InputError, match="swoim własnym biurem"):
            fk.offices.use_office(office, office)
        with pytest.raises(InputError, match="innym środowisku"):
            fk.offices.use_office(other_env, office)
        for cid in clients.values():
            fk.offices.use_office(cid, office)
        assert fk.offices.office_of(clients[C1]) == office
        assert fk.companies.credential(clients[C1]).kind == "office"  # type: ignore[union-attr]

        with fk.ctx.db.transaction() as s:
            for i, status in enumerate(["queued", "rejected", "offline", "accepted", "offline"]):
                inv = Invoice(
                    company_id=clients[C1],
                    direction="issued",
                    kind="VAT",
                    number=f"FV/{i}",
                    seller_nip=C1,
                    xml=b"<x/>",
                    sha256=f"h{i}",
                    status=status,
                    offline_deadline=date(2026, 12, 9 + i) if status == "offline" else None,
                )
                s.add(inv)
                s.flush()
                if status == "queued":
                    s.add(
                        OutboxEntry(
                            invoice_id=inv.id,
                            company_id=clients[C1],
                            state="queued",
                            invoice_hash=f"h{i}",
                            last_error="Czeka na uprawnienie w KSeF: Klient … musi nadać biuru …",
                        )
                    )
            s.add(
                Invoice(
                    company_id=clients[C2],
                    direction="received",
                    kind="VAT",
                    number="OBCA/1",
                    seller_nip="9999999999",
                    xml=b"<x/>",
                    sha256="r1",
                    status="accepted",
                )
            )

        view = fk.offices.console(office, with_rights=False)
        assert [r.nip for r in view.clients] == sorted([C1, C2, C3])
        row = next(r for r in view.clients if r.nip == C1)
        assert (row.queued, row.rejected, row.offline) == (1, 1, 2)
        assert row.next_deadline == date(2026, 12, 11)
        assert row.waiting_reason and row.waiting_reason.startswith("Czeka na uprawnienie")
        assert row.needs_attention and row.credential_kind == "office" and row.credential_expires
        assert next(r for r in view.clients if r.nip == C2).received_new == 1
        assert not view.rights_known

        attention = fk.offices.console(office, ConsoleFilter(attention=True), with_rights=False)
        assert [r.nip for r in attention.clients] == [C1]
        assert [
            r.nip for r in fk.offices.console(office, ConsoleFilter(q=C2[:4]), with_rights=False).clients
        ] == [C2]
        assert not fk.offices.console(
            office, ConsoleFilter(has_rejected=True, q=C3), with_rights=False
        ).clients

        # tenancy: an accountant of the office who belongs to one client sees that client only
        user = fk.accounts.register_user("ksiegowa@biuro.pl", "hasło-bardzo-tajne", "Księgowa")
        fk.accounts.add_member(office, user.id, "accountant")
        fk.accounts.add_member(clients[C1], user.id, "viewer")
        as_user = fk.acting_as(Actor.user(user.id, "ksiegowa@biuro.pl"))
        assert [r.nip for r in as_user.offices.console(office, with_rights=False).clients] == [C1]
        assert as_user.offices.client_ids(office) == (clients[C1],)
        with pytest.raises(PermissionDeniedError):  # a viewer may not change the client's credential
            as_user.offices.stop_using_office(clients[C1])
        with pytest.raises(NotFoundError):
            as_user.offices.console(clients[C2], with_rights=False)
        result = as_user.offices.sync_all(office, [clients[C2]])  # not visible to her: not synced
        assert result.synced == () and [cid for cid, _ in result.failed] == [clients[C2]]

        assert fk.offices.stop_using_office(clients[C3])
        assert [r.nip for r in fk.offices.console(office, with_rights=False).clients] == sorted([C1, C2])
