"""How routes reach the app layer: the services bound to the running app, and the caller's Actor."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


class _NoAccounts:
    """Until the app layer's accounts exist nobody can authenticate."""

    def actor_for_api_key(self, token: str) -> Any | None:
        return None

    def actor_for_session(self, token: str) -> Any | None:
        return None

    def create_session(self, actor: Any) -> str:
        raise NotImplementedError

    def end_session(self, token: str) -> None:
        return None


def bind_services(app: FastAPI, runtime: Any) -> None:
    app.state.authenticator = _NoAccounts()
