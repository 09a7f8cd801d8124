"""The privacy rule in bot.privacy and what handlers.conversation reads from payloads: the table, pure."""

from __future__ import annotations

import pytest

from bot.privacy import Audience, audience, may_mention
from handlers import conversation

A = Audience


@pytest.mark.parametrize(
    ("kind", "ext_shared", "expected"),
    [
        ("channel", False, A.PUBLIC),
        ("group", False, A.PRIVATE),
        ("im", False, A.DIRECT),
        ("mpim", None, A.DIRECT),
        ("channel", True, A.CONNECT),
        ("group", True, A.CONNECT),
        ("im", True, A.DIRECT),
        ("channel", None, A.UNKNOWN),
        (None, False, A.UNKNOWN),
        (None, None, A.UNKNOWN),
        ("app_home", False, A.UNKNOWN),
    ],
)
def test_audience_from_kind_and_slack_connect_flag(
    kind: str | None, ext_shared: bool | None, expected: Audience
) -> None:
    assert audience(kind, ext_shared) is expected


# (reply in, remembered in): may the reply name the other conversation?
_ACROSS = {
    (A.PUBLIC, A.PUBLIC): True,
    (A.PRIVATE, A.PUBLIC): True,
}


@pytest.mark.parametrize("reader", list(Audience))
@pytest.mark.parametrize("remembered", list(Audience))
def test_only_public_internal_channels_are_named_and_only_to_internal_readers(
    reader: Audience, remembered: Audience
) -> None:
    allowed = _ACROSS.get((reader, remembered), False)
    assert may_mention(reader, remembered, same_conversation=False) is allowed


@pytest.mark.parametrize("reader", list(Audience))
def test_a_conversation_is_always_matched_within_itself(reader: Audience) -> None:
    assert may_mention(reader, reader, same_conversation=True)


def _read(flag: object = False, **changes: object) -> tuple[str | None, bool | None]:
    event: dict[str, object] = {"channel": "C0PKI", "channel_type": "channel", "team": "T0EX"}
    event.update(changes)
    return conversation.from_event(event, team="T0EX", ext_shared_flag=flag)


def test_event_kind_and_flag_are_read_from_channel_type_and_the_envelope() -> None:
    assert _read() == ("channel", False)
    assert _read(channel_type="group") == ("group", False)
    assert _read(True) == ("channel", True)


def test_event_without_the_envelope_flag_is_unknown_not_internal() -> None:
    assert _read(None) == ("channel", None)
    assert _read("false") == ("channel", None)


def test_a_dm_id_is_a_dm_whatever_channel_type_says() -> None:
    assert _read(channel="D0ALICE")[0] == "im"


def test_file_stub_or_poster_of_another_team_means_shared() -> None:
    stub = [{"id": "F1", "file_access": "check_file_info"}]
    assert _read(files=stub)[1] is True
    assert _read(user_team="T0PARTNER")[1] is True
    assert _read(team="T0PARTNER")[1] is True


@pytest.mark.parametrize(
    ("channel", "name", "expected"),
    [
        ("D0BOB", "directmessage", ("im", None)),
        ("D0BOB", None, ("im", None)),
        ("G0ABC", "mpdm-alice--bob-1", ("mpim", None)),
        ("G0OLD", "privategroup", ("group", None)),
        ("C0PKI", "pki", (None, None)),
    ],
)
def test_command_channel_name_says_dm_or_group_dm_never_public(
    channel: str, name: str | None, expected: tuple[str | None, bool | None]
) -> None:
    assert conversation.from_channel_name(channel, name) == expected
