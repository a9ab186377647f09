"""The pure parts: refusals explained in Polish, bad grant input refused before anything is sent."""

from __future__ import annotations

import pytest

from fakturnik.app.permission_rules import check_not_self, check_permissions, parse_nip, parse_subject
from fakturnik.engine.outcomes import Verdict, judge_invoice_status
from fakturnik.engine.refusals import (
    LoginParty,
    explain_missing,
    explain_refusal,
    explain_seller_refusal,
    is_permission_refusal,
    is_waiting_for_permission,
)
from fakturnik.errors import InputError, KsefApiError, KsefAuthError

CLIENT, OFFICE = "5265877635", "7740001454"


def test_the_office_reads_which_client_must_grant_what() -> None:
    text = explain_missing(LoginParty("office", CLIENT, OFFICE))
    assert text.startswith("Czeka na uprawnienie w KSeF: ")
    assert (
        f"Klient {CLIENT} musi nadać biuru {OFFICE} uprawnienie „wystawianie faktur” (InvoiceWrite)" in text
    )
    assert is_waiting_for_permission(text)
    person = explain_missing(LoginParty("person_certificate", CLIENT, person="Anna Nowak"), "InvoiceRead")
    assert (
        f"Klient {CLIENT} musi nadać osobie Anna Nowak uprawnienie „przeglądanie faktur” (InvoiceRead)"
        in person
    )
    own = explain_missing(LoginParty("ksef_token", CLIENT))
    assert f"firmy {CLIENT}" in own and "InvoiceWrite" in own


def test_only_a_lack_of_permission_counts_as_a_refusal() -> None:
    party = LoginParty("office", CLIENT, OFFICE)
    assert is_permission_refusal(KsefAuthError("415", status_code=415))
    assert is_permission_refusal(KsefApiError(403, "Brak", reason_code="missing-permissions"))
    for other in (
        KsefAuthError("460 certyfikat", status_code=460),
        KsefApiError(403, "IP", reason_code="ip-not-allowed"),
        KsefApiError(400, "zły"),
        RuntimeError("x"),
    ):
        assert not is_permission_refusal(other)
        assert explain_refusal(other, party) is None
    assert not is_waiting_for_permission("429") and not is_waiting_for_permission(None)


def test_status_410_waits_in_the_queue_instead_of_ending_as_a_rejection() -> None:
    verdict = judge_invoice_status(410, "Nieprawidłowy zakres uprawnień", None)
    assert verdict.verdict is Verdict.RESEND and verdict.code == 410
    other = explain_seller_refusal(LoginParty("office", CLIENT, OFFICE), "1111111111")
    assert "1111111111" in other and "samofakturowania" in other and is_waiting_for_permission(other)
    same = explain_seller_refusal(LoginParty("office", CLIENT, OFFICE), CLIENT)
    assert f"biuru {OFFICE}" in same


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("44051401359", "Pesel"),
        ("7740001454", "Nip"),
        ("ab" * 32, "Fingerprint"),
        ("526-587-76-35", "Nip"),
    ],
)
def test_subjects_are_recognised(value: str, kind: str) -> None:
    subject = parse_subject(value)
    assert subject.type == kind
    if kind == "Fingerprint":
        assert subject.value == "AB" * 32


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("44051401358", "PESEL 44051401358 ma błędną sumę kontrolną"),
        ("5265877636", "NIP 5265877636 ma błędną sumę kontrolną"),
        ("12345", "podaj PESEL (11 cyfr), NIP (10 cyfr) albo odcisk certyfikatu"),
        ("G" * 64, "podaj PESEL"),
    ],
)
def test_bad_identifiers_get_a_precise_polish_error(value: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_subject(value)
    assert message in str(caught.value)
    assert caught.value.problems[0].path == "identifier"


def test_a_grant_to_oneself_and_rights_the_subject_cannot_hold_are_refused() -> None:
    with pytest.raises(InputError, match="samemu sobie"):
        check_not_self(parse_subject(CLIENT), CLIENT)
    check_not_self(parse_subject(OFFICE), CLIENT)
    with pytest.raises(InputError) as caught:
        check_permissions("entity", ["InvoiceWrite", "CredentialsManage"])
    (problem,) = caught.value.problems
    assert problem.path == "permissions[1]"
    assert "zarządzanie uprawnieniami (CredentialsManage)" in problem.message
    assert "może otrzymać tylko" in problem.message
    with pytest.raises(InputError, match="co najmniej jedno"):
        check_permissions("indirect", [])
    assert check_permissions("person", ["InvoiceRead", "InvoiceRead", "InvoiceWrite"]) == [
        "InvoiceRead",
        "InvoiceWrite",
    ]
    with pytest.raises(InputError, match="10 cyfr"):
        parse_nip("52658776")
