"""End-to-end privacy rule (issue 13): signed requests to the real app against the Slack stand-in, SQLite and PostgreSQL.

One test per boundary, each way: a reply names another conversation (channel, poster,
permalink, date) only if everyone who can read the reply can read that conversation. Every
test plants a tempting row behind the boundary (newer than the permitted one, so without the
rule it would be the one named) and asserts on the reply's exact text that nothing of it
appears, and that the permitted pointer still does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from bot import memory
from bot.config import Settings
from bot.store import Store, storable
from bot.store.profiles import ProfileStore
from certmatch import Input, check
from handlers.ports import ACTION_FORGET_CANCEL, ACTION_FORGET_CONFIRM, ACTION_SHOW_DETAIL
from standin import TEAM_ID, SlackStandIn
from tests.bot_e2e_support import (
    DAY,
    Clock,
    RunningBot,
    block_action,
    command_form,
    envelope,
    post_file,
    post_text,
    settings_for,
    start_bot,
    vector,
)

CSR = vector("server.csr.pem")
CERT_DER = vector("server.cert.der")
REGENERATED_CSR = vector("server-regenerated.csr.pem")

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Place:
    """A conversation as Slack's events describe it."""

    channel: str
    kind: str  # channel_type
    shared: bool = False  # the envelope's is_ext_shared_channel


PUBLIC = Place("C0PKIREQ", "channel")
PUBLIC_OTHER = Place("C0VOICE", "channel")
PRIVATE = Place("C0SECRETPRIV", "group")
PRIVATE_OTHER = Place("C0HRPRIV", "group")
DM = Place("D0ALICEDM", "im")
GROUP_DM = Place("C0MPDMABC", "mpim")
CONNECT = Place("C0SHARED", "channel", shared=True)


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time() - 10 * DAY)


def _start(settings: Settings, clock: Clock) -> RunningBot:
    return start_bot(settings, clock=clock)


@pytest.fixture
def bot(standin: SlackStandIn, database: tuple[str, str], clock: Clock) -> Iterator[RunningBot]:
    url, prefix = database
    running = _start(settings_for(standin, url, prefix), clock)
    yield running
    running.stop()


@dataclass(frozen=True)
class Posted:
    """What was posted where, and the reply to it."""

    place: Place
    user: str
    ts: str
    at: float
    reply: dict[str, Any]

    @property
    def text(self) -> str:
        return post_text(self.reply)

    @property
    def permalink(self) -> str:
        return (
            f"https://example.slack.com/archives/{self.place.channel}/p{self.ts.replace('.', '')}"
        )

    @property
    def date(self) -> str:
        return f"<!date^{int(self.at)}^"


def _post_in(
    bot: RunningBot,
    standin: SlackStandIn,
    clock: Clock,
    place: Place,
    content: bytes,
    *,
    name: str = "file.pem",
    user: str = "U0ALICE",
    thread_ts: str | None = None,
    extra: dict[str, Any] | None = None,
    stub: bool = False,
) -> Posted:
    """Upload one file into `place` one day after the previous post (post_file); return it with the reply."""
    clock.advance(1)
    payload, reply = post_file(
        bot,
        standin,
        name,
        content,
        channel=place.channel,
        user=user,
        thread_ts=thread_ts,
        channel_type=place.kind,
        shared=place.shared,
        stub=stub,
        extra=extra,
    )
    assert reply["channel"] == place.channel
    return Posted(place, user, payload["event"]["ts"], clock.now, reply)


def assert_hidden(reply_text: str, *hidden: Posted) -> None:
    """Nothing of the hidden posts: channel, poster, permalink, date."""
    for post in hidden:
        assert post.place.channel not in reply_text
        assert post.user not in reply_text
        assert post.permalink not in reply_text
        assert post.date not in reply_text


def assert_points_to(reply_text: str, post: Posted, where: str | None = None) -> None:
    """The permitted pointer: where, by whom, when, and the link."""
    where = where or f"in <#{post.place.channel}>"
    assert f"posted {where} by <@{post.user}> on {post.date}" in reply_text
    assert post.permalink in reply_text


