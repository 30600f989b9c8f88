"""The tabs GraphiQL opens on: this API's examples (a browser that used GraphiQL here before gets
its own tabs back instead). tests/e2e/test_graphiql_page.py validates each against the schema."""

from __future__ import annotations

HEAD = """\
# pylon-gql: a Bittensor subnet over GraphQL.
#
# Ctrl-Enter (or the play button) runs the query.
# The tabs above hold more examples; the book icon
# on the left opens the schema's documentation;
# Ctrl-Space completes a field. Every answer says
# which block it is for.

# The head, its epoch and this server's commit
# window in it.
query Head {
  head {
    number
    hash
    timestamp
    epoch {
      index
      start
      end
      blocksRemaining
      commitWindow { start end open }
    }
  }
}
"""

VALIDATORS = """\
# A dashboard: a few fields of the 10 validators
# with the most stake.
query Validators {
  metagraph {
    block { number hash }
    neuronCount
    neurons(
      where: { validatorPermit: true }
      orderBy: { field: STAKE, direction: DESC }
      first: 10
    ) {
      uid
      hotkey
      stake
      validatorTrust
      dividends
      lastUpdate
    }
  }
}
"""

NEW_BLOCKS = """\
# Every finalized block as it arrives, over the
# websocket (the stop button ends it).
subscription NewBlocks {
  newBlock {
    number
    hash
    timestamp
    epoch { index blocksRemaining }
  }
}
"""

WEIGHTS = """\
# The weights the validator wrote for the head's
# epoch: needs a validator token in the Headers pane
# below (PYLON_VALIDATOR_TOKENS; on the simulated
# chain the server logs one at start).
query Weights {
  weights {
    block { number }
    epoch { index start end }
    weights { hotkey weight }
  }
}
"""

WEIGHTS_HEADERS = '{\n  "Authorization": "Bearer <validator token>"\n}\n'

#: GraphiQL's `defaultTabs`: the first is the one shown.
TABS: list[dict[str, str]] = [
    {"query": HEAD},
    {"query": VALIDATORS},
    {"query": NEW_BLOCKS},
    {"query": WEIGHTS, "headers": WEIGHTS_HEADERS},
]
