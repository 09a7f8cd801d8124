"""The profiles by name: the one list of names the CLI, the scan and the bot offer.

Profiles are imported when asked for, so naming the choices (argument parsing, the bot's
help) loads no rules. No profile imports this module, so the lazy imports close no cycle.
"""

from __future__ import annotations

from certmatch.analysis.context import Profile

PROFILE_NAMES = ("generic", "cisco-uc")


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the choices when there is none."""
    if name == "generic":
        from certmatch.rules.generic import GENERIC

        return GENERIC
    if name == "cisco-uc":
        from certmatch.rules.cisco_uc.profile import PROFILE

        return PROFILE
    raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}")
