"""Slack's Block Kit and view limits, as Slack enforces them: the stand-in refuses what Slack would refuse."""

from __future__ import annotations

import json
from typing import Any


def block_kit_problem(blocks: Any, max_blocks: int) -> str | None:
    """The first Block Kit limit these blocks break (as Slack would refuse them), or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > max_blocks:
        return f"more than {max_blocks} blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "section" and len(block.get("text", {}).get("text", "")) > 3000:
            return "section text over 3000 characters"
        if kind == "header" and len(block.get("text", {}).get("text", "")) > 150:
            return "header text over 150 characters"
        if kind == "context":
            if len(block.get("elements", [])) > 10:
                return "context with more than 10 elements"
            if any(len(e.get("text", "")) > 3000 for e in block.get("elements", [])):
                return "context text over 3000 characters"
        if kind == "actions":
            for element in block.get("elements", []):
                if len(element.get("text", {}).get("text", "")) > 75:
                    return "button text over 75 characters"
                if len(element.get("value", "")) > 2000:
                    return "button value over 2000 characters"
                if len(element.get("action_id", "")) > 255:
                    return "action_id over 255 characters"
        if kind == "input" and len(block.get("label", {}).get("text", "")) > 2000:
            return "input label over 2000 characters"
    return None


def view_problem(view: dict[str, Any]) -> str | None:
    if view.get("type") not in ("modal", "home"):
        return "view type must be modal or home"
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key].get("text", "")) > 24:
                return f"{key} over 24 characters"
        if "title" not in view:
            return "modal without title"
    if len(view.get("private_metadata", "")) > 3000:
        return "private_metadata over 3000 characters"
    return block_kit_problem(view.get("blocks", []), max_blocks=100)
