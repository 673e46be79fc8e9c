"""The release-matrix user journey for one supertokens-python release, chosen
by SDK_RELEASE (a key of releases.py: 0.24, 0.26, 0.29, 0.30, 0.31) and run in
that release's venv by tests/sdk/matrix.sh.

The SDK talks to gatehouse through a recording proxy (proxy.py), so every step
can assert which core calls it made, and a failing step prints the exchanges it
caused (path, cdi-version, body, gatehouse's answer). The tests are the
journey's steps, run in file order on one SDK init and one event loop; they
share the journey's user, and a step that needs an earlier step's result says
so when that step failed."""

import asyncio
import base64
import json
import os
import secrets
import time
import uuid

import httpx
import pytest

from proxy import RecordingProxy
from releases import load_release


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} must be set (run the matrix through tests/sdk/matrix.sh)")
    return value


GATEHOUSE_URL = _env("GATEHOUSE_URL")
GATEHOUSE_API_KEY = _env("GATEHOUSE_API_KEY")
RELEASE = load_release(_env("SDK_RELEASE"))
API = RELEASE["adapter"]

TAG = secrets.token_hex(6)
EMAIL = f"matrix-py{RELEASE['name'].replace('.', '')}-{TAG}@example.com"
PASSWORD = "Journey-Passw0rd"
# Dashboard users are global and limited to 3 without a licence. The prefix is
# the Node dashboard scenario's, so either one removes what the other left.
DASHBOARD_EMAIL = f"sdk-dash-matrix-py{RELEASE['name'].replace('.', '')}-{TAG}@example.com"
DASHBOARD_PASSWORD = "Dashboard-Passw0rd1"


class Journey:
    """What the steps share: the proxy, the loop, the dashboard app client and
    the values earlier steps produced."""

    def __init__(self):
        self.proxy = RecordingProxy(GATEHOUSE_URL)
        self.loop = asyncio.new_event_loop()
        self.values = {}
        self.app_client = None

    def need(self, key):
        assert key in self.values, f"this step needs {key} from an earlier step, which failed"
        return self.values[key]


def _init_sdk(journey):
    from supertokens_python import InputAppInfo, SupertokensConfig, init
    from supertokens_python.recipe import (
        dashboard,
        emailpassword,
        emailverification,
        session,
        usermetadata,
        userroles,
    )

    init(
        app_info=InputAppInfo(
            app_name="gatehouse-sdk-matrix",
            api_domain="http://localhost:3001",
            website_domain="http://localhost:3000",
            api_base_path="/auth",
            website_base_path="/auth",
        ),
        framework="fastapi",
        mode="asgi",
        supertokens_config=SupertokensConfig(connection_uri=journey.proxy.url, api_key=GATEHOUSE_API_KEY),
        recipe_list=[
            emailpassword.init(),
            emailverification.init(mode="OPTIONAL"),
            usermetadata.init(),
            userroles.init(),
            session.init(),
            dashboard.init(),
        ],
        telemetry=False,
    )


