"""S3 Control's account-level Block Public Access under `/v20180820/configuration/
publicAccessBlock`: PutPublicAccessBlock, GetPublicAccessBlock, DeletePublicAccessBlock of the
caller's account, authorised as `s3:PutAccountPublicAccessBlock` (put and delete) and
`s3:GetAccountPublicAccessBlock`. The settings join every bucket's own (api/public_access.py)."""

from __future__ import annotations

from ferry.api.access import RequestAccess
from ferry.api.handlers.public_access import block_of, config_of
from ferry.api.http import Request, Response, xml_response
from ferry.api.s3control.errors import ControlError
from ferry.control import AccountSettings
from ferry.protocol.xml.jobs import CONTROL_XMLNS
from ferry.protocol.xml.public_access import parse_public_access_block, render_public_access_block

PUBLIC_ACCESS_BLOCK_PATH = "/v20180820/configuration/publicAccessBlock"
_NOT_FOUND = ControlError(
    "NoSuchPublicAccessBlockConfiguration",
    "The public access block configuration was not found",
    404,
)


def is_public_access_block_path(path: str) -> bool:
    return path == PUBLIC_ACCESS_BLOCK_PATH


async def serve_public_access_block(
    request: Request, settings: AccountSettings, access: RequestAccess, account: str
) -> Response:
    resource = f"arn:aws:s3:::{account}"  # none is documented: the action's `*`
    match request.method:
        case "PUT":
            await access.require_action(
                "s3:PutAccountPublicAccessBlock", resource, resource_account=account
            )
            config = parse_public_access_block(await request.read_body())
            await settings.set_public_access_block(account, block_of(config))
            return Response(status=200)
        case "GET":
            await access.require_action(
                "s3:GetAccountPublicAccessBlock", resource, resource_account=account
            )
            block = await settings.public_access_block(account)
            if block is None:
                raise _NOT_FOUND
            body = render_public_access_block(config_of(block), xmlns=CONTROL_XMLNS)
            return xml_response(body)
        case "DELETE":
            await access.require_action(
                "s3:PutAccountPublicAccessBlock", resource, resource_account=account
            )
            await settings.set_public_access_block(account, None)
            return Response(status=204)
    raise ControlError("MethodNotAllowed", "The specified method is not allowed.", 405)
