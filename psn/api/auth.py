"""Sign-in: a login form for people, bearer tokens for scripts, the session cookie for browsers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse

from crypto.tokens import TokenError
from psn.access import Action, Resource, Target, decide
from psn.api.deps import COOKIE, PrincipalDep, ServerDep
from psn.security_events import Kind
from psn.users import NAME as USER_NAME
from psn.users import LoginRefused
from psn.web import STATIC_DIR

router = APIRouter(tags=["auth"])
# Far beyond any passphrase a person types; argon2id then hashes at most this much for one sign-in attempt.
MAX_PASSWORD = 1024
MAX_TOKEN = 4096  # psn's signed tokens are a few hundred characters


def _set_cookie(response: Response, request: Request, token: str, max_age: float) -> None:
    # HttpOnly: page scripts never see the token; SameSite=Strict: other sites cannot ride the session.
    response.set_cookie(COOKIE, token, max_age=int(max_age), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


@router.post("/api/v1/auth/login")
async def login(request: Request, response: Response, server: ServerDep,
                name: Annotated[str, Form(pattern=USER_NAME.pattern)],
                password: Annotated[str, Form(max_length=MAX_PASSWORD)]) -> dict[str, Any]:
    client = request.client.host if request.client else "?"
    try:
        issued = await run_in_threadpool(server.auth.login, name, password)
    except LoginRefused as refused:
        kind = Kind.LOCKED_OUT if refused.locked else Kind.FAILED_LOGIN
        server.security.report(kind, name, client=client, why=refused.why)
        raise HTTPException(401, str(refused)) from None
    server.audit.record(name, "auth.sign_in", name, client=client)
    _set_cookie(response, request, issued.token, issued.expires_at - server.clock.time())
    who = issued.principal
    return {"token": issued.token, "expires_at": issued.expires_at,
            "user": {"name": who.name, "agency": who.agency, "roles": sorted(who.roles)}}


@router.post("/api/v1/auth/logout")
def logout(response: Response) -> dict[str, str]:
    response.delete_cookie(COOKIE, path="/")
    return {"status": "signed out"}


@router.get("/api/v1/auth/me")
def me(who: PrincipalDep) -> dict[str, Any]:
    """Who is signed in, and what the roles let them do with their own agency's data and the unowned kinds
    (`rights`: resource -> actions, from `decide`): pages show only the links and buttons that would work."""
    rights = {str(r): sorted(str(a) for a in Action if decide(who, a, Target(r, agency=who.agency)))
              for r in Resource}
    return {"name": who.name, "agency": who.agency, "roles": sorted(who.roles), "unit": who.unit,
            "rights": {r: actions for r, actions in rights.items() if actions}}


@router.get("/login", include_in_schema=False)
def login_page(request: Request, server: ServerDep,
               token: Annotated[str | None, Query(max_length=MAX_TOKEN)] = None) -> Response:
    """The sign-in form; `?token=` (printed by `psn demo`) signs the browser in directly."""
    if token:
        try:
            server.auth.principal(token)
        except TokenError as exc:
            raise HTTPException(401, f"token refused: {exc}") from None
        response = RedirectResponse("/", status_code=303)
        _set_cookie(response, request, token, server.settings.token_ttl_s)
        return response
    return FileResponse(STATIC_DIR / "login.html")
