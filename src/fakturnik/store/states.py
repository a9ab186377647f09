"""Names of invoice and outbox states (plain strings in the database)."""

from __future__ import annotations

from typing import Final

# Outbox states.
QUEUED: Final = "queued"  # waiting to be sent (or re-sent after reconciliation said "not in KSeF")
SENDING: Final = "sending"  # "about to send" written durably; the HTTP call may or may not have happened
SENT: Final = "sent"  # KSeF acknowledged receipt (202); waiting for its verdict
UNCERTAIN: Final = "uncertain"  # outcome unknown (timeout, 5xx, crash): reconcile before anything else
ACCEPTED: Final = "accepted"  # KSeF number assigned
REJECTED: Final = "rejected"  # permanent error recorded for a person to fix

CLAIMABLE: Final = (QUEUED, SENDING, SENT, UNCERTAIN)
TERMINAL: Final = (ACCEPTED, REJECTED)

# Invoice statuses add these to the outbox states.
OFFLINE: Final = "offline"  # issued in offline mode, waiting for KSeF to come back
RECEIVED: Final = "received"  # an incoming invoice downloaded from KSeF

# invoices.origin: who issued an invoice of the company that Fakturnik did not issue (None: itself).
BY_BUYER: Final = "buyer"  # a sale the buyer self-billed in the company's name, downloaded from KSeF
