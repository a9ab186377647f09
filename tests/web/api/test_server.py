"""The server itself: health, OpenAPI, docs page, security headers, size limits, problem details."""

from __future__ import annotations

import httpx
from fastapi import Request

from tests.web.api.harness import ApiServer


def test_health_openapi_and_docs(server: ApiServer) -> None:
    with server.client() as c:
        r = c.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        spec = c.get("/openapi.json").json()
        assert spec["openapi"].startswith("3.1")
        docs = c.get("/docs")
        assert docs.status_code == 200 and "openapi.json" in docs.text
        assert "<script" not in docs.text


def test_security_headers_on_every_answer(server: ApiServer) -> None:
    with server.client() as c:
        for r in (c.get("/health"), c.get("/no-such-thing"), c.get("/docs")):
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["x-frame-options"] == "DENY"
            assert "server" not in r.headers


def test_unknown_route_is_a_problem(server: ApiServer) -> None:
    with server.client() as c:
        r = c.get("/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "not_found" and body["status"] == 404 and body["type"].endswith("not_found")


def test_oversize_body_refused_before_parsing(server: ApiServer) -> None:
    limit = server.settings.max_body_bytes
    with server.client() as c:
        r = c.post("/health", content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "request_too_large"


def test_oversize_chunked_body_refused(server: ApiServer) -> None:
    limit = server.settings.max_body_bytes

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    seen: list[int] = []

    async def echo(request: Request) -> dict[str, int]:
        seen.append(len(await request.body()))
        return {"n": seen[-1]}

    server.app.add_api_route("/api/v1/_echo", echo, methods=["POST"])
    with httpx.Client(timeout=30) as c:
        r = c.post(server.api + "/_echo", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "request_too_large"
        assert seen == []  # the route never got the body
        assert c.post(server.api + "/_echo", content=b"{}").json() == {"n": 2}


def test_every_operation_is_documented(server: ApiServer) -> None:
    with server.client() as c:
        spec = c.get("/openapi.json").json()
    ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/api/v1/")
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op.get("summary") and op.get("tags"), (method, path)
            if path.startswith("/api/v1/companies/{company_id}"):
                problems = op["responses"].get("404", {}).get("content", {})
                assert "application/problem+json" in problems, (method, path)
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body and method == "post" and "schema" in body and "$ref" in body["schema"]:
                name = body["schema"]["$ref"].rsplit("/", 1)[-1]
                schema = spec["components"]["schemas"][name]
                assert schema.get("additionalProperties") is False, name  # unknown fields refused
    assert len(ids) == len(set(ids)) >= 55
    assert "ProblemDetails" in spec["components"]["schemas"]
