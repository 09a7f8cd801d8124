"""SIGTERM (Heroku's daily restart) on `python -m bot`: no new work, acknowledged checks finish and reply, and the process is gone within CERTMATCH_SHUTDOWN_SECONDS."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from standin import BOT_TOKEN, SlackStandIn
from tests.bot_e2e_support import SIGNING_SECRET, message_event, sign, vector
from tests.test_bot_entrypoints import (
    ROOT,
    _env,
    _free_port,
    _stop,
    _wait_healthy,
    start_socket_mode_bot,
)

CSR = vector("server.csr.pem")

pytestmark = pytest.mark.e2e


def _start(
    tmp_path: Path, standin: SlackStandIn, **env: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'term.sqlite3'}",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_env(tmp_path, **values),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    return process, url


def _send(url: str, payload: dict[str, object]) -> int:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **sign(body)}
    request = urllib.request.Request(url + "/slack/events", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _stalled_upload(standin: SlackStandIn, seconds: float) -> dict[str, object]:
    file = standin.add_file("tomcat.csr", CSR)
    standin.fail_download(str(file["id"]), f"stall:{seconds}")
    return message_event(files=[file])


def test_sigterm_lets_an_acknowledged_check_finish_and_reply_then_exits_cleanly(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    process, url = _start(tmp_path, standin, CERTMATCH_SHUTDOWN_SECONDS="15")
    try:
        payload = _stalled_upload(standin, 2.0)
        assert _send(url, payload) == 200
        standin.wait_for_calls("download")  # the check is under way
        process.send_signal(signal.SIGTERM)
        # serve_forever notices the shutdown within its 0.05 s poll: wait for the refusal.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=0.5).close()
            except OSError:
                break
            time.sleep(0.02)
        with pytest.raises(OSError):  # no new work taken (refused or reset)
            urllib.request.urlopen(url + "/healthz", timeout=2)
        assert process.wait(timeout=15) == 0
        posts = standin.posts()
        assert len(posts) == 1 and posts[0]["thread_ts"] == payload["event"]["ts"]  # type: ignore[index]
        assert "MD5(stdin)=" in json.dumps(posts[0])
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "stopped cleanly" in stderr and "Traceback" not in stderr
    finally:
        _stop(process)


def test_sigterm_exits_within_the_bound_when_a_check_will_not_finish(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    process, url = _start(
        tmp_path, standin, CERTMATCH_SHUTDOWN_SECONDS="1", CERTMATCH_DOWNLOAD_TIMEOUT="60"
    )
    try:
        assert _send(url, _stalled_upload(standin, 30.0)) == 200
        standin.wait_for_calls("download")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 1
        assert time.monotonic() - started < 4.0
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "1 check(s) still running after 1 s" in stderr and "Traceback" not in stderr
    finally:
        _stop(process)


def test_sigterm_on_the_procfile_gunicorn_line_lets_an_acknowledged_check_reply(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    # gunicorn stops accepting, lets its workers exit, and a worker's exit waits for Bolt's
    # listener threads; gunicorn's graceful_timeout (30 s, Heroku's SIGKILL) bounds it.
    port = _free_port()
    web = next(
        line.split(": ", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    argv = shlex.split(web.replace("$PORT", str(port)).replace("0.0.0.0", "127.0.0.1"))
    argv[0] = str(Path(sys.executable).parent / argv[0])
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite3'}",
    )
    process = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, timeout=30)
        payload = _stalled_upload(standin, 2.0)
        assert _send(url, payload) == 200
        standin.wait_for_calls("download")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        posts = standin.posts()
        assert len(posts) == 1 and posts[0]["thread_ts"] == payload["event"]["ts"]  # type: ignore[index]
        assert "MD5(stdin)=" in json.dumps(posts[0])
    finally:
        _stop(process)


def test_sigterm_in_socket_mode_lets_an_acknowledged_check_reply_then_exits_cleanly(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    process, websocket = start_socket_mode_bot(tmp_path, standin)
    try:
        assert websocket.connected.wait(20)
        payload = _stalled_upload(standin, 2.0)
        websocket.wait_for_ack(websocket.send_envelope("events_api", payload))
        standin.wait_for_calls("download")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        posts = standin.posts()
        assert len(posts) == 1 and posts[0]["thread_ts"] == payload["event"]["ts"]  # type: ignore[index]
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "stopped cleanly" in stderr and "Traceback" not in stderr
    finally:
        _stop(process)
        websocket.stop()
