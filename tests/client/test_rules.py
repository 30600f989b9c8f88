"""`pylon_gql_client.rules`: the shared vectors' verdicts, and the SS58 check against the judge
the server uses (scalecodec) on many more addresses than the vectors list."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pylon_gql_client import rules
from pylon_gql_client.testing import sample_data, vectors
from pylon_gql_client.testing.sample import admin_calls
from scalecodec.utils.ss58 import ss58_encode

from pylon_gql.validation import address_problem

VECTORS = vectors.load()
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: hotkey -> uid in the sample (subnet 1 of the simnet, whose hotkeys the batches use).
UIDS = {n["hotkey"]: n["uid"] for n in sample_data()["metagraph"]["neurons"]}


def ids(key: str) -> Any:
    return lambda vector: repr(vector[key])[:40]


def scalecodec_says(address: str) -> bool:
    """The server's verdict: `pylon_gql.validation` (a length bound, then scalecodec; where
    scalecodec raises the address is not valid)."""
    return address_problem(address) is None


def test_the_rules_need_nothing_but_the_standard_library() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names


# --- addresses


@pytest.mark.parametrize("vector", VECTORS["addresses"], ids=ids("address"))
def test_addresses(vector: dict[str, Any]) -> None:
    address = vector["address"]
    assert rules.is_ss58(address) is vector["valid"]
    assert (rules.address_problem(address) is None) is vector["valid"]
    assert scalecodec_says(address) is vector["valid"]


@given(st.text(alphabet=BASE58 + "0OIl \t\n", max_size=60))
def test_any_text_is_judged_as_scalecodec_judges_it(text: str) -> None:
    assert rules.is_ss58(text) is scalecodec_says(text)


@given(
    key=st.sampled_from([1, 2, 4, 8, 32, 33]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    ss58_format=st.integers(0, 16383).filter(lambda f: f not in (46, 47)),
)
def test_encoded_keys_of_any_format_are_judged_as_scalecodec_judges_them(
    key: bytes, ss58_format: int
) -> None:
    address = ss58_encode(key, ss58_format)
    assert rules.is_ss58(address) is scalecodec_says(address)
    assert rules.is_ss58(address) is (ss58_format == rules.SS58_FORMAT and len(key) == 32)


@given(
    key=st.binary(min_size=32, max_size=32),
    position=st.integers(0, 47),
    character=st.sampled_from(BASE58),
)
def test_a_character_changed_is_judged_as_scalecodec_judges_it(
    key: bytes, position: int, character: str
) -> None:
    address = ss58_encode(key, rules.SS58_FORMAT)
    changed = address[:position] + character + address[position + 1 :]
    assert rules.is_ss58(changed) is scalecodec_says(changed)


# --- weights


@pytest.mark.parametrize("vector", VECTORS["weights"], ids=ids("weight"))
def test_weights(vector: dict[str, Any]) -> None:
    weight = vectors.weight(vector["weight"])
    not_a_float = rules.float_problem(weight)
    assert (not_a_float is not None) is (vector["code"] == "BAD_USER_INPUT")
    if not_a_float is None:
        refused = rules.weight_problem(weight) is not None
        assert refused is (vector["code"] == "VALIDATION_ERROR")


@pytest.mark.parametrize("vector", VECTORS["weight_batches"], ids=ids("weights"))
def test_weight_batches(vector: dict[str, Any]) -> None:
    entries = [(hotkey, vectors.weight(weight)) for hotkey, weight in vector["weights"]]
    if any(rules.float_problem(weight) for _, weight in entries):
        assert vector["code"] == "BAD_USER_INPUT"
        return
    message, refused = rules.batch_problems([(h, float(w)) for h, w in entries])
    if message is None:
        # The entries pass their own checks: the registration check names the rest.
        first = list(dict.fromkeys(hotkey for hotkey, _ in entries))
        named = [i for i, (h, _) in enumerate(entries) if h not in UIDS and h in first]
        assert (vector["code"], vector["entries"]) == (
            ("VALIDATION_ERROR", named) if named else (None, [])
        )
    else:
        assert vector["code"] == "VALIDATION_ERROR"
        assert [index for index, _, _ in refused] == vector["entries"]


def test_a_batch_past_the_servers_limit() -> None:
    hotkey = next(iter(UIDS))
    message, refused = rules.batch_problems([(hotkey, 1.0)] * 3, max_batch=2)
    assert message == "3 entries is more than one batch may carry (PYLON_MAX_WEIGHTS_BATCH=2)"
    assert refused == []


def test_a_delta_added_to_a_weight() -> None:
    assert rules.added_weight("h", 1.0, -1.0) == (0.0, "")
    assert rules.added_weight("h", None, 2.0) == (2.0, "")
    assert rules.added_weight("h", 1.0, -1.5)[0] is None
    weight, reason = rules.added_weight("h", None, -1.0)
    assert weight is None and "no weight yet" in reason


# --- commits


@pytest.mark.parametrize("vector", VECTORS["digests"], ids=ids("weights"))
def test_digests(vector: dict[str, Any]) -> None:
    weights = {uid: float(weight) for uid, weight in vector["weights"]}
    assert rules.weights_digest(weights) == vector["digest"]


@pytest.mark.parametrize("vector", VECTORS["commit_refusals"], ids=ids("why"))
def test_commit_refusals(vector: dict[str, Any]) -> None:
    facts = {k: vector[k] for k in ("registered", "last_update", "weights_rate_limit", "head")}
    assert rules.commit_refusal(**facts) == vector["reason"]


def test_the_weights_a_commit_covers() -> None:
    uids = {"a": 0, "b": 1, "c": 2}
    assert rules.uid_weights(uids, {"b": 0.5, "gone": 1.0}) == {0: 0.0, 1: 0.5, 2: 0.0}


def test_the_latest_commits_and_pages() -> None:
    assert [rules.last_commits_problem(n) is None for n in (0, 1, 1000, 1001)] == [
        False,
        True,
        True,
        False,
    ]
    assert rules.page_problem(None, 0, 10) is None
    assert rules.page_problem(10, 0, 10) is None
    assert rules.page_problem(11, 0, 10) is not None
    assert rules.page_problem(-1, 0, 10) is not None
    assert rules.page_problem(1, -1, 10) is not None


# --- blocks


@pytest.mark.parametrize("vector", VECTORS["blocks"], ids=str)
def test_blocks(vector: dict[str, Any]) -> None:
    head = 6852690
    block = vector["block"] if "block" in vector else head + vector["ahead"]
    if rules.int_problem(block) is not None or rules.block_number_problem(block) is not None:
        # Not a GraphQL Int (refused by coercion), or a negative one (by the server's rules).
        code = "BAD_USER_INPUT"
    elif rules.future_block_problem(block, head) is not None:
        code = "BLOCK_IN_FUTURE"
    else:
        code = None
    assert code == vector["code"]


@pytest.mark.parametrize("vector", VECTORS["block_hashes"], ids=ids("hash"))
def test_block_hashes(vector: dict[str, Any]) -> None:
    assert (rules.block_hash_problem(vector["hash"]) is None) is vector["valid"]


def test_graphql_scalars() -> None:
    assert [rules.int_problem(v) is None for v in (0, 2**31 - 1, 2**31, -(2**31), 3.0, 3.5)] == [
        True,
        True,
        False,
        True,
        True,
        False,
    ]
    assert rules.int_problem(True) is not None and rules.float_problem(False) is not None
    assert rules.float_problem(2**53) is None
    assert "lose precision" in (rules.float_problem(2**53 + 1) or "")
    assert "too large" in (rules.float_problem(10**400) or "")


# --- commitments and hyperparameters


@pytest.mark.parametrize("vector", VECTORS["commitments"], ids=ids("data"))
def test_commitments(vector: dict[str, Any]) -> None:
    if vector["encoding"] not in rules.COMMITMENT_ENCODINGS:
        assert vector["code"] == "BAD_USER_INPUT"
        return
    raw, problem = rules.commitment_bytes(vector["data"], vector["encoding"])
    if vector["code"] is None:
        assert raw is not None and raw.hex() == vector["bytes"]
    else:
        assert (raw, vector["code"]) == (None, "VALIDATION_ERROR")
        assert problem


@pytest.mark.parametrize("vector", VECTORS["hyperparameters"], ids=ids("name"))
def test_hyperparameters(vector: dict[str, Any]) -> None:
    if vector["value"] is None:  # JSON! takes no null
        assert vector["code"] == "BAD_USER_INPUT"
        return
    call, _ = rules.call_problem(admin_calls(), vector["name"])
    args = None if call is None else rules.call_arguments(call, vector["value"])[0]
    if call is None or args is None:
        assert vector["code"] == "VALIDATION_ERROR"
        return
    assert (vector["code"], call.name) == (None, vector["call"])
    # What the runtime sets: the field behind a one-argument call, else the arguments' own;
    # `hyperparameters` shows only its own fields.
    if len(args) == 1:
        [value] = args.values()
        written = {rules.hyperparameter_field(call.name): value}
    else:
        written = args
    before = {_snake(key): value for key, value in sample_data()["hyperparameters"].items()}
    after = {key: written.get(key, value) for key, value in before.items()}
    assert rules.read_back(call, after, args) == vector["read_back"]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def test_call_names() -> None:
    assert rules.admin_call_name("tempo") == rules.admin_call_name("sudo_set_tempo")
    assert rules.hyperparameter_field("sudo_set_weights_version_key") == "weights_version"
    assert rules.hyperparameter_field("sudo_set_kappa") == "kappa"


def test_the_renamed_hyperparameters_are_the_servers_own_table() -> None:
    from pylon_gql.models import RENAMED_HYPERPARAMETERS, hyperparameter_set_by

    assert rules.HYPERPARAMETER_OF == RENAMED_HYPERPARAMETERS
    for call in ("sudo_set_weights_set_rate_limit", "sudo_set_tempo", "sudo_set_kappa"):
        assert rules.hyperparameter_field(call) == hyperparameter_set_by(call)
