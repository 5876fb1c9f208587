"""LTI endpoints: login initiation, launch, the tool's JWKS and config, deep linking, admin."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from core import csrf
from core.access import Public
from core.db import SessionDep
from core.ratelimit import limiter
from core.security import client_ip, is_https
from core.settings import get_settings
from core.templating import page
from lti import claims as c
from lti import deep_linking, handoff, keys, launch
from lti.accounts import land
from lti.exceptions import LaunchRefused
from lti.frames import LTI_MARKER_COOKIE
from lti.models import LtiRefusal
from lti.registry import list_platforms
from users import auth
from users.policy import AdminUser, CurrentUser, OptionalUser

router = APIRouter(prefix="/lti", include_in_schema=False)
PROBE_COOKIE = "cf_lti_probe"
PROBE_PARAM = "cf_probe"
# Login initiations and launches per address: each writes a row (a pending login, or a refusal
# kept for the admin page), and both are anonymous. A classroom behind one NAT launching at
# once stays far below this.
RATE_LTI_IP = "120/60"

# The platform posts these cross-site; the state cookie and the signed id_token prove them.
csrf.exempt_paths.update({"/lti/login", "/lti/launch"})


def _cross_site(request: Request) -> bool:
    return is_https(request) or get_settings().lti_iframe_cookies_over_http


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    cross = _cross_site(request)
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, path="/",
        samesite="none" if cross else "lax", secure=cross or is_https(request),
    )  # fmt: skip


def _limit(request: Request) -> None:
    if get_settings().rate_limits_enabled:
        limiter.hit(f"lti-ip:{client_ip(request)}", RATE_LTI_IP, what="course-platform launches")


def _refused(request: Request, session: Session, exc: LaunchRefused) -> Response:
    launch.record_refusal(session=session, exc=exc, client_ip=client_ip(request))
    return page(  # type: ignore[no-any-return]
        request, "lti/refused.html", status_code=exc.status, message=exc.message, step=exc.step
    )


@router.api_route("/login", methods=["GET", "POST"], dependencies=[Public])
async def login(request: Request, session: SessionDep) -> Response:
    """OIDC third-party initiated login (GET or POST, as the platform prefers)."""
    _limit(request)
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    probed = params.pop(PROBE_PARAM, None) is not None
    if request.headers.get("sec-fetch-dest") == "iframe" and PROBE_COOKIE not in request.cookies:
        # Inside the platform's iframe the state cookie must survive, and browsers that block
        # third-party cookies drop it. Probe once (a cookie and a redirect to ourselves); where
        # it did not stick, start the same login in a new tab, where cookies are first-party.
        again = "/lti/login?" + urlencode(params)
        if probed:
            return page(request, "lti/new_tab.html", handoff_url=again)  # type: ignore[no-any-return]
        response: Response = RedirectResponse(again + f"&{PROBE_PARAM}=1", status_code=303)
        _set_cookie(request, response, PROBE_COOKIE, "1", 86400)
        return response
    try:
        redirect = launch.begin_login(session=session, params=params)
    except LaunchRefused as exc:
        return _refused(request, session, exc)
    response = RedirectResponse(redirect.url, status_code=302)
    if probed:
        # Probing costs a redirect; remembered for a day.
        _set_cookie(request, response, PROBE_COOKIE, "1", 86400)
    _set_cookie(
        request, response, launch.state_cookie(redirect.state), redirect.state,
        launch.STATE_SECONDS,
    )  # fmt: skip
    return response


@router.post("/launch", dependencies=[Public])
def launch_endpoint(
    request: Request,
    session: SessionDep,
    id_token: Annotated[str, Form(max_length=20_000)] = "",
    state: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The platform's auto-submitted form: validate, sign in, land on the mapped page."""
    _limit(request)
    try:
        valid = launch.validate_launch(
            session=session, id_token=id_token, state=state, cookies=request.cookies
        )
        deep = valid.message_type == c.DEEP_LINKING_REQUEST
        if deep:
            deep_linking.require_instructor(valid)
        landing = land(session=session, launch=valid)
        target = landing.url
        if deep:
            ticket = deep_linking.issue_ticket(
                launch=valid, user=landing.user, course=landing.course
            )
            target = "/lti/deep-link?ticket=" + quote(ticket)
    except LaunchRefused as exc:
        return _refused(request, session, exc)
    assert valid.platform.id is not None
    link = handoff.issue(
        session=session, user=landing.user, platform_id=valid.platform.id, url=target
    )
    response = RedirectResponse(
        f"/lti/continue?to={quote(target, safe='')}&handoff={quote(link)}", status_code=303
    )
    auth.start_session(
        session=session, user=landing.user, response=response, secure=is_https(request),
        cross_site=_cross_site(request),
    )  # fmt: skip
    _set_cookie(request, response, LTI_MARKER_COOKIE, "1", auth.SESSION_DAYS * 86400)
    response.delete_cookie(launch.state_cookie(state), path="/")
    return response


