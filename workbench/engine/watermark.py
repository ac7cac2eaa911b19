"""Which connected sessions went silent, told in event time: the session timeout (section 1.3) of a
session whose close never came.

A close can be lost (core NATS is at most once: a slow consumer's dropped messages, a bridge that died),
and a session that never sends again never expires by its own clock: nothing of it arrives to read the
time on. Its state, its open window and the bridge-injected IP its service holds for enrichment (section
10.3) would stay for ever, its last window never classified. So a tenant's own traffic keeps the time:

* The tenant's **watermark** is the newest event time its accepted batches showed, moved forward by at
  most ``step_ms`` per batch. The service takes ``transport.flush_interval_ms``: a page with something
  to send flushes that often, so an active page's batches move it that much; a longer jump is a pause, a
  page clock set ahead (a day, the year 9999), or a virtual clock racing through a quiet stretch, and
  counts as one step, not a jump that would time out every other session at once. A clock that is
  behind never moves it.
* A session is silent once the watermark has gone ``timeout_ms`` past where it stood at the session's
  last batch. Only the watermark's *advance* counts, never a comparison of one page's clock with
  another's: in virtual time each browser context runs its own clock, minutes apart from the others,
  and a session that keeps sending is not silent, however far behind or ahead its clock is. (What a
  page clock racing ahead can still do is move the watermark a step per batch while another page waits
  on the wall clock: a hundred of its batches, with the default 3 s flush and 5 minute timeout.)

Pure and in event time: the same batches in the same order give the same sessions timed out. Per tenant
(section 10.4: one tenant's traffic, or its clocks, never time out another's sessions).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Tenant:
    mark: float
    # session -> the watermark at its last batch; in that order, since the watermark only goes forward
    seen_at: OrderedDict[str, float] = field(default_factory=OrderedDict)


class Watermark:
    def __init__(self, *, timeout_ms: float, step_ms: float) -> None:
        self.timeout_ms = timeout_ms
        self.step_ms = step_ms
        self._tenants: dict[str, _Tenant] = {}
        self._tenant_of: dict[str, str] = {}

    def mark(self, tenant: str) -> float | None:
        """The tenant's watermark; None before its first batch with an event."""
        t = self._tenants.get(tenant)
        return None if t is None else t.mark

    def batch(self, tenant: str, session: str, newest: float | None) -> list[str]:
        """An accepted batch of ``session`` whose newest event is at ``newest`` (None: it had none). Returns
        the tenant's other sessions silent since (oldest first), which are no longer watched."""
        t = self._tenants.get(tenant)
        if t is None:
            if newest is None:
                return []
            t = self._tenants[tenant] = _Tenant(newest)
        elif newest is not None and newest > t.mark:
            t.mark = min(newest, t.mark + self.step_ms)
        self.forget(session)
        t.seen_at[session] = t.mark
        self._tenant_of[session] = tenant
        silent: list[str] = []
        while t.seen_at:
            sid, at = next(iter(t.seen_at.items()))
            if t.mark - at <= self.timeout_ms:
                break
            silent.append(sid)
            self.forget(sid)
        return silent

    def forget(self, session: str) -> None:
        """Stop watching ``session`` (its connection closed, or it timed out)."""
        tenant = self._tenant_of.pop(session, None)
        if tenant is not None:
            self._tenants[tenant].seen_at.pop(session, None)

    def __len__(self) -> int:
        return len(self._tenant_of)