def _dashboard_app():
    """The SDK's fastapi middleware serving /auth/dashboard/api/*, driven in
    process by starlette's TestClient."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from supertokens_python.framework.fastapi import get_middleware

    app = FastAPI()
    app.add_middleware(get_middleware())
    return TestClient(app, base_url="http://localhost:3001", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def journey():
    j = Journey()
    _init_sdk(j)
    j.app_client = _dashboard_app()
    yield j
    # SDK_MATRIX_DUMP=1 prints every core exchange of the journey (pytest -s).
    if os.environ.get("SDK_MATRIX_DUMP") == "1":
        print(f"\ncore exchanges of the journey ({len(j.proxy.exchanges)}):")
        for e in j.proxy.exchanges:
            print("  " + e.describe())
    j.app_client.close()
    j.loop.close()
    j.proxy.close()


class Calls:
    def __init__(self, proxy, start):
        self._proxy = proxy
        self._start = start

    def all(self):
        return self._proxy.exchanges[self._start :]

    def core_paths(self):
        return [f"{e.method} {e.path}" for e in self.all() if not e.is_jwks_fetch]


def step(fn):
    """A journey step: an async (or plain) function of (journey, calls). When
    it fails, the core exchanges it caused are added to the failure."""

    def test(journey):
        start = len(journey.proxy.exchanges)
        calls = Calls(journey.proxy, start)
        try:
            if asyncio.iscoroutinefunction(fn):
                journey.loop.run_until_complete(fn(journey, calls))
            else:
                fn(journey, calls)
        except Exception as err:
            seen = calls.all()
            detail = "\n    ".join(e.describe() for e in seen) if seen else "none"
            raise AssertionError(
                f"{type(err).__name__}: {err}\n  core exchanges during this step ({len(seen)}):\n    {detail}"
            ) from err

    test.__name__ = fn.__name__
    test.__doc__ = fn.__doc__
    return test


def _decode_jwt(token):
    def part(p):
        return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))

    h, p, _ = token.split(".")
    return part(h), part(p)


def _core_dashboard(method, path, body=None):
    """The docs' curl for dashboard credentials: rid dashboard, the api key,
    no cdi-version."""
    return httpx.request(
        method,
        GATEHOUSE_URL + path,
        headers={"rid": "dashboard", "api-key": GATEHOUSE_API_KEY},
        json=body,
        timeout=30,
    )


def _remove_dashboard_users(prefix):
    listed = _core_dashboard("GET", "/recipe/dashboard/users")
    assert listed.status_code == 200, listed.text
    for u in listed.json()["users"]:
        if u["email"].startswith(prefix):
            gone = _core_dashboard("DELETE", f"/recipe/dashboard/user?userId={u['userId']}")
            assert gone.status_code == 200, gone.text


# --- the journey -------------------------------------------------------------


@step
def test_installed_release_is_pinned_and_speaks_its_cdi(journey, calls):
    assert RELEASE["installed_version"] == RELEASE["version"]
    assert RELEASE["cdi_supported"] == [RELEASE["cdi"]]


@step
async def test_sign_up(journey, calls):
    from supertokens_python.querier import Querier
    from supertokens_python.recipe.emailpassword.asyncio import sign_up

    res = await sign_up("public", EMAIL, PASSWORD)
    assert type(res).__name__ == "SignUpOkResult", f"sign_up answered {vars(res)}"
    u = API.auth_result(res)
    assert isinstance(u["id"], str) and u["id"]
    # Later steps only need the id: keep it even if a check below fails.
    journey.values["user_id"] = u["id"]
    assert u["email"] == EMAIL
    assert u["recipe_user_id"] == u["id"]
    negotiation = [e for e in calls.all() if e.path == "/apiversion"]
    assert len(negotiation) == 1, "the first core call negotiates the CDI version"
    assert negotiation[0].cdi_version is None, "GET /apiversion carries no cdi-version"
    assert Querier.api_version == RELEASE["cdi"], "the SDK negotiated its CDI version"
    assert "POST /public/recipe/signup" in calls.core_paths()


@step
async def test_sign_up_again_is_email_already_exists(journey, calls):
    from supertokens_python.recipe.emailpassword.asyncio import sign_up

    journey.need("user_id")
    res = await sign_up("public", EMAIL, PASSWORD)
    assert isinstance(res, API.email_exists_error), vars(res)


@step
async def test_sign_in(journey, calls):
    from supertokens_python.recipe.emailpassword.asyncio import sign_in

    user_id = journey.need("user_id")
    res = await sign_in("public", EMAIL, PASSWORD)
    assert type(res).__name__ == "SignInOkResult", f"sign_in answered {vars(res)}"
    u = API.auth_result(res)
    assert u == {"id": user_id, "email": EMAIL, "recipe_user_id": user_id}
    assert "POST /public/recipe/signin" in calls.core_paths()


@step
async def test_wrong_password_and_unknown_email_are_wrong_credentials(journey, calls):
    from supertokens_python.recipe.emailpassword.asyncio import sign_in

    journey.need("user_id")
    assert isinstance(await sign_in("public", EMAIL, PASSWORD + "-wrong"), API.wrong_credentials_error)
    assert isinstance(await sign_in("public", f"nobody-{TAG}@example.com", PASSWORD), API.wrong_credentials_error)


@step
async def test_get_user(journey, calls):
    user_id = journey.need("user_id")
    u = await API.get_user(user_id)
    assert u is not None, "the signed-up user must be found"
    assert u["id"] == user_id
    assert u["emails"] == [EMAIL]
    assert u["tenant_ids"] == ["public"]
    assert u["recipe_ids"] == ["emailpassword"]
    assert isinstance(u["time_joined"], int) and abs(time.time() * 1000 - u["time_joined"]) < 300_000
    assert await API.get_user(str(uuid.uuid4())) is None


@step
async def test_create_session(journey, calls):
    from supertokens_python.recipe.session.asyncio import create_new_session_without_request_response

    user_id = journey.need("user_id")
    s = await create_new_session_without_request_response(
        "public", API.user_id_arg(user_id), {"journey": TAG}, {"secret": TAG}
    )
    tokens = s.get_all_session_tokens_dangerously()
    # Later steps need the session: keep it even if a check below fails.
    journey.values["handle"] = s.get_handle()
    journey.values["tokens"] = tokens
    assert s.get_user_id() == user_id
    assert s.get_tenant_id() == "public"
    assert isinstance(tokens["accessToken"], str) and isinstance(tokens["refreshToken"], str)
    assert tokens["accessAndFrontTokenUpdated"] is True
    header, claims = _decode_jwt(tokens["accessToken"])
    assert header["version"] == RELEASE["token_version"], f"CDI {RELEASE['cdi']} access tokens are v{RELEASE['token_version']}"
    assert claims["sub"] == user_id
    assert claims["sessionHandle"] == s.get_handle()
    assert claims["tId"] == "public"
    assert claims["journey"] == TAG
    assert "POST /public/recipe/session" in calls.core_paths()


@step
async def test_get_session_locally_without_core_call(journey, calls):
    from supertokens_python.recipe.session.asyncio import (
        get_session_information,
        get_session_without_request_response,
    )

    tokens = journey.need("tokens")
    s = await get_session_without_request_response(tokens["accessToken"])
    assert s is not None
    assert s.get_handle() == journey.values["handle"]
    assert s.get_user_id() == journey.values["user_id"]
    assert s.get_access_token_payload()["journey"] == TAG
    assert calls.core_paths() == [], "a plain get_session of a fresh token must not call the core"
    for e in calls.all():
        assert e.status == 200, e.describe()
    info = await get_session_information(journey.values["handle"])
    assert info is not None
    assert info.user_id == journey.values["user_id"]
    assert info.session_data_in_database == {"secret": TAG}
    assert info.custom_claims_in_access_token_payload["journey"] == TAG
    assert info.tenant_id == "public"


@step
async def test_refresh_twice(journey, calls):
    from supertokens_python.recipe.session.asyncio import refresh_session_without_request_response

    first = journey.need("tokens")
    r1 = await refresh_session_without_request_response(first["refreshToken"])
    assert r1.get_handle() == journey.values["handle"]
    assert r1.get_user_id() == journey.values["user_id"]
    t1 = r1.get_all_session_tokens_dangerously()
    assert t1["refreshToken"] != first["refreshToken"], "refresh must rotate the refresh token"
    assert t1["accessToken"] != first["accessToken"]
    assert _decode_jwt(t1["accessToken"])[1]["journey"] == TAG
    # Refreshing with the new token makes it current; the first token is now
    # older than the current token's parent.
    r2 = await refresh_session_without_request_response(t1["refreshToken"])
    t2 = r2.get_all_session_tokens_dangerously()
    journey.values["latest_tokens"] = t2
    assert r2.get_handle() == journey.values["handle"]
    assert t2["refreshToken"] != t1["refreshToken"]
    assert calls.core_paths() == ["POST /recipe/session/refresh", "POST /recipe/session/refresh"]


@step
async def test_reusing_the_first_refresh_token_is_theft(journey, calls):
    from supertokens_python.recipe.session.asyncio import refresh_session_without_request_response
    from supertokens_python.recipe.session.exceptions import TokenTheftError

    first = journey.need("tokens")
    journey.need("latest_tokens")
    with pytest.raises(TokenTheftError) as caught:
        await refresh_session_without_request_response(first["refreshToken"])
    assert API.theft_payload(caught.value) == API.expected_theft_payload(
        journey.values["user_id"], journey.values["handle"]
    )


@step
async def test_revoke_session(journey, calls):
    from supertokens_python.recipe.session.asyncio import (
        get_session_information,
        get_session_without_request_response,
        refresh_session_without_request_response,
        revoke_session,
    )
    from supertokens_python.recipe.session.exceptions import UnauthorisedError

    handle = journey.need("handle")
    latest = journey.need("latest_tokens")
    assert await revoke_session(handle) is True
    assert await get_session_information(handle) is None
    with pytest.raises(UnauthorisedError):
        await get_session_without_request_response(latest["accessToken"], check_database=True)
    with pytest.raises(UnauthorisedError):
        await refresh_session_without_request_response(latest["refreshToken"])
    assert await revoke_session(handle) is False, "a second revoke finds nothing"


@step
async def test_user_metadata(journey, calls):
    from supertokens_python.recipe.usermetadata.asyncio import get_user_metadata, update_user_metadata

    user_id = journey.need("user_id")
    first = await update_user_metadata(user_id, {"first_name": "Journey", "journey": {"tag": TAG, "n": 1}, "drop": True})
    assert first.metadata == {"first_name": "Journey", "journey": {"tag": TAG, "n": 1}, "drop": True}
    second = await update_user_metadata(user_id, {"drop": None, "journey": {"n": 2}})
    assert second.metadata == {"first_name": "Journey", "journey": {"n": 2}}, "a top-level update replaces, None removes"
    assert (await get_user_metadata(user_id)).metadata == {"first_name": "Journey", "journey": {"n": 2}}


@step
async def test_roles_and_permissions(journey, calls):
    from supertokens_python.recipe.userroles.asyncio import (
        add_role_to_user,
        create_new_role_or_add_permissions,
        get_permissions_for_role,
        get_roles_for_user,
        get_roles_that_have_permission,
    )
    from supertokens_python.recipe.userroles.interfaces import UnknownRoleError

    user_id = journey.need("user_id")
    role = f"matrix-role-{TAG}"
    p1, p2 = f"read-{TAG}", f"write-{TAG}"
    assert (await create_new_role_or_add_permissions(role, [p1, p2])).created_new_role is True
    assert (await create_new_role_or_add_permissions(role, [p1])).created_new_role is False
    assert (await add_role_to_user("public", user_id, role)).did_user_already_have_role is False
    assert (await add_role_to_user("public", user_id, role)).did_user_already_have_role is True
    assert (await get_roles_for_user("public", user_id)).roles == [role]
    assert sorted((await get_permissions_for_role(role)).permissions) == [p1, p2]
    assert (await get_roles_that_have_permission(p2)).roles == [role]
    assert isinstance(await add_role_to_user("public", user_id, f"no-such-role-{TAG}"), UnknownRoleError)


@step
async def test_email_verification(journey, calls):
    from supertokens_python.recipe.emailverification.asyncio import (
        create_email_verification_token,
        is_email_verified,
    )
    from supertokens_python.recipe.emailverification.interfaces import (
        CreateEmailVerificationTokenEmailAlreadyVerifiedError,
        CreateEmailVerificationTokenOkResult,
        VerifyEmailUsingTokenInvalidTokenError,
        VerifyEmailUsingTokenOkResult,
    )

    user_id = journey.need("user_id")
    uid = API.user_id_arg(user_id)
    assert await is_email_verified(uid, EMAIL) is False
    created = await create_email_verification_token("public", uid, EMAIL)
    assert isinstance(created, CreateEmailVerificationTokenOkResult), vars(created)
    assert isinstance(created.token, str) and created.token
    verified = await API.verify_email_using_token(created.token)
    assert isinstance(verified, VerifyEmailUsingTokenOkResult), vars(verified)
    assert API.verified_user(verified.user) == {"id": user_id, "email": EMAIL}
    assert await is_email_verified(uid, EMAIL) is True
    again = await create_email_verification_token("public", uid, EMAIL)
    assert isinstance(again, CreateEmailVerificationTokenEmailAlreadyVerifiedError)
    reused = await API.verify_email_using_token(created.token)
    assert isinstance(reused, VerifyEmailUsingTokenInvalidTokenError)


@step
def test_dashboard_sign_in_and_users_list(journey, calls):
    user_id = journey.need("user_id")
    client = journey.app_client
    _remove_dashboard_users("sdk-dash-")
    created = _core_dashboard("POST", "/recipe/dashboard/user", {"email": DASHBOARD_EMAIL, "password": DASHBOARD_PASSWORD})
    assert created.status_code == 200, f"POST /recipe/dashboard/user answered {created.status_code}: {created.text}"
    assert created.json()["status"] == "OK", created.text
    try:
        refused = client.get("/auth/dashboard/api/users?limit=10", headers={"authorization": "Bearer not-a-session"})
        assert refused.status_code == 401, f"an unknown dashboard session must be refused: {refused.status_code} {refused.text}"
        assert refused.json() == {"message": "Unauthorised access"}

        wrong = client.post("/auth/dashboard/api/signin", json={"email": DASHBOARD_EMAIL, "password": "Wrong-Passw0rd1"})
        assert wrong.status_code == 200, wrong.text
        assert wrong.json() == {"status": "INVALID_CREDENTIALS_ERROR"}

        signin = client.post("/auth/dashboard/api/signin", json={"email": DASHBOARD_EMAIL, "password": DASHBOARD_PASSWORD})
        assert signin.status_code == 200, f"signin answered {signin.status_code}: {signin.text}"
        assert signin.json()["status"] == "OK", signin.text
        session_id = signin.json()["sessionId"]
        assert isinstance(session_id, str) and session_id
        assert "POST /recipe/dashboard/signin" in calls.core_paths()

        listed = client.get("/auth/dashboard/api/users?limit=10", headers={"authorization": f"Bearer {session_id}"})
        assert listed.status_code == 200, f"users list answered {listed.status_code}: {listed.text}"
        body = listed.json()
        assert body["status"] == "OK", listed.text
        assert isinstance(body["users"], list) and len(body["users"]) <= 10
        mine = [u for u in map(API.dashboard_user, body["users"]) if u["id"] == user_id]
        assert mine, f"the journey's user {user_id} must be in the dashboard's newest-first list: {listed.text}"
        assert mine[0]["emails"] == [EMAIL]
        assert mine[0]["recipe_id"] == "emailpassword"
        assert mine[0]["first_name"] == "Journey", "the dashboard shows first_name from the user's metadata"
        assert "POST /recipe/dashboard/session/verify" in calls.core_paths()
    finally:
        _remove_dashboard_users(DASHBOARD_EMAIL)


@step
def test_every_core_call_carried_the_negotiated_cdi_version(journey, calls):
    sdk_calls = [e for e in journey.proxy.exchanges if e.path != "/apiversion" and not e.is_jwks_fetch]
    assert len(sdk_calls) > 20, f"the journey made {len(sdk_calls)} core calls"
    wrong = [e.describe() for e in sdk_calls if e.cdi_version != RELEASE["cdi"]]
    assert wrong == [], f"calls without cdi-version {RELEASE['cdi']}"
