"""Multitenancy stage through supertokens-python's asyncio functions: an app
of its own (created over HTTP with httpx, as the SDKs' own tests do),
targeted through the connection URI GATEHOUSE_URL/appid-<app>; tenants
managed with the Multitenancy recipe; users signed up per tenant with
EmailPassword and moved between tenants.

One test, one coroutine: the steps build on each other."""

import asyncio

import pytest

from core_http import Core
from core_http import tag as _tag

from supertokens_python.asyncio import get_user, list_users_by_account_info
from supertokens_python.recipe import emailpassword, multitenancy, session, thirdparty
from supertokens_python.recipe.emailpassword.asyncio import (
    consume_password_reset_token,
    create_reset_password_token,
    sign_in,
    sign_up,
)
from supertokens_python.recipe.emailpassword.interfaces import (
    CreateResetPasswordOkResult,
    EmailAlreadyExistsError,
    PasswordResetTokenInvalidError,
    SignInOkResult,
    SignUpOkResult,
    WrongCredentialsError,
)
from supertokens_python.recipe.multitenancy.asyncio import (
    associate_user_to_tenant,
    create_or_update_tenant,
    delete_tenant,
    disassociate_user_from_tenant,
    get_tenant,
    list_all_tenants,
)
from supertokens_python.recipe.multitenancy.interfaces import (
    AssociateUserToTenantEmailAlreadyExistsError,
    AssociateUserToTenantOkResult,
    AssociateUserToTenantUnknownUserIdError,
    TenantConfigCreateOrUpdate,
)
from supertokens_python.recipe.session.asyncio import create_new_session_without_request_response
from supertokens_python.types import RecipeUserId
from supertokens_python.types.base import AccountInfoInput

PASSWORD = "first-Passw0rd"
OTHER_PASSWORD = "second-Passw0rd"
FACTORS = ["emailpassword", "thirdparty"]


@pytest.fixture
def app(sdk):
    core = Core(sdk)
    app_id = f"sdk-py-mt-{_tag()}"
    assert core.ok("PUT", "/recipe/multitenancy/app/v2", {"appId": app_id})["createdNew"] is True
    yield app_id
    try:
        assert core.remove_app(app_id) == {"status": "OK", "didExist": True}
        apps = [a["appId"] for a in core.ok("GET", "/recipe/multitenancy/app/list/v2")["apps"]]
        assert app_id not in apps
    finally:
        core.client.close()


