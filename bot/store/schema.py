"""The bot's tables, defined once (SQLAlchemy Core) for both SQLite and PostgreSQL, under a name prefix.

The prefix lets several deployments, or parallel test runs, share one database. Migrations in
`bot/store/migrations/versions/` create and change these tables; this module is what the code
reads and writes, and `tests/test_store.py` checks that the two agree.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")

# The fingerprint lookup's indexes (name without the prefix, the term's column); each is
# (team, column, *_LOOKUP_TAIL). Migration 0006 made them so.
LOOKUP_INDEXES = (
    ("fp_key", "key_id"),
    ("fp_md5", "modulus_md5"),
    ("fp_spki", "spki_sha256"),
    ("fp_cn", "common_name"),
    ("fp_sans", "san_set"),
)
_LOOKUP_TAIL = ("posted_at", "channel", "conversation_kind", "ext_shared")


@dataclass(frozen=True, slots=True)
class Tables:
    """The tables of one prefix. `metadata` holds them all (drop_all in tests)."""

    prefix: str
    metadata: MetaData
    events: Table
    thread_artefacts: Table
    fingerprints: Table
    channel_profiles: Table
    details: Table
    jobs: Table
    replies: Table
    watched_certificates: Table
    reminders: Table
    reminder_channels: Table


def check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"table prefix {prefix!r} must be lowercase letters, digits, _")
    return prefix


@functools.cache
def tables(prefix: str) -> Tables:
    """The Table objects for `prefix` (one MetaData per prefix, built once)."""
    p = check_prefix(prefix)
    md = MetaData()
    events = Table(
        f"{p}events",
        md,
        # Claimed ids: "event:<event_id>" for Slack's retries of one delivery.
        Column("event_key", Text, primary_key=True),
        Column("seen_at", Float, nullable=False),
        # The workspace, so uninstalling deletes its claims too (NULL: claimed before 0004).
        Column("team", Text),
        # The retention purge's (migration 0005, like every index below whose comment says so).
        Index(f"{p}events_seen", "seen_at"),
    )
    thread_artefacts = Table(
        f"{p}thread_artefacts",
        md,
        Column("team", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("thread_ts", Text, nullable=False),
        Column("fingerprint", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("subject", Text),
        Column("spki_sha256", Text),
        Column("modulus_md5", Text),
        Column("public_pem", Text, nullable=False),
        Column("message_ts", Text, nullable=False),
        Column("posted_at", Float, nullable=False),
        PrimaryKeyConstraint("team", "channel", "thread_ts", "fingerprint"),
        Index(f"{p}ta_posted", "posted_at"),  # the purge's
    )
    # The fingerprint index (issue 4): one row per public artefact per message, private keys by
    # their public identity only. No PEM, no message text.
    fingerprints = Table(
        f"{p}fingerprints",
        md,
        Column("row_key", Text, primary_key=True),
        Column("team", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("thread_ts", Text, nullable=False),
        Column("message_ts", Text, nullable=False),
        Column("poster", Text),
        Column("kind", Text, nullable=False),
        Column("spki_sha256", Text),
        Column("modulus_md5", Text),
        Column("key_id", Text),
        Column("common_name", Text),
        Column("san_set", Text, nullable=False),
        Column("is_ca", Integer, nullable=False),
        Column("posted_at", Float, nullable=False),
        # Where it was posted, for the privacy rule (issue 13): channel, group, im, mpim, or
        # NULL when unknown (rows from before the column count as private), and whether the
        # conversation is shared with another organisation (Slack Connect).
        Column("conversation_kind", Text),
        Column("ext_shared", Boolean),
        # The lookup's, one per term (migration 0006): posted_at next, so a term's newest rows
        # come first and its walk stops at the lookup's limit; then what the privacy filter
        # reads, so the walk is decided on the index alone (bot.store.fingerprints).
        *(Index(f"{p}{name}", "team", column, *_LOOKUP_TAIL) for name, column in LOOKUP_INDEXES),
        Index(f"{p}fp_channel", "team", "channel"),
        Index(f"{p}fp_time", "posted_at"),
    )
    channel_profiles = Table(
        f"{p}channel_profiles",
        md,
        Column("team", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("profile", Text, nullable=False),
        Column("updated_at", Float, nullable=False),
        PrimaryKeyConstraint("team", "channel"),
    )
    details = Table(
        f"{p}details",
        md,
        Column("detail_key", Text, primary_key=True),
        Column("detail", Text, nullable=False),
        Column("ca_note", Text),
        Column("created_at", Float, nullable=False),
        Column("team", Text),
        Column("channel", Text),
        # Set by `/certmatch forget` (the text is emptied), so the button can say why it is gone.
        Column("forgotten_at", Float),
        Index(f"{p}details_created", "created_at"),  # the purge's
    )
    # The durable job queue (issue 17). `job_key` is the claim: "message:<channel>:<ts>", so a
    # message Slack delivers twice (a retry, or two events for one message) is queued once.
    # A job is taken by setting `lease_owner` and moving `available_at` to the lease's end; a
    # worker that dies leaves it to be taken again when that time passes. `payload` is
    # encrypted (bot.jobs.sealing) and cleared when the job is done.
    jobs = Table(
        f"{p}jobs",
        md,
        Column("job_key", Text, primary_key=True),
        Column("kind", Text, nullable=False),
        Column("payload", Text),
        Column("state", Text, nullable=False),  # queued | done
        Column("available_at", Float, nullable=False),
        Column("lease_owner", Text),
        Column("attempts", Integer, nullable=False),
        Column("created_at", Float, nullable=False),
        Column("finished_at", Float),
        Index(f"{p}jobs_ready", "state", "available_at"),
        Index(f"{p}jobs_created", "created_at"),
    )
    # One reply per job: the key is claimed before chat.postMessage, `ts` stored after it. A
    # claimed key without a ts means a process died in between: look in the thread first.
    replies = Table(
        f"{p}replies",
        md,
        Column("reply_key", Text, primary_key=True),
        Column("channel", Text, nullable=False),
        Column("thread_ts", Text),
        Column("ts", Text),
        Column("claimed_at", Float, nullable=False),
        Index(f"{p}replies_claimed", "claimed_at"),  # the purge's
    )
    return Tables(
        p,
        md,
        events,
        thread_artefacts,
        fingerprints,
        channel_profiles,
        details,
        jobs,
        replies,
        *_reminder_tables(p, md),
    )


def _reminder_tables(p: str, md: MetaData) -> tuple[Table, Table, Table]:
    """Expiry reminders (issue 16, migration 0003): what is watched, what is due, who muted them."""
    # One row per server certificate per conversation it was posted in (the first thread there
    # keeps it): the names a reminder states, never the PEM. Kept until `keep_until` (notAfter
    # plus a day), past the retention window; `renewed_*` is set when a newer certificate for
    # the same names is seen.
    watched = Table(
        f"{p}watched_certificates",
        md,
        Column("cert_key", Text, primary_key=True),
        Column("team", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("thread_ts", Text, nullable=False),
        Column("message_ts", Text, nullable=False),
        Column("key_id", Text),
        Column("subject", Text),
        Column("common_name", Text),
        Column("san_set", Text, nullable=False),
        Column("serial", Text),
        Column("not_after", Float, nullable=False),
        # Where its CSR was matched: mrkdwn from bot.memory.where (mentions, a date), and the
        # message, whose permalink is asked for when a reminder is posted.
        Column("csr_where", Text),
        Column("csr_channel", Text),
        Column("csr_message_ts", Text),
        Column("posted_at", Float, nullable=False),
        Column("keep_until", Float, nullable=False),
        Column("renewed_not_after", Float),
        Column("renewed_where", Text),
        Index(f"{p}wc_channel", "team", "channel", "not_after"),
        # The renewal lookup's (migration 0007): a name's certificates of one conversation.
        Index(f"{p}wc_cn", "team", "common_name", "channel"),
        Index(f"{p}wc_sans", "team", "san_set", "channel"),
        Index(f"{p}wc_keep", "keep_until"),
        # The purge's: a fingerprint row is kept while its watched certificate is.
        Index(f"{p}wc_message", "team", "channel", "message_ts"),
    )
    # One row per window per watched certificate ("<cert_key>:<days>"), plus "<cert_key>:renewed"
    # for the note that a renewal cancelled the rest. The claim is the UPDATE from pending (or a
    # claim whose lease ran out) to claimed: one process wins it.
    reminders = Table(
        f"{p}reminders",
        md,
        Column("reminder_key", Text, primary_key=True),
        Column("cert_key", Text, nullable=False),
        Column("window_days", Float),  # None for the renewal note
        Column("due_at", Float, nullable=False),
        # pending | claimed | sent | in_reply | skipped | cancelled | muted | failed
        Column("state", Text, nullable=False),
        Column("claimed_by", Text),
        Column("claimed_at", Float),
        Column("attempts", Integer, nullable=False),
        Column("sent_at", Float),
        Column("keep_until", Float, nullable=False),
        Index(f"{p}rem_due", "state", "due_at"),
        Index(f"{p}rem_cert", "cert_key"),
        Index(f"{p}rem_keep", "keep_until"),  # the purge's
    )
    channels = Table(
        f"{p}reminder_channels",
        md,
        Column("team", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("enabled", Boolean, nullable=False),
        Column("updated_by", Text),
        Column("updated_at", Float, nullable=False),
        PrimaryKeyConstraint("team", "channel"),
    )
    return watched, reminders, channels