# -- public internal <-> private --------------------------------------------------------------------


def test_public_channel_is_not_pointed_into_a_private_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    secret = _post_in(bot, standin, clock, PRIVATE, CSR, user="U0SECRET")
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert_points_to(reply, public)
    assert_hidden(reply, secret)


def test_private_channel_may_point_to_a_public_channel_but_not_another_private_one(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    other = _post_in(bot, standin, clock, PRIVATE_OTHER, CSR, user="U0HR")
    reply = _post_in(bot, standin, clock, PRIVATE, CERT_DER, user="U0SECRET").text
    assert_points_to(reply, public)
    assert_hidden(reply, other)


def test_private_channel_is_matched_within_itself(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    own = _post_in(bot, standin, clock, PRIVATE, CSR, user="U0SECRET")
    reply = _post_in(bot, standin, clock, PRIVATE, CERT_DER, user="U0CAROL").text
    assert_points_to(reply, own, f"in another thread of <#{PRIVATE.channel}>")


# -- DMs and group DMs ----------------------------------------------------------------------------


def test_dm_is_not_pointed_at_from_a_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    dm = _post_in(bot, standin, clock, DM, CSR, user="U0DMUSER")
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert_points_to(reply, public)
    assert_hidden(reply, dm)


def test_dm_reply_points_only_inside_the_dm_not_even_to_a_public_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    own = _post_in(bot, standin, clock, DM, CSR, user="U0DMUSER")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    reply = _post_in(bot, standin, clock, DM, CERT_DER, user="U0DMUSER").text
    assert_points_to(reply, own, f"in another thread of <#{DM.channel}>")
    assert_hidden(reply, public)


def test_dm_reply_learns_nothing_about_a_certificate_posted_only_in_channels(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    # The probe: DM the bot a server's public certificate to learn where its CSR was.
    secret = _post_in(bot, standin, clock, PRIVATE, CSR, user="U0SECRET")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    reply = _post_in(bot, standin, clock, DM, CERT_DER, user="U0DMUSER").text
    assert ":link:" not in reply and "regenerated" not in reply
    assert_hidden(reply, secret, public)


def test_group_dm_is_not_pointed_at_from_a_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    group = _post_in(bot, standin, clock, GROUP_DM, CSR, user="U0GROUPDM")
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert_points_to(reply, public)
    assert_hidden(reply, group)


def test_group_dm_reply_points_only_inside_the_group_dm(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    own = _post_in(bot, standin, clock, GROUP_DM, CSR, user="U0GROUPDM")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    dm = _post_in(bot, standin, clock, DM, CSR, user="U0DMUSER")
    reply = _post_in(bot, standin, clock, GROUP_DM, CERT_DER, user="U0GROUPDM").text
    assert_points_to(reply, own, f"in another thread of <#{GROUP_DM.channel}>")
    assert_hidden(reply, public, dm)


# -- Slack Connect ---------------------------------------------------------------------------------


def test_slack_connect_channel_is_shown_nothing_from_the_workspace(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    own = _post_in(bot, standin, clock, CONNECT, CSR, user="U0PARTNER")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    secret = _post_in(bot, standin, clock, PRIVATE, CSR, user="U0SECRET")
    reply = _post_in(bot, standin, clock, CONNECT, CERT_DER, user="U0PARTNER2").text
    assert_points_to(reply, own, f"in another thread of <#{CONNECT.channel}>")
    assert_hidden(reply, public, secret)


def test_what_is_posted_in_slack_connect_is_not_shown_elsewhere(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    shared = _post_in(bot, standin, clock, CONNECT, CSR, user="U0PARTNER")
    to_public = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    to_private = _post_in(bot, standin, clock, PRIVATE, CERT_DER, user="U0SECRET").text
    for reply in (to_public, to_private):
        assert_points_to(reply, public)
        assert_hidden(reply, shared)


def test_a_file_stub_or_a_poster_from_another_team_marks_a_channel_shared(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    # Slack sends file stubs (files.info needed) only in Slack Connect channels, and a poster
    # from another organisation is one too: either counts even if the envelope's flag is false.
    quiet = Place("C0LOOKSPUBLIC", "channel")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    stub = _post_in(bot, standin, clock, quiet, CSR, user="U0PARTNER", stub=True)
    guest = _post_in(
        bot, standin, clock, quiet, CSR, user="U0GUEST", extra={"user_team": "T0PARTNER"}
    )
    rows = bot.store.channel_fingerprints(TEAM_ID, quiet.channel)
    assert [r.ext_shared for r in rows] == [True, True]
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert_points_to(reply, public)
    assert_hidden(reply, stub, guest)


# -- unknown kind -----------------------------------------------------------------------------------


def test_a_row_stored_before_kinds_were_recorded_counts_as_private(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    clock.advance(1)
    (artefact,) = check([Input("old.csr", CSR)]).artifacts
    old = memory.fingerprint(
        artefact,
        team=TEAM_ID,
        channel="C0OLDROW",
        thread_ts="1700000000.000100",
        message_ts="1700000000.000100",
        poster="U0OLDPOSTER",
        posted_at=clock.now,
    )
    assert old.conversation_kind is None and old.ext_shared is None
    bot.store.add_fingerprints([old])
    hidden = Posted(Place("C0OLDROW", "?"), "U0OLDPOSTER", old.message_ts, old.posted_at, {})
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert_points_to(reply, public)
    assert_hidden(reply, hidden)
    # Within its own channel it is still matched.
    inside = _post_in(bot, standin, clock, Place("C0OLDROW", "channel"), CERT_DER, user="U0BOB")
    assert_points_to(inside.text, hidden, "in another thread of <#C0OLDROW>")


def test_slash_command_of_unknown_kind_points_only_within_its_channel(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    # A command's payload does not say whether its channel is shared with another
    # organisation: it may be matched within its channel, and it is pointed nowhere else.
    own = _post_in(bot, standin, clock, PUBLIC_OTHER, CSR, user="U0BOB")
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    pem = vector("server.cert.pem").decode()
    bot.send_command(command_form(pem, standin, channel=PUBLIC_OTHER.channel))
    reply = json.dumps(standin.wait_for_calls("response_url")[0].args)
    assert_points_to(reply, own, f"in another thread of <#{PUBLIC_OTHER.channel}>")
    assert_hidden(reply, public)


def test_slash_command_in_a_dm_is_not_matched_outside_it(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    public = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    form = command_form(vector("server.cert.pem").decode(), standin, channel="D0BOBDM")
    bot.send_command(replace_form(form, channel_name="directmessage"))
    reply = json.dumps(standin.wait_for_calls("response_url")[0].args)
    assert ":link:" not in reply
    assert_hidden(reply, public)


def replace_form(form: dict[str, str], **changes: str) -> dict[str, str]:
    return {**form, **changes}


# -- the regenerated-CSR notices follow the same rule ------------------------------------------------


def test_a_regenerated_csr_in_a_private_channel_is_not_told_to_a_public_one(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    original = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    regenerated = _post_in(bot, standin, clock, PRIVATE, REGENERATED_CSR, user="U0SECRET")
    reply = _post_in(bot, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
    assert "regenerated" not in reply
    assert_points_to(reply, original)
    assert_hidden(reply, regenerated)


def test_a_regenerated_csr_in_a_public_channel_is_told_to_a_private_one(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    original = _post_in(bot, standin, clock, PUBLIC, CSR, user="U0ALICE")
    regenerated = _post_in(bot, standin, clock, PUBLIC_OTHER, REGENERATED_CSR, user="U0BOB")
    reply = _post_in(bot, standin, clock, PRIVATE, CERT_DER, user="U0SECRET").text
    assert "The CSR was regenerated" in reply
    assert_points_to(reply, original)
    assert_points_to(reply, regenerated)


def test_a_csr_regenerated_in_public_is_not_warned_about_an_older_one_in_a_dm(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    older = _post_in(bot, standin, clock, DM, CSR, user="U0DMUSER")
    reply = _post_in(bot, standin, clock, PUBLIC, REGENERATED_CSR, user="U0ALICE").text
    assert "regenerated" not in reply
    assert_hidden(reply, older)


# -- what is recorded ---------------------------------------------------------------------------------


def test_every_fingerprint_records_its_conversation_kind_and_slack_connect_flag(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    for place in (PUBLIC, PRIVATE, DM, GROUP_DM, CONNECT):
        _post_in(bot, standin, clock, place, CSR)
        (row,) = bot.store.channel_fingerprints(TEAM_ID, place.channel)
        assert (row.conversation_kind, row.ext_shared) == (place.kind, place.shared)


def test_memory_scope_still_narrows_within_the_rule(
    standin: SlackStandIn, database: tuple[str, str], clock: Clock
) -> None:
    url, prefix = database
    narrow = _start(replace(settings_for(standin, url, prefix), memory_scope="channel"), clock)
    try:
        _post_in(narrow, standin, clock, PUBLIC, CSR, user="U0ALICE")
        reply = _post_in(narrow, standin, clock, PUBLIC_OTHER, CERT_DER, user="U0BOB").text
        assert ":link:" not in reply and PUBLIC.channel not in reply
    finally:
        narrow.stop()


# -- admin controls ---------------------------------------------------------------------------------

PKI = Place("C0PKI", "channel")  # where bot_e2e_support's command and button payloads come from


def _wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _workspace_rows(store: Store, team: str) -> dict[str, int]:
    t = store.tables
    counts = {}
    with store.engine.connect() as conn:
        for table in (t.events, t.thread_artefacts, t.fingerprints, t.details, t.channel_profiles):
            query = table.select().where(table.c.team == team)
            counts[table.name.removeprefix(t.prefix)] = len(conn.execute(query).all())
    return counts


def _another_workspace(store: Store) -> None:
    """A second workspace sharing the database: an uninstall elsewhere must not touch it."""
    (artefact,) = check([Input("other.csr", CSR)]).artifacts
    row = memory.fingerprint(
        artefact,
        team="T0OTHER",
        channel="C0OTHER",
        thread_ts="1.1",
        message_ts="1.1",
        poster="U0OTHER",
        posted_at=time.time(),
        conversation_kind="channel",
        ext_shared=False,
    )
    store.add_fingerprints([row])
    kept = storable(artefact, "1.1", time.time())
    assert kept is not None
    store.add_thread_artefacts("T0OTHER", "C0OTHER", "1.1", [kept])
    ProfileStore(store).set("T0OTHER", "C0OTHER", "cisco-uc")
    store.save_detail("other-detail", "text", None, team="T0OTHER", channel="C0OTHER")
    store.claim("event:EvOTHER", team="T0OTHER")


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_uninstall_or_revoked_token_deletes_the_workspace_data_at_once_with_one_log_line(
    bot: RunningBot,
    standin: SlackStandIn,
    clock: Clock,
    event: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _post_in(bot, standin, clock, PKI, CSR)
    bot.send_command(command_form("profile cisco-uc", standin))
    _another_workspace(bot.store)
    # A posted message is queued as a job (no workspace named) rather than claimed as an
    # event since the job queue (issue 17); a mention's or a retry's claim still names it.
    bot.store.claim(f"mention:{PKI.channel}:1.1", team=TEAM_ID)
    before = _workspace_rows(bot.store, TEAM_ID)
    assert all(before.values()), before
    caplog.set_level(logging.INFO, logger="certmatch.bot")
    payload = envelope({**event, "event_ts": f"{time.time():.6f}"})
    assert bot.send_event(payload).status == 200

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if "stored data deleted" in r.getMessage()]

    _wait(lambda: lines())  # logged after the deletion is committed
    assert not any(_workspace_rows(bot.store, TEAM_ID).values())
    assert all(_workspace_rows(bot.store, "T0OTHER").values())
    assert len(lines()) == 1
    reason = {"app_uninstalled": "app uninstalled", "tokens_revoked": "tokens revoked"}
    assert f"workspace {TEAM_ID}: {reason[event['type']]}, its stored data deleted" in lines()[0]
    assert f"fingerprints={before['fingerprints']}" in lines()[0]


def test_profile_change_is_announced_in_the_channel_with_who_and_from_what_to_what(
    bot: RunningBot, standin: SlackStandIn
) -> None:
    answer = bot.send_command(command_form("profile cisco-uc", standin)).json()
    assert answer["response_type"] == "in_channel"
    assert answer["text"] == (
        "<@U0ALICE> changed this channel's certmatch profile from the `generic` profile to "
        "the `cisco-uc` profile: every check here now uses it."
    )
    again = bot.send_command(command_form("profile cisco-uc", standin)).json()
    assert again["response_type"] == "ephemeral" and "already uses" in again["text"]
    wrong = bot.send_command(command_form("profile nope", standin)).json()
    assert wrong["response_type"] == "ephemeral" and "Unknown profile" in wrong["text"]
    assert ProfileStore(bot.store).get(TEAM_ID, PKI.channel) == "cisco-uc"


def _forget_buttons(answer: dict[str, Any]) -> dict[str, str]:
    actions = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"]
    return {a["action_id"]: a["value"] for a in actions}


def test_forget_asks_first_then_clears_and_tells_the_channel_who_did(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    _post_in(bot, standin, clock, PKI, CSR)
    answer = bot.send_command(command_form("forget", standin)).json()
    assert answer["response_type"] == "ephemeral"
    buttons = _forget_buttons(answer)
    assert buttons == {ACTION_FORGET_CONFIRM: PKI.channel, ACTION_FORGET_CANCEL: PKI.channel}
    assert len(bot.store.channel_fingerprints(TEAM_ID, PKI.channel)) == 1  # nothing yet
    bot.send_interaction(block_action(ACTION_FORGET_CONFIRM, PKI.channel, standin))
    calls = [c.args for c in standin.wait_for_calls("response_url", 2)]
    assert calls[0].get("delete_original") in (True, "true")
    assert calls[1]["response_type"] == "in_channel"
    assert calls[1]["text"].startswith(
        ":wastebasket: <@U0ALICE> cleared certmatch's memory of this channel with "
        "`/certmatch forget`: 1 remembered"
    )
    assert bot.store.channel_fingerprints(TEAM_ID, PKI.channel) == []


def test_forget_cancelled_deletes_nothing(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    _post_in(bot, standin, clock, PKI, CSR)
    bot.send_command(command_form("forget", standin))
    bot.send_interaction(block_action(ACTION_FORGET_CANCEL, PKI.channel, standin))
    (call,) = standin.wait_for_calls("response_url")
    assert call.args["text"] == "Nothing was deleted."
    assert len(bot.store.channel_fingerprints(TEAM_ID, PKI.channel)) == 1


def test_forget_button_for_another_channel_deletes_nothing(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    _post_in(bot, standin, clock, PKI, CSR)
    bot.send_interaction(block_action(ACTION_FORGET_CONFIRM, "C0ELSEWHERE", standin))
    (call,) = standin.wait_for_calls("response_url")
    assert call.args["text"].startswith("Nothing was deleted")
    assert len(bot.store.channel_fingerprints(TEAM_ID, PKI.channel)) == 1


def test_details_button_after_a_forget_says_it_was_deleted_with_forget(
    bot: RunningBot, standin: SlackStandIn, clock: Clock
) -> None:
    posted = _post_in(bot, standin, clock, PKI, CSR)
    actions = next(b for b in posted.reply["blocks"] if b["type"] == "actions")["elements"]
    detail_key = next(a["value"] for a in actions if a["action_id"] == ACTION_SHOW_DETAIL)
    bot.send_command(command_form("forget", standin))
    bot.send_interaction(block_action(ACTION_FORGET_CONFIRM, PKI.channel, standin))
    standin.wait_for_calls("response_url", 2)
    bot.send_interaction(block_action(ACTION_SHOW_DETAIL, detail_key, standin))
    view = json.dumps(standin.wait_for_calls("views.open")[0].args["view"])
    assert "deleted with `/certmatch forget`" in view
    assert "days" not in view
    stored = bot.store.detail(detail_key)
    assert stored is not None and stored.detail == ""  # emptied, marked, kept until the purge
