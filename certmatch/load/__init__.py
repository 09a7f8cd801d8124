"""Inputs to artefacts: text repair, PEM, hash lines, DER shape and bounds, containers.

Other layers import `load`, `Input`, `LoadResult` and `contains_material` from here, not the
modules inside.
"""

from certmatch.load.loader import Input, LoadResult, contains_material, load

__all__ = ["Input", "LoadResult", "contains_material", "load"]
