"""The web layer: the REST API (``/api/v1``) and the web app, both thin faces of ``fakturnik.app``.

``fakturnik.web.server.create_app`` builds the one ASGI app; ``fakturnik serve`` runs it.
"""
