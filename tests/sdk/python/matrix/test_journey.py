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
# The multitenancy / third-party / user id mapping leg: a tenant of the
# journey's app (the default one), an email-password user in it, and a
# third-party user in it that first signs in with TP_FIRST_EMAIL and then with
# TENANT_EMAIL (the email-password user's email).
_SHORT = RELEASE["name"].replace(".", "")
TENANT = f"matrix-py{_SHORT}-{TAG}"
TENANT_EMAIL = f"matrix-py{_SHORT}-mt-{TAG}@example.com"
TP_FIRST_EMAIL = f"matrix-py{_SHORT}-tp-{TAG}@example.com"
PROVIDER = "google"
TP_USER_ID = f"matrix-google-{TAG}"
EXTERNAL_USER_ID = f"matrix-ext-py{_SHORT}-{TAG}"
# The passwordless leg: a user signs up with a code sent to PL_EMAIL, another
# with a link sent to PL_PHONE (given as PL_PHONE_INPUT, which the core
# normalises to E.164); the first one's email then changes to PL_EMAIL_NEW.
PL_EMAIL = f"matrix-py{_SHORT}-pl-{TAG}@example.com"
PL_EMAIL_NEW = f"matrix-py{_SHORT}-pl-new-{TAG}@example.com"
_PL_DIGITS = f"{secrets.randbelow(10**6):06d}"
PL_PHONE_INPUT = f"+1 650 5{_PL_DIGITS[:2]} {_PL_DIGITS[2:]}"
PL_PHONE = f"+16505{_PL_DIGITS}"
# The account-linking leg: an email-password user with AL_EMAIL becomes
# primary and a third-party user (AL_TP_USER_ID) with the same email is linked
# to it; another email-password user (AL_OTHER_EMAIL) is the other target.
AL_EMAIL = f"matrix-py{_SHORT}-al-{TAG}@example.com"
AL_OTHER_EMAIL = f"matrix-py{_SHORT}-al-other-{TAG}@example.com"
AL_TP_USER_ID = f"matrix-al-google-{TAG}"
# The core's defaults (gatehouse runs with them in the matrix).
PL_MAX_ATTEMPTS = 5
PL_CODE_LIFETIME = 15 * 60 * 1000


def cdi_at_least(version):
    """Whether the release's CDI version is `version` or later."""
    return tuple(map(int, RELEASE["cdi"].split("."))) >= tuple(map(int, version.split(".")))


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
        passwordless,
        session,
        thirdparty,
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
            thirdparty.init(),
            passwordless.init(
                contact_config=passwordless.ContactEmailOrPhoneConfig(),
                flow_type="USER_INPUT_CODE_AND_MAGIC_LINK",
            ),
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


# --- multitenancy + third party + user id mapping, through the release's own
# functions, so the (often deprecated) endpoints the release calls are the ones
# exercised. The exact paths are asserted (the adapter's tenant_paths and
# tp_paths in releases.py).


def _tenant_path(name, tenant=TENANT):
    return API.tenant_paths[name].format(tenant=tenant)


@step
async def test_multitenancy_create_tenant_and_read_it_back(journey, calls):
    from supertokens_python.recipe.multitenancy.asyncio import (
        create_or_update_tenant,
        get_tenant,
        list_all_tenants,
    )

    created = await create_or_update_tenant(TENANT, API.tenant_create_config())
    assert (created.status, created.created_new) == ("OK", True)
    journey.values["tenant"] = TENANT
    assert json.loads(calls.all()[0].request_body) == API.tenant_create_body(TENANT)
    again = await create_or_update_tenant(TENANT, API.tenant_create_config())
    assert (again.status, again.created_new) == ("OK", False)
    tenant = await get_tenant(TENANT)
    assert tenant is not None
    assert API.tenant_view(tenant) == API.expected_tenant([])
    listed = await list_all_tenants()
    assert listed.status == "OK"
    mine = [t for t in listed.tenants if t.tenant_id == TENANT]
    assert [API.tenant_view(t) for t in mine] == [API.expected_tenant([])]
    assert any(t.tenant_id == "public" for t in listed.tenants)
    assert calls.core_paths() == [
        _tenant_path("create"),
        _tenant_path("create"),
        _tenant_path("get"),
        _tenant_path("list"),
    ], f"the {API.tenant_api} multitenancy API"


@step
async def test_email_password_user_in_the_tenant(journey, calls):
    from supertokens_python.recipe.emailpassword.asyncio import sign_in, sign_up

    journey.need("tenant")
    res = await sign_up(TENANT, TENANT_EMAIL, PASSWORD)
    assert type(res).__name__ == "SignUpOkResult", f"sign_up answered {vars(res)}"
    u = API.auth_result(res)
    journey.values["tenant_user_id"] = u["id"]
    assert u["email"] == TENANT_EMAIL and u["recipe_user_id"] == u["id"]
    read = await API.get_user(u["id"])
    assert read is not None
    assert (read["emails"], read["tenant_ids"], read["recipe_ids"]) == ([TENANT_EMAIL], [TENANT], ["emailpassword"])
    assert isinstance(await sign_in("public", TENANT_EMAIL, PASSWORD), API.wrong_credentials_error)
    for path in (f"POST /{TENANT}/recipe/signup", "POST /public/recipe/signin"):
        assert path in calls.core_paths(), calls.core_paths()


