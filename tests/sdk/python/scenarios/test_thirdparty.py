"""ThirdParty stage through supertokens-python: users made with
manually_create_or_update_user (the core's POST /<tenant>/recipe/signinup),
read back through the core user APIs and deleted; then the SDK's own
sign-in-up API (POST /auth/signinup) served by its fastapi middleware through
starlette's TestClient, with a custom provider configured statically whose
token and user-info endpoints are a fake provider started here (the machine
is offline).

Public app, public tenant. Provider ids and provider user ids carry random
tags, so searches by provider find only this run's users."""

import asyncio
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from supertokens_python.asyncio import (
    delete_user,
    get_user,
    get_user_count,
    get_users_newest_first,
    list_users_by_account_info,
)
from supertokens_python.recipe import emailverification, session, thirdparty
from supertokens_python.recipe.emailverification.asyncio import is_email_verified
from supertokens_python.recipe.session.asyncio import get_session_without_request_response
from supertokens_python.recipe.thirdparty.asyncio import manually_create_or_update_user
from supertokens_python.recipe.thirdparty.interfaces import ManuallyCreateOrUpdateUserOkResult
from supertokens_python.recipe.thirdparty.provider import (
    ProviderClientConfig,
    ProviderConfig,
    ProviderInput,
    UserFields,
    UserInfoMap,
)
from supertokens_python.recipe.thirdparty.types import ThirdPartyInfo
from supertokens_python.types import RecipeUserId
from supertokens_python.types.base import AccountInfoInput


def _tag(n=6):
    return secrets.token_hex(n)


def _email(prefix):
    return f"py-{prefix}-{_tag()}@example.com"


