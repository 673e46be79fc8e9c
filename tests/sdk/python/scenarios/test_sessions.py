"""Sessions stage through supertokens-python's asyncio functions: creating
sessions, verifying access tokens (locally through the JWKS and with a
database check), refresh-token rotation and theft detection, session
information, data in the database, the access-token payload, revocation and
listing.

Sessions need no real user (the core does not check, and the SDK falls back to
the recipe user id when GET /user/id knows no such user), so every test uses
its own random user id. Each test is one coroutine, run with sdk.run."""

import asyncio
import base64
import hashlib
import json
import secrets
import time
import uuid

import pytest

from supertokens_python.recipe import session
from supertokens_python.recipe.session.asyncio import (
    create_jwt,
    create_new_session_without_request_response,
    get_all_session_handles_for_user,
    get_session_information,
    get_session_without_request_response,
    merge_into_access_token_payload,
    refresh_session_without_request_response,
    revoke_all_sessions_for_user,
    revoke_multiple_sessions,
    revoke_session,
    update_session_data_in_database,
)
from supertokens_python.recipe.session.exceptions import (
    TokenTheftError,
    TryRefreshTokenError,
    UnauthorisedError,
)
from supertokens_python.recipe.jwt.interfaces import CreateJwtOkResult
from supertokens_python.types import RecipeUserId

# api_domain + api_base_path of conftest's app_info; the SDK adds it as `iss`.
ISSUER = "http://localhost:3001/auth"
ACCESS_TOKEN_VALIDITY_S = 3600
REFRESH_TOKEN_VALIDITY_MS = 144000 * 60 * 1000


def _user_id():
    return f"py-sess-user-{secrets.token_hex(6)}"


def _b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _decode(token):
    parts = token.split(".")
    assert len(parts) == 3, token
    return _b64url_json(parts[0]), _b64url_json(parts[1])


def _b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _init(sdk, **session_config):
    sdk.init(recipe_list=[session.init(**session_config)])


async def _new_session(user_id=None, payload=None, data=None):
    user_id = user_id or _user_id()
    s = await create_new_session_without_request_response(
        "public", RecipeUserId(user_id), payload or {}, data or {}
    )
    return s, user_id, s.get_all_session_tokens_dangerously()


def _assert_access_token(token, user_id, handle, kid_prefix, custom):
    header, claims = _decode(token)
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    assert header["version"] == "5"
    assert header["kid"].startswith(kid_prefix), header
    assert claims["sub"] == user_id
    assert claims["rsub"] == user_id
    assert claims["tId"] == "public"
    assert claims["sessionHandle"] == handle
    assert "parentRefreshTokenHash1" in claims
    assert "antiCsrfToken" in claims
    assert claims["iss"] == ISSUER
    assert abs(claims["iat"] - time.time()) < 300
    for key, value in custom.items():
        assert claims[key] == value, key
    return header, claims


def test_create_session_answers_handle_user_and_tokens(sdk):
    _init(sdk)

    async def scenario():
        payload = {"role": "admin", "nested": {"list": [1, "two"]}, "flag": False}
        s, user_id, tokens = await _new_session(payload=payload, data={"secret": 1})
        handle = s.get_handle()
        uuid.UUID(handle)  # a public-tenant handle is a plain UUID
        assert s.get_user_id() == user_id
        assert s.get_recipe_user_id().get_as_string() == user_id
        assert s.get_tenant_id() == "public"
        assert tokens["accessToken"] == s.get_access_token()
        assert tokens["accessAndFrontTokenUpdated"] is True
        assert isinstance(tokens["refreshToken"], str) and tokens["refreshToken"]
        assert tokens["antiCsrfToken"] is None

        _, claims = _assert_access_token(s.get_access_token(), user_id, handle, "d-", payload)
        assert claims["parentRefreshTokenHash1"] is None
        assert claims["antiCsrfToken"] is None
        assert claims["exp"] - claims["iat"] == ACCESS_TOKEN_VALIDITY_S
        assert claims["refreshTokenHash1"] == _sha256(tokens["refreshToken"])
        assert s.get_access_token_payload() == claims

    sdk.run(scenario())


