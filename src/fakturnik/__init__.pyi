"""Types of the names ``fakturnik/__init__.py`` imports on first use (the code imports none up front)."""

from fakturnik.app.actor import Actor as Actor
from fakturnik.app.core import Fakturnik as Fakturnik
from fakturnik.app.filters import InvoiceFilter as InvoiceFilter
from fakturnik.errors import (
    AppError as AppError,
)
from fakturnik.errors import (
    AuthenticationError as AuthenticationError,
)
from fakturnik.errors import (
    ConflictError as ConflictError,
)
from fakturnik.errors import (
    FakturnikError as FakturnikError,
)
from fakturnik.errors import (
    IdempotencyConflictError as IdempotencyConflictError,
)
from fakturnik.errors import (
    InputError as InputError,
)
from fakturnik.errors import (
    InvoiceError as InvoiceError,
)
from fakturnik.errors import (
    InvoiceValidationError as InvoiceValidationError,
)
from fakturnik.errors import (
    KsefError as KsefError,
)
from fakturnik.errors import (
    NotFoundError as NotFoundError,
)
from fakturnik.errors import (
    PermissionDeniedError as PermissionDeniedError,
)
from fakturnik.errors import (
    Problem as Problem,
)
from fakturnik.fa3.jsonform import (
    invoice_from_draft as invoice_from_draft,
)
from fakturnik.fa3.jsonform import (
    invoice_from_json as invoice_from_json,
)
from fakturnik.fa3.jsonform import (
    invoice_to_json as invoice_to_json,
)
from fakturnik.fa3.jsonform import (
    xml_from_draft as xml_from_draft,
)
from fakturnik.fa3.model import Faktura as Faktura
from fakturnik.fa3.parser import parse_invoice as parse_invoice
from fakturnik.fa3.validation import ValidationReport as ValidationReport
from fakturnik.fa3.writer import write_invoice as write_invoice
from fakturnik.ksef.client import KsefClient as KsefClient

__version__: str
__all__: list[str]
