"""Logging set-up: one format, the configured level, and Slack's libraries kept from logging payloads."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    # At DEBUG, slack_bolt and slack_sdk log request and response bodies, which can hold pasted
    # private keys; they stay at INFO whatever LOG_LEVEL says.
    for name in ("slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    # Alembic narrates every start-up at INFO (plugins, "will assume transactional DDL");
    # bot.store.migrate logs its own line (DEBUG) when it changes the schema.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))