def test_get_session_locally_and_with_database_check(sdk):
    _init(sdk)

    async def scenario():
        created, user_id, tokens = await _new_session(payload={"plan": "gold"})
        for check_database in (None, True):
            s = await get_session_without_request_response(
                tokens["accessToken"], check_database=check_database
            )
            assert s is not None
            assert s.get_handle() == created.get_handle()
            assert s.get_user_id() == user_id
            assert s.get_recipe_user_id().get_as_string() == user_id
            assert s.get_tenant_id() == "public"
            assert s.get_access_token_payload() == created.get_access_token_payload()
            # Nothing changed, so no new access token either way.
            assert s.get_access_token() == tokens["accessToken"]
            assert s.get_all_session_tokens_dangerously()["accessAndFrontTokenUpdated"] is False

    sdk.run(scenario())


def test_revoked_session_fails_database_check_but_passes_locally(sdk):
    _init(sdk)

    async def scenario():
        s, _, tokens = await _new_session()
        handle = s.get_handle()
        assert await revoke_session(handle) is True
        assert await revoke_session(handle) is False
        assert await get_session_information(handle) is None

        local = await get_session_without_request_response(tokens["accessToken"])
        assert local is not None and local.get_handle() == handle
        with pytest.raises(UnauthorisedError):
            await get_session_without_request_response(tokens["accessToken"], check_database=True)
        with pytest.raises(UnauthorisedError):
            await refresh_session_without_request_response(tokens["refreshToken"])

    sdk.run(scenario())


def test_refresh_rotates_tokens_and_first_use_is_promoted(sdk):
    _init(sdk)

    async def scenario():
        payload = {"tier": 2}
        created, user_id, tokens = await _new_session(payload=payload)
        handle = created.get_handle()

        refreshed = await refresh_session_without_request_response(tokens["refreshToken"])
        assert refreshed.get_handle() == handle
        assert refreshed.get_user_id() == user_id
        new = refreshed.get_all_session_tokens_dangerously()
        assert new["refreshToken"] != tokens["refreshToken"]
        assert new["accessToken"] != tokens["accessToken"]
        _, claims = _assert_access_token(new["accessToken"], user_id, handle, "d-", payload)
        assert claims["parentRefreshTokenHash1"] == _sha256(tokens["refreshToken"])
        assert claims["refreshTokenHash1"] == _sha256(new["refreshToken"])

        # The refreshed token has a parent hash: the SDK asks the core, which
        # answers a new token without it.
        verified = await get_session_without_request_response(new["accessToken"])
        assert verified is not None and verified.get_handle() == handle
        assert verified.get_all_session_tokens_dangerously()["accessAndFrontTokenUpdated"] is True
        promoted = verified.get_access_token()
        assert promoted != new["accessToken"]
        _, promoted_claims = _assert_access_token(promoted, user_id, handle, "d-", payload)
        assert promoted_claims["parentRefreshTokenHash1"] is None
        assert promoted_claims["refreshTokenHash1"] == claims["refreshTokenHash1"]

        again = await get_session_without_request_response(promoted)
        assert again is not None and again.get_handle() == handle

    sdk.run(scenario())


def test_reusing_an_old_refresh_token_is_theft(sdk):
    _init(sdk)

    async def scenario():
        created, user_id, tokens = await _new_session()
        rt0 = tokens["refreshToken"]
        rt1 = (await refresh_session_without_request_response(rt0)).get_all_session_tokens_dangerously()["refreshToken"]
        rt2 = (await refresh_session_without_request_response(rt1)).get_all_session_tokens_dangerously()["refreshToken"]

        with pytest.raises(TokenTheftError) as caught:
            await refresh_session_without_request_response(rt0)
        assert caught.value.session_handle == created.get_handle()
        assert caught.value.user_id == user_id
        assert caught.value.recipe_user_id.get_as_string() == user_id

        # The core leaves revoking to the SDK's theft handler.
        assert await get_session_information(created.get_handle()) is not None
        assert await revoke_session(caught.value.session_handle) is True
        with pytest.raises(UnauthorisedError):
            await refresh_session_without_request_response(rt2)

    sdk.run(scenario())


