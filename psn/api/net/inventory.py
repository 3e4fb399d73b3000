"""The network inventory over REST (`/api/v1/net/inventory`): sites and cells (NETWORK: view to read, manage to
change), devices (DEVICE: an agency's own, every agency's for the network operator; only the operator changes
them), export as CSV or GeoJSON and import of CSV, GeoJSON or the radio plan document."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from netmgmt.inventory import KINDS, Device, InventoryError, Item, Kind, Merge
from netmgmt.inventory_codec import Parsed, from_csv, from_geojson, from_plan, json_document, to_csv, to_geojson
from psn.access import Action, Principal, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep, authorize, require_role_right
from psn.api.fields import NamePath
from psn.net.inventory import SINGULAR, Conflict, NotFound
from psn.server import Server

router = APIRouter(prefix="/api/v1/net/inventory", tags=["network"])
# The shipped plan is 9 kB and a 20,000-device CSV about 2 MB: far below this, far above any real file.
MAX_IMPORT_BYTES = 16 * 1024 * 1024
ADAPTERS = {kind: TypeAdapter(cls) for kind, cls in KINDS.items()}


def _may_view_device(server: Server, who: Principal, device: Device) -> bool:
    return bool(decide(who, Action.VIEW, Target(Resource.DEVICE, device.agency), server.sharing.snapshot))


def _guard(server: Server, who: Principal, kind: Kind, action: Action, item: Item | None = None) -> None:
    if kind != "devices":
        require_role_right(server, who, action, Resource.NETWORK)
    elif item is None:
        require_role_right(server, who, action, Resource.DEVICE)
    else:
        assert isinstance(item, Device)
        authorize(server, who, action, Target(Resource.DEVICE, item.agency))


def _parse(kind: Kind, body: Any, path_id: str | None = None) -> Item:
    if not isinstance(body, dict):
        raise HTTPException(422, f"expected a JSON object with the {SINGULAR[kind]}'s fields")
    if path_id is not None and body.setdefault("id", path_id) != path_id:
        raise HTTPException(422, f"id: the body names {body['id']!r}, the path {path_id!r}")
    unknown = sorted(set(body) - {f.name for f in fields(KINDS[kind])})
    if unknown:
        names = ", ".join(f.name for f in fields(KINDS[kind]))
        raise HTTPException(422, f"unknown fields {', '.join(unknown)}: a {SINGULAR[kind]} has {names}")
    try:
        item: Item = ADAPTERS[kind].validate_python(body)
    except ValidationError as exc:
        raise HTTPException(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                           for e in exc.errors(include_url=False))) from None
    return item


def _registered(server: Server, item: Item) -> list[str]:
    if isinstance(item, Device) and item.agency not in server.settings.agencies:
        return [f"agency: {item.agency!r} is not one of {', '.join(server.settings.agencies)}"]
    return []


def _store(server: Server, who: Principal, item: Item, create: bool) -> dict[str, Any]:
    reasons = _registered(server, item)
    if reasons:
        raise HTTPException(422, reasons[0])
    try:
        return server.inventory.row(server.inventory.save(item, who.name, create=create))
    except InventoryError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(404, exc.args[0]) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None


def _visible(server: Server, who: Principal, kind: Kind) -> list[Item]:
    _guard(server, who, kind, Action.VIEW)
    rows = server.inventory.rows(kind)
    if kind == "devices":
        rows = [d for d in rows if isinstance(d, Device) and _may_view_device(server, who, d)]
    return rows


def _existing(server: Server, who: Principal, kind: Kind, item_id: str, action: Action) -> Item:
    _guard(server, who, kind, action)
    item = server.inventory.get(kind, item_id)
    # Another agency's device the caller may not view reads as unknown: its existence and agency do not leak.
    if item is None or (isinstance(item, Device) and not _may_view_device(server, who, item)):
        raise HTTPException(404, f"no {SINGULAR[kind]} {item_id!r}")
    _guard(server, who, kind, action, item)
    return item


# Export and import first: their paths would otherwise read as a kind.


@router.get("/export")
def export(server: ServerDep, who: PrincipalDep, kind: Annotated[Kind, Query()],
           format: Annotated[Literal["csv", "geojson"], Query()] = "csv") -> Response:
    rows = _visible(server, who, kind)
    name = f"psn-{kind}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(to_csv(kind, rows), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(json.dumps(to_geojson(kind, rows)), media_type="application/geo+json", headers=disposition)


@router.post("/import")
async def import_file(request: Request, server: ServerDep, who: PrincipalDep,
                      format: Annotated[Literal["csv", "geojson", "plan"], Query()],
                      kind: Annotated[Kind | None, Query()] = None) -> dict[str, Any]:
    if format != "plan" and kind is None:
        raise HTTPException(422, "kind: sites, cells or devices (a plan brings its own sites and cells)")
    _guard(server, who, kind or "sites", Action.MANAGE)
    body = bytearray()
    async for chunk in request.stream():  # counted as it comes: an oversized upload is never held whole
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            raise HTTPException(413, f"the file is over {MAX_IMPORT_BYTES} bytes, the most taken at once")
    try:
        text = body.decode("utf-8-sig")
        parsed = await run_in_threadpool(_read, format, kind, text)
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the file is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except InventoryError as exc:
        raise HTTPException(422, str(exc)) from None

    def screen(item: Item) -> list[str]:
        reasons = _registered(server, item)
        if not reasons and isinstance(item, Device):
            decision = decide(who, Action.MANAGE, Target(Resource.DEVICE, item.agency), server.sharing.snapshot)
            reasons = [] if decision else [f"agency: not allowed: {decision.reason}"]
        return reasons

    result = await run_in_threadpool(server.inventory.import_rows, parsed.entries, who.name,
                                     f"{format}:{kind or 'plan'}", screen)
    return _report(format, result)


def _read(format: str, kind: Kind | None, text: str) -> Parsed:
    if format == "csv" and kind is not None:
        return from_csv(kind, text)
    doc = json_document(text)
    return from_plan(doc) if kind is None else from_geojson(kind, doc)


def _report(format: str, result: Merge) -> dict[str, Any]:
    kinds = sorted(set(result.created) | set(result.updated) | set(result.unchanged))
    return {"format": format,
            "imported": {k: {"created": result.created.get(k, 0), "updated": result.updated.get(k, 0),
                             "unchanged": result.unchanged.get(k, 0)} for k in kinds},
            "refused": [{"at": r.at, "id": r.id, "reason": r.reason} for r in result.refused]}


@router.get("/{kind}")
def list_rows(kind: Kind, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    return {kind: [server.inventory.row(item) for item in _visible(server, who, kind)]}


@router.get("/{kind}/{item_id}")
def get_row(kind: Kind, item_id: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    return server.inventory.row(_existing(server, who, kind, item_id, Action.VIEW))


@router.post("/{kind}", status_code=201)
def create_row(kind: Kind, body: dict[str, Any], server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    _guard(server, who, kind, Action.MANAGE)
    item = _parse(kind, body)
    _guard(server, who, kind, Action.MANAGE, item)
    return _store(server, who, item, create=True)


@router.put("/{kind}/{item_id}")
def replace_row(kind: Kind, item_id: NamePath, body: dict[str, Any], server: ServerDep,
                who: PrincipalDep) -> dict[str, Any]:
    _existing(server, who, kind, item_id, Action.MANAGE)
    item = _parse(kind, body, item_id)
    _guard(server, who, kind, Action.MANAGE, item)
    return _store(server, who, item, create=False)


@router.delete("/{kind}/{item_id}")
def delete_row(kind: Kind, item_id: NamePath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    _existing(server, who, kind, item_id, Action.MANAGE)
    try:
        server.inventory.delete(kind, item_id, who.name)
    except NotFound as exc:
        raise HTTPException(404, exc.args[0]) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    return {"deleted": item_id, "kind": kind}