@step
async def test_third_party_user_created_then_signed_in_with_a_changed_email(journey, calls):
    journey.need("tenant")
    first = await API.manually_create_or_update_user(TENANT, PROVIDER, TP_USER_ID, TP_FIRST_EMAIL)
    assert first["result"] == "ManuallyCreateOrUpdateUserOkResult", first
    user = API.third_party_user(first["user"])
    journey.values["tp_user_id"] = user["id"]
    assert first["created_new"] is True
    assert first["recipe_user_id"] == user["id"]
    assert user == {
        "id": user["id"],
        "emails": [TP_FIRST_EMAIL],
        "third_party": [(PROVIDER, TP_USER_ID)],
        "tenant_ids": [TENANT],
        "recipe_ids": ["thirdparty"],
    }
    again = await API.manually_create_or_update_user(TENANT, PROVIDER, TP_USER_ID, TENANT_EMAIL)
    assert again["result"] == "ManuallyCreateOrUpdateUserOkResult", again
    assert again["created_new"] is False
    assert API.third_party_user(again["user"]) == dict(user, emails=[TENANT_EMAIL])
    assert calls.core_paths().count(f"POST /{TENANT}/recipe/signinup") == 2, calls.core_paths()


@step
async def test_third_party_user_found_by_id_provider_and_email(journey, calls):
    tp_user_id = journey.need("tp_user_id")
    tenant_user_id = journey.need("tenant_user_id")
    expected = {
        "id": tp_user_id,
        "emails": [TENANT_EMAIL],
        "third_party": [(PROVIDER, TP_USER_ID)],
        "tenant_ids": [TENANT],
        "recipe_ids": ["thirdparty"],
    }
    assert API.third_party_user(await API.tp_user_by_id(tp_user_id)) == expected
    assert [API.third_party_user(u) for u in await API.tp_users_by_provider(TENANT, PROVIDER, TP_USER_ID)] == [expected]
    assert await API.tp_users_by_provider("public", PROVIDER, TP_USER_ID) == [], "the provider account is the tenant's only"
    # The tenant's email-password user has the same email: the thirdparty
    # recipe's by-email lookup (rid thirdparty) finds third-party users only,
    # the account-info lookup finds both.
    by_email = sorted(API.third_party_user(u)["id"] for u in await API.users_by_email(TENANT, TENANT_EMAIL))
    assert by_email == (sorted([tp_user_id, tenant_user_id]) if API.by_email_finds_other_recipes else [tp_user_id])
    assert await API.users_by_email(TENANT, TP_FIRST_EMAIL) == [], "the old email is gone"
    for name, tenant in (("by_id", TENANT), ("by_provider", TENANT), ("by_provider", "public"), ("by_email", TENANT)):
        path = API.tp_paths[name].format(tenant=tenant)
        assert path in calls.core_paths(), f"{path} not in {calls.core_paths()}"
    # The deprecated recipe paths are told apart by rid.
    for e in calls.all():
        if "/recipe/" in e.path:
            assert e.rid == "thirdparty", e.describe()


@step
async def test_multitenancy_third_party_provider_config(journey, calls):
    from supertokens_python.recipe.multitenancy.asyncio import (
        create_or_update_third_party_config,
        delete_third_party_config,
        get_tenant,
    )
    from supertokens_python.recipe.thirdparty.provider import ProviderClientConfig, ProviderConfig

    journey.need("tenant")
    client = (f"matrix-client-{TAG}", f"matrix-secret-{TAG}")
    config = ProviderConfig(third_party_id=PROVIDER, clients=[ProviderClientConfig(client_id=client[0], client_secret=client[1])])
    created = await create_or_update_third_party_config(TENANT, config)
    assert (created.status, created.created_new) == ("OK", True)
    tenant = await get_tenant(TENANT)
    assert tenant is not None
    # The provider is there, and everything else about the tenant is unchanged.
    assert API.tenant_view(tenant) == API.expected_tenant([(PROVIDER, [client])])
    removed = await delete_third_party_config(TENANT, PROVIDER)
    assert (removed.status, removed.did_config_exist) == ("OK", True)
    assert API.tenant_view(await get_tenant(TENANT)) == API.expected_tenant([])
    assert calls.core_paths() == [
        f"PUT /{TENANT}/recipe/multitenancy/config/thirdparty",
        _tenant_path("get"),
        f"POST /{TENANT}/recipe/multitenancy/config/thirdparty/remove",
        _tenant_path("get"),
    ]


@step
async def test_user_id_mapping_on_the_third_party_user(journey, calls):
    from supertokens_python.asyncio import (
        create_user_id_mapping,
        delete_user_id_mapping,
        get_user_id_mapping,
    )
    from supertokens_python.interfaces import (
        CreateUserIdMappingOkResult,
        GetUserIdMappingOkResult,
        UnknownMappingError,
    )

    tp_user_id = journey.need("tp_user_id")
    created = await create_user_id_mapping(tp_user_id, EXTERNAL_USER_ID, "matrix")
    assert isinstance(created, CreateUserIdMappingOkResult), vars(created)
    try:
        got = await get_user_id_mapping(EXTERNAL_USER_ID, "EXTERNAL")
        assert isinstance(got, GetUserIdMappingOkResult), vars(got)
        assert (got.supertokens_user_id, got.external_user_id, got.external_user_info) == (tp_user_id, EXTERNAL_USER_ID, "matrix")
        # The core answers the mapped user under its external id.
        by_id = API.third_party_user(await API.tp_user_by_id(EXTERNAL_USER_ID))
        assert by_id is not None and by_id["id"] == EXTERNAL_USER_ID, by_id
        by_provider = await API.tp_users_by_provider(TENANT, PROVIDER, TP_USER_ID)
        assert [API.third_party_user(u)["id"] for u in by_provider] == [EXTERNAL_USER_ID]
    finally:
        deleted = await delete_user_id_mapping(EXTERNAL_USER_ID, "EXTERNAL")
        assert deleted.did_mapping_exist is True
    assert isinstance(await get_user_id_mapping(EXTERNAL_USER_ID, "EXTERNAL"), UnknownMappingError)
    for path in ("POST /recipe/userid/map", "GET /recipe/userid/map", "POST /recipe/userid/map/remove"):
        assert path in calls.core_paths(), calls.core_paths()


