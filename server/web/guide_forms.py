"""The guide's forms: a new tour and a move, read from the posted fields into the API's own
request models, with each fault named by its field as a catalogue key (shown beside it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiDictProxy
from pydantic import ValidationError

from protocol.api import TourCreate
from server.failures import BadRequest, Forbidden
from server.tour_changes import TourChange, check_start
from server.validation import whole_number

DEFAULT_ZONE = "Asia/Shanghai"
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Urumqi", "Asia/Singapore",
         "Asia/Tokyo", "Europe/Moscow", "Europe/Berlin", "Europe/London", "UTC",
         "America/New_York", "America/Los_Angeles")
# the API's field names as the form names its inputs
FORM_FIELD = {"exhibit_id": "exhibit", "version": "exhibit", "starts_at": "start",
              "duration_minutes": "duration", "capacity": "capacity", "branches": "branches",
              "title": "title"}


@dataclass
class Filled:
    """A form as posted: the values to show again, and each field's fault (a key)."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def fault(self, name: str, key: str) -> None:
        self.errors.setdefault(name, key)


def zone_showing(moment: datetime, offset: tzinfo) -> tuple[str, datetime]:
    """A zone of the form's list that shows ``moment`` at the tour's own UTC ``offset``
    (so a move saved unchanged keeps the time), else the default zone; and the moment
    there."""
    wanted = moment.astimezone(offset).utcoffset()
    for name in ZONES:
        if moment.astimezone(ZoneInfo(name)).utcoffset() == wanted:
            return name, moment.astimezone(ZoneInfo(name))
    return DEFAULT_ZONE, moment.astimezone(ZoneInfo(DEFAULT_ZONE))


def _number(filled: Filled, name: str) -> int | None:
    try:
        return int(filled.values[name])
    except ValueError:
        filled.fault(name, f"guide.error.{name}")
        return None


def _start(filled: Filled) -> datetime | None:
    values = filled.values
    if values["zone"] not in ZONES:
        filled.fault("start", "guide.error.zone")
        return None
    try:
        day, clock = date.fromisoformat(values["date"]), time.fromisoformat(values["time"])
    except ValueError:
        filled.fault("start", "guide.error.start_format")
        return None
    starts_at = datetime.combine(day, clock, ZoneInfo(values["zone"]))
    try:
        check_start(starts_at)  # the API's rule, told beside the field with the others
    except BadRequest:
        filled.fault("start", "guide.error.start")
    return starts_at


def read_form(form: MultiDictProxy[Any], names: tuple[str, ...]) -> Filled:
    values: dict[str, Any] = {name: str(form.get(name, "")).strip()[:200] for name in names}
    values["branches"] = [str(b) for b in form.getall("branches", [])][:100]
    values["zone"] = values.get("zone") or DEFAULT_ZONE
    values["voices"] = form.get("voices") == "keep"
    return Filled(values)


def _faults(filled: Filled, exc: ValidationError) -> None:
    for problem in exc.errors(include_url=False):
        name = FORM_FIELD.get(str(problem["loc"][0]) if problem["loc"] else "", "form")
        filled.fault(name, f"guide.error.{name}")


def new_tour(filled: Filled) -> TourCreate | None:
    """The form's tour as ``POST /api/tours`` takes it, or None with the faults noted
    (every field's at once: a fault already noted for a field is the one shown)."""
    values = filled.values
    starts_at = _start(filled)
    duration, capacity = _number(filled, "duration"), _number(filled, "capacity")
    exhibit, _, version = values["exhibit"].partition("@")
    branches = []
    for branch in values["branches"]:
        number = whole_number(branch)
        if number is None:
            filled.fault("branches", "guide.error.branches")
        else:
            branches.append(number)
    try:
        data = TourCreate.model_validate({
            "exhibit_id": exhibit, "version": version, "title": values["title"],
            "starts_at": starts_at or datetime.now(UTC) + timedelta(days=1),
            "duration_minutes": duration, "capacity": capacity, "branches": branches,
            "keep_member_voices": bool(values.get("voices"))})
    except ValidationError as exc:
        _faults(filled, exc)
        return None
    return None if filled.errors else data


def move(filled: Filled) -> TourChange | None:
    """The form's move as ``PATCH /api/tours/{id}`` takes it, or None with the faults."""
    starts_at = _start(filled)
    duration, capacity = _number(filled, "duration"), _number(filled, "capacity")
    try:
        data = TourChange.model_validate({
            "starts_at": starts_at or datetime.now(UTC) + timedelta(days=1),
            "duration_minutes": duration, "capacity": capacity})
    except ValidationError as exc:
        _faults(filled, exc)
        return None
    return None if filled.errors else data


def refused(filled: Filled, exc: BadRequest | Forbidden) -> None:
    """Notes what the shared scheduling logic refused, beside the field it names."""
    if isinstance(exc, Forbidden):
        filled.fault("branches", "guide.error.branch_not_yours")
        return
    for problem in exc.fields or [{"field": "form"}]:
        name = FORM_FIELD.get(problem["field"], "form")
        filled.fault(name, f"guide.error.{name}")
