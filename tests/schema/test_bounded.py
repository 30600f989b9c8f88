"""Error messages echo the input they refuse only cut (`pylon_gql.schema.errors.bounded`):
whatever a stranger sends, spaces or quotes in it or not, the message stays short, and a
message echoing nothing long is left as it is."""

from __future__ import annotations

from graphql.pyutils import inspect
from hypothesis import given, settings
from hypothesis import strategies as st

from pylon_gql.schema.errors import MAX_ECHOED, MAX_MESSAGE, SHOWN, bounded

#: How messages echo a value: graphql-core's (inspect, printed literals) and the server's (!r).
TEMPLATES = [
    lambda v: f"Variable '$x' got invalid value {inspect(v)}; Int cannot represent it",
    lambda v: f"Int cannot represent non-integer value: {_printed(v)}",
    lambda v: f"malformed block hash {v!r}: expected 0x followed by 64 hex digits",
    lambda v: f"hotkey {v!r}: not an SS58 address (format 42, starting with 5)",
    lambda v: f'Unknown operation named "{v}".',
    lambda v: f"Cannot query field '{v}' on type 'Query'.",
]
#: An echo without quotes is cut run by run: a value with spaces in it, only to the message's
#: bound.
UNQUOTED = lambda v: f"the payload's `query` is {v}"  # noqa: E731


def _printed(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


LONG = st.one_of(
    st.text(min_size=MAX_ECHOED + 1, max_size=3_000),
    st.builds(
        lambda piece, n: piece * n,
        st.sampled_from([" ", "a ", "\t", "' ", '" ', "\\", "'a", '"a', "é \u3000"]),
        st.integers(MAX_ECHOED + 1, 200_000),
    ),
)


@settings(max_examples=300, deadline=None)
@given(value=LONG, template=st.sampled_from([*TEMPLATES, UNQUOTED]))
def test_a_long_echo_is_cut(value: str, template) -> None:  # type: ignore[no-untyped-def]
    message = template(value)
    shown = bounded(message)
    assert len(shown) <= MAX_MESSAGE
    if template is not UNQUOTED and not set(value) & set("'\"\\"):
        # No more of the value than a cut piece shows (the template's own words aside). Quotes
        # inside a value can split it into pieces, each short: the message's bound holds then.
        assert len(shown) <= len(template("")) + 2 * (SHOWN + 40)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40), template=st.sampled_from([*TEMPLATES, UNQUOTED]))
def test_a_short_echo_is_shown_whole(value: str, template) -> None:  # type: ignore[no-untyped-def]
    message = template(value)
    if len(message) <= MAX_ECHOED or all(len(run) <= MAX_ECHOED for run in message.split()):
        assert bounded(message) == message


def test_the_servers_own_words_are_left_alone() -> None:
    own = (
        "reading needs a token: send `authorization: Bearer <token>` in connection_init's "
        "payload, a token from PYLON_READER_TOKENS (or of any other role); the payload's "
        "`query` must be a string, and a block hash '0x" + "ab" * 32 + "' shows whole, as does "
        "the address '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'"
    )
    assert bounded(own) == own


def test_a_cut_says_how_long_the_value_was() -> None:
    shown = bounded(f"hotkey {'a ' * 5_000!r}: not an SS58 address")
    assert shown == f"hotkey '{('a ' * 5_000)[:SHOWN]}...'(10000 characters): not an SS58 address"


def test_a_megabyte_of_quotes_is_cut_at_once() -> None:
    """The patterns never backtrack, and only a message's first 16 KB are looked at: 10 MB of
    the worst input is as quick as any (a generous bound, against a quadratic scan's minutes)."""
    import time

    for evil in [" 'a" * 3_000_000, '"' + "\\" * 3_000_000, "' \"" * 3_000_000, "a" * 10_000_000]:
        started = time.perf_counter()
        shown = bounded(f"Unknown operation named {evil}")
        assert len(shown) <= MAX_MESSAGE
        assert time.perf_counter() - started < 5
