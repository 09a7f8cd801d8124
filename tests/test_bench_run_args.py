"""bench/run.py's lists of names: any case is taken, a name it does not know is refused."""

from __future__ import annotations

import pytest

from bench.run import main


def test_an_unknown_database_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "SQLite" is taken as sqlite; "mysql" is not a database the bench runs.
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "bot", "--bot-databases", "SQLite,mysql"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--bot-databases: mysql given; choose from sqlite, postgresql" in err


def test_an_unknown_scenario_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--only", "bot", "--bot-scenarios", "sustained,soak"])
    assert "soak given; choose from burst, chatter, sustained, sigkill" in capsys.readouterr().err


def test_names_are_taken_in_any_case_in_their_order() -> None:
    from bench.run import _names

    parse = _names("sqlite", "postgresql")
    assert parse("PostgreSQL, SQLite") == ["postgresql", "sqlite"]
    with pytest.raises(Exception, match="nothing given"):
        parse(" , ")
