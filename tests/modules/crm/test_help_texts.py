"""Help texts are read under the fields in the web app's forms: they are words, not API payloads."""

import pytest

from kronos.kit.records.fields import FieldSpec
from kronos.modules.crm.objects import STANDARD_OBJECTS

FIELDS = [(o.name, f) for o in STANDARD_OBJECTS for f in o.fields if f.help_text]


@pytest.mark.parametrize(("obj", "field"), FIELDS, ids=[f"{o}.{f.name}" for o, f in FIELDS])
def test_help_text_is_words_not_json(obj: str, field: FieldSpec) -> None:
    text = field.help_text or ""
    assert not text.lstrip().startswith(("{", "[")), f"{obj}.{text}"
    assert '"' not in text, f"{obj}: {text!r} reads like an API example"
