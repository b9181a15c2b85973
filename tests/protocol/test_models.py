import pytest
from pydantic import ValidationError

from protocol.credit import CreditRule
from protocol.exhibit import ExhibitDefinition
from protocol.i18n import LocalizedText
from protocol.scene import Prop, QuizItem


def test_localized_text_needs_zh_cn_and_falls_back_to_it() -> None:
    with pytest.raises(ValidationError, match="zh-CN"):
        LocalizedText.model_validate({"en": "only English"})
    text = LocalizedText.model_validate({"zh-CN": "红船", "en": "Red Boat"})
    assert text.get("en") == "Red Boat"
    assert text.get("zh-TW") == "红船"


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        CreditRule.model_validate({"hours": 1, "bonus": 2})


def test_prop_needs_exactly_one_shape() -> None:
    with pytest.raises(ValidationError, match="exactly one of `model` or `primitive`"):
        Prop.model_validate({"id": "a"})
    with pytest.raises(ValidationError, match="exactly one"):
        Prop.model_validate({"id": "a", "model": "x.glb",
                             "primitive": {"box": {"size": [1, 1, 1]}}})


def test_primitive_kind_is_chosen_by_its_key() -> None:
    prop = Prop.model_validate({"id": "c", "primitive": {"chain": {"length": 10, "link": 0.3}}})
    assert prop.primitive.chain.length == 10
    with pytest.raises(ValidationError, match="expected exactly one of: box, cylinder"):
        Prop.model_validate({"id": "c", "primitive": {"cone": {"radius": 1}}})


def test_lod_must_start_at_one_and_decrease() -> None:
    with pytest.raises(ValidationError, match=r"must start at 1.0 and decrease"):
        Prop.model_validate({"id": "a", "model": "x.glb", "lod": [1.0, 0.5, 0.7]})


def test_quiz_answer_must_name_a_choice() -> None:
    item = {"id": "q", "prompt": {"zh-CN": "问"}, "choices": [{"zh-CN": "甲"}, {"zh-CN": "乙"}],
            "answer": 2, "explain": {"zh-CN": "解"}}
    with pytest.raises(ValidationError, match="only 2 choices"):
        QuizItem.model_validate(item)


def test_exhibit_version_is_semver() -> None:
    base = {"id": "e", "title": {"zh-CN": "展"}, "summary": {"zh-CN": "展"}, "publisher": "p",
            "scenes": ["s"]}
    assert ExhibitDefinition.model_validate({**base, "version": "1.2.3"}).version == "1.2.3"
    with pytest.raises(ValidationError, match="pattern"):
        ExhibitDefinition.model_validate({**base, "version": "v1"})