@step
async def test_multitenancy_associate_and_disassociate_the_journey_user(journey, calls):
    from supertokens_python.recipe.emailpassword.asyncio import sign_in

    user_id = journey.need("user_id")
    journey.need("tenant")
    first = await API.associate_user_to_tenant(TENANT, user_id)
    assert (type(first).__name__, first.was_already_associated) == ("AssociateUserToTenantOkResult", False)
    sent = [e for e in calls.all() if e.path == f"/{TENANT}/recipe/multitenancy/tenant/user"]
    assert sent and json.loads(sent[0].request_body) == {API.associate_body_key: user_id}
    again = await API.associate_user_to_tenant(TENANT, user_id)
    assert (type(again).__name__, again.was_already_associated) == ("AssociateUserToTenantOkResult", True)
    assert sorted((await API.get_user(user_id))["tenant_ids"]) == sorted(["public", TENANT])
    signed_in = await sign_in(TENANT, EMAIL, PASSWORD)
    assert type(signed_in).__name__ == "SignInOkResult", vars(signed_in)
    assert API.auth_result(signed_in)["id"] == user_id
    assert (await API.disassociate_user_from_tenant(TENANT, user_id)).was_associated is True
    assert (await API.get_user(user_id))["tenant_ids"] == ["public"]
    assert isinstance(await sign_in(TENANT, EMAIL, PASSWORD), API.wrong_credentials_error)
    assert f"POST /{TENANT}/recipe/multitenancy/tenant/user/remove" in calls.core_paths()


@step
async def test_multitenancy_delete_the_tenant_and_its_users(journey, calls):
    from supertokens_python.asyncio import delete_user
    from supertokens_python.recipe.multitenancy.asyncio import delete_tenant, get_tenant, list_all_tenants

    journey.need("tenant")
    for key in ("tp_user_id", "tenant_user_id"):
        if key in journey.values:
            await delete_user(journey.values[key])
    deleted = await delete_tenant(TENANT)
    assert (deleted.status, deleted.did_exist) == ("OK", True)
    assert await get_tenant(TENANT) is None
    assert [t for t in (await list_all_tenants()).tenants if t.tenant_id == TENANT] == []
    assert (await delete_tenant(TENANT)).did_exist is False
    assert calls.core_paths()[-4:] == [
        "POST /recipe/multitenancy/tenant/remove",
        _tenant_path("get"),
        _tenant_path("list"),
        "POST /recipe/multitenancy/tenant/remove",
    ]


# --- passwordless, through the release's own passwordless functions. What the
# core answers depends on the CDI version the release speaks: before 4.0 the
# user is a recipe user {id, email?, phoneNumber?, timeJoined, tenantIds}, from
# 4.0 it is the account-linking user plus recipeUserId (and a consumed email is
# verified), from 5.0 consume also answers consumedDevice and there is
# check_code. (revoke_code takes a code id only in every Python release.)


def _assert_created_code(code):
    assert type(code).__name__ in ("CreateCodeOkResult", "CreateNewCodeForDeviceOkResult"), vars(code)
    for key in ("pre_auth_session_id", "code_id", "device_id", "user_input_code", "link_code"):
        assert isinstance(getattr(code, key), str), f"{key} in {vars(code)}"
    assert len(code.user_input_code) == 6 and code.user_input_code.isalnum(), "the core makes six-character codes"
    assert code.code_life_time == PL_CODE_LIFETIME
    assert abs(time.time() * 1000 - code.time_created) < 300_000, code.time_created


def _device_view(d):
    """A listed device as the release hands it back. No Python release fills
    `codes` (they look for a "code" key, the core sends "codes"), so the code
    ids are read from the core's answer (_listed_code_ids)."""
    if d is None:
        return None
    return {
        "pre_auth_session_id": d.pre_auth_session_id,
        "failed_code_input_attempt_count": d.failed_code_input_attempt_count,
        "email": d.email,
        "phone_number": d.phone_number,
        "codes": d.codes,
    }


def _last_exchange(calls, method_path):
    found = [e for e in calls.all() if f"{e.method} {e.path}" == method_path]
    assert found, f"no {method_path} in {calls.core_paths()}"
    return found[-1]


def _listed_code_ids(calls):
    """The code ids of each device of the last GET /public/recipe/signinup/codes answer."""
    answer = json.loads(_last_exchange(calls, "GET /public/recipe/signinup/codes").response_body)
    return [sorted(c["codeId"] for c in d["codes"]) for d in answer["devices"]]


# The top-level fields of the core's consume answer at the release's CDI.
CONSUME_ANSWER_KEYS = sorted(
    ["createdNewUser", "status", "user"]
    + (["recipeUserId"] if cdi_at_least("4.0") else [])
    + (["consumedDevice"] if cdi_at_least("5.0") else [])
)


def _device(pre_auth_session_id, failed=0, email=None, phone_number=None):
    return {
        "pre_auth_session_id": pre_auth_session_id,
        "failed_code_input_attempt_count": failed,
        "email": email,
        "phone_number": phone_number,
        "codes": [],
    }


def _consumed_device(pre_auth_session_id, failed=0, email=None, phone_number=None):
    if not cdi_at_least("5.0"):
        return None
    return {
        "pre_auth_session_id": pre_auth_session_id,
        "failed_code_input_attempt_count": failed,
        "email": email,
        "phone_number": phone_number,
    }


