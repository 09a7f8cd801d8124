"""The Cisco UC products the cisco-uc profile tells apart: the one list of their names.

`--product` on the CLI and `/certmatch profile cisco-uc PRODUCT` in Slack take these; a finding
spells each as LABELS does. Kept free of heavy imports so the CLI can offer the choices before
loading the engine.
"""

from __future__ import annotations

# name -> how a finding names it. The first is the default when none is named.
LABELS = {
    "cucm": "CUCM",
    "imp": "IM and Presence",
    "cuc": "Unity Connection",
    "uccx": "UCCX",
    "cuic": "CUIC",
    "expressway-c": "Expressway-C",
    "expressway-e": "Expressway-E",
}
PRODUCT_NAMES = tuple(LABELS)
DEFAULT_PRODUCT = "cucm"
EXPRESSWAY_C, EXPRESSWAY_E = "expressway-c", "expressway-e"
EXPRESSWAYS = frozenset({EXPRESSWAY_C, EXPRESSWAY_E})


def parse(product: str) -> str:
    """The product's name as listed; ValueError naming the choices for anything else."""
    key = product.strip().lower()
    if key not in LABELS:
        raise ValueError(
            f"unknown product {product!r} for cisco-uc: choose one of {', '.join(PRODUCT_NAMES)}"
        )
    return key


def label(product: str) -> str:
    return LABELS.get(product, product)
