"""Fakturnik store layer.

The package registers every table on the one metadata (``models.Base``): the core tables in
``models`` and the web layer's in their own modules, which import ``models`` (not the other way, so
no module imports another that imports it back).
"""

from fakturnik.store import collective_models as _collective_models  # noqa: F401 - collective ids (0006_k12)
from fakturnik.store import models as _models  # noqa: F401 - first: the Base the others build on
from fakturnik.store import security_models as _security_models  # noqa: F401 - shared counting (0006_r14)
from fakturnik.store import web_models as _web_models  # noqa: F401 - web app: drafts, mail (0005)
from fakturnik.store import webhook_models as _webhook_models  # noqa: F401 - webhooks (0004)