class Recorder:
    """The SDK's network_interceptor: records every core request but the
    version negotiation."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, method, headers, params, body, user_context):
        if not url.endswith("/apiversion"):
            path = urlparse(url).path
            self.calls.append({"method": method.upper(), "path": path, "headers": dict(headers), "params": params, "body": body})
        return url, method, headers, params, body

    def mark(self):
        return len(self.calls)

    def since(self, start):
        return self.calls[start:]


def _assert_tp_user(user, third_party_id, third_party_user_id, email, verified):
    assert user.is_primary_user is False
    assert user.tenant_ids == ["public"]
    assert user.emails == [email]
    assert user.phone_numbers == []
    assert [(t.id, t.user_id) for t in user.third_party] == [(third_party_id, third_party_user_id)]
    assert len(user.login_methods) == 1
    lm = user.login_methods[0]
    assert lm.recipe_id == "thirdparty"
    assert lm.recipe_user_id.get_as_string() == user.id
    assert lm.tenant_ids == ["public"]
    assert lm.email == email
    assert (lm.third_party.id, lm.third_party.user_id) == (third_party_id, third_party_user_id)
    assert lm.verified is verified
    assert lm.time_joined == user.time_joined
    assert abs(time.time() * 1000 - user.time_joined) < 5 * 60 * 1000


def _init_manual(sdk, rec=None):
    sdk.init(
        recipe_list=[thirdparty.init(), emailverification.init(mode="OPTIONAL"), session.init()],
        network_interceptor=rec,
    )


def test_manually_create_or_update_user(sdk):
    rec = Recorder()
    _init_manual(sdk, rec)
    provider = f"sdk-py-tp-{_tag()}"

    async def scenario():
        tp_user = f"tpu-{_tag()}"
        first = _email("tp-first")
        start = rec.mark()
        created = await manually_create_or_update_user("public", provider, tp_user, first, True)
        assert isinstance(created, ManuallyCreateOrUpdateUserOkResult), created
        assert created.created_new_recipe_user is True
        assert created.recipe_user_id.get_as_string() == created.user.id
        _assert_tp_user(created.user, provider, tp_user, first, True)
        sent = rec.since(start)
        assert [f"{c['method']} {c['path']}" for c in sent] == [
            "GET /public/users/by-accountinfo",
            "POST /public/recipe/signinup",
            "GET /user/id",
        ]
        assert sent[1]["body"] == {"thirdPartyId": provider, "thirdPartyUserId": tp_user, "email": {"id": first, "isVerified": True}}
        assert sent[1]["headers"].get("rid") == "thirdparty"
        assert await is_email_verified(RecipeUserId(created.user.id), first) is True

        again = await manually_create_or_update_user("public", provider, tp_user, first, True)
        assert isinstance(again, ManuallyCreateOrUpdateUserOkResult)
        assert again.created_new_recipe_user is False
        assert again.user.id == created.user.id

        # a new (unverified) email replaces the old one, normalised by the core
        local = f"py-tp-second-{_tag()}"
        changed = await manually_create_or_update_user("public", provider, tp_user, f" {local.upper()}@Example.COM ", False)
        assert isinstance(changed, ManuallyCreateOrUpdateUserOkResult)
        assert changed.created_new_recipe_user is False
        _assert_tp_user(changed.user, provider, tp_user, f"{local}@example.com", False)
        assert changed.user.time_joined == created.user.time_joined
        assert await is_email_verified(RecipeUserId(created.user.id), f"{local}@example.com") is False

        # look-ups
        fetched = await get_user(created.user.id)
        assert fetched is not None and fetched.to_json() == changed.user.to_json()
        by_tp = await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider)))
        assert [u.id for u in by_tp] == [created.user.id]
        assert await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider + "-x"))) == []
        by_email = await list_users_by_account_info("public", AccountInfoInput(email=f"{local}@example.com"))
        assert [u.id for u in by_email] == [created.user.id]

        # same provider user id, other provider: another user
        other = await manually_create_or_update_user("public", provider + "-other", tp_user, first, False)
        assert other.created_new_recipe_user is True
        assert other.user.id != created.user.id

        # listing and counting by recipe
        count_before = await get_user_count(["thirdparty"])
        listed_provider = provider + "-list"
        older = await manually_create_or_update_user("public", listed_provider, f"tpu-{_tag()}", _email("tp-list-a"), False)
        await asyncio.sleep(0.005)
        newer = await manually_create_or_update_user("public", listed_provider, f"tpu-{_tag()}", _email("tp-list-b"), False)
        assert await get_user_count(["thirdparty"]) == count_before + 2
        page = await get_users_newest_first("public", include_recipe_ids=["thirdparty"], query={"provider": listed_provider})
        assert [u.id for u in page.users] == [newer.user.id, older.user.id]
        top = await get_users_newest_first("public", limit=2, include_recipe_ids=["thirdparty"])
        assert [u.id for u in top.users] == [newer.user.id, older.user.id]
        for u in (await get_users_newest_first("public", limit=20, include_recipe_ids=["thirdparty"])).users:
            assert [lm.recipe_id for lm in u.login_methods] == ["thirdparty"]

        # delete
        await delete_user(created.user.id)
        assert await get_user(created.user.id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider))) == []
        anew = await manually_create_or_update_user("public", provider, tp_user, first, False)
        assert anew.created_new_recipe_user is True
        assert anew.user.id != created.user.id

    sdk.run(scenario())


# --- the SDK's sign-in-up API with a fake provider ---------------------------

CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret"
REDIRECT = "http://localhost:3000/cb"


class FakeProvider:
    """POST /token trades a code for an access token; GET /userinfo answers the
    profile behind it. profiles[code] is set by the test beforehand."""

    def __init__(self):
        self.profiles = {}
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                outer.requests.append(("POST", urlparse(self.path).path, dict(self.headers), form))
                if urlparse(self.path).path == "/token" and form.get("grant_type") == "authorization_code" and form.get("code") in outer.profiles:
                    return self._json(200, {"access_token": f"at-{form['code']}", "token_type": "Bearer", "expires_in": 3600})
                return self._json(400, {"error": "invalid_grant"})

            def do_GET(self):
                outer.requests.append(("GET", urlparse(self.path).path, dict(self.headers), None))
                auth = self.headers.get("authorization") or ""
                code = auth[len("Bearer at-"):] if auth.startswith("Bearer at-") else None
                if urlparse(self.path).path == "/userinfo" and code in outer.profiles:
                    return self._json(200, outer.profiles[code])
                return self._json(401, {"error": "invalid_token"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_provider():
    p = FakeProvider()
    yield p
    p.close()


def test_signinup_api_with_a_custom_provider(sdk, fake_provider):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from supertokens_python.framework.fastapi import get_middleware

    rec = Recorder()
    sdk.init(
        network_interceptor=rec,
        recipe_list=[
            thirdparty.init(
                sign_in_and_up_feature=thirdparty.SignInAndUpFeature(
                    providers=[
                        ProviderInput(
                            config=ProviderConfig(
                                third_party_id="fake",
                                authorization_endpoint=f"{fake_provider.base_url}/authorize",
                                token_endpoint=f"{fake_provider.base_url}/token",
                                user_info_endpoint=f"{fake_provider.base_url}/userinfo",
                                clients=[ProviderClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)],
                                user_info_map=UserInfoMap(
                                    from_user_info_api=UserFields(user_id="id", email="email", email_verified="email_verified")
                                ),
                            )
                        )
                    ]
                )
            ),
            emailverification.init(mode="OPTIONAL"),
            session.init(),
        ],
    )
    app = FastAPI()
    app.add_middleware(get_middleware())
    client = TestClient(app, base_url="http://localhost:3001", raise_server_exceptions=False)

    def signinup(code, headers=None):
        return client.post(
            "/auth/signinup",
            headers={"rid": "thirdparty", **(headers or {})},
            json={
                "thirdPartyId": "fake",
                "redirectURIInfo": {"redirectURIOnProviderDashboard": REDIRECT, "redirectURIQueryParams": {"code": code}},
            },
        )

    tp_user = f"fake-{_tag()}"
    email = _email("tp-api")
    code1 = f"code-{_tag()}"
    fake_provider.profiles[code1] = {"id": tp_user, "email": email, "email_verified": True}

    try:
        start, pstart = rec.mark(), len(fake_provider.requests)
        first = signinup(code1)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["status"] == "OK", first.text
        assert body["createdNewRecipeUser"] is True, first.text
        user = body["user"]
        assert user["thirdParty"] == [{"id": "fake", "userId": tp_user}]
        assert user["emails"] == [email]
        assert user["loginMethods"][0]["recipeId"] == "thirdparty"
        assert user["loginMethods"][0]["verified"] is True

        seen = fake_provider.requests[pstart:]
        assert [(m, p) for m, p, _, _ in seen] == [("POST", "/token"), ("GET", "/userinfo")]
        assert seen[0][3] == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT, "code": code1, "grant_type": "authorization_code"}

        sent = rec.since(start)
        signinup_calls = [c for c in sent if c["path"] == "/public/recipe/signinup"]
        assert len(signinup_calls) == 1, [f"{c['method']} {c['path']}" for c in sent]
        assert signinup_calls[0]["body"] == {"thirdPartyId": "fake", "thirdPartyUserId": tp_user, "email": {"id": email, "isVerified": True}}
        assert any(c["method"] == "GET" and c["path"] == "/public/recipe/multitenancy/tenant/v2" for c in sent)
        assert any(c["method"] == "POST" and c["path"] == "/public/recipe/session" for c in sent)

        # no st-auth-mode: tokens in headers
        access = first.headers.get("st-access-token")
        assert access, dict(first.headers)
        assert first.headers.get("st-refresh-token")
        assert first.headers.get("front-token")

        async def check_first():
            s = await get_session_without_request_response(access)
            assert s is not None and s.get_user_id() == user["id"]
            assert await is_email_verified(RecipeUserId(user["id"]), email) is True
            stored = await get_user(user["id"])
            assert [(t.id, t.user_id) for t in stored.third_party] == [("fake", tp_user)]
            return s.get_handle()

        handle = sdk.run(check_first())

        # again (new code, same account), with cookies
        code2 = f"code-{_tag()}"
        fake_provider.profiles[code2] = {"id": tp_user, "email": email, "email_verified": True}
        second = signinup(code2, {"st-auth-mode": "cookie"})
        assert second.status_code == 200, second.text
        assert second.json()["status"] == "OK", second.text
        assert second.json()["createdNewRecipeUser"] is False, second.text
        assert second.json()["user"]["id"] == user["id"]
        set_cookie = second.headers.get_list("set-cookie")
        jar = dict(c.split(";")[0].split("=", 1) for c in set_cookie)
        assert jar.get("sAccessToken"), set_cookie
        assert jar.get("sRefreshToken"), set_cookie

        async def check_second():
            s = await get_session_without_request_response(jar["sAccessToken"])
            assert s.get_user_id() == user["id"]
            assert s.get_handle() != handle

        sdk.run(check_second())

        # an unverified email from the provider stays unverified in the core
        tp2 = f"fake-{_tag()}"
        email2 = _email("tp-api-unv")
        code3 = f"code-{_tag()}"
        fake_provider.profiles[code3] = {"id": tp2, "email": email2, "email_verified": False}
        start = rec.mark()
        third = signinup(code3)
        assert third.json()["status"] == "OK", third.text
        assert third.json()["createdNewRecipeUser"] is True
        sent = [c for c in rec.since(start) if c["path"] == "/public/recipe/signinup"]
        assert sent[0]["body"]["email"] == {"id": email2, "isVerified": False}

        async def check_third():
            assert await is_email_verified(RecipeUserId(third.json()["user"]["id"]), email2) is False

        sdk.run(check_third())
    finally:
        client.close()
