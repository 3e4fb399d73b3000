"""The payload of a change notification (psn.store.changes): what travels on PostgreSQL's channel, byte for byte,
and what is refused of a payload that is not psn's."""

from __future__ import annotations

import pytest

from psn.store.changes import BadChange, Change, decode, encode


@pytest.mark.parametrize(("change", "text"), [
    (Change("incident", "police-00042", "a"), '{"v":1,"from":"a","kind":"incident","id":"police-00042"}'),
    (Change("sharing", "", "b"), '{"v":1,"from":"b","kind":"sharing","id":""}'),
    (Change("board", "police/P-7", "a", (("actor", "police.jones"), ("via", "console"))),
     '{"v":1,"from":"a","kind":"board","id":"police/P-7","extra":{"actor":"police.jones","via":"console"}}'),
])
def test_a_change_is_sent_as_this_text_and_read_back_the_same(change: Change, text: str) -> None:
    assert encode(change) == text
    assert decode(text) == change


@pytest.mark.parametrize(("text", "why"), [
    ("incident:police-00042", "not JSON"),
    ('["incident"]', "not a version 1 change"),
    ('{"v":2,"from":"a","kind":"incident","id":"x"}', "not a version 1 change"),
    ('{"v":1,"from":"","kind":"incident","id":"x"}', "'from' (non-empty)"),
    ('{"v":1,"from":"a","kind":"incident","id":7}', "'id' must be strings"),
    ('{"v":1,"from":"a","kind":"weather","id":"x"}', "unknown kind 'weather'"),
    ('{"v":1,"from":"a","kind":"board","id":"x","extra":{"via":1}}', "'extra' must map names to strings"),
])
def test_a_payload_that_is_not_ours_is_refused_with_its_reason(text: str, why: str) -> None:
    with pytest.raises(BadChange, match=why.replace("(", r"\(").replace(")", r"\)")):
        decode(text)


def test_a_payload_postgresql_would_refuse_is_refused_before_it_is_sent() -> None:
    with pytest.raises(ValueError, match="7999 at most"):
        encode(Change("message", "x" * 8000, "a"))
