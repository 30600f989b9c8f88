"""A block's extrinsics (its body, `chain_getBlock`) and events (`System.Events`), decoded
with the runtime's metadata.

Pure functions of the bytes and the runtime's types, no I/O. An extrinsic's outcome comes from
the events of its phase (`ApplyExtrinsic(index)`): `System.ExtrinsicSuccess` or
`ExtrinsicFailed` (with the module error's name), and the fee of
`TransactionPayment.TransactionFeePaid`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ..models import BlockRef
from ..models_block import (
    BlockContent,
    ChainEvent,
    EventPhase,
    Extrinsic,
    RuntimeCatalog,
)
from ..scale import ScaleError, decode_compact
from .decode import ss58_of
from .errors import ChainError
from .json_values import Converter, JsonValues
from .runtime_types import RuntimeTypes

#: The only extrinsic format spec 318 (and finney today) uses: v4, signed or bare.
EXTRINSIC_VERSION = 4
_SIGNED = 0x80


class BlockDecoder:
    """Decodes one runtime's extrinsics and events."""

    def __init__(self, types: RuntimeTypes) -> None:
        self.types = types
        self.codec = types.codec
        self.json = JsonValues(types.codec)
        extrinsic = types.v15["extrinsic"]
        self._address = self.codec.decoder(extrinsic["address_type"])
        self._signature = self.codec.decoder(extrinsic["signature_type"])
        self._extra = self.codec.decoder(extrinsic["extra_type"])
        self._call = self.codec.decoder(extrinsic["call_type"])
        self._extensions = [e["identifier"] for e in extrinsic["signed_extensions"]]
        self._events = types.storage("System", "Events")
        self._call_args: dict[tuple[str, str], Converter] = {}
        self._event_fields: dict[tuple[str, str], Converter] = {}
        self.catalog = RuntimeCatalog(
            calls=self._variant_names("calls"), events=self._variant_names("event")
        )

    @classmethod
    def of(cls, types: RuntimeTypes) -> BlockDecoder:
        return types.made("block_decoder", cls)

    @property
    def events_key(self) -> str:
        return self._events.key()

    def content(self, ref: BlockRef, body: Sequence[bytes], events: bytes | None) -> BlockContent:
        decoded_events = self.events(events) if events is not None else ()
        outcomes = _outcomes(decoded_events, self)
        extrinsics = tuple(
            self.extrinsic(index, raw, outcomes.get(index)) for index, raw in enumerate(body)
        )
        return BlockContent(
            block=ref, extrinsics=extrinsics, events=decoded_events, catalog=self.catalog
        )

    def events(self, data: bytes) -> tuple[ChainEvent, ...]:
        try:
            records = self._events.value(data)
        except (ScaleError, IndexError, KeyError, ValueError) as exc:
            raise ChainError(f"the block's events do not decode with its runtime: {exc}") from exc
        found = []
        for index, record in enumerate(records):
            phase, extrinsic_index = _phase(record["phase"])
            ((pallet, inner),) = record["event"].items()
            name, fields = (inner, None) if isinstance(inner, str) else next(iter(inner.items()))
            found.append(
                ChainEvent(
                    index=index,
                    phase=phase,
                    extrinsic_index=extrinsic_index,
                    pallet=pallet,
                    name=name,
                    fields=self._event_converter(pallet, name)(fields),
                )
            )
        return tuple(found)

    def extrinsic(self, index: int, raw: bytes, outcome: _Outcome | None) -> Extrinsic:
        try:
            _, offset = decode_compact(raw, 0)
            version = raw[offset]
            offset += 1
            if version & ~_SIGNED != EXTRINSIC_VERSION:
                raise ScaleError(f"extrinsic format version {version & ~_SIGNED}")
            signer = nonce = tip = None
            if version & _SIGNED:
                address, offset = self._address(raw, offset)
                _, offset = self._signature(raw, offset)
                extra, offset = self._extra(raw, offset)
                signer = _address_text(address)
                nonce, tip = self._nonce_and_tip(extra)
            call, offset = self._call(raw, offset)
            ((pallet, inner),) = call.items()
            name, args = (inner, None) if isinstance(inner, str) else next(iter(inner.items()))
            converted = self._args_converter(pallet, name)(args)
        except (ScaleError, IndexError, KeyError, ValueError) as exc:
            raise ChainError(
                f"extrinsic {index} of the block does not decode with its runtime: {exc}"
            ) from exc
        outcome = outcome or _Outcome()
        return Extrinsic(
            index=index,
            hash="0x" + _blake2_256(raw).hex(),
            pallet=pallet,
            call=name,
            signer=signer,
            nonce=nonce,
            tip_rao=tip,
            args=converted if isinstance(converted, dict) else {},
            success=outcome.success,
            error=outcome.error,
            fee_rao=outcome.fee,
        )

    def describe_error(self, error: Any) -> str:
        """A `DispatchError` (as JSON) as `<Pallet>.<Error>` (a module error) or its variant's
        name (`BadOrigin`, `Token.FundsUnavailable`)."""
        if error is None:
            return "Other"
        if isinstance(error, str):
            return error
        ((kind, inner),) = error.items()
        if kind == "Module" and isinstance(inner, dict):
            pallet = self.types.pallets_by_index.get(int(inner["index"]))
            raw = bytes.fromhex(str(inner.get("error") or "0x00").removeprefix("0x"))
            code = raw[0] if raw else 0
            if pallet is not None and pallet.get("error"):
                variants = self.codec.type_def(pallet["error"]["ty"])["def"]["variant"]["variants"]
                names = {v["index"]: v["name"] for v in variants}
                return f"{pallet['name']}.{names.get(code, f'Error{code}')}"
            return f"Module({inner['index']}).Error{code}"
        return f"{kind}.{inner}" if isinstance(inner, str) else kind

    # --- the runtime's variants

    def _variant_names(self, what: str) -> dict[str, frozenset[str]]:
        names = {}
        for pallet in self.types.v15["pallets"]:
            spec = pallet.get(what)
            if spec:
                variants = self.codec.type_def(spec["ty"])["def"]["variant"]["variants"]
                names[pallet["name"]] = frozenset(v["name"] for v in variants)
        return names

    def _variant_fields(self, pallet: str, what: str, name: str) -> list[dict[str, Any]]:
        spec = self.types.pallets[pallet][what]
        variants = self.codec.type_def(spec["ty"])["def"]["variant"]["variants"]
        return next(v for v in variants if v["name"] == name)["fields"]

    def _args_converter(self, pallet: str, call: str) -> Converter:
        found = self._call_args.get((pallet, call))
        if found is None:
            fields = self._variant_fields(pallet, "calls", call)
            found = self._call_args[(pallet, call)] = self.json.fields(fields)
        return found

    def _event_converter(self, pallet: str, event: str) -> Converter:
        found = self._event_fields.get((pallet, event))
        if found is None:
            fields = self._variant_fields(pallet, "event", event)
            convert = self.json.fields(fields)
            found = self._event_fields[(pallet, event)] = (
                (lambda value: []) if not fields else convert
            )
        return found

    def _nonce_and_tip(self, extra: Any) -> tuple[int | None, int | None]:
        values = extra if isinstance(extra, list) else [extra]
        nonce = tip = None
        for identifier, value in zip(self._extensions, values, strict=False):
            if identifier == "CheckNonce":
                nonce = _number(value)
            elif identifier == "ChargeTransactionPayment":
                tip = _number(value)
        return nonce, tip


