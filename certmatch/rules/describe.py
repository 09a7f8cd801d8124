"""How findings name things: an artefact with its CN, its file, a moment, the upload order."""

from __future__ import annotations

from datetime import datetime

from certmatch.analysis.match import common_name
from certmatch.model import Artefact

UPLOAD_ORDER = "the root CA certificate first, then the intermediates, then the server certificate"


def describe(a: Artefact) -> str:
    cn = common_name(a)
    return f"{a.source} (CN={cn})" if cn else a.source


def file_of(a: Artefact) -> str:
    """The file an artefact came from ("bundle.pem [2/3]" -> "bundle.pem")."""
    return a.source.split(" [")[0]


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
