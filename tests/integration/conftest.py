"""Integration tier: one region per test, its ASGI app driven in-process through httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ferry.api.app import S3App
from ferry.api.http import Message
from ferry.config import RegionConfig, RootCredentials
from ferry.control import policy_documents
from ferry.control.iam_names import MIN_SESSION_S
from ferry.control.identifiers import HolderKind
from ferry.control.policies import Holder
from ferry.control.roles import RoleSpec
from ferry.core.secret import Secret
from ferry.region import Region, build_region
from tests.integration.principals import alice, team  # noqa: F401 (fixtures, shared)
from tests.integration.s3 import ACCESS_KEY, ENDPOINT, REGION, S3, SECRET_KEY

ACCOUNT_ID = "000000000042"
SHUTDOWN_TIMEOUT_S = 30.0
BUCKET = "it-bucket"
# Every role a test's replication configuration (`Role`) or batch job (`RoleArn`) names: the
# fixtures create them, since replication acts as that role (it must exist, trust S3 and allow).
REPLICATION_ROLES = ("r", "batch", "replication")
REPLICATION_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}
REPLICATION_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}],
}


async def create_replication_roles(
    *regions: Region, account_id: str = ACCOUNT_ID, names: tuple[str, ...] = REPLICATION_ROLES
) -> None:
    """Create `names` in the control plane (shared by `regions`), each trusting S3 and holding
    the inline policy "replication" (s3:* and kms:* on *), as CreateRole + PutRolePolicy would."""
    trust = json.dumps(REPLICATION_TRUST)
    permissions = json.dumps(REPLICATION_ROLE_POLICY)
    policy_documents.parse_trust(trust)
    policy_documents.parse_inline(permissions, HolderKind.ROLE)
    iam = regions[0].services.iam
    for name in names:
        spec = RoleSpec(
            name=name,
            path="/",
            trust_policy=trust,
            description="replication role of the integration tests",
            max_session_s=MIN_SESSION_S,
        )
        await iam.roles.create(account_id, spec)
        holder = Holder(account_id=account_id, kind=HolderKind.ROLE, name=name)
        await iam.policies.put_inline(holder, "replication", permissions)
    for region in regions:
        region.services.iam.identities.forget()


@contextlib.asynccontextmanager
async def lifespan(app: S3App) -> AsyncIterator[None]:
    """Run the app's ASGI lifespan as a server would: ASGITransport only sends http scopes."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        try:
            stopped = await asyncio.wait_for(outbox.get(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            # A shutdown that hangs shows what it waits for, rather than a bare timeout.
            for pending in asyncio.all_tasks():
                print("pending at shutdown:", pending, file=sys.stderr)
                pending.print_stack(file=sys.stderr)
            raise
        await task
        assert stopped["type"] == "lifespan.shutdown.complete", stopped


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[Region]:
    root = RootCredentials(
        access_key=ACCESS_KEY,
        secret_key=Secret(SECRET_KEY),
        account_id=ACCOUNT_ID,
        defaulted=False,
    )
    built = build_region(RegionConfig(name=REGION, data_dir=tmp_path / REGION), root)
    try:
        async with lifespan(built.app):
            await create_replication_roles(built)
            yield built
    finally:
        built.db.close()  # shutdown closed it already unless start-up failed; close is idempotent


@pytest.fixture
async def http(region: Region) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=region.app)
    async with httpx.AsyncClient(transport=transport, base_url=ENDPOINT) as client:
        yield client


@pytest.fixture
def s3(http: httpx.AsyncClient) -> S3:
    return S3(http)


@pytest.fixture
async def bucket(s3: S3) -> str:
    response = await s3.put(f"/{BUCKET}")
    assert response.status_code == 200, response.text
    return BUCKET


@pytest.fixture
async def acl_bucket(s3: S3) -> str:
    """A bucket whose ACLs mean something: ObjectWriter ownership, no Block Public Access
    (new buckets have ACLs disabled and public access blocked, as on AWS)."""
    name = f"{BUCKET}-acls"
    response = await s3.put(f"/{name}", headers={"x-amz-object-ownership": "ObjectWriter"})
    assert response.status_code == 200, response.text
    response = await s3.delete(f"/{name}", query={"publicAccessBlock": None})
    assert response.status_code == 204, response.text
    return name


@pytest.fixture
async def versioned_bucket(s3: S3, bucket: str) -> str:
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    response = await s3.put(f"/{bucket}", body, query={"versioning": None})
    assert response.status_code == 200, response.text
    return bucket
