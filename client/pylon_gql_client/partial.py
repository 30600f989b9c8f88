"""`PartialNeuron[F]`: a neuron with only the fields a caller asked for, typed by which ones.

`client.neurons(fields=["hotkey", "validatorTrust"])` answers
`list[PartialNeuron[Literal["hotkey", "validatorTrust"]]]`: the type remembers the names asked
for, and each field (a descriptor, `_Spelt`) takes only a `PartialNeuron` whose names include
it, so a type checker (pyright) types `neuron.hotkey` as `str` (not `str | None`) and refuses
`neuron.stake`, which was not asked for. The parameter is contravariant: a neuron with more
fields is usable wherever one with fewer is expected. Field names come in either spelling, the
schema's (`validatorTrust`) or the models' (`validator_trust`); attributes are snake_case.
`uid` and `block` (the block the answer is for) are always there.

This is the typing generated GraphQL clients (ariadne-codegen) give a query's selection, made
for a selection chosen at the call: one class and a `Literal` of the names instead of a class
per query. A list of names built at run time, typed `list[NeuronField]`, allows every
property; reading a field that was not asked for raises `AttributeError` naming it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Generic, Literal, Self, TypeAlias, TypeVar, get_args, overload

from pydantic.alias_generators import to_snake

from .models import Axon, BigInt, BlockRef, Model, Neuron, PrometheusEndpoint

#: A Neuron field as the models spell it.
NeuronAttribute = Literal[
    "block",
    "uid",
    "hotkey",
    "coldkey",
    "active",
    "validator_permit",
    "stake",
    "stake_rao",
    "rank",
    "emission",
    "emission_rao",
    "incentive",
    "consensus",
    "trust",
    "validator_trust",
    "dividends",
    "last_update",
    "blocks_since_last_update",
    "pruning_score",
    "axon",
    "prometheus",
]
#: The names the schema spells otherwise (camelCase); the others are the same in both.
NeuronSchemaName = Literal[
    "validatorPermit",
    "stakeRao",
    "emissionRao",
    "validatorTrust",
    "lastUpdate",
    "blocksSinceLastUpdate",
    "pruningScore",
]
#: A Neuron field a caller may ask for (`neurons(fields=...)`), in either spelling.
NeuronField = Literal[NeuronAttribute, NeuronSchemaName]

NEURON_ATTRIBUTES: tuple[NeuronAttribute, ...] = get_args(NeuronAttribute)
NEURON_FIELDS: tuple[NeuronField, ...] = get_args(NeuronField)
assert set(NEURON_ATTRIBUTES) == set(Neuron.model_fields), "NeuronAttribute and Neuron differ"
assert {to_snake(name) for name in get_args(NeuronSchemaName)} <= set(NEURON_ATTRIBUTES)

#: Always selected: the neuron's uid and the block the answer is for.
ALWAYS = frozenset({"uid", "block"})

F = TypeVar("F", bound=NeuronField, contravariant=True)
#: The names one call asked for (`neurons(fields=...)`).
Chosen = TypeVar("Chosen", bound=NeuronField)
#: How `fields` may be given so that a type checker keeps the names: a list, tuple or set
#: literal.
FieldNames: TypeAlias = list[Chosen] | tuple[Chosen, ...] | set[Chosen] | frozenset[Chosen]


def attributes(fields: Iterable[str]) -> frozenset[str]:
    """The snake_case attributes `fields` name (either spelling), `uid` and `block` included;
    ValueError names what is no Neuron field."""
    if isinstance(fields, str):
        raise TypeError("fields is a collection of field names, not one string")
    given = set(fields)
    unknown = given - set(NEURON_FIELDS)
    if unknown:
        raise ValueError(
            f"not Neuron fields: {', '.join(sorted(unknown))} (fields are "
            f"{', '.join(NEURON_ATTRIBUTES)}, or their schema names)"
        )
    return ALWAYS | {to_snake(name) for name in given}


class _Fields(Model):
    """A neuron's fields as answered: the ones not asked for are None."""

    uid: int
    block: BlockRef
    hotkey: str | None = None
    coldkey: str | None = None
    active: bool | None = None
    validator_permit: bool | None = None
    stake: float | None = None
    stake_rao: BigInt | None = None
    rank: float | None = None
    emission: float | None = None
    emission_rao: BigInt | None = None
    incentive: float | None = None
    consensus: float | None = None
    trust: float | None = None
    validator_trust: float | None = None
    dividends: float | None = None
    last_update: int | None = None
    blocks_since_last_update: int | None = None
    pruning_score: int | None = None
    axon: Axon | None = None
    prometheus: PrometheusEndpoint | None = None


