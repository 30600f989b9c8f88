"""The 10.x SDK's process, started once per test session by the `sdk10` fixture (conftest.py)
in an environment of its own: imports bittensor 10.x once (about 8 s), says `ready <version>`,
then runs one script per line of stdin (`{"script": path, "args": [...]}`: the script's
`main(*args)`, which returns a dict) and answers each with one line, `SDK10 <json>`. Not a test
module: pytest does not collect it."""

from __future__ import annotations

import json
import runpy
import sys
import traceback

import bittensor  # 10.x, in the isolated environment


def main() -> None:
    print(f"ready {bittensor.__version__}", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            script = runpy.run_path(request["script"], run_name="sdk10_script")
            answer = script["main"](*request["args"])
        except BaseException:  # the suite shows it: the script failed, not a value
            answer = {"exception": traceback.format_exc()}
        print("SDK10 " + json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