def test_concurrent_refresh_with_the_same_token_is_not_theft(sdk):
    _init(sdk)

    async def scenario():
        created, _, tokens = await _new_session(payload={"concurrent": True})
        a, b = await asyncio.gather(
            refresh_session_without_request_response(tokens["refreshToken"]),
            refresh_session_without_request_response(tokens["refreshToken"]),
        )
        assert a.get_handle() == b.get_handle() == created.get_handle()
        rt_a = a.get_all_session_tokens_dangerously()["refreshToken"]
        assert rt_a != b.get_all_session_tokens_dangerously()["refreshToken"]

        nxt = await refresh_session_without_request_response(rt_a)
        assert nxt.get_handle() == created.get_handle()
        verified = await get_session_without_request_response(nxt.get_access_token())
        assert verified is not None
        assert verified.get_access_token_payload()["concurrent"] is True

    sdk.run(scenario())


def test_invalid_tokens(sdk):
    _init(sdk)

    async def scenario():
        _, _, tokens = await _new_session(payload={"role": "user"})
        header, claims = _decode(tokens["accessToken"])
        parts = tokens["accessToken"].split(".")
        tampered = ".".join([parts[0], _b64url({**claims, "role": "admin"}), parts[2]])
        with pytest.raises(TryRefreshTokenError):
            await get_session_without_request_response(tampered)
        with pytest.raises(TryRefreshTokenError):
            await get_session_without_request_response(tampered, check_database=True)
        with pytest.raises(UnauthorisedError):
            await get_session_without_request_response("not-a-token")

        with pytest.raises(UnauthorisedError):
            await refresh_session_without_request_response("garbage")
        rt = tokens["refreshToken"]
        cut = len(rt) // 3
        flipped = rt[:cut] + ("B" if rt[cut] == "A" else "A") + rt[cut + 1 :]
        with pytest.raises(UnauthorisedError):
            await refresh_session_without_request_response(flipped)
        # The real token still works.
        await refresh_session_without_request_response(rt)

    sdk.run(scenario())


def test_get_session_information(sdk):
    _init(sdk)

    async def scenario():
        payload = {"role": "viewer", "n": [1, {"x": None}]}
        data = {"cart": ["a"], "total": 12.5}
        before = int(time.time() * 1000)
        s, user_id, _ = await _new_session(payload=payload, data=data)

        info = await get_session_information(s.get_handle())
        assert info is not None
        assert info.session_handle == s.get_handle()
        assert info.user_id == user_id
        assert info.recipe_user_id.get_as_string() == user_id
        assert info.tenant_id == "public"
        assert info.session_data_in_database == data
        assert info.custom_claims_in_access_token_payload == {**payload, "iss": ISSUER}
        assert isinstance(info.time_created, int) and isinstance(info.expiry, int)
        assert abs(info.time_created - before) < 60_000
        assert abs(info.expiry - info.time_created - REFRESH_TOKEN_VALIDITY_MS) <= 1000

        assert await get_session_information(str(uuid.uuid4())) is None

    sdk.run(scenario())


def test_update_session_data_in_database(sdk):
    _init(sdk)

    async def scenario():
        s, _, _ = await _new_session(data={"a": 1, "b": {"c": 2}})
        handle = s.get_handle()
        assert await update_session_data_in_database(handle, {"z": [26]}) is True
        info = await get_session_information(handle)
        assert info.session_data_in_database == {"z": [26]}
        assert info.custom_claims_in_access_token_payload == {"iss": ISSUER}

        await s.update_session_data_in_database({"from": "container"})
        assert await s.get_session_data_from_database() == {"from": "container"}

        assert await update_session_data_in_database(str(uuid.uuid4()), {"a": 1}) is False
        await revoke_session(handle)
        assert await update_session_data_in_database(handle, {"a": 1}) is False

    sdk.run(scenario())