def _local(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/continue", dependencies=[Public])
def continue_after_launch(
    request: Request, user: OptionalUser, to: str = "/", handoff: str = ""
) -> Response:
    """Where the launch's session cookie came back, go on; where the browser dropped it
    (third-party cookies blocked in the iframe), offer to continue in a new tab."""
    if user is not None:
        return RedirectResponse(_local(to), status_code=303)
    return page(  # type: ignore[no-any-return]
        request,
        "lti/new_tab.html",
        handoff_url="/lti/resume?handoff=" + quote(handoff),
        one_time=True,
    )


@router.get("/resume", dependencies=[Public])
def resume(request: Request, session: SessionDep, handoff: str = "") -> Response:
    """The new tab of the fallback: a first-party session, then the launch's page."""
    from lti import handoff as handoff_links

    user, url = handoff_links.redeem(session=session, token=handoff)
    response = RedirectResponse(url, status_code=303)
    auth.start_session(session=session, user=user, response=response, secure=is_https(request))
    return response


@router.get("/jwks", dependencies=[Public])
def jwks(session: SessionDep) -> JSONResponse:
    """The tool's public keys (platforms verify deep-linking responses with them)."""
    return JSONResponse(
        keys.public_jwks(session=session), headers={"Cache-Control": "public, max-age=300"}
    )


def _tool_urls() -> dict[str, str]:
    base = get_settings().base_url.rstrip("/")
    return {
        "login": f"{base}/lti/login",
        "launch": f"{base}/lti/launch",
        "redirect": f"{base}/lti/launch",
        "jwks": f"{base}/lti/jwks",
        "deep_link": f"{base}/lti/launch",
        "domain": base.split("://", 1)[-1].split("/", 1)[0],
        "base": base,
    }


@router.get("/config", dependencies=[Public])
def config(request: Request) -> Response:
    """The URLs a platform admin enters when adding Checkfirst (JSON with ?format=json)."""
    urls = _tool_urls()
    if request.query_params.get("format") == "json":
        return JSONResponse(urls)
    return page(request, "lti/config.html", urls=urls)  # type: ignore[no-any-return]


@router.get("/deep-link")
def deep_link_page(request: Request, session: SessionDep, user: CurrentUser, ticket: str) -> Any:
    """The instructor picks what the course platform's new link opens."""
    data = deep_linking.read_ticket(ticket=ticket, user=user)
    course, items = deep_linking.choices(session=session, course_id=int(data["course_id"]))
    return page(request, "lti/deep_link.html", course=course, items=items, ticket=ticket)


@router.post("/deep-link")
def deep_link_submit(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    ticket: Annotated[str, Form(max_length=20_000)],
    item: Annotated[str, Form(max_length=200)],
) -> Any:
    """Sign the choice and post it back to the platform (an auto-submitting form)."""
    data = deep_linking.read_ticket(ticket=ticket, user=user)
    reply = deep_linking.respond(session=session, ticket=data, key=item)
    # This page's form goes to the platform: CSP form-action must name its origin.
    request.state.csp_form_action = [reply.platform_origin]
    return page(request, "lti/deep_link_return.html", reply=reply)


@router.get("/admin")
def admin(request: Request, session: SessionDep, user: AdminUser) -> Any:
    """Registered platforms, their deployments, the tool's URLs and recent refused launches."""
    refusals = session.exec(select(LtiRefusal).order_by(col(LtiRefusal.at).desc()).limit(50)).all()
    return page(
        request, "lti/admin.html", platforms=list_platforms(session=session),
        refusals=refusals, urls=_tool_urls(), jwks=keys.public_jwks(session=session),
    )  # fmt: skip
