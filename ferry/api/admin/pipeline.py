"""The admin API's one pipeline: which resource → authorise (the deployment root only) → the
resource's handler → JSON. Every error, authentication's included, leaves through
`errors.error_response`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ferry.api.admin.accounts import is_accounts_path, serve_accounts
from ferry.api.admin.errors import AdminError, error_response, no_such_resource
from ferry.api.admin.failures import is_failures_path, serve_failures
from ferry.api.admin.outbox import is_outbox_path, serve_outbox
from ferry.api.admin.quotas import is_quota_path, serve_quota
from ferry.api.admin.replication import is_replication_admin_path, serve_replication
from ferry.api.auth import authenticate
from ferry.api.context import ApiCall, Services
from ferry.api.http import ClientDisconnected, Request, Response

Handler = Callable[[Request, Services], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Resource:
    """One row of the admin API's table: the paths it serves and its handler."""

    name: str
    serves: Callable[[str], bool]
    handler: Handler


RESOURCES: tuple[Resource, ...] = (
    Resource("failures", is_failures_path, serve_failures),
    Resource("accounts", is_accounts_path, serve_accounts),
    Resource("quotas", is_quota_path, serve_quota),
    Resource("outbox", is_outbox_path, serve_outbox),
    Resource("replication", is_replication_admin_path, serve_replication),
)


def resource_for(path: str) -> Resource | None:
    return next((resource for resource in RESOURCES if resource.serves(path)), None)


def is_admin_request(request: Request) -> bool:
    return resource_for(request.path) is not None


async def handle_admin(call: ApiCall) -> Response:
    request = call.request
    try:
        _require_deployment_root(call)
        resource = resource_for(request.path)
        if resource is None:
            raise no_such_resource(request.path)
        call.note.operation = resource.name
        return await resource.handler(request, call.services)
    except ClientDisconnected:
        raise  # nobody to answer: the app's pipeline drops the request
    except Exception as exc:  # the admin pipeline's boundary: every error becomes JSON
        return error_response(exc, call.request_id)


def _require_deployment_root(call: ApiCall) -> None:
    """Requests are signed with SigV4 exactly like S3 requests; a bad signature keeps its S3
    code and status (in JSON), a good one of anyone but the deployment root is a 403."""
    services = call.services
    auth = authenticate(call.request, call.keys, services.clock, services.region.name)
    call.note.principal = auth.principal
    if not auth.principal.is_root:
        raise AdminError(403, "AccessDenied", "The admin API needs the root credentials.")