@step
async def test_passwordless_code_by_email_resent_wrong_then_consumed(journey, calls):
    from supertokens_python.recipe.emailverification.asyncio import is_email_verified
    from supertokens_python.recipe.passwordless import asyncio as pl

    created = await pl.create_code("public", email=PL_EMAIL)
    _assert_created_code(created)
    assert json.loads(calls.all()[-1].request_body) == {"email": PL_EMAIL}
    resent = await pl.create_new_code_for_device("public", created.device_id)
    _assert_created_code(resent)
    assert (resent.device_id, resent.pre_auth_session_id) == (created.device_id, created.pre_auth_session_id)
    assert resent.code_id != created.code_id
    again = await pl.create_new_code_for_device("public", created.device_id, resent.user_input_code)
    assert type(again).__name__ == "CreateNewCodeForDeviceUserInputCodeAlreadyUsedError", vars(again)

    device = _device(created.pre_auth_session_id, email=PL_EMAIL)
    both_codes = [sorted([created.code_id, resent.code_id])]
    assert [_device_view(d) for d in await pl.list_codes_by_email("public", PL_EMAIL)] == [device]
    assert _listed_code_ids(calls) == both_codes
    assert _device_view(await pl.list_codes_by_device_id("public", created.device_id)) == device
    assert _listed_code_ids(calls) == both_codes
    assert _device_view(await pl.list_codes_by_pre_auth_session_id("public", created.pre_auth_session_id)) == device

    # A wrong code counts as a failed attempt; from 5.0 check_code says so
    # without consuming, and a right code checks OK and is still there.
    typed = {"pre_auth_session_id": created.pre_auth_session_id, "device_id": created.device_id}
    failed = 0
    if cdi_at_least("5.0"):
        failed += 1
        wrong = await pl.check_code("public", user_input_code=f"wrong-{TAG}", **typed)
        assert type(wrong).__name__ == "CheckCodeIncorrectUserInputCodeError", vars(wrong)
        assert (wrong.failed_code_input_attempt_count, wrong.maximum_code_input_attempts) == (failed, PL_MAX_ATTEMPTS)
        right = await pl.check_code("public", user_input_code=created.user_input_code, **typed)
        assert type(right).__name__ == "CheckCodeOkResult", vars(right)
        d = right.consumed_device
        assert (d.pre_auth_session_id, d.failed_code_input_attempt_count, d.email, d.phone_number) == (
            created.pre_auth_session_id,
            failed,
            PL_EMAIL,
            None,
        )
    failed += 1
    wrong = await pl.consume_code("public", user_input_code=f"wrong-{TAG}", **typed)
    assert type(wrong).__name__ == "ConsumeCodeIncorrectUserInputCodeError", vars(wrong)
    assert (wrong.failed_code_input_attempt_count, wrong.maximum_code_input_attempts) == (failed, PL_MAX_ATTEMPTS)
    assert _device_view(await pl.list_codes_by_device_id("public", created.device_id)) == dict(
        device, failed_code_input_attempt_count=failed
    )

    consumed = API.pl_consumed(await pl.consume_code("public", user_input_code=created.user_input_code, **typed))
    assert consumed["result"] == "ConsumeCodeOkResult", consumed
    user = consumed["user"]
    journey.values["pl_email_user_id"] = user["id"]
    assert consumed["created_new"] is True
    assert consumed["recipe_user_id"] == user["id"]
    assert user == {
        "id": user["id"],
        "emails": [PL_EMAIL],
        "phone_numbers": [],
        "tenant_ids": ["public"],
        "time_joined": user["time_joined"],
        "recipe_ids": ["passwordless"],
    }
    assert abs(time.time() * 1000 - user["time_joined"]) < 300_000, user["time_joined"]
    assert consumed["consumed_device"] == _consumed_device(created.pre_auth_session_id, failed, email=PL_EMAIL)
    answer = json.loads(_last_exchange(calls, "POST /public/recipe/signinup/code/consume").response_body)
    assert sorted(answer) == CONSUME_ANSWER_KEYS, f"CDI {RELEASE['cdi']} consume answer"
    if not cdi_at_least("4.0"):
        assert sorted(answer["user"]) == ["email", "id", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user"
    # Consuming removed the device; its other code is gone with it.
    assert await pl.list_codes_by_email("public", PL_EMAIL) == []
    gone = await pl.consume_code("public", user_input_code=resent.user_input_code, **typed)
    assert type(gone).__name__ == "ConsumeCodeRestartFlowError", vars(gone)
    # From CDI 4.0 the core marks a consumed email as verified.
    assert await is_email_verified(API.user_id_arg(user["id"]), PL_EMAIL) is cdi_at_least("4.0")
    for path in ("POST /public/recipe/signinup/code", "GET /public/recipe/signinup/codes"):
        assert path in calls.core_paths(), calls.core_paths()


@step
async def test_passwordless_code_by_phone_number_consumed_with_the_link_code(journey, calls):
    from supertokens_python.recipe.passwordless import asyncio as pl

    created = await pl.create_code("public", phone_number=PL_PHONE_INPUT)
    _assert_created_code(created)
    listed = await pl.list_codes_by_phone_number("public", PL_PHONE)
    assert [_device_view(d) for d in listed] == [_device(created.pre_auth_session_id, phone_number=PL_PHONE)]
    assert _listed_code_ids(calls) == [[created.code_id]]
    res = await pl.consume_code("public", created.pre_auth_session_id, link_code=created.link_code)
    consumed = API.pl_consumed(res)
    assert consumed["result"] == "ConsumeCodeOkResult", consumed
    user = consumed["user"]
    journey.values["pl_phone_user_id"] = user["id"]
    assert consumed["created_new"] is True
    assert consumed["recipe_user_id"] == user["id"]
    assert user == {
        "id": user["id"],
        "emails": [],
        "phone_numbers": [PL_PHONE],
        "tenant_ids": ["public"],
        "time_joined": user["time_joined"],
        "recipe_ids": ["passwordless"],
    }
    assert consumed["consumed_device"] == _consumed_device(created.pre_auth_session_id, phone_number=PL_PHONE)
    answer = json.loads(_last_exchange(calls, "POST /public/recipe/signinup/code/consume").response_body)
    assert sorted(answer) == CONSUME_ANSWER_KEYS, f"CDI {RELEASE['cdi']} consume answer"
    if not cdi_at_least("4.0"):
        assert sorted(answer["user"]) == ["id", "phoneNumber", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user"
    assert await pl.list_codes_by_phone_number("public", PL_PHONE) == []


@step
async def test_passwordless_revoke_codes_then_the_user_signs_in_again(journey, calls):
    from supertokens_python.recipe.passwordless import asyncio as pl

    user_id = journey.need("pl_email_user_id")
    journey.need("pl_phone_user_id")
    first = await pl.create_code("public", email=PL_EMAIL)
    _assert_created_code(first)
    second = await pl.create_new_code_for_device("public", first.device_id)
    _assert_created_code(second)
    assert type(await pl.revoke_code("public", first.code_id)).__name__ == "RevokeCodeOkResult"
    assert json.loads(_last_exchange(calls, "POST /public/recipe/signinup/code/remove").request_body) == {"codeId": first.code_id}
    assert len(await pl.list_codes_by_email("public", PL_EMAIL)) == 1
    assert _listed_code_ids(calls) == [[second.code_id]]
    revoked = await pl.consume_code("public", first.pre_auth_session_id, link_code=first.link_code)
    assert type(revoked).__name__ == "ConsumeCodeRestartFlowError", "a revoked link code is unknown"
    assert type(await pl.revoke_all_codes("public", email=PL_EMAIL)).__name__ == "RevokeAllCodesOkResult"
    assert await pl.list_codes_by_email("public", PL_EMAIL) == []

    phone = await pl.create_code("public", phone_number=PL_PHONE)
    _assert_created_code(phone)
    assert type(await pl.revoke_all_codes("public", phone_number=PL_PHONE)).__name__ == "RevokeAllCodesOkResult"
    sent = json.loads(_last_exchange(calls, "POST /public/recipe/signinup/codes/remove").request_body)
    assert sent == {API.pl_revoke_all_phone_key: PL_PHONE}
    left = [_device_view(d) for d in await pl.list_codes_by_phone_number("public", PL_PHONE)]
    if API.pl_revoke_all_phone_key == "phoneNumber":
        assert left == []
    else:
        # The release asked to remove the codes of an "email" that is the phone
        # number: nothing; the phone number's device is still there (clearing
        # the phone number in the update step removes it).
        assert left == [_device(phone.pre_auth_session_id, phone_number=PL_PHONE)]

    # The existing user signs in again (by link): not a new user.
    again = await pl.create_code("public", email=PL_EMAIL)
    _assert_created_code(again)
    consumed = API.pl_consumed(await pl.consume_code("public", again.pre_auth_session_id, link_code=again.link_code))
    assert consumed["result"] == "ConsumeCodeOkResult", consumed
    assert (consumed["created_new"], consumed["user"]["id"], consumed["recipe_user_id"]) == (False, user_id, user_id)


@step
async def test_passwordless_update_users_read_them_back_clear_a_phone_number(journey, calls):
    from supertokens_python.recipe.passwordless import asyncio as pl

    email_user_id = journey.need("pl_email_user_id")
    phone_user_id = journey.need("pl_phone_user_id")
    clash = await API.pl_update_user(email_user_id, phone_number=PL_PHONE)
    assert type(clash).__name__ == "UpdateUserPhoneNumberAlreadyExistsError", vars(clash)
    sent = json.loads(_last_exchange(calls, "PUT /recipe/user").request_body)
    assert sent == {API.pl_update_body_key: email_user_id, "phoneNumber": PL_PHONE}
    clash = await API.pl_update_user(phone_user_id, email=PL_EMAIL)
    assert type(clash).__name__ == "UpdateUserEmailAlreadyExistsError", vars(clash)
    assert type(await API.pl_update_user(email_user_id, email=PL_EMAIL_NEW)).__name__ == "UpdateUserOkResult"
    # The email is free now: the phone user takes it and has both.
    assert type(await API.pl_update_user(phone_user_id, email=PL_EMAIL)).__name__ == "UpdateUserOkResult"
    unknown = await API.pl_update_user(str(uuid.uuid4()), phone_number=f"+1650{_PL_DIGITS}9")
    assert type(unknown).__name__ == "UpdateUserUnknownUserIdError", vars(unknown)

    email_user = await API.pl_get_user_by_id(email_user_id)
    assert email_user is not None
    assert {k: email_user[k] for k in ("id", "emails", "phone_numbers", "tenant_ids", "recipe_ids")} == {
        "id": email_user_id,
        "emails": [PL_EMAIL_NEW],
        "phone_numbers": [],
        "tenant_ids": ["public"],
        "recipe_ids": ["passwordless"],
    }
    phone_user = await API.pl_get_user_by_id(phone_user_id)
    assert phone_user is not None
    assert (phone_user["emails"], phone_user["phone_numbers"]) == ([PL_EMAIL], [PL_PHONE])
    if not cdi_at_least("4.0"):
        by_id = json.loads(_last_exchange(calls, "GET /recipe/user").response_body)
        assert sorted(by_id["user"]) == ["email", "id", "phoneNumber", "tenantIds", "timeJoined"], "a CDI 3.0 recipe user"
    assert [u["id"] for u in await API.pl_by_email("public", PL_EMAIL_NEW)] == [email_user_id]
    assert [u["id"] for u in await API.pl_by_email("public", PL_EMAIL)] == [phone_user_id]
    assert [u["id"] for u in await API.pl_by_phone_number("public", PL_PHONE)] == [phone_user_id]
    assert await API.pl_by_email("public", f"nobody-{TAG}@example.com") == []

    cleared = await API.pl_delete_phone_number(phone_user_id)
    assert type(cleared).__name__ in ("DeleteUserInfoOkResult", "UpdateUserOkResult"), vars(cleared)
    assert json.loads(_last_exchange(calls, "PUT /recipe/user").request_body) == {
        API.pl_update_body_key: phone_user_id,
        "phoneNumber": None,
    }
    assert (await API.pl_get_user_by_id(phone_user_id))["phone_numbers"] == []
    assert await API.pl_by_phone_number("public", PL_PHONE) == []
    # Changing (here: clearing) a phone number drops the sign-ins in progress
    # of the old and the new number (the device the revoke step left, up to 0.29).
    assert await pl.list_codes_by_phone_number("public", PL_PHONE) == []
    for path in ("PUT /recipe/user", API.pl_paths["by_id"], API.pl_paths["by_account_info"].format(tenant="public")):
        assert path in calls.core_paths(), f"{path} not in {calls.core_paths()}"
    # The deprecated recipe paths are told apart by rid.
    for e in calls.all():
        if e.path.endswith("/recipe/user") or "/recipe/signinup/" in e.path:
            assert e.rid == "passwordless", e.describe()


@step
async def test_passwordless_delete_the_users(journey, calls):
    from supertokens_python.asyncio import delete_user

    ids = [journey.values[k] for k in ("pl_email_user_id", "pl_phone_user_id") if k in journey.values]
    assert ids, "this step needs the passwordless users from earlier steps, which failed"
    for user_id in ids:
        await delete_user(user_id)
        assert await API.pl_get_user_by_id(user_id) is None


# --- account linking (0.26 and later, CDI 4.0+), through the release's own
# accountlinking functions and get_user / delete_user. The users are made with
# the recipe functions; the accountlinking recipe is not configured (no
# automatic linking), so only the manual calls here link anything. 0.24
# (CDI 3.0) has no account linking: the leg is skipped. can_link_accounts
# cannot read two of the core's answers (releases.py): there the release's
# failure is asserted as it is, and the core's answer is checked instead.

needs_account_linking = pytest.mark.skipif(
    not API.account_linking, reason=f"supertokens-python {RELEASE['name']} (CDI {RELEASE['cdi']}) has no account linking"
)

# The fields of the core's user JSON at the release's CDI (5.3+ adds webauthn)
# and of a login method of an email-password or third-party user.
AL_USER_KEYS = sorted(
    ["emails", "id", "isPrimaryUser", "loginMethods", "phoneNumbers", "tenantIds", "thirdParty", "timeJoined"]
    + (["webauthn"] if cdi_at_least("5.3") else [])
)
AL_LOGIN_METHOD_KEYS = ["email", "recipeId", "recipeUserId", "tenantIds", "timeJoined", "verified"]


def _assert_core_user_shape(user):
    assert sorted(user) == AL_USER_KEYS, f"CDI {RELEASE['cdi']} user JSON"
    for lm in user["loginMethods"]:
        keys = AL_LOGIN_METHOD_KEYS + (["thirdParty"] if lm["recipeId"] == "thirdparty" else [])
        assert sorted(lm) == sorted(keys), lm


def _rid(user_id):
    return API.user_id_arg(user_id)


def _al_login_method(recipe_id, recipe_user_id):
    return {
        "recipe_id": recipe_id,
        "recipe_user_id": recipe_user_id,
        "email": AL_EMAIL,
        "third_party": (PROVIDER, AL_TP_USER_ID) if recipe_id == "thirdparty" else None,
        "verified": False,
        "tenant_ids": ["public"],
    }


def _linked_user(primary_id, linked_id):
    """The email-password primary user with the third-party login method, both
    unverified, in public."""
    return {
        "id": primary_id,
        "is_primary_user": True,
        "emails": [AL_EMAIL],
        "third_party": [(PROVIDER, AL_TP_USER_ID)],
        "tenant_ids": ["public"],
        "login_methods": [_al_login_method("emailpassword", primary_id), _al_login_method("thirdparty", linked_id)],
    }


@needs_account_linking
@step
async def test_account_linking_an_email_password_user_becomes_primary(journey, calls):
    from supertokens_python.asyncio import get_user
    from supertokens_python.recipe.accountlinking.asyncio import can_create_primary_user, create_primary_user
    from supertokens_python.recipe.emailpassword.asyncio import sign_up

    res = await sign_up("public", AL_EMAIL, PASSWORD)
    assert type(res).__name__ == "SignUpOkResult", vars(res)
    user_id = res.user.id
    journey.values["al_primary_id"] = user_id
    assert res.user.is_primary_user is False
    check = await can_create_primary_user(_rid(user_id))
    assert (type(check).__name__, check.was_already_a_primary_user) == ("CanCreatePrimaryUserOkResult", False)
    assert _last_exchange(calls, "GET /recipe/accountlinking/user/primary/check").query == f"?recipeUserId={user_id}"
    assert (await get_user(user_id)).is_primary_user is False, "checking changes nothing"

    made = await create_primary_user(_rid(user_id))
    assert type(made).__name__ == "CreatePrimaryUserOkResult", vars(made)
    assert made.was_already_a_primary_user is False
    assert API.al_user(made.user) == {
        "id": user_id,
        "is_primary_user": True,
        "emails": [AL_EMAIL],
        "third_party": [],
        "tenant_ids": ["public"],
        "login_methods": [_al_login_method("emailpassword", user_id)],
    }
    create = _last_exchange(calls, "POST /recipe/accountlinking/user/primary")
    assert json.loads(create.request_body) == {"recipeUserId": user_id}
    answer = json.loads(create.response_body)
    assert sorted(answer) == ["status", "user", "wasAlreadyAPrimaryUser"]
    _assert_core_user_shape(answer["user"])

    again = await create_primary_user(_rid(user_id))
    assert (type(again).__name__, again.was_already_a_primary_user, again.user.id) == ("CreatePrimaryUserOkResult", True, user_id)
    assert (await can_create_primary_user(_rid(user_id))).was_already_a_primary_user is True
    assert (await get_user(user_id)).is_primary_user is True
    for e in calls.all():
        if e.path.startswith("/recipe/accountlinking/"):
            assert e.rid == "accountlinking", e.describe()


@needs_account_linking
@step
async def test_account_linking_a_third_party_user_with_the_same_email_is_linked(journey, calls):
    from supertokens_python.asyncio import get_user
    from supertokens_python.recipe.accountlinking.asyncio import (
        can_create_primary_user,
        can_link_accounts,
        create_primary_user,
        link_accounts,
    )

    primary_id = journey.need("al_primary_id")
    made = await API.manually_create_or_update_user("public", PROVIDER, AL_TP_USER_ID, AL_EMAIL)
    assert made["result"] == "ManuallyCreateOrUpdateUserOkResult", made
    assert made["created_new"] is True
    linked_id = made["recipe_user_id"]
    journey.values["al_linked_id"] = linked_id
    assert made["user"].id == linked_id, "not linked by the SDK: automatic linking is off"
    assert made["user"].is_primary_user is False

    # The primary user has the email: the third-party user cannot become primary.
    refused = await can_create_primary_user(_rid(linked_id))
    assert type(refused).__name__ == "CanCreatePrimaryUserAccountInfoAlreadyAssociatedError", vars(refused)
    assert (refused.primary_user_id, refused.description) == (
        primary_id,
        "This user's email is already associated with another user ID",
    )

    check = await can_link_accounts(_rid(linked_id), primary_id)
    assert (type(check).__name__, check.accounts_already_linked) == ("CanLinkAccountsOkResult", False)
    assert (
        _last_exchange(calls, "GET /recipe/accountlinking/user/link/check").query
        == f"?recipeUserId={linked_id}&primaryUserId={primary_id}"
    )
    linked = await link_accounts(_rid(linked_id), primary_id)
    assert type(linked).__name__ == "LinkAccountsOkResult", vars(linked)
    assert linked.accounts_already_linked is False
    assert API.al_user(linked.user) == _linked_user(primary_id, linked_id)
    link = _last_exchange(calls, "POST /recipe/accountlinking/user/link")
    assert json.loads(link.request_body) == {"recipeUserId": linked_id, "primaryUserId": primary_id}
    answer = json.loads(link.response_body)
    assert sorted(answer) == ["accountsAlreadyLinked", "status", "user"]
    _assert_core_user_shape(answer["user"])

    # Either id reads the linked user; its email finds it once.
    assert API.al_user(await get_user(linked_id)) == _linked_user(primary_id, linked_id)
    assert API.al_user(await get_user(primary_id)) == _linked_user(primary_id, linked_id)
    assert [u.id for u in await API.users_by_email("public", AL_EMAIL)] == [primary_id]
    _assert_core_user_shape(json.loads(_last_exchange(calls, "GET /user/id").response_body)["user"])

    again = await link_accounts(_rid(linked_id), primary_id)
    assert (type(again).__name__, again.accounts_already_linked) == ("LinkAccountsOkResult", True)
    assert API.al_user(again.user) == _linked_user(primary_id, linked_id)
    assert (await can_link_accounts(_rid(linked_id), primary_id)).accounts_already_linked is True
    # A linked login method cannot become primary itself.
    linked_refused = await create_primary_user(_rid(linked_id))
    assert type(linked_refused).__name__ == "CreatePrimaryUserRecipeUserIdAlreadyLinkedError", vars(linked_refused)
    assert linked_refused.primary_user_id == primary_id


@needs_account_linking
@step
async def test_account_linking_a_session_of_the_linked_login_method(journey, calls):
    from supertokens_python.recipe.session.asyncio import (
        create_new_session_without_request_response,
        get_all_session_handles_for_user,
        get_session_information,
    )

    primary_id = journey.need("al_primary_id")
    linked_id = journey.need("al_linked_id")
    s = await create_new_session_without_request_response("public", _rid(linked_id), {"journey": TAG})
    journey.values["al_handle"] = s.get_handle()
    assert s.get_user_id() == primary_id
    assert s.get_recipe_user_id().get_as_string() == linked_id
    create = _last_exchange(calls, "POST /public/recipe/session")
    assert json.loads(create.request_body)["userId"] == linked_id, "the SDK sends the login method's id"
    session = json.loads(create.response_body)["session"]
    assert (session["userId"], session["recipeUserId"]) == (primary_id, linked_id)
    _, claims = _decode_jwt(s.get_all_session_tokens_dangerously()["accessToken"])
    assert (claims["sub"], claims["rsub"]) == (primary_id, linked_id)
    info = await get_session_information(s.get_handle())
    assert (info.user_id, info.recipe_user_id.get_as_string()) == (primary_id, linked_id)
    # The session is found by the primary user.
    assert s.get_handle() in await get_all_session_handles_for_user(primary_id)


@needs_account_linking
@step
async def test_account_linking_a_target_that_is_not_primary_and_a_login_method_linked_elsewhere(journey, calls):
    from supertokens_python.asyncio import get_user
    from supertokens_python.recipe.accountlinking.asyncio import can_link_accounts, create_primary_user, link_accounts
    from supertokens_python.recipe.emailpassword.asyncio import sign_up

    primary_id = journey.need("al_primary_id")
    linked_id = journey.need("al_linked_id")
    res = await sign_up("public", AL_OTHER_EMAIL, PASSWORD)
    assert type(res).__name__ == "SignUpOkResult", vars(res)
    other_id = res.user.id
    journey.values["al_other_id"] = other_id

    # A target that is not primary. can_link_accounts reads a "description"
    # the core does not send with this status: the release raises KeyError.
    with pytest.raises(KeyError, match="description"):
        await can_link_accounts(_rid(linked_id), other_id)
    check = _last_exchange(calls, "GET /recipe/accountlinking/user/link/check")
    assert json.loads(check.response_body) == {"status": "INPUT_USER_IS_NOT_A_PRIMARY_USER"}
    refused = await link_accounts(_rid(linked_id), other_id)
    assert type(refused).__name__ == "LinkAccountsInputUserNotPrimaryError", vars(refused)
    link = _last_exchange(calls, "POST /recipe/accountlinking/user/link")
    assert json.loads(link.response_body) == {"status": "INPUT_USER_IS_NOT_A_PRIMARY_USER"}

    made = await create_primary_user(_rid(other_id))
    assert (type(made).__name__, made.was_already_a_primary_user) == ("CreatePrimaryUserOkResult", False)
    # A login method linked elsewhere. can_link_accounts expects
    # RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR (no "ANOTHER"):
    # the release raises on the core's status.
    status = "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR"
    with pytest.raises(Exception, match=f"Unknown response status: {status}"):
        await can_link_accounts(_rid(linked_id), other_id)
    answer = json.loads(_last_exchange(calls, "GET /recipe/accountlinking/user/link/check").response_body)
    assert sorted(answer) == ["description", "primaryUserId", "status"]
    assert (answer["status"], answer["primaryUserId"]) == (status, primary_id)
    assert isinstance(answer["description"], str)

    elsewhere = await link_accounts(_rid(linked_id), other_id)
    assert type(elsewhere).__name__ == "LinkAccountsRecipeUserIdAlreadyLinkedError", vars(elsewhere)
    assert elsewhere.primary_user_id == primary_id
    assert isinstance(elsewhere.description, str)
    # The release hands back the user the login method belongs to.
    assert API.al_user(elsewhere.user) == _linked_user(primary_id, linked_id)
    answer = json.loads(_last_exchange(calls, "POST /recipe/accountlinking/user/link").response_body)
    assert sorted(answer) == ["description", "primaryUserId", "status", "user"]
    _assert_core_user_shape(answer["user"])

    # Nothing changed.
    assert API.al_user(await get_user(linked_id)) == _linked_user(primary_id, linked_id)
    assert [lm.recipe_user_id.get_as_string() for lm in (await get_user(other_id)).login_methods] == [other_id]


@needs_account_linking
@step
async def test_account_linking_unlink_the_login_method(journey, calls):
    from supertokens_python.asyncio import get_user
    from supertokens_python.recipe.accountlinking.asyncio import unlink_account
    from supertokens_python.recipe.session.asyncio import get_session_information

    primary_id = journey.need("al_primary_id")
    linked_id = journey.need("al_linked_id")
    unlinked = await unlink_account(_rid(linked_id))
    assert (type(unlinked).__name__, unlinked.was_recipe_user_deleted, unlinked.was_linked) == ("UnlinkAccountOkResult", False, True)
    assert json.loads(_last_exchange(calls, "POST /recipe/accountlinking/user/unlink").request_body) == {"recipeUserId": linked_id}
    assert API.al_user(await get_user(linked_id)) == {
        "id": linked_id,
        "is_primary_user": False,
        "emails": [AL_EMAIL],
        "third_party": [(PROVIDER, AL_TP_USER_ID)],
        "tenant_ids": ["public"],
        "login_methods": [_al_login_method("thirdparty", linked_id)],
    }
    primary = API.al_user(await get_user(primary_id))
    assert (primary["is_primary_user"], [lm["recipe_user_id"] for lm in primary["login_methods"]]) == (True, [primary_id])
    # The core revokes the sessions of the unlinked login method.
    if "al_handle" in journey.values:
        assert await get_session_information(journey.values["al_handle"]) is None, "the unlinked login method's session is revoked"
    again = await unlink_account(_rid(linked_id))
    assert (again.was_recipe_user_deleted, again.was_linked) == (False, False)


@needs_account_linking
@step
async def test_account_linking_delete_the_primary_user_with_its_linked_login_methods(journey, calls):
    from supertokens_python.asyncio import delete_user, get_user
    from supertokens_python.recipe.accountlinking.asyncio import link_accounts

    primary_id = journey.need("al_primary_id")
    linked_id = journey.need("al_linked_id")
    linked = await link_accounts(_rid(linked_id), primary_id)
    assert (type(linked).__name__, linked.accounts_already_linked) == ("LinkAccountsOkResult", False)
    await delete_user(primary_id, True)
    assert json.loads(_last_exchange(calls, "POST /user/remove").request_body) == {
        "userId": primary_id,
        "removeAllLinkedAccounts": True,
    }
    assert await get_user(primary_id) is None
    assert await get_user(linked_id) is None, "the linked login method went with it"
    assert await API.users_by_email("public", AL_EMAIL) == []
    other_id = journey.need("al_other_id")
    await delete_user(other_id, False)
    assert json.loads(_last_exchange(calls, "POST /user/remove").request_body) == {
        "userId": other_id,
        "removeAllLinkedAccounts": False,
    }
    assert await get_user(other_id) is None


@step
def test_every_core_call_carried_the_negotiated_cdi_version(journey, calls):
    sdk_calls = [e for e in journey.proxy.exchanges if e.path != "/apiversion" and not e.is_jwks_fetch]
    assert len(sdk_calls) > 20, f"the journey made {len(sdk_calls)} core calls"
    wrong = [e.describe() for e in sdk_calls if e.cdi_version != RELEASE["cdi"]]
    assert wrong == [], f"calls without cdi-version {RELEASE['cdi']}"
