"""What `certmatch connect` (and the bot) hand to `check`: the served chain and the endpoint."""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.connect.target import Target, parse_target
from certmatch.connect.tls import Address, fetch_chain
from certmatch.errors import ConnectError
from certmatch.load import Input
from certmatch.model import Endpoint, InputProblem

__all__ = ["fetch_served"]


def fetch_served(
    target: str | Target,
    *,
    servername: str | None = None,
    timeout: float = 5.0,
    starttls: str | None = None,
    problems: list[InputProblem],
    addresses: Sequence[Address] | None = None,
) -> tuple[list[Input], Endpoint]:
    """The served certificates as inputs (in the server's order) and the endpoint.

    A failure to connect is appended to `problems` (code `connect-failed`, so the verdict is
    "error") and no input is returned. ValueError when `target` is not HOST[:PORT].
    """
    where = target if isinstance(target, Target) else parse_target(target)
    endpoint = Endpoint(
        host=where.host,
        port=where.port,
        servername=servername or (None if _is_ip(where.host) else where.host),
        address=None,
        tls_version=None,
        cipher=None,
        starttls=starttls,
    )
    try:
        served = fetch_chain(
            where.host,
            where.port,
            servername=servername,
            timeout=timeout,
            starttls_kind=starttls,
            addresses=addresses,
        )
    except ConnectError as exc:
        problems.append(InputProblem(str(where), str(exc), "connect-failed"))
        return [], endpoint
    endpoint = Endpoint(
        host=where.host,
        port=where.port,
        servername=endpoint.servername,
        address=served.address,
        tls_version=served.tls_version,
        cipher=served.cipher,
        starttls=starttls,
        handshake_error=served.handshake_error,
    )
    count = len(served.certificates)
    if not count:
        problems.append(
            InputProblem(
                str(where),
                "the server completed the handshake without a certificate",
                "connect-failed",
            )
        )
    inputs = [
        Input(f"{where} [served {n}/{count}]", der)
        for n, der in enumerate(served.certificates, start=1)
    ]
    return inputs, endpoint


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
