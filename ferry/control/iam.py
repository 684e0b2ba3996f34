"""The IAM facade the API layer gets: one object holding each IAM store of the control plane
(built by `region.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.control.access_keys import AccessKeys
from ferry.control.accounts import Accounts
from ferry.control.identities import IdentityPolicies
from ferry.control.policies import Policies
from ferry.control.roles import Roles
from ferry.control.users import Users


@dataclass(frozen=True, slots=True, kw_only=True)
class Iam:
    accounts: Accounts
    users: Users
    access_keys: AccessKeys
    roles: Roles
    policies: Policies
    identities: IdentityPolicies
