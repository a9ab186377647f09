"""Engine settings (all durations configurable; defaults suit production)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from fakturnik.engine.outcomes import backoff
from fakturnik.engine.planner import PlannerSettings


@dataclass(frozen=True)
class EngineSettings:
    lease: timedelta = timedelta(seconds=120)  # how long a claim protects entries from other workers
    claim_limit: int = 200  # entries claimed at once (one company)
    http_timeout: float = 30.0
    # an entry found "sending" is reconciled only once any request it may have made is surely over
    reconcile_after: timedelta = timedelta(seconds=75)
    poll_interval: timedelta = timedelta(seconds=1)
    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    max_attempts: int = 50  # sends (not polls) before an entry is given up as rejected
    outage_threshold: int = 3  # consecutive "KSeF does not answer" signals → outage
    online_idle_close: timedelta = timedelta(seconds=30)  # close an idle online session after this
    planner: PlannerSettings = field(default_factory=PlannerSettings)
    upo_fetch: bool = True
    # per-invoice UPOs after the KSeF numbers: fetched when nothing else is due (True), or in the
    # round that records the acceptance (False)
    upo_later: bool = True
    sync_interval: timedelta | None = timedelta(minutes=15)  # incoming sync per company; None: off
    throttle: bool = True  # client-side rate limiting (off only against a simulator without limits)
    # this process's part of the limits: processes of one machine share their books anyway; N machines
    # behind one IP: 1/N each
    throttle_share: float = 1.0

    def backoff(self, attempt: int) -> timedelta:
        """How long to wait before try ``attempt + 1`` (``outcomes.backoff`` with these bounds)."""
        return backoff(attempt, base=self.backoff_base, cap=self.backoff_cap)

    @classmethod
    def fast(cls) -> EngineSettings:
        """Short timings for tests and the demo."""
        return cls(
            lease=timedelta(seconds=20),
            http_timeout=5.0,
            reconcile_after=timedelta(seconds=11),
            poll_interval=timedelta(milliseconds=200),
            backoff_base=0.2,
            backoff_cap=3.0,
            online_idle_close=timedelta(seconds=2),
            sync_interval=None,
        )


ENV_PREFIX = "FAKTURNIK_ENGINE_"


def from_env(base: EngineSettings, environ: dict[str, str] | None = None) -> EngineSettings:
    """Override timings from ``FAKTURNIK_ENGINE_*`` variables (seconds / counts), for operators and tests."""
    import os
    from dataclasses import replace

    env = environ if environ is not None else dict(os.environ)

    def seconds(name: str) -> timedelta | None:
        value = env.get(ENV_PREFIX + name)
        return timedelta(seconds=float(value)) if value else None

    changes: dict[str, object] = {}
    for field_name, var in (
        ("lease", "LEASE_S"),
        ("reconcile_after", "RECONCILE_AFTER_S"),
        ("poll_interval", "POLL_INTERVAL_S"),
        ("online_idle_close", "IDLE_CLOSE_S"),
    ):
        value = seconds(var)
        if value is not None:
            changes[field_name] = value
    if env.get(ENV_PREFIX + "SYNC_INTERVAL_S"):
        interval_s = float(env[ENV_PREFIX + "SYNC_INTERVAL_S"])
        changes["sync_interval"] = timedelta(seconds=interval_s) if interval_s > 0 else None
    if env.get(ENV_PREFIX + "HTTP_TIMEOUT_S"):
        changes["http_timeout"] = float(env[ENV_PREFIX + "HTTP_TIMEOUT_S"])
    if env.get(ENV_PREFIX + "THROTTLE"):
        changes["throttle"] = env[ENV_PREFIX + "THROTTLE"].lower() not in ("0", "false", "no", "off")
    if env.get(ENV_PREFIX + "THROTTLE_SHARE"):
        changes["throttle_share"] = float(env[ENV_PREFIX + "THROTTLE_SHARE"])
    if env.get(ENV_PREFIX + "CLAIM_LIMIT"):
        changes["claim_limit"] = int(env[ENV_PREFIX + "CLAIM_LIMIT"])
    if env.get(ENV_PREFIX + "BATCH_MIN"):
        changes["planner"] = replace(base.planner, batch_min_invoices=int(env[ENV_PREFIX + "BATCH_MIN"]))
    return replace(base, **changes)  # type: ignore[arg-type]
