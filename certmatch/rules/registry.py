"""The profiles by name: the one list of names the CLI, the scan and the bot offer, and the
products a profile tells apart.

Profiles are imported when asked for, so naming the choices (argument parsing, the bot's
help) loads no rules. No profile imports this module, so the lazy imports close no cycle.
"""

from __future__ import annotations

from certmatch.analysis.context import Profile
from certmatch.rules.cisco_uc import products as cisco_uc_products

PROFILE_NAMES = ("generic", "cisco-uc")
# The products each profile tells apart (--product, /certmatch profile cisco-uc PRODUCT), and
# the one assumed when none is named; a profile not listed takes none.
PROFILE_PRODUCTS = {"cisco-uc": cisco_uc_products.PRODUCT_NAMES}
DEFAULT_PRODUCTS = {"cisco-uc": cisco_uc_products.DEFAULT_PRODUCT}


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the choices when there is none."""
    if name == "generic":
        from certmatch.rules.generic import GENERIC

        return GENERIC
    if name == "cisco-uc":
        from certmatch.rules.cisco_uc.profile import PROFILE

        return PROFILE
    raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}")


def profile_products(name: str) -> tuple[str, ...]:
    """The products profile `name` tells apart, the default first (none for generic)."""
    return PROFILE_PRODUCTS.get(name, ())
