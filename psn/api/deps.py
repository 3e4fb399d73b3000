"""Request-scoped access to the running server, and the one place requests are authenticated and
authorised (every endpoint goes through `principal` and `authorize`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.requests import HTTPConnection

from crypto.tokens import TokenError
from psn.access import Action, Decision, Principal, Resource, Target, decide
from psn.security_events import Kind
from psn.server import Server

COOKIE = "psn_token"


def get_server(connection: HTTPConnection) -> Server:
    server: Server = connection.app.state.server
    return server


ServerDep = Annotated[Server, Depends(get_server)]


def bearer_token(connection: HTTPConnection) -> str | None:
    """Authorization header first; then the sign-in cookie (browsers); then `access_token` in the query
    (WebSocket and media clients that cannot set headers)."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return connection.cookies.get(COOKIE) or connection.query_params.get("access_token")


def authenticate(server: Server, connection: HTTPConnection) -> Principal:
    token = bearer_token(connection)
    if not token:
        raise HTTPException(401, "sign in first: no bearer token or session cookie",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        return server.auth.principal(token)
    except TokenError as exc:
        client = connection.client.host if connection.client else "?"
        server.security.report(Kind.BAD_TOKEN, client, reason=str(exc), path=connection.url.path)
        raise HTTPException(401, f"token refused: {exc}", headers={"WWW-Authenticate": "Bearer"}) from None


def principal(request: Request, server: ServerDep) -> Principal:
    return authenticate(server, request)


PrincipalDep = Annotated[Principal, Depends(principal)]


def authorize(server: Server, who: Principal, action: Action, target: Target) -> Decision:
    """Decides with the current sharing state; a denial is logged (and, across agencies, a security event)."""
    decision = decide(who, action, target, server.sharing.snapshot)
    if not decision:
        if target.agency is not None and target.agency != who.agency:
            server.security.report(Kind.ACCESS_DENIED, who.name, action=action.value,
                                   resource=target.resource.value, agency=target.agency,
                                   unit=target.unit_id, reason=decision.reason)
        raise HTTPException(403, f"not allowed: {decision.reason}")
    return decision


def require_role_right(server: Server, who: Principal, action: Action, resource: Resource) -> None:
    authorize(server, who, action, Target(resource, who.agency))


def page_for_signed_in(request: Request, path: str, file: Path) -> Response:
    """A page served to anyone signed in (no-cache: a new release shows at once; what it may show is the API's
    call), else sign-in first and back to `path`."""
    try:
        authenticate(get_server(request), request)
    except HTTPException:
        return RedirectResponse(f"/login?next={path}", status_code=303)
    return FileResponse(file, headers={"Cache-Control": "no-cache"})
