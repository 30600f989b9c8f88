"""The fake's built-in data: the sample chain and the admin calls of its runtime.

`sample.json` is the server's own JSON answers to the client's documents on the simulated chain
(finney subnet 1 at block 6852690 and the simnet's subnet 2, each trimmed to 64 uids);
`admin_calls.json` lists the runtime's `AdminUtils.sudo_set_*` calls with their arguments, which
`set_hyperparameter` is judged by.
Both are written from the simnet by `tests/client/make_sample.py`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from ..rules import AdminArg, AdminCall


def _read(name: str) -> Any:
    text = resources.files(__package__ or __name__).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def sample_data() -> dict[str, Any]:
    """The built-in sample: the server's JSON answers to the client's documents (`head`,
    `chain`, `epoch`, `hyperparameters`, `subnet`, `commitments`, `metagraph`), from the
    simulated chain (finney subnet 1 at block 6852690), trimmed to 64 uids; the same answers
    of the other subnets (the simnet's subnet 2) under `otherSubnets` by netuid, and the
    `subnets` list. A file of your own has the same shape; keys you leave out are taken from
    the sample."""
    return _read("sample.json")


def admin_calls() -> dict[str, AdminCall]:
    """The simulated runtime's `AdminUtils.sudo_set_*` calls by name (`{call: {argument: kind}}`
    in the file, an enum's kind being the list of its variants)."""
    calls: dict[str, AdminCall] = {}
    for name, args in _read("admin_calls.json").items():
        calls[name] = AdminCall(
            name,
            tuple(
                AdminArg(arg, "enum", tuple(kind))
                if isinstance(kind, list)
                else AdminArg(arg, kind)
                for arg, kind in args.items()
            ),
        )
    return calls
