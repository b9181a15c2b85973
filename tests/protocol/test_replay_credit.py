"""The credit rule's optional replay share and the replay marker on participation facts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from protocol.credit import CreditRule
from protocol.participation import QuizAnswered

SCENE = "first-congress-site"


def test_the_rule_says_whether_a_replay_earns() -> None:
    plain = CreditRule(hours=1)
    assert plain.replay is None and "replay" not in plain.model_dump()  # manifests unchanged
    half = CreditRule.model_validate({"hours": 1, "replay": {"share": 0.5}})
    assert half.replay is not None and half.replay.share == 0.5
    assert CreditRule.model_validate_json(half.model_dump_json()) == half
    for share in (0, 1.5, float("nan"), "half", None):
        with pytest.raises(ValidationError):
            CreditRule.model_validate({"hours": 1, "replay": {"share": share}})
    with pytest.raises(ValidationError):
        CreditRule.model_validate({"hours": 1, "replay": {"share": 0.5, "extra": 1}})
    schema = CreditRule.model_json_schema()  # what editors' completion offers
    share = schema["$defs"]["ReplayCredit"]["properties"]["share"]
    assert share["exclusiveMinimum"] == 0 and share["maximum"] == 1


def test_a_fact_is_marked_as_a_replay_of_one_tour() -> None:
    fact = QuizAnswered(id="00000000-0000-4000-8000-000000000001", at=1.8e9,
                        session="00000000-0000-4000-8000-000000000002", exhibit="founding",
                        exhibit_version="1.0.0", scene=SCENE, item="q", response=0,
                        correct=True)
    assert "replay_of" not in fact.model_dump()  # a visit's facts are as they were
    replayed = QuizAnswered.model_validate({**fact.model_dump(), "replay_of": 12})
    assert replayed.model_dump()["replay_of"] == 12
    for bad in (0, -1, 2**31, 1.5, "12x"):
        with pytest.raises(ValidationError):
            QuizAnswered.model_validate({**fact.model_dump(), "replay_of": bad})
