"""The settings' fields: each with its default, its bounds and what it means (the README's
configuration table says the same for users).

No other module reads the environment: the `Settings` object is passed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import rules
from .rules import NETWORK_URLS

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["text", "json"]


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
    netuid: int = Field(
        1, ge=0, le=65535, description="The subnet this server serves (reads' default netuid)."
    )
    netuids: str | None = Field(
        None,
        description="Subnets whose reads the follower warms at each head, comma-separated "
        "(default: `netuid`); others are read on demand.",
    )
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
    log_level: LogLevel = Field(
        "INFO", description="DEBUG, INFO, WARNING or ERROR (in any case: `info` is INFO)."
    )
    log_format: LogFormat = Field(
        "text",
        description="`text` (one line per record) or `json` (one object per line, with the "
        "request id and the GraphQL operation name on a request's lines).",
    )
    access_log: bool = Field(
        True,
        description="Write an access line (INFO) per HTTP request. Each costs more than serving "
        "a kept answer (docs/performance.md): off behind a proxy that logs requests itself.",
    )
    graphiql: bool = Field(True, description="Serve GraphiQL at GET /graphql.")
    introspection: bool = Field(True, description="Allow schema introspection.")

    # --- limits
    max_query_depth: int = Field(12, ge=1, description="Deepest selection a query may nest.")
    max_aliases: int = Field(32, ge=1, description="Most aliases a query may use.")
    max_tokens: int = Field(4000, ge=1, description="Most tokens a query document may have.")
    max_page_size: int = Field(4096, ge=1, description="Most neurons one list returns.")
    max_history_points: int = Field(
        500, ge=1, description="Most points (blocks) one `history` series holds."
    )
    history_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds a request with a `history` series may execute, in place of "
        "PYLON_REQUEST_TIMEOUT and PYLON_CHAIN_TIMEOUT (each chain call still fails after "
        "PYLON_CHAIN_TIMEOUT): a cold series reads a metagraph per point.",
    )
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
    # A token's budget holds a `history` series of PYLON_MAX_HISTORY_POINTS cold points
    # (500 x PYLON_COLD_BLOCK_COST = 5,000,000) with a few fields per point.
    max_cost_reader: int = Field(
        6_000_000, ge=1, description="Query cost budget of a `reader` token."
    )
    max_cost_validator: int = Field(
        6_000_000, ge=1, description="Query cost budget of a `validator` token."
    )
    max_cost_owner: int = Field(
        6_000_000, ge=1, description="Query cost budget of an `owner` token."
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
        description="redis:// URL shared by replicas: the rate-limit counters live there, and "
        "commit attempts go through its pub/sub (PYLON_EVENTS_CHANNEL) to the `weightCommit` "
        "subscribers of every replica (needs pylon-gql[redis]). Default: the counters in this "
        "process's memory, and each replica's events its own.",
    )
    events_channel: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The Redis pub/sub channel replicas relay commit attempts on (default: "
        "`pylon-gql:<netuid>:events`). Replicas on one channel must share one database (the "
        "attempt ids are its); pub/sub ignores Redis database numbers, so two deployments on "
        "one Redis need two channels.",
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
    replica_id: str | None = Field(
        None,
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9._:@-]+$",
        description="This server's name among replicas sharing a database: /health shows it, "
        "the commit log records it, and a follower names the leader by it. Default: "
        "`<hostname>-<pid>-<6 hex>`, new at each start. Give each replica its own.",
    )
    leader_retry_interval: float = Field(
        3.0,
        gt=0,
        description="Seconds between a follower replica's attempts to take the committer's "
        "lease (one replica per subnet and hotkey commits; when it dies another leads within "
        "about this), and between the leader's checks that it still holds it.",
    )

    # The rules of one value (pylon_gql/settings/rules.py); the combinations below.
    _network = field_validator("network", "archive_network")(rules.known_network)
    _allowed_hosts = field_validator("allowed_hosts")(rules.host_list)
    _tokens = field_validator("validator_tokens", "owner_tokens", "reader_tokens")(rules.token_list)
    _rate_limits = field_validator(
        "rate_limit_anonymous", "rate_limit_reader", "rate_limit_validator", "rate_limit_owner"
    )(rules.rate_limit)
    _metric_operations = field_validator("metric_operations")(rules.operation_names)
    _netuids = field_validator("netuids")(rules.netuid_list)
    _redis_url = field_validator("redis_url")(rules.redis_url)
    _log_level = field_validator("log_level", mode="before")(rules.upper_case)
    _log_format = field_validator("log_format", mode="before")(rules.lower_case)

    @model_validator(mode="after")
    def _backoff_grows(self) -> Settings:
        least, most = self.commit_retry_min_backoff, self.commit_retry_max_backoff
        if least <= most:
            return self
        why = "the backoff doubles from the minimum up to the maximum"
        chosen = self.model_fields_set
        if "commit_retry_max_backoff" in chosen and "commit_retry_min_backoff" not in chosen:
            raise ValueError(
                f"PYLON_COMMIT_RETRY_MAX_BACKOFF: {most:g} s is below "
                f"PYLON_COMMIT_RETRY_MIN_BACKOFF ({least:g} s): {why}; use at least {least:g}"
            )
        raise ValueError(
            f"PYLON_COMMIT_RETRY_MIN_BACKOFF: {least:g} s is above "
            f"PYLON_COMMIT_RETRY_MAX_BACKOFF ({most:g} s): {why}; use at most {most:g}, or "
            "raise the maximum"
        )

    @model_validator(mode="after")
    def _health_outlives_a_block(self) -> Settings:
        # Only the simulated node's block time is known here (a real chain's may be fast).
        age, block = self.health_max_head_age, self.sim_block_time
        if not self.simulated or age > block:
            return self
        chosen = self.model_fields_set
        if "sim_block_time" in chosen and "health_max_head_age" not in chosen:
            raise ValueError(
                f"PYLON_SIM_BLOCK_TIME: {block:g} s is not shorter than "
                f"PYLON_HEALTH_MAX_HEAD_AGE ({age:g} s): /health would answer 503 between "
                f"blocks; use less than {age:g}, or raise PYLON_HEALTH_MAX_HEAD_AGE"
            )
        raise ValueError(
            f"PYLON_HEALTH_MAX_HEAD_AGE: {age:g} s is not longer than a simulated block "
            f"(PYLON_SIM_BLOCK_TIME {block:g} s): /health would answer 503 between blocks; "
            f"use more than {block:g}"
        )

    @model_validator(mode="after")
    def _archive_is_real(self) -> Settings:
        if self.archive_network == "sim":
            raise ValueError(
                "PYLON_ARCHIVE_NETWORK: cannot be `sim` (the simulated node keeps every block): "
                "unset it, or name a real node"
            )
        return self

    @property
    def simulated(self) -> bool:
        return self.network == "sim"

    @property
    def warmed_netuids(self) -> list[int]:
        """The subnets the follower warms at each head (`PYLON_NETUIDS`, else `netuid`)."""
        if self.netuids is None:
            return [self.netuid]
        return list(dict.fromkeys(int(entry) for entry in self.netuids.split(",")))

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
