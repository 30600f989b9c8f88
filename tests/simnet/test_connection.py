"""One client's outbox: a subscription's first notification never comes after its next one."""

from __future__ import annotations

import json
from typing import Any, cast

from pylon_gql.simnet.connection import Connection


def _sent(connection: Connection) -> list[Any]:
    outbox = connection.outbox
    return [json.loads(outbox.get_nowait()) for _ in range(outbox.qsize())]


def test_a_pending_first_notification_goes_out_before_the_next():
    connection = Connection(cast(Any, None))  # the websocket is only used to write and abort
    connection.subscriptions["sub"] = "chain_newHead"
    connection.first_notifications["sub"] = {"number": "0x1"}
    connection.notify("sub", "chain_newHead", {"number": "0x2"})
    sent = _sent(connection)
    assert [m["params"] for m in sent] == [
        {"subscription": "sub", "result": {"number": "0x1"}},
        {"subscription": "sub", "result": {"number": "0x2"}},
    ]
    assert {m["method"] for m in sent} == {"chain_newHead"}
    # the delayed send of the first notification finds it gone: nothing twice
    connection.send_first_notification("sub")
    assert _sent(connection) == []


def test_an_ended_subscription_still_gets_its_first_and_last_notification():
    connection = Connection(cast(Any, None))
    connection.first_notifications["watch"] = "ready"
    connection.notify_once("watch", "author_extrinsicUpdate", {"finalized": "0xab"})
    assert [m["params"]["result"] for m in _sent(connection)] == ["ready", {"finalized": "0xab"}]


def test_a_first_notification_of_an_unsubscribed_id_is_dropped():
    connection = Connection(cast(Any, None))
    connection.first_notifications["gone"] = {"number": "0x1"}
    connection.send_first_notification("gone")
    assert _sent(connection) == []
