"""IAM's errors, named as IAM names them (the API layer maps each to its code and status).

    FerryError
    ├── NotFound ── NoSuchEntity
    ├── Conflict ── EntityAlreadyExists, DeleteConflict, LimitExceeded
    └── Invalid  ── IamValidationError, InvalidInput, MalformedPolicyDocument
    IamAccessDenied (FerryError): the caller may not do this IAM action

Messages follow AWS's wording, so the aws CLI prints what it would print against AWS. They
never contain a secret.
"""

from __future__ import annotations

from ferry.core.errors import Conflict, FerryError, Invalid, NotFound


class NoSuchEntity(NotFound):
    """The request was rejected because it referenced a resource entity that does not exist."""


class EntityAlreadyExists(Conflict):
    """The request was rejected because it attempted to create a resource that already
    exists."""


class DeleteConflict(Conflict):
    """The request was rejected because it attempted to delete a resource that has attached
    subordinate entities."""


class LimitExceeded(Conflict):
    """The request was rejected because it attempted to create resources beyond the current
    AWS account limits."""


class IamValidationError(Invalid):
    """The request was rejected because an input parameter failed to satisfy a constraint."""


class InvalidInput(Invalid):
    """The request was rejected because an invalid or out-of-range value was supplied for an
    input parameter."""


class MalformedPolicyDocument(Invalid):
    """The policy document was malformed."""


class IamAccessDenied(FerryError):
    """The caller is not authorized to perform this action."""


class NoSuchAccount(NotFound):
    """The account does not exist."""


class AccountAlreadyExists(Conflict):
    """An account with this name already exists."""


def no_such_user(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The user with name {name} cannot be found.")


def no_such_role(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role with name {name} cannot be found.")


def no_such_policy(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
