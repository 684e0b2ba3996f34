"""What a console view receives: the request, the session, the user's gateway, the region's
failure store, and the page renderer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferry.console.gateway import UserGateway
from ferry.console.http import ConsoleRequest, ConsoleResponse, html, redirect
from ferry.console.pages import Pages
from ferry.console.sessions import Session, Sessions
from ferry.replication import FailureStore, ReplicationBacklog, ReplicationMetrics


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleContext:
    request: ConsoleRequest
    session: Session
    gateway: UserGateway
    failures: FailureStore  # this region's; other regions' buckets link to their console
    backlog: ReplicationBacklog  # this region's replication tasks still owed, per rule
    metrics: ReplicationMetrics  # exact replication metrics per rule (the region database)
    consoles: Mapping[str, str]  # region → its console's URL
    pages: Pages
    params: Mapping[str, str]  # from the path: bucket, job_id
    sessions: Sessions

    @property
    def mount(self) -> str:
        """The console's own path (redirects stay on the host the browser used)."""
        return self.pages.mount

    def redirect(self, path: str, notice: str = "") -> ConsoleResponse:
        """303 to `path` below the console, whose page then shows `notice`."""
        if notice:
            self.sessions.set_notice(self.session, notice)
        return redirect(self.mount + path)

    def page(self, template: str, status: int = 200, **values: Any) -> ConsoleResponse:
        values.setdefault("notice", self.sessions.take_notice(self.session))
        return html(
            self.pages.render(
                template,
                session=self.session,
                region=self.gateway.home_region,
                regions=self.gateway.regions,
                consoles=self.consoles,
                csrf=self.session.csrf_token,
                **values,
            ),
            status=status,
        )
