"""Request authorisation: every S3 request, before its handler runs (so a denied write leaves
no trace of data).

- The deployment root (ferry.toml's credentials) may do anything.
- The internal replication identity may use only the replica write path (and the two bucket
  reads a PutBucketReplication check needs); nobody else may use that path.
- Everyone else is judged by `control.policy.decide()`: their identity policies (none for
  account roots, who hold every permission of their account, nor for anonymous callers), the
  bucket's policy, and the bucket owner's account (same account: either side may allow;
  cross-account: both must).
- Block Public Access's RestrictPublicBuckets: while the bucket policy is public, it allows
  nobody outside the bucket owner's account (its Deny statements still apply to everyone).
- ACLs, when the bucket's Object Ownership enables them: a request the policies leave
  implicitly denied is allowed if the bucket's (or, for object reads and ACL calls, the
  object's) ACL grants the caller's account, AuthenticatedUsers or AllUsers the ACL
  permission the action maps to, and (an IAM user or role) its identity policies allow it.
  IgnorePublicAcls makes the two public groups grant nothing. An explicit Deny always wins.

Decisions taken where AWS leaves room are in docs/access-control.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import Services
from ferry.api.http import Request
from ferry.api.permissions import (
    OBJECT_CREATES,
    Permission,
    condition_context,
    global_context,
    required_permissions,
)
from ferry.api.public_access import UNKNOWN_ACCOUNT, account_of_owner, effective_block
from ferry.api.routing import Op, Route
from ferry.control.errors import AccessDenied
from ferry.control.identifiers import HolderKind, canonical_id, parse_principal_arn
from ferry.control.policy import (
    ANONYMOUS_FACTS,
    AccessRequest,
    AclRequester,
    AclSource,
    Context,
    Decision,
    Effect,
    Policy,
    PolicyKind,
    PrincipalFacts,
    acl_grants,
    acl_need,
    decide,
    decide_key_use,
    is_public_policy,
    key_region,
    parse_policy,
    s3_via_service,
)
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.replication.identity import REPLICATION_ROLE_HEADER, is_replication_arn
from ferry.replication.role_access import REPLICATE_OBJECT, replica_write_decision
from ferry.store import Grants
from ferry.store.errors import DeleteMarkerHit, NoSuchBucket, NoSuchKey, NoSuchVersion

REPLICA_WRITES = frozenset(
    {Op.ReplicateObject, Op.ReplicateDelete, Op.ReplicateTags, Op.ReplicateBatch}
)
REPLICATION_IDENTITY_OPS = REPLICA_WRITES | {
    Op.HeadBucket,
    Op.GetBucketVersioning,
    Op.GetObjectLockConfiguration,  # PutBucketReplication asks a destination (Object Lock)
}
# The bucket owner's root may always manage the policy, whatever it says (AWS's lock-out
# protection); other accounts may never (AWS answers 405).
POLICY_MANAGEMENT_OPS = frozenset({Op.PutBucketPolicy, Op.GetBucketPolicy, Op.DeleteBucketPolicy})
EXPECTED_SOURCE_OWNER = "x-amz-source-expected-bucket-owner"
PASS_ROLE = "iam:PassRole"


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketAuthority:
    """What decides access to a bucket besides the caller: its owner's account, its policy,
    and (when Object Ownership enables them) its ACL."""

    owner_account: str
    policy: Policy | None
    # What the policy says to callers outside the owner's account: only its Deny statements
    # while RestrictPublicBuckets holds and the policy is public; else the policy itself.
    outside_policy: Policy | None = None
    acl: Grants | None = None  # None: ACLs are disabled (BucketOwnerEnforced)
    ignore_public_acls: bool = False

    def policy_for(self, facts: PrincipalFacts) -> Policy | None:
        if facts.account_id is not None and facts.account_id == self.owner_account:
            return self.policy
        return self.outside_policy


async def authorize(
    principal: Principal, route: Route, request: Request, bucket: str, key: str, services: Services
) -> RequestAccess:
    """Raises AccessDenied unless the principal may make this request; the result judges the
    per-object permissions the handler finds later (DeleteObjects)."""
    if is_replication_arn(principal.arn):
        if route.op not in REPLICATION_IDENTITY_OPS:
            raise S3Error(S3ErrorCode.AccessDenied)
        if route.op not in REPLICA_WRITES:
            return RequestAccess.unrestricted()
        access = await replication_role_access(principal, route, request, bucket, services)
        if route.op is not Op.ReplicateBatch:  # a batch is judged item by item
            await access.require_replica_write(route.action, key)
        return access
    if route.op in REPLICA_WRITES:
        raise S3Error(S3ErrorCode.AccessDenied)  # the replication identity's alone, root too
    await check_expected_owners(request, bucket, services)
    if principal.is_root:
        return RequestAccess.unrestricted()
    access = RequestAccess(
        facts=principal_facts(principal),
        identity_policies=await identity_policies_of(principal, services),
        context=condition_context(principal, route, request, services.clock.now()),
        services=services,
        bucket=bucket,
    )
    for permission in required_permissions(route, request, bucket, key):
        if not await access.allows(permission, route.op):
            raise S3Error(S3ErrorCode.AccessDenied)
    return access


async def check_expected_owners(request: Request, bucket: str, services: Services) -> None:
    """`x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy's
    source) name the account the caller believes owns the bucket; any other owner → 403."""
    expectations = [(bucket, request.headers.get("x-amz-expected-bucket-owner"))]
    copy_source = request.headers.get("x-amz-copy-source")
    if copy_source:
        source = copy_source.partition("?")[0].lstrip("/").partition("/")[0]
        expectations.append((unquote(source), request.headers.get(EXPECTED_SOURCE_OWNER)))
    for name, expected in expectations:
        if expected is None or not name:
            continue
        authority = await bucket_authority(services, name)
        if authority is not None and authority.owner_account != expected:
            raise S3Error(S3ErrorCode.AccessDenied)


class RequestAccess:
    """One request's principal, policies and condition context, decided per permission."""

    def __init__(
        self,
        *,
        facts: PrincipalFacts | None,
        identity_policies: Sequence[Policy] = (),
        context: Context | None = None,
        services: Services | None = None,
        bucket: str = "",
    ) -> None:
        self._facts = facts  # None: unrestricted (the deployment root, replication)
        self._identity_policies = identity_policies
        self._context = context or {}
        self._services = services
        self._bucket = bucket
        self._authorities: dict[str, BucketAuthority | None] = {}

    @classmethod
    def unrestricted(cls) -> RequestAccess:
        return cls(facts=None)

    @property
    def account_id(self) -> str | None:
        """The account the request acts as (a replica write: the role's); None: unrestricted."""
        return self._facts.account_id if self._facts is not None else None

    async def require_replica_write(
        self, action: str, key: str, context: Mapping[str, str] | None = None
    ) -> None:
        """A replica write as the rule's role. `s3:ReplicateTags` is implied by
        `s3:ReplicateObject` unless a policy denies it explicitly (reference §4.1).
        `context`: condition keys only the replica's descriptor tells (its encryption)."""
        extra = {name: (value,) for name, value in (context or {}).items()}
        decisions = {
            name: await self.decision(
                Permission(action=name, bucket=self._bucket, key=key), extra_context=extra
            )
            for name in {action, REPLICATE_OBJECT}
        }
        if replica_write_decision(decisions.__getitem__, action) is not Decision.ALLOW:
            raise AccessDenied(bucket=self._bucket, key=key)

    async def require_key_use(self, action: str, key_arn: str, bucket: str, key: str) -> None:
        """S3 uses a KMS key for the caller (`kms:GenerateDataKey` to write object `key` of
        `bucket`, `kms:Decrypt` to read it): the caller's own identity policies must allow it."""
        if self._facts is None:
            return
        decision = decide_key_use(
            self._facts,
            action,
            key_arn,
            identity_policies=self._identity_policies,
            context=self._context,
            encryption_context={"aws:s3:arn": f"arn:aws:s3:::{bucket}/{key}"},
            via_service=s3_via_service(key_region(key_arn)),
        )
        if decision is not Decision.ALLOW:
            raise AccessDenied(bucket=bucket, key=key)

    async def require_action(
        self, action: str, resource: str, *, resource_account: str | None
    ) -> None:
        """An action on what is no bucket or object (an S3 Batch Operations job, an IAM
        role): the caller's identity policies decide, there being no resource policy."""
        if self._facts is None:
            return
        request = AccessRequest(
            principal=self._facts, action=action, resource=resource, context=self._context
        )
        decision = decide(request, identity_policies=self._identity_policies,
                          resource_policy=None, resource_account=resource_account)  # fmt: skip
        if decision is not Decision.ALLOW:
            raise AccessDenied()

    async def require_pass_role(self, role_arn: str) -> None:
        """Naming a role for S3 to act as (a replication configuration's Role, a batch job's
        RoleArn) needs iam:PassRole on it (AWS), so that nobody hands S3 a role with
        permissions they could not use themselves."""
        name = parse_principal_arn(role_arn)
        await self.require_action(
            PASS_ROLE, role_arn, resource_account=name.account_id if name else UNKNOWN_ACCOUNT
        )

    async def require(self, action: str, key: str) -> None:
        permission = Permission(action=action, bucket=self._bucket, key=key)
        if not await self.allows(permission):
            raise AccessDenied(bucket=self._bucket, key=key)

    async def allows(self, permission: Permission, op: Op | None = None) -> bool:
        return await self.decision(permission, op) is Decision.ALLOW

    async def decision(
        self,
        permission: Permission,
        op: Op | None = None,
        *,
        extra_context: Context | None = None,
    ) -> Decision:
        facts, services = self._facts, self._services
        if facts is None or services is None:
            return Decision.ALLOW
        authority: BucketAuthority | None = None
        if permission.bucket is not None and op is not Op.CreateBucket:
            if permission.bucket not in self._authorities:
                self._authorities[permission.bucket] = await bucket_authority(
                    services, permission.bucket
                )
            authority = self._authorities[permission.bucket]
            if authority is None:
                # No such bucket here: the handler answers NoSuchBucket (or AWS's 301 to the
                # bucket's region), as AWS answers anyone about a missing bucket.
                return Decision.ALLOW
            if op in POLICY_MANAGEMENT_OPS:
                if facts.is_anonymous:
                    return Decision.IMPLICIT_DENY
                if facts.account_id != authority.owner_account:
                    raise S3Error(S3ErrorCode.MethodNotAllowed)
                if facts.is_account_root:
                    return Decision.ALLOW
        context = {**self._context, **extra_context} if extra_context else self._context
        decision = authorize_as(
            facts,
            permission=permission,
            context=context,
            identity_policies=self._identity_policies,
            bucket=authority,
        )
        if decision is not Decision.IMPLICIT_DENY or authority is None or authority.acl is None:
            return decision
        if await self._acl_allows(facts, permission, op, authority, context):
            return Decision.ALLOW
        return decision

    async def _acl_allows(
        self,
        facts: PrincipalFacts,
        permission: Permission,
        op: Op | None,
        authority: BucketAuthority,
        context: Context,
    ) -> bool:
        """The ACL side of the decision (see the module's docstring)."""
        need = acl_need(permission.action, part_of_write=op in OBJECT_CREATES)
        if need is None or permission.bucket is None or authority.acl is None:
            return False
        if need.source is AclSource.BUCKET:
            grants: Grants = authority.acl
        else:
            grants = await self._object_acl(permission.bucket, permission.key or "", context)
        requester = AclRequester(
            canonical_id=None if facts.is_anonymous else canonical_id(facts.account_id or "")
        )
        if not acl_grants(
            grants, requester, need.permission, ignore_public=authority.ignore_public_acls
        ):
            return False
        if facts.is_anonymous or facts.is_account_root:
            return True
        # An IAM user or role acts for its account only as far as its own policies allow.
        identity_only = decide(
            AccessRequest(
                principal=facts,
                action=permission.action,
                resource=permission.resource,
                context=context,
            ),
            identity_policies=self._identity_policies,
            resource_policy=None,
            resource_account=None,
        )
        return identity_only is Decision.ALLOW

    async def _object_acl(self, bucket: str, key: str, context: Context) -> Grants:
        assert self._services is not None
        version_ids = context.get("s3:versionid", ())
        version_id = version_ids[0] if version_ids else None
        try:
            version = await self._services.objects.get(bucket, key, version_id or None)
        except (NoSuchKey, NoSuchVersion, DeleteMarkerHit):
            return ()
        return version.attrs.acl


def authorize_as(
    facts: PrincipalFacts,
    *,
    permission: Permission,
    context: Context,
    identity_policies: Sequence[Policy],
    bucket: BucketAuthority | None,
) -> Decision:
    """One permission for one principal: the seam replication uses to write a replica as the
    rule's role (`facts` of the role, its policies, the destination bucket's authority)."""
    return decide(
        AccessRequest(
            principal=facts,
            action=permission.action,
            resource=permission.resource,
            context=context,
        ),
        identity_policies=identity_policies,
        resource_policy=bucket.policy_for(facts) if bucket is not None else None,
        resource_account=bucket.owner_account if bucket is not None else None,
    )


async def replication_role_access(
    principal: Principal, route: Route, request: Request, bucket: str, services: Services
) -> RequestAccess:
    """The replication identity writes replicas on behalf of the rule's role, which it names
    in `x-ferry-replication-role`: the write is judged as that role (its policies, the
    destination bucket's policy and owner), as AWS judges a replication role's writes. The
    source region checked that the role exists and trusts S3 before sending."""
    role_arn = request.headers.get(REPLICATION_ROLE_HEADER, "")
    name = parse_principal_arn(role_arn)
    if name is None or name.kind is not HolderKind.ROLE:
        raise S3Error(S3ErrorCode.AccessDenied, "Replica writes must name the replication role.")
    role = Principal(
        access_key=principal.access_key,
        account_id=name.account_id,
        arn=role_arn,
        kind=PrincipalKind.ROLE,
    )
    return RequestAccess(
        facts=principal_facts(role),
        identity_policies=await identity_policies_of(role, services),
        context=condition_context(role, route, request, services.clock.now()),
        services=services,
        bucket=bucket,
    )


async def principal_access(
    principal: Principal, request: Request, services: Services
) -> RequestAccess:
    """The access of a request outside the S3 route table (S3 Control): roots are
    unrestricted, users and roles judged by their identity policies."""
    if principal.is_root or principal.kind in (
        PrincipalKind.DEPLOYMENT_ROOT,
        PrincipalKind.REPLICATION,
    ):
        return RequestAccess.unrestricted()
    return RequestAccess(
        facts=principal_facts(principal),
        identity_policies=await identity_policies_of(principal, services),
        context=global_context(principal, request, services.clock.now()),
        services=services,
    )


def principal_facts(principal: Principal) -> PrincipalFacts:
    if principal.is_anonymous:
        return ANONYMOUS_FACTS
    return PrincipalFacts(
        arn=principal.arn,
        account_id=principal.account_id,
        is_account_root=principal.kind
        in (PrincipalKind.ACCOUNT_ROOT, PrincipalKind.DEPLOYMENT_ROOT),
    )


async def identity_policies_of(principal: Principal, services: Services) -> Sequence[Policy]:
    """Users and roles carry policies; roots need none and anonymous callers have none."""
    if principal.kind not in (PrincipalKind.USER, PrincipalKind.ROLE):
        return ()
    if services.identities is None:
        return ()
    return await services.identities.identity_policies(principal.arn)


async def bucket_authority(services: Services, bucket: str) -> BucketAuthority | None:
    """None: the bucket is not in this region."""
    try:
        access = await services.buckets.get_access(bucket)
    except NoSuchBucket:
        return None
    owner_account = await account_of_owner(services, access.owner_id)
    block = await effective_block(services, access, owner_account)
    policy = parsed_bucket_policy(access.policy) if access.policy is not None else None
    outside = policy
    if policy is not None and block.restrict_public_buckets and is_public_policy(policy):
        outside = deny_statements(policy)
    return BucketAuthority(
        owner_account=owner_account,
        policy=policy,
        outside_policy=outside,
        acl=access.acl if access.acls_enabled else None,
        ignore_public_acls=block.ignore_public_acls,
    )


@lru_cache(maxsize=1024)
def deny_statements(policy: Policy) -> Policy:
    denies = tuple(s for s in policy.statements if s.effect is Effect.DENY)
    return Policy(version=policy.version, id=policy.id, statements=denies)


@lru_cache(maxsize=1024)
def parsed_bucket_policy(document: str) -> Policy:
    """Stored documents were validated by PutBucketPolicy; parsing each once is enough."""
    return parse_policy(document, PolicyKind.RESOURCE)