def test_tenants_users_and_memberships_in_an_app(sdk, app):
    calls = []

    def record(url, method, headers, params, body, user_context):
        if not url.endswith("/apiversion"):
            calls.append({"url": url, "method": method, "headers": dict(headers), "params": params, "body": body})
        return url, method, headers, params, body

    sdk.init(
        connection_uri=f"{sdk.url}/appid-{app}",
        network_interceptor=record,
        recipe_list=[emailpassword.init(), thirdparty.init(), multitenancy.init(), session.init()],
    )
    base = f"{sdk.url}/appid-{app}"
    t1, t2 = f"t1-{_tag(3)}", f"t2-{_tag(3)}"

    async def scenario():
        # create, then update
        start = len(calls)
        created = await create_or_update_tenant(t1, TenantConfigCreateOrUpdate(first_factors=FACTORS))
        assert created.created_new is True
        sent = calls[start:]
        assert [(c["method"], c["url"]) for c in sent] == [("PUT", f"{base}/recipe/multitenancy/tenant/v2")]
        # supertokens-python always sends coreConfig (an empty object here).
        assert sent[0]["body"] == {"tenantId": t1, "firstFactors": FACTORS, "coreConfig": {}}
        assert sent[0]["headers"]["cdi-version"] == "5.4"
        assert sent[0]["headers"].get("rid") == "multitenancy"
        assert (await create_or_update_tenant(t2, TenantConfigCreateOrUpdate(first_factors=FACTORS))).created_new is True
        assert (await create_or_update_tenant(t1, TenantConfigCreateOrUpdate(first_factors=FACTORS))).created_new is False

        # get
        start = len(calls)
        got = await get_tenant(t1)
        assert [(c["method"], c["url"]) for c in calls[start:]] == [("GET", f"{base}/{t1}/recipe/multitenancy/tenant/v2")]
        assert got is not None
        assert got.tenant_id == t1
        assert got.first_factors == FACTORS
        assert got.required_secondary_factors in (None, [])
        assert got.third_party_providers == []
        assert got.core_config == {}
        # updating the secondary factors only keeps the first ones
        assert (await create_or_update_tenant(t2, TenantConfigCreateOrUpdate(required_secondary_factors=["totp"]))).created_new is False
        got2 = await get_tenant(t2)
        assert got2.first_factors == FACTORS
        assert got2.required_secondary_factors == ["totp"]
        assert await get_tenant(f"nope-{_tag(3)}") is None

        # list
        listed = await list_all_tenants()
        assert sorted(t.tenant_id for t in listed.tenants) == sorted(["public", t1, t2])
        assert [t.first_factors for t in listed.tenants if t.tenant_id == t1] == [FACTORS]

        # the same email in both tenants: two users
        shared = f"py-mt-shared-{_tag()}@example.com"
        a = await sign_up(t1, shared, PASSWORD)
        b = await sign_up(t2, shared, OTHER_PASSWORD)
        assert isinstance(a, SignUpOkResult) and isinstance(b, SignUpOkResult)
        assert a.user.id != b.user.id
        assert a.user.tenant_ids == [t1]
        assert b.user.tenant_ids == [t2]
        assert isinstance(await sign_up(t1, shared, PASSWORD), EmailAlreadyExistsError)
        fetched = await get_user(a.user.id)
        assert fetched is not None and fetched.tenant_ids == [t1]
        assert [u.id for u in await list_users_by_account_info(t2, AccountInfoInput(email=shared))] == [b.user.id]
        assert await list_users_by_account_info("public", AccountInfoInput(email=shared)) == []

        # sign-in is tenant-scoped
        s1 = await sign_in(t1, shared, PASSWORD)
        assert isinstance(s1, SignInOkResult) and s1.user.id == a.user.id
        s2 = await sign_in(t2, shared, OTHER_PASSWORD)
        assert isinstance(s2, SignInOkResult) and s2.user.id == b.user.id
        assert isinstance(await sign_in(t2, shared, PASSWORD), WrongCredentialsError)
        only = f"py-mt-only-{_tag()}@example.com"
        o = await sign_up(t1, only, PASSWORD)
        assert isinstance(o, SignUpOkResult)
        assert isinstance(await sign_in(t2, only, PASSWORD), WrongCredentialsError)
        assert isinstance(await sign_in("public", only, PASSWORD), WrongCredentialsError)

        # coreConfig: an app-wide key on the app's public tenant, a tenant-level one on t1
        start = len(calls)
        updated = await create_or_update_tenant("public", TenantConfigCreateOrUpdate(core_config={"access_token_validity": 120}))
        assert updated.created_new is False
        assert calls[start]["body"]["coreConfig"] == {"access_token_validity": 120}
        await create_or_update_tenant(t1, TenantConfigCreateOrUpdate(core_config={"password_reset_token_lifetime": 1}))
        assert (await get_tenant("public")).core_config == {"access_token_validity": 120}
        got = await get_tenant(t1)
        assert got.core_config == {"password_reset_token_lifetime": 1}
        assert got.first_factors == FACTORS
        # applied: the app's access token lifetime, t1's reset token lifetime
        live = await create_new_session_without_request_response(t1, RecipeUserId(a.user.id))
        payload = live.get_access_token_payload()
        assert payload["exp"] - payload["iat"] == 120
        reset = await create_reset_password_token(t1, a.user.id, shared)
        assert isinstance(reset, CreateResetPasswordOkResult)
        await asyncio.sleep(0.02)
        assert isinstance(await consume_password_reset_token(t1, reset.token), PasswordResetTokenInvalidError)
        # a tenant may not contradict an app-wide key (upstream's 400, raised by the SDK)
        with pytest.raises(Exception, match="You cannot set different values for access_token_validity for the same appId"):
            await create_or_update_tenant(t2, TenantConfigCreateOrUpdate(core_config={"access_token_validity": 60}))
        assert (await get_tenant(t2)).core_config == {}
        # null removes a key
        await create_or_update_tenant(t1, TenantConfigCreateOrUpdate(core_config={"password_reset_token_lifetime": None}))
        assert (await get_tenant(t1)).core_config == {}

        # associate
        start = len(calls)
        assoc = await associate_user_to_tenant(t2, RecipeUserId(o.user.id))
        assert isinstance(assoc, AssociateUserToTenantOkResult)
        assert assoc.was_already_associated is False
        assert calls[start]["url"] == f"{base}/{t2}/recipe/multitenancy/tenant/user"
        assert calls[start]["body"] == {"recipeUserId": o.user.id}
        assert isinstance(await sign_in(t2, only, PASSWORD), SignInOkResult)
        assert sorted((await get_user(o.user.id)).tenant_ids) == sorted([t1, t2])
        again = await associate_user_to_tenant(t2, RecipeUserId(o.user.id))
        assert isinstance(again, AssociateUserToTenantOkResult) and again.was_already_associated is True
        taken = await associate_user_to_tenant(t2, RecipeUserId(a.user.id))
        assert isinstance(taken, AssociateUserToTenantEmailAlreadyExistsError), type(taken)
        unknown = await associate_user_to_tenant(t2, RecipeUserId(f"00000000-0000-4000-8000-{_tag()}"))
        assert isinstance(unknown, AssociateUserToTenantUnknownUserIdError), type(unknown)

        # disassociate
        start = len(calls)
        gone = await disassociate_user_from_tenant(t2, RecipeUserId(o.user.id))
        assert gone.was_associated is True
        assert calls[start]["url"] == f"{base}/{t2}/recipe/multitenancy/tenant/user/remove"
        assert (await disassociate_user_from_tenant(t2, RecipeUserId(o.user.id))).was_associated is False
        assert isinstance(await sign_in(t2, only, PASSWORD), WrongCredentialsError)
        assert (await get_user(o.user.id)).tenant_ids == [t1]

        # delete a tenant: its users stay, in no tenant
        start = len(calls)
        deleted = await delete_tenant(t2)
        assert deleted.did_exist is True
        assert calls[start]["url"] == f"{base}/recipe/multitenancy/tenant/remove"
        assert calls[start]["body"] == {"tenantId": t2}
        assert (await delete_tenant(t2)).did_exist is False
        assert await get_tenant(t2) is None
        assert sorted(t.tenant_id for t in (await list_all_tenants()).tenants) == sorted(["public", t1])
        orphan = await get_user(b.user.id)
        assert orphan is not None and orphan.tenant_ids == []

    sdk.run(scenario())
