"""Settings, read once at start from the environment (prefix ``PYLON_``) and ``.env``.

No other module reads the environment: the `Settings` object is passed down.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from .redaction import redact_url

#: Named networks and the node each one means; `sim` starts the embedded simulated node.
NETWORK_URLS: dict[str, str] = {
    "finney": "wss://entrypoint-finney.opentensor.ai:443",
    "test": "wss://test.finney.opentensor.ai:443",
    "archive": "wss://archive.chain.opentensor.ai:443",
    "local": "ws://127.0.0.1:9944",
}

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_METRIC_NAME = re.compile(r"\s*[_A-Za-z][_0-9A-Za-z]{0,63}\s*")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PYLON_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # `inf` seconds is no timeout at all, `nan` no comparison: every number is finite.
        allow_inf_nan=False,
    )

    # --- chain
    network: str = Field(
        "sim",
        description="`sim` (embedded simulated node), `finney`, `test`, `local` or a ws(s):// URL.",
    )
    archive_network: str | None = Field(
        None,
        description="Node asked for blocks older than `network` keeps (a name or a ws(s):// URL).",
    )
    netuid: int = Field(1, ge=0, le=65535, description="The subnet this server serves.")
    chain_timeout: float = Field(15.0, gt=0, description="Seconds before a chain call fails.")

    # --- simulated node (network = sim)
    sim_block_time: float = Field(12.0, gt=0, description="Seconds between simulated blocks.")
    sim_seed: int = Field(0, description="Seed of the simulated chain's drift.")

    # --- wallet
    wallet_name: str = Field("default", description="Wallet name (a dev wallet is made for sim).")
    wallet_hotkey: str = Field("default", description="Hotkey name inside the wallet.")
    wallet_path: Path = Field(
        Path("~/.bittensor/wallets"), description="Directory that holds wallets."
    )

    # --- storage
    data_dir: Path = Field(Path("data"), description="Directory for the database and dev wallet.")
    database_url: str | None = Field(
        None, description="Database URL; default: a SQLite file per network in data_dir."
    )

    # --- caches
    cache_blocks: int = Field(
        128, ge=1, description="Blocks whose chain data (metagraph, hyperparameters, ...) is kept."
    )
    response_cache_bytes: int = Field(
        256 * 1024 * 1024,
        ge=0,
        description="Bytes of encoded query answers kept, least recently used out (0: none).",
    )

    # --- HTTP
    host: str = Field("127.0.0.1", description="Address to listen on.")
    allowed_hosts: str | None = Field(
        None,
        description="Comma-separated names a request's Host header may give (`*.example.com` "
        "for a domain's, `*` for any); another is refused with 400, so that a page whose name "
        "resolves to this server (DNS rebinding) cannot use it. Default: the bind address's: "
        "`localhost,127.0.0.1,[::1]` on a loopback address, `*` on 0.0.0.0 or ::, else the "
        "address itself.",
    )
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on (0: any free port).")
    keep_alive: int = Field(
        75,
        gt=0,
        le=3600,
        description="Seconds an idle HTTP connection stays open. Longer than clients keep theirs "
        "(httpx 5 s, aiohttp 15 s), so a client never sends on a connection the server is "
        "closing; uvicorn's own 5 s raced them.",
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    graphiql: bool = Field(True, description="Serve GraphiQL at GET /graphql.")
    introspection: bool = Field(True, description="Allow schema introspection.")

    # --- limits
    max_query_depth: int = Field(12, ge=1, description="Deepest selection a query may nest.")
    max_aliases: int = Field(32, ge=1, description="Most aliases a query may use.")
    max_tokens: int = Field(4000, ge=1, description="Most tokens a query document may have.")
    max_page_size: int = Field(4096, ge=1, description="Most neurons one list returns.")
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest HTTP request body; a larger one is refused with 413 before it is "
        "read.",
    )
    max_document_bytes: int = Field(
        65_536, ge=256, description="Largest query document, in bytes (before it is parsed)."
    )
    max_selections: int = Field(
        5000,
        ge=10,
        description="Most fields a query selects once its fragments are expanded (the check runs "
        "before any other validation).",
    )
    max_cost_anonymous: int = Field(
        # A full metagraph with every neuron field costs about 34,000 and takes ~30-140 ms to
        # render here; a stranger's request may take one of them (or one at a cold block).
        50_000,
        ge=1,
        description="Query cost budget without a token (or with one of no role): about one unit "
        "per value of the answer "
        "(a full metagraph is about 1024 x the neuron fields selected); plus "
        "PYLON_COLD_BLOCK_COST per block not in the cache.",
    )
    max_cost_reader: int = Field(
        1_000_000, ge=1, description="Query cost budget of a `reader` token."
    )
    max_cost_validator: int = Field(
        1_000_000, ge=1, description="Query cost budget of a `validator` token."
    )
    max_cost_owner: int = Field(
        1_000_000, ge=1, description="Query cost budget of an `owner` token."
    )
    cold_block_cost: int = Field(
        10_000,
        ge=0,
        description="Cost of each distinct block a query reads that the cache does not hold "
        "(reading it costs the node a full metagraph).",
    )
    request_timeout: float = Field(
        20.0, gt=0, description="Seconds one GraphQL request may execute before TIMEOUT."
    )
    health_max_head_age: float = Field(
        120.0, gt=0, description="Head older than this many seconds makes /health answer 503."
    )
    health_max_lag_blocks: int = Field(
        10,
        ge=0,
        description="Blocks the head may be behind the node's finalized head before /health "
        "answers 503 (`stale`).",
    )

    # --- subscriptions over websockets (graphql-transport-ws, and graphql-ws for old clients)
    ws_max_connections: int = Field(
        1000,
        ge=1,
        description="Most websocket connections at once, counted from an accepted "
        "`connection_init`; more are closed with 1013 (pending ones are bounded apart).",
    )
    ws_max_subscriptions: int = Field(
        100, ge=1, description="Most subscriptions (operations) at once on one connection."
    )
    ws_connection_init_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send `connection_init` (then 4408)."
    )
    ws_keep_alive_interval: float = Field(
        15.0, ge=0, description="Seconds between keep-alive pings on a connection (0: none)."
    )
    ws_send_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds one message may wait for a client that does not read before the "
        "connection is dropped.",
    )
    ws_max_message_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest websocket message a client may send (uvicorn's ws_max_size); a "
        "bigger one closes the connection with 1009.",
    )
    subscriber_max_lag: int = Field(
        256,
        ge=1,
        description="Events a subscription may fall behind before it is closed with an error.",
    )

    # --- who may write (see pylon_gql/auth.py)
    validator_tokens: SecretStr | None = Field(
        None,
        description="Bearer tokens of the `validator` role (writes weights, commits, sets the "
        "commitment): comma-separated, each a token or `sha256:<hex>` of one.",
    )
    owner_tokens: SecretStr | None = Field(
        None,
        description="Bearer tokens of the `owner` role (sets hyperparameters), as above.",
    )
    reader_tokens: SecretStr | None = Field(
        None,
        description="Bearer tokens of the `reader` role, as above. When set, reading takes a "
        "token of any role; unset, reads stay open to anyone.",
    )
    owner_wallet_name: str | None = Field(
        None,
        description="Wallet whose coldkey owns the subnet and signs hyperparameter changes "
        "(a dev wallet of //Alice is made for sim).",
    )
    owner_wallet_path: Path | None = Field(
        None, description="Directory that holds the owner wallet (default: wallet_path)."
    )

    # --- private data, access and rate limits (pylon_gql/http/ratelimit.py, access.py)
    public_weights: bool = Field(
        False,
        description="Let any reader see the validator's weights and commit log (`weights`, "
        "`weightCommits`); off, they need the `validator` role.",
    )
    metrics_token: SecretStr | None = Field(
        None, description="When set, GET /metrics needs `Authorization: Bearer <this token>`."
    )
    metric_operations: str = Field(
        "",
        description="Comma-separated operation names that always label the per-operation "
        "metrics; other names get a label once a caller with a token uses them (bounded), or "
        "count as `other`.",
    )
    cors_origins: str = Field(
        "",
        description="Comma-separated origins a browser page may call from (`*` for any); "
        "empty: none (no cross-origin access).",
    )
    rate_limits: bool = Field(
        True, description="Rate-limit /graphql per token, and per client address without one."
    )
    rate_limit_anonymous: str = Field(
        "20/second;600/minute",
        description="Requests one client address may make without a token (limits' syntax).",
    )
    rate_limit_reader: str = Field(
        "50/second;3000/minute", description="Requests one `reader` token may make."
    )
    rate_limit_validator: str = Field(
        "200/second;12000/minute", description="Requests one `validator` token may make."
    )
    rate_limit_owner: str = Field(
        "20/second;600/minute", description="Requests one `owner` token may make."
    )
    redis_url: SecretStr | None = Field(
        None,
        description="redis:// URL where rate-limit counters live, shared by replicas "
        "(default: this process's memory).",
    )

    # --- epochs and the commit window
    commit_window_start_offset: int = Field(
        # Fits epochs of 60 blocks and more: finney's usual tempo 360 as the simulated
        # subnet 1's 99 (it was 180, which left the 99-block epochs no window).
        50,
        ge=0,
        description="Blocks after an epoch's start when the commit window opens.",
    )
    commit_window_end_buffer: int = Field(
        10, ge=0, description="Blocks before an epoch's end when the commit window closes."
    )

    # --- weights and the committer
    commit_every_epochs: int = Field(
        1, ge=1, description="Epochs from one finalized commit of the weights to the next."
    )
    auto_commit: bool = Field(
        True,
        description="Commit the weights inside the commit window by itself; off, only the "
        "`commitWeights` mutation commits.",
    )
    max_weights_batch: int = Field(
        4096, ge=1, description="Most entries one `setWeights` may carry."
    )
    allow_unregistered_hotkeys: bool = Field(
        False,
        description="Accept weights for hotkeys not registered in the subnet at the head "
        "(default: refused, naming them).",
    )
    commit_retry_min_backoff: float = Field(
        2.0, gt=0, description="Seconds before a failed commit is retried (doubling after)."
    )
    commit_retry_max_backoff: float = Field(
        60.0, gt=0, description="Most seconds between two attempts at a commit."
    )

    @field_validator("network", "archive_network")
    @classmethod
    def _known_network(cls, value: str | None) -> str | None:
        if value is None or value == "sim" or value in NETWORK_URLS:
            return value
        if value.startswith(("ws://", "wss://")):
            return value
        names = ", ".join(["sim", *NETWORK_URLS])
        raise ValueError(f"unknown network {value!r}: use one of {names}, or a ws(s):// URL")

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_well_formed(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for entry in value.split(","):
            entry = entry.strip()
            if not entry:
                raise ValueError("empty host in the list: separate hosts with single commas")
            if "*" in entry[1:] or (entry.startswith("*") and entry != "*" and entry[1] != "."):
                raise ValueError(f"{entry!r}: a wildcard is `*` or `*.example.com`")
            if ":" in entry and not (entry.startswith("[") and entry.endswith("]")):
                raise ValueError(
                    f"{entry!r}: a host name or address without a port (IPv6 in brackets, `[::1]`)"
                )
        return value

    @field_validator("validator_tokens", "owner_tokens", "reader_tokens")
    @classmethod
    def _tokens_well_formed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for entry in value.get_secret_value().split(","):
            entry = entry.strip()
            if not entry:
                raise ValueError("empty token in the list: separate tokens with single commas")
            if entry.startswith("sha256:") and not _SHA256_HEX.fullmatch(entry[7:]):
                # Never echo the value: it may be a secret.
                raise ValueError("a `sha256:` entry must be followed by 64 hex digits")
        return value

    @field_validator(
        "rate_limit_anonymous", "rate_limit_reader", "rate_limit_validator", "rate_limit_owner"
    )
    @classmethod
    def _rate_limit_syntax(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                "not a rate limit: write e.g. `60/minute` or `10/second;300/minute`"
            ) from None
        return value

    @field_validator("metric_operations")
    @classmethod
    def _operation_names(cls, value: str) -> str:
        names = [name for name in value.split(",") if name.strip()]
        bad = [name for name in names if not _METRIC_NAME.fullmatch(name)]
        if bad:
            raise ValueError(
                f"not an operation name: {', '.join(bad[:3])} (a GraphQL name of at most 64 "
                "characters: letters, digits, `_`, not starting with a digit)"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("commit_retry_max_backoff")
    @classmethod
    def _backoff_grows(cls, value: float, info: ValidationInfo) -> float:
        least = info.data.get("commit_retry_min_backoff")
        if least is not None and value < least:
            raise ValueError(
                f"must be at least PYLON_COMMIT_RETRY_MIN_BACKOFF ({least:g} s): the backoff "
                "doubles from the minimum up to the maximum"
            )
        return value

    @model_validator(mode="after")
    def _archive_is_real(self) -> Settings:
        if self.archive_network == "sim":
            raise ValueError("archive_network cannot be `sim`; the simulated node keeps its own")
        return self

    @property
    def simulated(self) -> bool:
        return self.network == "sim"

    @property
    def metric_operation_names(self) -> list[str]:
        return [name.strip() for name in self.metric_operations.split(",") if name.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def allowed_host_list(self) -> list[str]:
        """The Host header values answered (`PYLON_ALLOWED_HOSTS`, or the bind address's)."""
        if self.allowed_hosts is not None:
            return [entry.strip() for entry in self.allowed_hosts.split(",")]
        if self.host in ("0.0.0.0", "::", ""):
            return ["*"]  # every address of the machine: its names are not known here
        shown = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ("localhost", "::1") or self.host.startswith("127."):
            loopback = ["localhost", "127.0.0.1", "[::1]"]
            return loopback if shown in loopback else [*loopback, shown]
        return [shown]

    @property
    def network_url(self) -> str | None:
        """The node's URL, or None for the embedded simulated node (known once it starts)."""
        if self.simulated:
            return None
        return NETWORK_URLS.get(self.network, self.network)

    @property
    def archive_url(self) -> str | None:
        if self.archive_network is None:
            return None
        return NETWORK_URLS.get(self.archive_network, self.archive_network)

    @property
    def network_label(self) -> str:
        """Short name for file names and logs."""
        if self.simulated or self.network in NETWORK_URLS:
            return self.network
        return "custom"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.data_dir / f'pylon-{self.network_label}.sqlite3'}"


class SettingsError(Exception):
    """A setting found impossible at start by a check that needs more than its value (the
    file system, a database driver, the port, the chain): one line naming the variable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"PYLON_{field.upper()}: {message}")


def describe_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting, naming the environment variable to fix."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        secret = field.endswith(("tokens", "token", "redis_url"))  # never echo a secret
        given = item.get("input")
        if field.endswith("network") and isinstance(given, str):
            given = redact_url(given)  # a node provider's key in the URL
        shown = "" if secret else f" (got {given!r})"
        lines.append(f"PYLON_{field.upper()}: {message}{shown}")
    return lines
