"""Exactly one reply per job: claim the reply key, post with message metadata naming the job, store the posted ts.

A process can die between posting and storing the ts. The job is then taken again with its
key claimed and no ts, and before posting it looks in the thread (`conversations.replies`,
covered by the history scopes the app already has) for a message whose metadata names the
job: found, the ts is stored and nothing is posted; not found, the reply is posted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import bindparam, select, update

from bot.store import Store
from handlers.blocks import Reply

logger = logging.getLogger("certmatch.bot")

METADATA_EVENT_TYPE = "certmatch_reply"
# How far back in a thread a lost reply is looked for (pages of 200 messages).
_MAX_PAGES = 5


class ReplyLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._replies = store.tables.replies

    def post_once(
        self,
        client: WebClient,
        key: str,
        *,
        channel: str,
        thread_ts: str | None,
        reply: Reply,
        post: Callable[[Mapping[str, Any]], Any] | None = None,
        store_ts: Callable[[str | None], None] | None = None,
        claimed: bool | None = None,
    ) -> str | None:
        """Post `reply` unless the job's reply already went out; return the reply's ts.

        `post` sends the message (default: chat.postMessage into the thread); it receives the
        metadata to attach and returns Slack's answer. `store_ts` replaces the ledger's own
        storing of the ts (None: stored already): the job queue stores it and finishes the job
        in one commit (`JobQueue.finish(reply_ts=...)`).
        `claimed` is what `claim()` returned when the caller claimed the key already (committed
        before this call); None claims it here. Raises what Slack or the database raise: a
        claimed key without a ts is then resolved by the next attempt.
        """
        metadata = {"event_type": METADATA_EVENT_TYPE, "event_payload": {"job": key}}
        if claimed is None:
            claimed = self.claim(key, channel, thread_ts)
        if not claimed:
            posted = self._posted_ts(key)
            if posted:
                self._store_ts(key, None, store_ts)
                return posted
            found = find_in_thread(client, channel, thread_ts, key)
            if found:
                logger.info("reply for %s found in the thread; not posted again", key)
                self._store_ts(key, found, store_ts)
                return found
        if post is None:
            answer = client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=reply.text,
                blocks=reply.blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        else:
            answer = post(metadata)
        ts = str(answer.get("ts") or "") if answer is not None else ""
        self._store_ts(key, ts or "-", store_ts)
        return ts or None

    def claim(self, key: str, channel: str, thread_ts: str | None) -> bool:
        """Claim the reply key; True if this caller is the first. Inside the thread's open
        transaction (bot.store.transactions) it is committed with it, which must be before
        the post: a post whose claim was never committed could be posted twice."""
        return key in self.claim_many([(key, channel, thread_ts)])

    def claim_many(self, claims: Sequence[tuple[str, str, str | None]]) -> set[str]:
        """`claim` for several jobs, each (key, channel, thread_ts), in one statement: the keys
        this caller claimed first (one claimed before, by an earlier attempt, is not among them)."""
        if not claims:
            return set()
        now = time.time()
        rows = [
            {
                "reply_key": key,
                "channel": channel,
                "thread_ts": thread_ts,
                "ts": None,
                "claimed_at": now,
            }
            for key, channel, thread_ts in claims
        ]
        stmt = self.store.statements.get("claim_replies")
        if stmt is None:
            stmt = self.store.statements["claim_replies"] = self.store.insert_new(
                self._replies
            ).returning(self._replies.c.reply_key)
        with self.store.begin() as conn:
            return {str(key) for (key,) in conn.execute(stmt, rows)}

    def _posted_ts(self, key: str) -> str | None:
        r = self._replies
        with self.store.connect() as conn:
            found = conn.execute(select(r.c.ts).where(r.c.reply_key == key)).scalar_one_or_none()
        return str(found) if found else None

    def _store_ts(
        self, key: str, ts: str | None, store_ts: Callable[[str | None], None] | None
    ) -> None:
        """Store the reply's ts (None: stored already), or hand it to the caller's `store_ts`."""
        if store_ts is not None:
            store_ts(ts)
        elif ts is not None:
            with self.store.begin() as conn:
                conn.execute(reply_ts_update(self.store), {"key": key, "ts": ts})


def reply_ts_update(store: Store) -> Any:
    """UPDATE replies SET ts = :ts WHERE reply_key = :key, built once per store."""
    stmt = store.statements.get("store_reply_ts")
    if stmt is None:
        r = store.tables.replies
        stmt = store.statements["store_reply_ts"] = (
            update(r).where(r.c.reply_key == bindparam("key")).values(ts=bindparam("ts"))
        )
    return stmt


def find_in_thread(client: WebClient, channel: str, thread_ts: str | None, key: str) -> str | None:
    """The ts of the bot's message in the thread whose metadata names job `key`, else None."""
    if not thread_ts:
        return None
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        answer = client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
        )
        for message in answer.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT_TYPE and payload.get("job") == key:
                return str(message.get("ts"))
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    return None
