"""Record: the base of the engine's immutable value objects, and `replace()` for them.

Why not frozen slots dataclasses (STYLE.md's default): on Python 3.11 `import dataclasses`
loads `inspect` (with ast, dis and tokenize), and every dataclass compiles its generated
methods with exec() when its module is imported. For the ~20 classes on the path of one CSR +
certificate through the CLI that was about 12 ms of start-up, against a 45 ms floor (issue 18).

A record class declares its fields as `__slots__` (with annotations for mypy) and writes its
`__init__`, whose parameters are the fields, each once, positional or keyword, and which hands
them all, in parameter order, to `self._set(...)`. The parameter order is the field order
(read from the function's code object, not from `inspect`); tests/test_records.py checks every
record against these rules. The rest is here and behaves as a frozen dataclass does: `==`
and `hash()` over the fields (same class only), a `repr` naming them, assignment refused,
pickling and copying through the constructor, and `replace()`. What it does not offer:
`dataclasses.fields()`/`asdict()` (records are not dataclasses: `field_names()` gives the
names in constructor order, `to_dict()` the JSON) and positional `case` patterns
(`__match_args__`); keyword patterns work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any, ClassVar, TypeVar


class FrozenRecordError(AttributeError):
    """An assignment to (or deletion of) a record's field: records are immutable."""


class Record:
    __slots__ = ()

    # A subclass may leave fields out of ==/hash() (a parsed object riding along) or repr()
    # (a password, a parsed object).
    _uncompared: ClassVar[tuple[str, ...]] = ()
    _unshown: ClassVar[tuple[str, ...]] = ()
    # Set for each subclass when it is created (a few microseconds, no code generated).
    _fields: ClassVar[tuple[str, ...]] = ()
    _values: ClassVar[Callable[[Any], tuple[Any, ...]]]
    _key: ClassVar[Callable[[Any], tuple[Any, ...]]]
    _shown: ClassVar[tuple[str, ...]] = ()
    # Each field's slot setter: it writes the slot without going through __setattr__ (which
    # refuses), and costs less than object.__setattr__ by name (a record per file in a scan).
    _setters: ClassVar[tuple[Callable[[Any, Any], None], ...]] = ()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        code = getattr(cls.__init__, "__code__", None)
        if code is None:
            raise TypeError(f"{cls.__name__} must define __init__, taking its __slots__")
        cls._fields = code.co_varnames[1 : code.co_argcount]
        slots = {name for klass in cls.__mro__ for name in klass.__dict__.get("__slots__", ())}
        if set(cls._fields) != slots or code.co_kwonlyargcount:
            raise TypeError(
                f"{cls.__name__}.__init__ must take exactly its __slots__ as parameters"
            )
        compared = [name for name in cls._fields if name not in cls._uncompared]
        cls._values = _tuple_getter(cls._fields)
        cls._key = _tuple_getter(compared)
        cls._shown = tuple(name for name in cls._fields if name not in cls._unshown)
        cls._setters = tuple(getattr(cls, name).__set__ for name in cls._fields)

    def _set(self, *values: object) -> None:
        """Store every field, in `__init__` parameter order: the one way a record gets its values."""
        for setter, value in zip(self._setters, values, strict=True):
            setter(self, value)

    def __eq__(self, other: object) -> bool:
        cls = self.__class__
        if other.__class__ is cls:
            return cls._key(self) == cls._key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.__class__._key(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        return type(self), type(self)._values(self)


# Bound to the class itself, not its name: typing compiles a string bound (ForwardRef).
R = TypeVar("R", bound=Record)


def _tuple_getter(names: tuple[str, ...] | list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as a tuple (the tuple a frozen dataclass compares and hashes)."""
    if len(names) > 1:
        return attrgetter(*names)
    # A partial, not a function: a function stored on the class would bind as a method.
    return partial(_values_of, tuple(names))


def _values_of(names: tuple[str, ...], record: object) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in names)


def field_names(record: Record | type[Record]) -> tuple[str, ...]:
    """A record's fields in constructor order (what `dataclasses.fields()` named, as names)."""
    return record._fields


def replace(record: R, /, **changes: Any) -> R:
    """A copy of `record` with some fields changed, as `dataclasses.replace` makes one."""
    values = dict(zip(record._fields, type(record)._values(record), strict=True))
    values.update(changes)
    return type(record)(**values)
