"""Routes declared with ``web.api.common.Routes``: summary and description from the docstring, the
documented problems from the method, answers read from the app's views."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from fakturnik.web.api.common import ERRORS, WRITE_ERRORS, Out, Routes


def _spec() -> dict:  # type: ignore[type-arg]
    router = APIRouter()
    route = Routes(router)

    @route("GET", "/things", "listThings")
    def things() -> list[int]:
        """Rzeczy firmy"""
        return []

    @route("POST", "/things", "createThing", problems={502: ERRORS[400]})
    def create() -> int:
        """Dodaj rzecz

        Rzecz trafia do listy; KSeF może nie
        odpowiedzieć (502).
        """
        return 1

    @route("DELETE", "/things/{thing_id}", "deleteThing", responses=ERRORS, status_code=204)
    def delete(thing_id: int) -> None:
        """Usuń rzecz"""

    app = FastAPI()
    app.include_router(router)
    return app.openapi()


def test_the_docstring_is_the_summary_and_a_second_paragraph_the_description() -> None:
    paths = _spec()["paths"]
    listing, creating = paths["/things"]["get"], paths["/things"]["post"]
    assert listing["summary"] == "Rzeczy firmy" and "description" not in listing
    assert creating["summary"] == "Dodaj rzecz"
    assert creating["description"] == "Rzecz trafia do listy; KSeF może nie odpowiedzieć (502)."


def test_problems_follow_from_the_method() -> None:
    paths = _spec()["paths"]
    assert set(paths["/things"]["get"]["responses"]) == {"200", *map(str, ERRORS)}
    assert set(paths["/things"]["post"]["responses"]) == {"200", "502", *map(str, WRITE_ERRORS)}
    assert set(paths["/things/{thing_id}"]["delete"]["responses"]) == {"204", *map(str, ERRORS)}


def test_the_real_api_documents_every_operation_with_a_summary() -> None:
    from fakturnik.web.server import create_app
    from fakturnik.web.settings import ServeSettings

    spec = create_app(ServeSettings()).openapi()
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert len(operations) > 80
    assert all(op.get("summary") for op in operations)
    assert all(op.get("description") != op["summary"] for op in operations)


@dataclass(frozen=True)
class _Line:
    name: str
    amount: int

    @property
    def label(self) -> str:
        return f"{self.name}: {self.amount}"


@dataclass(frozen=True)
class _Sheet:
    title: str
    lines: tuple[_Line, ...]

    def total(self) -> int:
        return sum(x.amount for x in self.lines)


class _LineOut(Out):
    name: str
    label: str


class _SheetOut(Out):
    title: str
    lines: list[_LineOut]
    total: int


def test_answers_read_views_by_attribute_with_computed_fields_given() -> None:
    sheet = _Sheet("Marzec", (_Line("a", 1), _Line("b", 2)))
    out = _SheetOut.of(sheet, total=sheet.total())
    assert out.model_dump() == {
        "title": "Marzec",
        "lines": [{"name": "a", "label": "a: 1"}, {"name": "b", "label": "b: 2"}],
        "total": 3,
    }
