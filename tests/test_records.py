"""The engine's records (certmatch/record.py) keep what frozen dataclasses gave: the rules every record follows."""

from __future__ import annotations

import copy
import importlib
import pickle
import pkgutil
from datetime import UTC, datetime

import pytest

import certmatch
from certmatch.model import Artefact, ArtefactKind, Finding, KeyInfo, Pair, Severity
from certmatch.record import FrozenRecordError, Record, field_names, replace


def _all_records() -> list[type[Record]]:
    for info in pkgutil.walk_packages(certmatch.__path__, "certmatch."):
        importlib.import_module(info.name)
    found: list[type[Record]] = []
    pending = list(Record.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


RECORDS = _all_records()


def test_the_model_and_the_loader_records_are_found() -> None:
    names = {c.__name__ for c in RECORDS}
    assert {"Artefact", "KeyInfo", "Report", "Finding", "Input", "PemBlock", "Limits"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_a_record_stores_each_parameter_in_its_own_field(cls: type[Record]) -> None:
    # __init__ hands its parameters to _set() in their order: a swapped pair would show here.
    values = [object() for _ in cls._fields]
    made = cls(*values)
    assert [getattr(made, name) for name in cls._fields] == values
    assert not hasattr(made, "__dict__")  # every class in the line declares __slots__


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__qualname__)
def test_a_record_is_immutable(cls: type[Record]) -> None:
    made = cls(*[None] * len(cls._fields))
    with pytest.raises(FrozenRecordError):
        setattr(made, cls._fields[0], 1)
    with pytest.raises(FrozenRecordError):
        delattr(made, cls._fields[0])


def test_a_record_whose_init_does_not_take_its_slots_is_refused() -> None:
    with pytest.raises(TypeError, match="__slots__"):

        class Broken(Record):
            __slots__ = ("a", "b")

            def __init__(self, a: int) -> None:
                self._set(a, 0)


def test_a_record_without_init_is_refused() -> None:
    with pytest.raises(TypeError, match="__init__"):

        class Bare(Record):
            __slots__ = ("a",)


KEY = KeyInfo("RSA", 2048, None, "ab" * 16, "cd" * 32, "id")


def _artefact(**changes: object) -> Artefact:
    base = Artefact(
        "tomcat.csr",
        ArtefactKind.CSR,
        KEY,
        "pem",
        subject="CN=cucm.example.com",
        sans=("DNS:cucm.example.com",),
        not_after=datetime(2027, 1, 1, tzinfo=UTC),
    )
    return replace(base, **changes)


def test_equality_and_hash_follow_the_fields_and_leave_native_out() -> None:
    assert _artefact() == _artefact(native=object())
    assert hash(_artefact()) == hash(_artefact(native=object()))
    assert _artefact() != _artefact(sans=())
    assert Pair(0, 1, True) != (0, 1, True)  # same class only, as a dataclass compares
    assert hash(Pair(0, 1, True)) == hash((0, 1, True))  # the tuple a dataclass hashes
    assert len({Finding("a", Severity.INFO, "m", "h"), Finding("a", Severity.INFO, "m", "h")}) == 1


def test_repr_names_the_fields_and_hides_native_and_passwords() -> None:
    assert repr(Pair(0, 1, True)) == "Pair(left=0, right=1, match=True)"
    assert "native" not in repr(_artefact(native="parsed"))
    assert "hunter2" not in repr(certmatch.Input("a.p12", b"", b"hunter2"))


def test_replace_changes_only_the_named_fields_and_refuses_unknown_ones() -> None:
    changed = replace(_artefact(), repairs=("fixed",))
    assert changed.repairs == ("fixed",)
    assert replace(changed, repairs=()) == _artefact()
    with pytest.raises(TypeError):
        replace(_artefact(), colour="red")


def test_field_names_are_the_constructor_order() -> None:
    assert field_names(Pair) == ("left", "right", "match") == field_names(Pair(0, 1, True))
    artefact = _artefact(native="parsed")
    names = field_names(Artefact)
    assert names[:2] == ("source", "kind") and names[-1] == "native"
    assert Artefact(*(getattr(artefact, n) for n in names)) == artefact


def test_records_survive_pickling_and_copying() -> None:
    artefact = _artefact(native=None)
    assert pickle.loads(pickle.dumps(artefact)) == artefact
    assert copy.copy(artefact) == artefact
    assert copy.deepcopy(artefact) == artefact
