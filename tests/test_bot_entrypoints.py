"""The real entry points as processes: `python -m bot` (HTTP and Socket Mode) and the Procfile's gunicorn line."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.store import Store
from bot.wiring import open_store
from standin import APP_TOKEN, BOT_TOKEN, SlackStandIn, WebSocketStandIn
from tests.bot_e2e_support import (
    SIGNING_SECRET,
    RunningBot,
    free_port,
    message_event,
    modulus_md5,
    process_env,
    vector,
)

ROOT = Path(__file__).resolve().parent.parent
CSR = vector("server.csr.pem")


def _free_port() -> int:
    return free_port()


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return process_env(**values)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"process exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("never became healthy")


def start_socket_mode_bot(
    tmp_path: Path, standin: SlackStandIn
) -> tuple[subprocess.Popen[bytes], WebSocketStandIn]:
    """`python -m bot` with an app token, connected to a local websocket stand-in."""
    websocket = WebSocketStandIn()
    standin.ws_url = websocket.url
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=standin.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'socket.sqlite3'}",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return process, websocket


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def test_missing_token_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]


def test_refused_token_stops_start_up_with_one_line(tmp_path: Path, standin: SlackStandIn) -> None:
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN was refused" in lines[0]


def test_python_m_bot_serves_http_and_answers_a_signed_event(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'entry.sqlite3'}"
    # The .env file in the working directory is where the tokens come from.
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
    )
    env = _env(tmp_path, SLACK_API_URL=standin.api_url, PORT=str(port), DATABASE_URL=db)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process)
        client = RunningBot(url, None, Store(db), lambda: None)  # type: ignore[arg-type]
        payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
        assert client.send_event(payload).status == 200
        standin.wait_for(lambda s: len(s.posts()) == 1)
        assert standin.posts()[0]["thread_ts"] == payload["event"]["ts"]
    finally:
        _stop(process)


def test_procfile_web_line_runs_under_gunicorn(tmp_path: Path, standin: SlackStandIn) -> None:
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
        client = RunningBot(url, None, Store(f"sqlite:///{tmp_path / 'web.sqlite3'}"), lambda: None)  # type: ignore[arg-type]
        text = "```" + CSR.decode() + "```"
        assert client.send_event(message_event(text=text)).status == 200
        standin.wait_for(lambda s: len(s.posts()) == 1, timeout=15)
        md5 = modulus_md5(vector("server.cert.pem"))
        assert f"MD5(stdin)= {md5}" in str(standin.posts()[0]["blocks"])
    finally:
        _stop(process)


def test_python_m_bot_uses_socket_mode_when_the_app_token_is_set(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    process, websocket = start_socket_mode_bot(tmp_path, standin)
    try:
        assert websocket.connected.wait(20)
        payload = message_event(files=[standin.add_file("tomcat.csr", CSR)])
        envelope_id = websocket.send_envelope("events_api", payload)
        websocket.wait_for_ack(envelope_id)
        standin.wait_for(lambda s: len(s.posts()) == 1)
        assert standin.posts()[0]["thread_ts"] == payload["event"]["ts"]
    finally:
        _stop(process)
        websocket.stop()


def test_sigterm_stops_the_http_process_cleanly(tmp_path: Path, standin: SlackStandIn) -> None:
    port = _free_port()
    env = _env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=standin.api_url,
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'term.sqlite3'}",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")
    finally:
        _stop(process)


def test_unreachable_database_is_retried_then_named_in_one_line() -> None:
    settings = Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        database_url="postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2",
    )
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        open_store(settings, attempts=3, first_delay=0.05)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL") and "3 attempts" in message and "\n" not in message
    assert time.monotonic() - started >= 0.15  # it waited between attempts
