"""The erratum report and edit forms as posted by the pages (``errata/views.py``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.ids import MAX_ID
from errata.models import ErratumKind


class ErratumForm(BaseModel):
    """The report and edit forms' fields as posted. Only the sizes are checked here (a 422
    before anything is parsed further); ``ErratumCreate``/``ErratumUpdate`` validate the rest
    and a failure re-renders the form with the learner's text kept."""

    title: str = Field("", max_length=1000)
    description: str = Field("", max_length=1_000_000)
    location: str = Field("", max_length=200)
    kind: str = Field(ErratumKind.wrong_expected_output.value, max_length=40)
    affected_versions: str = Field("", max_length=200)
    published_output: str = Field("", max_length=1_000_000)
    corrected_output: str = Field("", max_length=1_000_000)
    workaround: str = Field("", max_length=1_000_000)

    def values(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FORM_FIELDS}


class ReportForm(ErratumForm):
    course: str = Field("", max_length=80)
    assignment: str = Field("", max_length=80)
    thread_id: int | None = Field(None, ge=1, le=MAX_ID)
    post_id: int | None = Field(None, ge=1, le=MAX_ID)


FORM_FIELDS = tuple(ErratumForm.model_fields)