def _number(value: Any) -> int | None:
    """An extension's number, out of the structs a runtime may wrap it in (subtensor's
    `ChargeTransactionPaymentWrapper {charge_transaction_payment}`)."""
    while isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return int(value) if isinstance(value, int) else None


class _Outcome:
    """What an extrinsic's events say of it."""

    __slots__ = ("error", "fee", "success")

    def __init__(self) -> None:
        self.success = False
        self.error: str | None = None
        self.fee: int | None = None


def _outcomes(events: Sequence[ChainEvent], decoder: BlockDecoder) -> dict[int, _Outcome]:
    outcomes: dict[int, _Outcome] = {}
    for event in events:
        if event.extrinsic_index is None:
            continue
        outcome = outcomes.setdefault(event.extrinsic_index, _Outcome())
        kind = (event.pallet, event.name)
        if kind == ("System", "ExtrinsicSuccess"):
            outcome.success = True
        elif kind == ("System", "ExtrinsicFailed"):
            outcome.success = False
            fields = event.fields if isinstance(event.fields, dict) else {}
            outcome.error = decoder.describe_error(fields.get("dispatch_error"))
        elif kind == ("TransactionPayment", "TransactionFeePaid"):
            outcome.fee = _int(event.fields.get("actual_fee"))
    return outcomes


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _phase(value: Any) -> tuple[EventPhase, int | None]:
    if isinstance(value, dict) and "ApplyExtrinsic" in value:
        return EventPhase.APPLY_EXTRINSIC, int(value["ApplyExtrinsic"])
    if value == "Finalization":
        return EventPhase.FINALIZATION, None
    return EventPhase.INITIALIZATION, None


def _address_text(address: Any) -> str:
    """A `MultiAddress` as text: an account's SS58 address, else its bytes or index."""
    if isinstance(address, dict):
        ((kind, inner),) = address.items()
        if kind in ("Id", "Address32"):
            return ss58_of(bytes(inner))
        if isinstance(inner, (bytes, bytearray)):
            return "0x" + bytes(inner).hex()
        return str(inner)
    return str(address)


def _blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()
