"""`Hyperparameters.all` and `Hyperparameters.value(name:)`: every field of the runtime's
hyperparameter answer, as its metadata types it, so a field a new runtime adds is served
before the schema has a typed field for it."""

from __future__ import annotations

import dataclasses
import difflib

import strawberry
from strawberry.scalars import JSON

from .. import models
from .errors import BadUserInput


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


#: The runtime's names that `Hyperparameters` has a typed field for (the model's names).
_TYPED = frozenset(
    f.name for f in dataclasses.fields(models.Hyperparameters) if f.name != "runtime_fields"
)


@strawberry.type(
    description="One field of the runtime's hyperparameter answer (`get_subnet_hyperparams_v2`)"
    ", named and typed as the runtime metadata has it."
)
class HyperparameterValue:
    name: str = strawberry.field(
        description="The runtime's name of the field, snake_case (e.g. `max_weights_limit`)."
    )
    field: str | None = strawberry.field(
        description="The typed field of `Hyperparameters` that shows it (e.g. "
        "`maxWeightsLimit`); null when the schema has none yet (a field a newer runtime added)."
    )
    type: str = strawberry.field(
        description="The field's type as the runtime metadata names it: `u16`, "
        "`Compact<u64>`, `Compact<TaoCurrency>`, `I32F32`, `bool`, ..."
    )
    value: JSON | None = strawberry.field(
        description="The value as JSON: an integer as a number, or as a decimal string beyond "
        "2^53 (JavaScript's exact range); a fixed-point number (`I32F32`) as a number; a "
        "boolean; an account as its SS58 address; an enum as its variant name; null for an "
        "optional value the runtime leaves unset."
    )

    @classmethod
    def from_model(cls, value: models.HyperparameterValue) -> HyperparameterValue:
        field = _camel(value.name) if value.name in _TYPED else None
        return cls(name=value.name, field=field, type=value.type, value=value.value)


def all_values(hyperparameters: models.Hyperparameters) -> list[HyperparameterValue]:
    return [HyperparameterValue.from_model(v) for v in hyperparameters.runtime_fields]


def value_of(hyperparameters: models.Hyperparameters, name: str) -> JSON | None:
    """The runtime's field `name`; BAD_USER_INPUT naming the closest names when there is none."""
    found = hyperparameters.runtime_field(name)
    if found is not None:
        return found.value
    names = [f.name for f in hyperparameters.runtime_fields]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise BadUserInput(
        f"{name!r} is not a field of the runtime's hyperparameters (names are snake_case, as "
        f"`all` lists them){hint}"
    )
