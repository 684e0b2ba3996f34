"""A bucket's replication rules: the view, the rule editor (add or replace one rule), delete a
rule, and the two-way lab's second rule in one click ("replicate back")."""

from __future__ import annotations

import json

from ferry.console.context import ConsoleContext
from ferry.console.gateway import BucketRow, ConsoleError
from ferry.console.http import ConsoleResponse, json_bytes
from ferry.console.rule_form import (
    STORAGE_CLASSES,
    RuleForm,
    configuration_of,
    parse_rule_form,
    render_configuration,
    reverse_rule,
    rule_form_of,
    without_rule,
)
from ferry.console.validation import document_problem
from ferry.console.xmldoc import text


async def show_rules(
    ctx: ConsoleContext,
    *,
    editing: RuleForm | None = None,
    role: str = "",
    error: ConsoleError | None = None,
    status: int = 200,
) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    config = configuration_of(await ctx.gateway.replication(bucket))
    edit_id = ctx.request.query.get("edit")
    if editing is None:
        chosen = [f for f in config.forms if f.rule_id == edit_id]
        editing = chosen[0] if chosen else RuleForm(priority=str(len(config.rules) + 1))
    buckets = [b.name for b in await _buckets_or_none(ctx) if b.name != bucket]
    return ctx.page(
        "replication.html",
        status=status,
        bucket=bucket,
        config=config,
        editing=editing,
        role=role or config.role,
        roles=await ctx.gateway.list_roles(),
        kms_keys=await ctx.gateway.list_kms_keys(),
        storage_classes=STORAGE_CLASSES,
        error=error,
        destinations=buckets,
        bucket_region=await ctx.gateway.region_of(bucket),
    )


async def _buckets_or_none(ctx: ConsoleContext) -> list[BucketRow]:
    try:
        return await ctx.gateway.list_buckets()
    except ConsoleError:
        return []


async def _edited_document(ctx: ConsoleContext) -> tuple[RuleForm, str, bytes]:
    """The bucket's configuration with the form's rule added, or in place of the one it
    edits (`replaces`: its ID before the edit)."""
    form = await ctx.request.form()
    rule = parse_rule_form(form)
    role = form.get("role", "").strip()
    config = configuration_of(await ctx.gateway.replication(ctx.params["bucket"]))
    replaced = form.get("replaces") or rule.rule_id
    kept = without_rule(config, replaced) if replaced else list(config.rules)
    return rule, role, render_configuration(role, kept, rule)


async def save_rule(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    rule, role, document = await _edited_document(ctx)
    try:
        await ctx.gateway.put_replication(bucket, document)
    except ConsoleError as exc:
        return await show_rules(ctx, editing=rule, role=role, error=exc, status=exc.status)
    return ctx.redirect(f"/buckets/{bucket}/replication", "Saved the rule")


async def validate_rule(ctx: ConsoleContext) -> ConsoleResponse:
    """The editor's live check: every document-only check of PutBucketReplication, with its
    code and message (the save itself adds the checks of buckets, versioning and role)."""
    _, _, document = await _edited_document(ctx)
    problem = document_problem(document, ctx.params["bucket"])
    body = {"ok": True} if problem is None else {"code": problem[0], "message": problem[1]}
    return json_bytes(json.dumps(body).encode())


async def delete_rule(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    rule_id = (await ctx.request.form()).get("rule_id", "")
    config = configuration_of(await ctx.gateway.replication(bucket))
    kept = without_rule(config, rule_id)
    if kept:
        await ctx.gateway.put_replication(bucket, render_configuration(config.role, kept))
    else:
        await ctx.gateway.delete_replication(bucket)
    return ctx.redirect(f"/buckets/{bucket}/replication", f"Deleted rule {rule_id}")


async def replicate_back(ctx: ConsoleContext) -> ConsoleResponse:
    """Adds to the rule's destination bucket the rule that replicates back to this bucket,
    with the same role, scope and options, and replica modification sync on both sides."""
    bucket = ctx.params["bucket"]
    rule_id = (await ctx.request.form()).get("rule_id", "")
    config = configuration_of(await ctx.gateway.replication(bucket))
    found = [r for r in config.rules if text(r, "ID") == rule_id]
    if not found:
        raise ConsoleError("NoSuchRule", f"Bucket {bucket} has no rule {rule_id!r}.", 404)
    rule = rule_form_of(found[0])
    there = configuration_of(await ctx.gateway.replication(rule.destination_bucket))
    back = reverse_rule(rule, bucket, [f.rule_id for f in there.forms])
    document = render_configuration(there.role or config.role, list(there.rules), back)
    await ctx.gateway.put_replication(rule.destination_bucket, document)
    return ctx.redirect(
        f"/buckets/{rule.destination_bucket}/replication",
        f"Added rule {back.rule_id} back to {bucket}",
    )
