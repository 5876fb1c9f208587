"""A real LTI 1.3 platform for the tests: the ``lti1p3platform`` package (written by others)
does the platform's side (OIDC login initiation, the signed launch message and its
auto-submitting form, deep linking and checking the tool's response), served over real HTTP on
loopback by uvicorn in a thread. Tests describe a launch as a scenario and open its start URL.
"""

from __future__ import annotations

import secrets
import threading
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import lti1p3platform
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jinja2 import Template
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import free_port

# The package's own auto-submitting launch form (its framework module needs pkg_resources,
# gone from recent setuptools, so the template is loaded from its file).
LAUNCH_FORM = Template(
    (Path(lti1p3platform.__file__).parent / "framework/templates/launch.html").read_text()
)

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


def new_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Scenario:
    """One launch: who, in which course, which link, and optional tampering for bad input."""

    user_id: str
    roles: list[str]
    context_id: str = "course-42"
    context_title: str = "Sequence Models"
    context_label: str = "SEQ"
    resource_link_id: str = "link-1"
    resource_link_title: str = "Building an RNN"
    custom: dict[str, str] = field(default_factory=dict)
    name: str = ""
    email: str = ""
    deep_link: bool = False
    # Claims set (value) or removed (None) after the library built the message.
    patch: dict[str, t.Any] = field(default_factory=dict)
    expires_in: int = 300
    # Sign with a key the platform never published, under the platform's own kid.
    forge: bool = False


class _Registration(Registration):
    forger_key: str | None = None

    def platform_encode_and_sign(
        self, payload: dict[str, t.Any], expiration: int | None = None
    ) -> str:
        if self.forger_key is None:
            return super().platform_encode_and_sign(payload, expiration=expiration)
        return Registration.encode_and_sign(
            payload, self.forger_key, {"kid": self.get_kid()}, expiration=expiration
        )


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        return self._registration  # type: ignore[return-value]


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Response:
        return RedirectResponse(url, status_code=302)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    scenario: Scenario

    def get_preflight_response(self) -> dict[str, t.Any]:
        return dict(self._request.query_params)  # type: ignore[union-attr]

    def get_launch_data(self) -> tuple[dict[str, t.Any], str]:
        # After the library has added the nonce, so that the nonce too can be tampered with.
        message, state = super().get_launch_data()
        for claim, value in self.scenario.patch.items():
            if value is None:
                message.pop(claim, None)
            else:
                message[claim] = value
        return message, state

    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> Response:
        return HTMLResponse(LAUNCH_FORM.render(launch_data))


class Platform:
    """The LMS: ``start_url(scenario)`` is the link a learner clicks in the course."""

    def __init__(self, tool_url: str, *, host: str = "127.0.0.1", deployment_id: str = "dep-1",
                 client_id: str = "checkfirst-client") -> None:  # fmt: skip
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.issuer = self.url
        self.tool_url = tool_url
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_key = new_private_key()
        self.scenarios: dict[str, Scenario] = {}
        self.returned: list[dict[str, t.Any]] = []
        self.returned_jwts: list[str] = []
        self.jwks_requests = 0
        # The key set's path is this platform's own: a later test's platform can be given the same
        # port, and the tool caches key sets per URL (refetching on an unknown kid at most every
        # few seconds), so a shared "/jwks" made it check a new platform's token with the old
        # platform's keys ("the platform's key set has no key ...").
        self.jwks_path = f"/jwks-{secrets.token_hex(8)}"
        self._server: uvicorn.Server | None = None

    # Registration as the platform admin would enter it for the tool.
    def registration(self, scenario: Scenario | None = None) -> _Registration:
        reg = _Registration()
        reg.set_iss(self.issuer).set_client_id(self.client_id)
        reg.set_deployment_id(self.deployment_id)
        reg.set_oidc_login_url(self.tool_url + "/lti/login")
        reg.set_launch_url(self.tool_url + "/lti/launch")
        reg.set_deeplink_launch_url(self.tool_url + "/lti/launch")
        reg.set_tool_key_set_url(self.tool_url + "/lti/jwks")
        reg.set_platform_private_key(self.private_key)
        reg.set_platform_public_key(public_pem(self.private_key))
        if scenario is not None and scenario.forge:
            reg.forger_key = new_private_key()
        return reg

    def start_url(self, scenario: Scenario) -> str:
        hint = secrets.token_urlsafe(8)
        self.scenarios[hint] = scenario
        return f"{self.url}/start?hint={hint}"

    def rotate_key(self) -> None:
        self.private_key = new_private_key()

    # Endpoints

    async def _start(self, request: Request) -> Response:
        hint = request.query_params["hint"]
        scenario = self.scenarios[hint]
        conf = _Conf(registration=self.registration())
        login = _Login(request, conf)
        login.set_lti_message_hint(hint=hint)
        return login.initiate_login(scenario.user_id)  # type: ignore[no-any-return]

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        scenario = self.scenarios[params["lti_message_hint"]]
        assert params["login_hint"] == scenario.user_id
        assert params["response_type"] == "id_token" and params["response_mode"] == "form_post"
        assert params["prompt"] == "none" and params["scope"] == "openid"
        conf = _Conf(registration=self.registration(scenario))
        launch = _Launch(request, conf)  # type: ignore[arg-type]
        launch.scenario = scenario
        launch.set_user_data(
            scenario.user_id, scenario.roles, full_name=scenario.name or None,
            email_address=scenario.email or None,
        )  # fmt: skip
        launch.set_launch_context_claim(
            scenario.context_id,
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=scenario.context_title,
            context_label=scenario.context_label,
        )
        launch.set_resource_link_claim(
            scenario.resource_link_id, title=scenario.resource_link_title
        )
        if scenario.custom:
            launch.set_custom_parameters_claim(scenario.custom)
        if scenario.deep_link:
            launch.set_dl(
                self.url + "/deep-link-return", title="Add a tool",
                accept_types={"ltiResourceLink"}, extra_data={"opaque": "platform-data-7"},
            )  # fmt: skip
        launch.set_id_token_expiration(scenario.expires_in)
        return launch.lti_launch()  # type: ignore[no-any-return]

    async def _jwks(self, request: Request) -> Response:
        self.jwks_requests += 1
        conf = _Conf(registration=self.registration())
        return JSONResponse(conf.get_jwks())

    async def _deep_link_return(self, request: Request) -> Response:
        form = await request.form()
        token = str(form["JWT"])
        conf = _Conf(registration=self.registration())
        # The package checks the tool's signature against the tool's JWKS (fetched over HTTP)
        # and that the message is an LtiDeepLinkingResponse with accepted item types.
        items = conf.validate_deeplinking_resp({"JWT": token})
        self.returned.extend(items)
        self.returned_jwts.append(token)
        return HTMLResponse(f"<h1>Added {len(items)} item(s)</h1>")

    async def _course(self, request: Request) -> Response:
        # The course page with the tool in an iframe, as Canvas and Moodle embed it.
        src = request.query_params["src"]
        return HTMLResponse(
            f'<h1>LMS course</h1><iframe id="tool" src="{src}" width="1000" height="700"></iframe>'
        )

    # Serving

    def start(self) -> Platform:
        app = Starlette(routes=[
            Route("/start", self._start),
            Route("/authorize", self._authorize),
            Route(self.jwks_path, self._jwks),
            Route("/deep-link-return", self._deep_link_return, methods=["POST"]),
            Route("/course", self._course),
        ])  # fmt: skip
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test platform did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    @property
    def auth_url(self) -> str:
        return self.url + "/authorize"

    @property
    def jwks_url(self) -> str:
        return self.url + self.jwks_path