Name = TypeVar("Name", bound=NeuronField)
Spelling = TypeVar("Spelling", bound=NeuronField)
T = TypeVar("T")


class _Spelt(Generic[Name, Spelling, T]):
    """A field of `PartialNeuron`, of type T, named `Name` or `Spelling` (its two spellings):
    it takes only a neuron whose names include one of them, which is what makes a type checker
    refuse a field that was not asked for."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, neuron: None, owner: type) -> Self: ...

    @overload
    def __get__(self, neuron: PartialNeuron[Name] | PartialNeuron[Spelling], owner: type) -> T: ...

    def __get__(self, neuron: PartialNeuron[Any] | None, owner: type) -> Self | T:
        if neuron is None:
            return self
        if self.name not in neuron.fields:
            raise AttributeError(
                f"`{self.name}` was not asked for: add it to neurons(fields=[...]) "
                f"(asked: {', '.join(sorted(neuron.fields))})",
                name=self.name,
                obj=neuron,
            )
        return getattr(neuron._values, self.name)


class _Field(_Spelt[Name, Name, T]):
    """A field spelt the same in the schema and the models."""


class _Always(_Spelt[Any, Any, T]):
    """A field every neuron has (`uid`, `block`)."""


class PartialNeuron(Generic[F]):
    """A neuron with the fields of `fields` (snake_case names), `uid` and `block` always."""

    __slots__ = ("_values", "fields")

    def __init__(self, values: Mapping[str, Any], fields: Collection[str]) -> None:
        """`values`: the answer's fields (either spelling), `fields`: the names asked for."""
        self.fields = attributes(fields)
        self._values = _Fields.model_validate(dict(values))

    @classmethod
    def of(cls, neuron: Neuron, fields: Collection[str]) -> PartialNeuron[Any]:
        """`neuron` cut down to `fields`."""
        chosen = attributes(fields)
        return cls({name: getattr(neuron, name) for name in chosen}, chosen)

    def model_dump(
        self, *, mode: Literal["python", "json"] = "python", by_alias: bool = False
    ) -> dict[str, Any]:
        """The fields asked for, by snake_case name (by the schema's with `by_alias`)."""
        return self._values.model_dump(include=set(self.fields), mode=mode, by_alias=by_alias)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PartialNeuron):
            return NotImplemented
        return self.model_dump() == other.model_dump()  # type: ignore[reportUnknownMemberType]

    def __hash__(self) -> int:
        return hash((self.uid, self.fields))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.model_dump().items())
        return f"PartialNeuron({shown})"

    uid = _Always[int]()
    block = _Always[BlockRef]()  # the block the answer is for
    hotkey = _Field[Literal["hotkey"], str]()
    coldkey = _Field[Literal["coldkey"], str]()
    active = _Field[Literal["active"], bool]()
    validator_permit = _Spelt[Literal["validator_permit"], Literal["validatorPermit"], bool]()
    stake = _Field[Literal["stake"], float]()
    stake_rao = _Spelt[Literal["stake_rao"], Literal["stakeRao"], int]()
    rank = _Field[Literal["rank"], float]()
    emission = _Field[Literal["emission"], float]()
    emission_rao = _Spelt[Literal["emission_rao"], Literal["emissionRao"], int]()
    incentive = _Field[Literal["incentive"], float]()
    consensus = _Field[Literal["consensus"], float]()
    trust = _Field[Literal["trust"], float]()
    validator_trust = _Spelt[Literal["validator_trust"], Literal["validatorTrust"], float]()
    dividends = _Field[Literal["dividends"], float]()
    last_update = _Spelt[Literal["last_update"], Literal["lastUpdate"], int]()
    blocks_since_last_update = _Spelt[
        Literal["blocks_since_last_update"], Literal["blocksSinceLastUpdate"], int
    ]()
    pruning_score = _Spelt[Literal["pruning_score"], Literal["pruningScore"], int]()
    axon = _Field[Literal["axon"], Axon]()
    prometheus = _Field[Literal["prometheus"], PrometheusEndpoint]()
