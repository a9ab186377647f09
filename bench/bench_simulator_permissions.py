"""Simulator permission model: the cost of ``permissions_for`` (every login) and ``may_issue_for``.

In process, one core, in-memory state: an accounting office with many clients, each with a
delegable entity grant, and employees with general indirect grants; then logins of an employee
into a client's context and issuing checks for a self-invoicing buyer.
"""

from __future__ import annotations

import time
from typing import Any

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.grants import may_issue_for, new_grant, permissions_for, store_grants
from fakturnik.simulator.security import Caller

SECONDS = 1.0


def _seed(sim: Simulator, clients: int, employees: int) -> tuple[list[str], list[str]]:
    office = "5265877635"
    client_nips = [f"{1000000000 + i * 7919:010d}" for i in range(clients)]
    pesels = [f"85010{i:05d}1"[:11] for i in range(employees)]
    now = sim.now()
    grants: list[dict[str, Any]] = []
    for nip in client_nips:
        for scope in ("InvoiceWrite", "InvoiceRead"):
            grants.append(
                new_grant(
                    kind="entity",
                    context=("Nip", nip),
                    authorized=("Nip", office),
                    author=("Nip", nip),
                    scope=scope,
                    description="Biuro rachunkowe",
                    now=now,
                    can_delegate=True,
                )
            )
    for pesel in pesels:
        grants.append(
            new_grant(
                kind="indirect",
                context=("Nip", office),
                authorized=("Pesel", pesel),
                author=("Nip", office),
                scope="InvoiceWrite",
                description="Pracownik biura",
                now=now,
                target={"type": "AllPartners"},
            )
        )
    store_grants(sim, grants)
    return client_nips, pesels


def _rate(fn: Any) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for clients in (10, 200):
        sim = Simulator(SimulatorConfig())
        client_nips, pesels = _seed(sim, clients, 20)
        target = client_nips[-1]
        assert permissions_for(sim, "Nip", target, "Pesel", pesels[0]) == {"InvoiceWrite"}
        per_s = _rate(lambda: permissions_for(sim, "Nip", target, "Pesel", pesels[0]))  # noqa: B023
        grants = 2 * clients + 20
        rows.append(
            {
                "name": f"simulator permissions_for, office employee ({grants} grants)",
                "value": round(per_s, 1),
                "unit": "logins/s",
                "notes": "indirect grant checked against the delegable entity grant of the client",
            }
        )
        caller = Caller(
            "access", "x", "Nip", target, "Nip", target, frozenset({"InvoiceWrite"}), "Xades", "ip"
        )
        rows.append(
            {
                "name": f"simulator may_issue_for, own context ({grants} grants)",
                "value": round(_rate(lambda: may_issue_for(sim, caller, target)), 1),  # noqa: B023
                "unit": "checks/s",
                "notes": "the common case: seller NIP = context NIP",
            }
        )
        sim.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
