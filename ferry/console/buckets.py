"""Buckets: the list across regions (with each one's versioning), create, versioning, delete."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from ferry.console.context import ConsoleContext
from ferry.console.gateway import BucketRow, ConsoleError
from ferry.console.http import ConsoleResponse

VERSIONING_STATES = ("Enabled", "Suspended")


async def list_buckets(
    ctx: ConsoleContext, error: ConsoleError | None = None, status: int = 200
) -> ConsoleResponse:
    listing_error: ConsoleError | None = None
    rows: list[BucketRow] = []
    try:
        rows = await ctx.gateway.list_buckets()
        rows = list(await asyncio.gather(*(_with_versioning(ctx, row) for row in rows)))
    except ConsoleError as exc:
        listing_error = exc
    return ctx.page(
        "buckets.html",
        status=status,
        buckets=rows,
        error=error,
        listing_error=listing_error,
    )


async def _with_versioning(ctx: ConsoleContext, row: BucketRow) -> BucketRow:
    try:
        return replace(row, versioning=await ctx.gateway.versioning(row.name) or "Disabled")
    except ConsoleError:
        return replace(row, versioning="?")


async def create_bucket(ctx: ConsoleContext) -> ConsoleResponse:
    form = await ctx.request.form()
    name, region = form.get("name", "").strip(), form.get("region", ctx.gateway.home_region)
    if region not in ctx.gateway.regions:
        return await list_buckets(
            ctx,
            ConsoleError(
                "InvalidLocationConstraint", "The specified location-constraint is not valid."
            ),
            400,
        )
    try:
        await ctx.gateway.create_bucket(name, region)
        if form.get("versioning") == "on":
            await ctx.gateway.put_versioning(name, "Enabled")
    except ConsoleError as exc:
        return await list_buckets(ctx, exc, 400)
    return ctx.redirect("/", f"Created bucket {name}")


async def put_versioning(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    status = (await ctx.request.form()).get("status", "")
    if status not in VERSIONING_STATES:
        raise ConsoleError("MalformedXML", "Versioning is Enabled or Suspended.")
    await ctx.gateway.put_versioning(bucket, status)
    return ctx.redirect(f"/buckets/{bucket}", f"Versioning {status}")


async def delete_bucket(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    try:
        await ctx.gateway.delete_bucket(bucket)
    except ConsoleError as exc:
        return await list_buckets(ctx, exc, exc.status)
    return ctx.redirect("/", f"Deleted bucket {bucket}")