def test_merge_into_access_token_payload(sdk):
    _init(sdk)

    async def scenario():
        s, user_id, tokens = await _new_session(payload={"keep": 1, "drop": "x", "change": "old"})
        handle = s.get_handle()

        # By handle: only the stored payload changes...
        assert await merge_into_access_token_payload(handle, {"change": "new", "drop": None, "added": [1]}) is True
        expected = {"keep": 1, "change": "new", "added": [1], "iss": ISSUER}
        assert (await get_session_information(handle)).custom_claims_in_access_token_payload == expected
        local = await get_session_without_request_response(tokens["accessToken"])
        assert local.get_access_token_payload()["change"] == "old"
        # ...and a check against the database hands out a token with it.
        checked = await get_session_without_request_response(tokens["accessToken"], check_database=True)
        assert checked.get_all_session_tokens_dangerously()["accessAndFrontTokenUpdated"] is True
        _, claims = _assert_access_token(checked.get_access_token(), user_id, handle, "d-", expected)
        assert "drop" not in claims

        # On the container: the access token is regenerated.
        old_claims = _decode(checked.get_access_token())[1]
        await checked.merge_into_access_token_payload({"second": "merge", "keep": None})
        assert checked.get_all_session_tokens_dangerously()["accessAndFrontTokenUpdated"] is True
        _, new_claims = _assert_access_token(
            checked.get_access_token(), user_id, handle, "d-", {"second": "merge", "change": "new"}
        )
        assert "keep" not in new_claims
        assert new_claims["exp"] == old_claims["exp"]
        assert checked.get_access_token_payload() == new_claims
        verified = await get_session_without_request_response(checked.get_access_token())
        assert verified.get_access_token_payload()["second"] == "merge"
        stored = (await get_session_information(handle)).custom_claims_in_access_token_payload
        assert stored == {"change": "new", "added": [1], "second": "merge", "iss": ISSUER}

        assert await merge_into_access_token_payload(str(uuid.uuid4()), {"a": 1}) is False

    sdk.run(scenario())


def test_revoke_and_list_sessions_of_a_user(sdk):
    _init(sdk)

    async def scenario():
        user_id = _user_id()
        other = _user_id()
        mine = [(await _new_session(user_id=user_id))[0].get_handle() for _ in range(3)]
        theirs = (await _new_session(user_id=other))[0].get_handle()

        assert sorted(await get_all_session_handles_for_user(user_id)) == sorted(mine)
        assert sorted(await get_all_session_handles_for_user(user_id, True, "public")) == sorted(mine)
        assert await get_all_session_handles_for_user(_user_id()) == []

        revoked = await revoke_multiple_sessions([mine[0], str(uuid.uuid4())])
        assert revoked == [mine[0]]
        assert sorted(await get_all_session_handles_for_user(user_id)) == sorted(mine[1:])

        assert sorted(await revoke_all_sessions_for_user(user_id)) == sorted(mine[1:])
        assert await get_all_session_handles_for_user(user_id) == []
        assert await revoke_all_sessions_for_user(user_id) == []
        assert await get_all_session_handles_for_user(other) == [theirs]

        # Tenant-scoped revoke.
        again = [(await _new_session(user_id=user_id))[0].get_handle() for _ in range(2)]
        assert sorted(await revoke_all_sessions_for_user(user_id, True, "public")) == sorted(again)
        assert await get_all_session_handles_for_user(user_id) == []

    sdk.run(scenario())


def test_static_signing_key(sdk):
    _init(sdk, use_dynamic_access_token_signing_key=False)

    async def scenario():
        s, user_id, tokens = await _new_session(payload={"static": True})
        handle = s.get_handle()
        header, _ = _assert_access_token(tokens["accessToken"], user_id, handle, "s-", {"static": True})
        local = await get_session_without_request_response(tokens["accessToken"])
        assert local.get_handle() == handle
        checked = await get_session_without_request_response(tokens["accessToken"], check_database=True)
        assert checked.get_handle() == handle

        refreshed = await refresh_session_without_request_response(tokens["refreshToken"])
        h1, _ = _assert_access_token(refreshed.get_access_token(), user_id, handle, "s-", {"static": True})
        assert h1["kid"] == header["kid"]
        promoted = await get_session_without_request_response(refreshed.get_access_token())
        h2, _ = _assert_access_token(promoted.get_access_token(), user_id, handle, "s-", {"static": True})
        assert h2["kid"] == header["kid"]

        jwt = await create_jwt({"purpose": "py"}, 60, True)
        assert isinstance(jwt, CreateJwtOkResult), jwt
        assert _decode(jwt.jwt)[0]["kid"] == header["kid"]

    sdk.run(scenario())
