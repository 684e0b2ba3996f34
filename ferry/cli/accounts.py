"""`ferry accounts create NAME [--email ADDRESS] | list`: the deployment's accounts, through a
region's admin API (`/_ferry/accounts`), signed as the deployment root (connection options
and credentials as for `ferry failures`).

`create` prints the new account's ID and its root user's key pair: the secret is shown this
once and cannot be read back.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ferry.cli.admin_client import (
    AdminClient,
    CommandError,
    connect,
    connection_options,
    render_table,
)

ACCOUNTS_PATH = "/_ferry/accounts"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("accounts", help="create and list accounts")
    actions = parser.add_subparsers(dest="action", required=True)
    connection = connection_options()
    create = actions.add_parser("create", parents=[connection], help="create an account")
    create.add_argument("name", help="the account's name (unique in the deployment)")
    create.add_argument(
        "--email",
        help="the account's e-mail address, which ACL grants by e-mail (emailAddress=...) "
        "resolve to (unique in the deployment)",
    )
    create.set_defaults(run=run, act=create_account)
    listing = actions.add_parser("list", parents=[connection], help="list accounts")
    listing.set_defaults(run=run, act=list_accounts)


def run(args: argparse.Namespace) -> int:
    try:
        client = connect(args)
        try:
            args.act(client, args)
        finally:
            client.close()
    except CommandError as exc:
        print(f"ferry accounts: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def _call(client: AdminClient, method: str, body: dict[str, str] | None = None) -> Any:
    return client.call(method, ACCOUNTS_PATH, body=body)


def create_account(client: AdminClient, args: argparse.Namespace) -> None:
    body = {"name": args.name} if args.email is None else {"name": args.name, "email": args.email}
    created = _call(client, "POST", body)
    if args.json:
        print(json.dumps(created, indent=2))
        return
    key, secret, name = created["access_key_id"], created["secret_access_key"], created["name"]
    print(f"account            {created['account_id']}")
    print(f"name               {name}")
    print(f"canonical id       {created['canonical_id']}")
    if created.get("email"):
        print(f"e-mail             {created['email']}")
    print(f"access key id      {key}")
    print(f"secret access key  {secret}")
    print()
    print("The secret is shown only now. To use the account with the aws CLI:")
    print(f"  aws configure set aws_access_key_id {key} --profile {name}")
    print(f"  aws configure set aws_secret_access_key {secret} --profile {name}")


def list_accounts(client: AdminClient, args: argparse.Namespace) -> None:
    listed = _call(client, "GET")
    if args.json:
        print(json.dumps(listed, indent=2))
        return
    rows = [[a["account_id"], a["name"], a["created"]] for a in listed["accounts"]]
    print(render_table(["ACCOUNT", "NAME", "CREATED"], rows) if rows else "no accounts")
