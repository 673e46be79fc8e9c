"""The supertokens-python release matrix: the pinned release (venv
`.venvs/<release>`, requirements in `requirements/<release>.txt`), the CDI
version it speaks (its constants.SUPPORTED_CDI_VERSIONS, a single version in
every entry), the access-token version the core issues for that CDI, and the
adapter for the public API of that release. Everything release-specific in the
journey goes through the adapter, so the differences are all here."""

import importlib

RELEASES = {
    "0.24": {"version": "0.24.4", "cdi": "3.0", "token_version": "4", "api": "v024"},
    "0.26": {"version": "0.26.1", "cdi": "5.1", "token_version": "5", "api": "v026"},
    "0.29": {"version": "0.29.3", "cdi": "5.2", "token_version": "5", "api": "v026"},
    "0.30": {"version": "0.30.4", "cdi": "5.3", "token_version": "5", "api": "v030"},
    "0.31": {"version": "0.31.4", "cdi": "5.4", "token_version": "5", "api": "v030"},
}


def _providers_view(providers):
    """A tenant's third-party providers as (thirdPartyId, [(clientId, clientSecret)])."""
    return [(p.third_party_id, [(c.client_id, c.client_secret) for c in p.clients]) for p in providers]


def _passwordless_recipe_user(u):
    """A passwordless user as the journey compares it, from a 0.24 recipe user
    User(user_id, email, phone_number, time_joined, tenant_ids)."""
    if u is None:
        return None
    return {
        "id": u.user_id,
        "emails": [] if u.email is None else [u.email],
        "phone_numbers": [] if u.phone_number is None else [u.phone_number],
        "tenant_ids": u.tenant_ids,
        "time_joined": u.time_joined,
        "recipe_ids": ["passwordless"],
    }


def _passwordless_user(u):
    """A passwordless user as the journey compares it, from a 0.26+ user
    (emails, phone_numbers, login_methods)."""
    if u is None:
        return None
    return {
        "id": u.id,
        "emails": u.emails,
        "phone_numbers": u.phone_numbers,
        "tenant_ids": u.tenant_ids,
        "time_joined": u.time_joined,
        "recipe_ids": [lm.recipe_id for lm in u.login_methods],
    }


class V024:
    """0.24.x (CDI 3.0, before account linking): recipe users
    (user_id, email, time_joined, tenant_ids); sign_up/sign_in answer
    SignUpOkResult/SignInOkResult(user) or SignUpEmailAlreadyExistsError /
    SignInWrongCredentialsError; sessions and email verification take a str
    user id; the user is read with emailpassword's get_user_by_id;
    verify_email_using_token answers user(user_id, email); TokenTheftError has
    user_id and session_handle; the dashboard's users list holds
    {recipeId, user: {...}}."""

    def __init__(self):
        from supertokens_python.recipe.emailpassword.asyncio import get_user_by_id
        from supertokens_python.recipe.emailpassword.interfaces import (
            SignInWrongCredentialsError,
            SignUpEmailAlreadyExistsError,
        )

        self._get_user_by_id = get_user_by_id
        self.email_exists_error = SignUpEmailAlreadyExistsError
        self.wrong_credentials_error = SignInWrongCredentialsError

    @staticmethod
    def user_id_arg(user_id):
        return user_id

    @staticmethod
    def auth_result(res):
        return {"id": res.user.user_id, "email": res.user.email, "recipe_user_id": res.user.user_id}

    async def get_user(self, user_id):
        u = await self._get_user_by_id(user_id)
        if u is None:
            return None
        return {
            "id": u.user_id,
            "emails": [u.email],
            "tenant_ids": u.tenant_ids,
            "time_joined": u.time_joined,
            "recipe_ids": ["emailpassword"],
        }

    @staticmethod
    async def verify_email_using_token(token):
        from supertokens_python.recipe.emailverification.asyncio import verify_email_using_token

        return await verify_email_using_token("public", token)

    @staticmethod
    def verified_user(user):
        return {"id": user.user_id, "email": user.email}

    @staticmethod
    def theft_payload(err):
        return {"user_id": err.user_id, "session_handle": err.session_handle}

    @staticmethod
    def expected_theft_payload(user_id, handle):
        return {"user_id": user_id, "session_handle": handle}

    @staticmethod
    def dashboard_user(entry):
        u = entry["user"]
        return {"id": u["id"], "emails": [u.get("email")], "first_name": u.get("firstName"), "recipe_id": entry["recipeId"]}

    # --- multitenancy (the v1 API: one boolean per login method; the
    # deprecated PUT /recipe/multitenancy/tenant, GET
    # /<tenant>/recipe/multitenancy/tenant and GET
    # /recipe/multitenancy/tenant/list, which answer {enabled} per login method).

    tenant_api = "v1"
    tenant_paths = {
        "create": "PUT /recipe/multitenancy/tenant",
        "get": "GET /{tenant}/recipe/multitenancy/tenant",
        "list": "GET /recipe/multitenancy/tenant/list",
    }

    @staticmethod
    def tenant_create_config():
        from supertokens_python.recipe.multitenancy.interfaces import TenantConfig

        return TenantConfig(email_password_enabled=True, third_party_enabled=True, passwordless_enabled=False)

    @staticmethod
    def tenant_create_body(tenant_id):
        return {"tenantId": tenant_id, "emailPasswordEnabled": True, "thirdPartyEnabled": True, "passwordlessEnabled": False}

    @staticmethod
    def tenant_view(t):
        """get_tenant's GetTenantOkResult / list_all_tenants' items."""
        return {
            "email_password_enabled": t.emailpassword.enabled,
            "third_party_enabled": t.third_party.enabled,
            "passwordless_enabled": t.passwordless.enabled,
            "providers": _providers_view(t.third_party.providers),
            "core_config": t.core_config,
        }

    @staticmethod
    def expected_tenant(providers):
        return {
            "email_password_enabled": True,
            "third_party_enabled": True,
            "passwordless_enabled": False,
            "providers": providers,
            "core_config": {},
        }

    @staticmethod
    async def associate_user_to_tenant(tenant_id, user_id):
        from supertokens_python.recipe.multitenancy.asyncio import associate_user_to_tenant

        return await associate_user_to_tenant(tenant_id, user_id)

    @staticmethod
    async def disassociate_user_from_tenant(tenant_id, user_id):
        from supertokens_python.recipe.multitenancy.asyncio import dissociate_user_from_tenant

        return await dissociate_user_from_tenant(tenant_id, user_id)

    associate_body_key = "userId"

    # --- third party: recipe users User(user_id, email, tenant_ids,
    # third_party_info); manually_create_or_update_user answers
    # (user, created_new_user); users are read through the thirdparty recipe
    # (rid thirdparty) with the deprecated GET /recipe/user?userId,
    # GET /<tenant>/recipe/user?thirdPartyId&thirdPartyUserId and
    # GET /<tenant>/recipe/users/by-email (third-party users only).

    @staticmethod
    def third_party_user(u):
        if u is None:
            return None
        return {
            "id": u.user_id,
            "emails": [u.email],
            "third_party": [(u.third_party_info.id, u.third_party_info.user_id)],
            "tenant_ids": u.tenant_ids,
            "recipe_ids": ["thirdparty"],
        }

    @staticmethod
    async def manually_create_or_update_user(tenant_id, third_party_id, third_party_user_id, email):
        from supertokens_python.recipe.thirdparty.asyncio import manually_create_or_update_user

        res = await manually_create_or_update_user(tenant_id, third_party_id, third_party_user_id, email)
        return {
            "result": type(res).__name__,
            "created_new": res.created_new_user,
            "recipe_user_id": res.user.user_id,
            "user": res.user,
        }

    @staticmethod
    async def tp_user_by_id(user_id):
        from supertokens_python.recipe.thirdparty.asyncio import get_user_by_id

        return await get_user_by_id(user_id)

    @staticmethod
    async def tp_users_by_provider(tenant_id, third_party_id, third_party_user_id):
        from supertokens_python.recipe.thirdparty.asyncio import get_user_by_third_party_info

        u = await get_user_by_third_party_info(tenant_id, third_party_id, third_party_user_id)
        return [] if u is None else [u]

    @staticmethod
    async def users_by_email(tenant_id, email):
        from supertokens_python.recipe.thirdparty.asyncio import get_users_by_email

        return await get_users_by_email(tenant_id, email)

    tp_paths = {
        "by_id": "GET /recipe/user",
        "by_provider": "GET /{tenant}/recipe/user",
        "by_email": "GET /{tenant}/recipe/users/by-email",
    }
    by_email_finds_other_recipes = False

    # --- passwordless: recipe users User(user_id, email, phone_number,
    # time_joined, tenant_ids); consume_code answers
    # ConsumeCodeOkResult(created_new_user, user). Users are read and updated
    # through the passwordless recipe (rid passwordless): get_user_by_id →
    # GET /recipe/user?userId, get_user_by_email / get_user_by_phone_number →
    # GET /<tenant>/recipe/user, update_user(user_id, ...) and
    # delete_phone_number_for_user(user_id) → PUT /recipe/user.

    pl_user = staticmethod(_passwordless_recipe_user)

    @staticmethod
    def pl_consumed(res):
        return {
            "result": type(res).__name__,
            "created_new": res.created_new_user,
            "recipe_user_id": res.user.user_id,
            "user": _passwordless_recipe_user(res.user),
            "consumed_device": None,
        }

    @staticmethod
    async def pl_get_user_by_id(user_id):
        from supertokens_python.recipe.passwordless.asyncio import get_user_by_id

        return _passwordless_recipe_user(await get_user_by_id(user_id))

    @staticmethod
    async def pl_by_email(tenant_id, email):
        from supertokens_python.recipe.passwordless.asyncio import get_user_by_email

        u = await get_user_by_email(tenant_id, email)
        return [] if u is None else [_passwordless_recipe_user(u)]

    @staticmethod
    async def pl_by_phone_number(tenant_id, phone_number):
        from supertokens_python.recipe.passwordless.asyncio import get_user_by_phone_number

        u = await get_user_by_phone_number(tenant_id, phone_number)
        return [] if u is None else [_passwordless_recipe_user(u)]

    @staticmethod
    async def pl_update_user(user_id, email=None, phone_number=None):
        from supertokens_python.recipe.passwordless.asyncio import update_user

        return await update_user(user_id, email=email, phone_number=phone_number)

    @staticmethod
    async def pl_delete_phone_number(user_id):
        from supertokens_python.recipe.passwordless.asyncio import delete_phone_number_for_user

        return await delete_phone_number_for_user(user_id)

    pl_update_body_key = "userId"
    pl_paths = {"by_id": "GET /recipe/user", "by_account_info": "GET /{tenant}/recipe/user"}
    # revoke_all_codes(phone_number=...) sends the phone number as "email"
    # (up to 0.29), so the core removes nothing.
    pl_revoke_all_phone_key = "email"

    # --- account linking: none (CDI 3.0); the journey's leg is skipped.
    account_linking = False


class V026:
    """0.26.x and later (CDI 5.1+, account linking): primary users with
    login_methods; sign_up/sign_in also answer recipe_user_id, errors are
    EmailAlreadyExistsError / WrongCredentialsError; sessions and email
    verification take a RecipeUserId; supertokens_python.asyncio.get_user reads
    the user; verify_email_using_token answers user(recipe_user_id, email) and
    has attempt_account_linking; TokenTheftError also has recipe_user_id; the
    dashboard's users list holds user JSON (emails, loginMethods)."""

    def __init__(self):
        from supertokens_python.asyncio import get_user
        from supertokens_python.recipe.emailpassword.interfaces import (
            EmailAlreadyExistsError,
            WrongCredentialsError,
        )
        from supertokens_python.types import RecipeUserId

        self._get_user = get_user
        self._recipe_user_id = RecipeUserId
        self.email_exists_error = EmailAlreadyExistsError
        self.wrong_credentials_error = WrongCredentialsError

    def user_id_arg(self, user_id):
        return self._recipe_user_id(user_id)

    @staticmethod
    def auth_result(res):
        return {
            "id": res.user.id,
            "email": res.user.emails[0],
            "recipe_user_id": res.recipe_user_id.get_as_string(),
        }

    async def get_user(self, user_id):
        u = await self._get_user(user_id)
        if u is None:
            return None
        return {
            "id": u.id,
            "emails": u.emails,
            "tenant_ids": u.tenant_ids,
            "time_joined": u.time_joined,
            "recipe_ids": [lm.recipe_id for lm in u.login_methods],
        }

    @staticmethod
    async def verify_email_using_token(token):
        from supertokens_python.recipe.emailverification.asyncio import verify_email_using_token

        return await verify_email_using_token("public", token, False)

    @staticmethod
    def verified_user(user):
        return {"id": user.recipe_user_id.get_as_string(), "email": user.email}

    @staticmethod
    def theft_payload(err):
        return {
            "user_id": err.user_id,
            "recipe_user_id": err.recipe_user_id.get_as_string(),
            "session_handle": err.session_handle,
        }

    @staticmethod
    def expected_theft_payload(user_id, handle):
        return {"user_id": user_id, "recipe_user_id": user_id, "session_handle": handle}

    @staticmethod
    def dashboard_user(entry):
        methods = entry.get("loginMethods") or [{}]
        return {
            "id": entry["id"],
            "emails": entry.get("emails"),
            "first_name": entry.get("firstName"),
            "recipe_id": methods[0].get("recipeId"),
        }

    # --- multitenancy (the v2 API: first_factors; the /v2 paths, which
    # answer firstFactors and thirdParty {providers} only).

    tenant_api = "v2"
    tenant_paths = {
        "create": "PUT /recipe/multitenancy/tenant/v2",
        "get": "GET /{tenant}/recipe/multitenancy/tenant/v2",
        "list": "GET /recipe/multitenancy/tenant/list/v2",
    }

    @staticmethod
    def tenant_create_config():
        from supertokens_python.recipe.multitenancy.interfaces import TenantConfigCreateOrUpdate

        return TenantConfigCreateOrUpdate(first_factors=["emailpassword", "thirdparty"])

    @staticmethod
    def tenant_create_body(tenant_id):
        return {"tenantId": tenant_id, "firstFactors": ["emailpassword", "thirdparty"], "coreConfig": {}}

    @staticmethod
    def tenant_view(t):
        """get_tenant's and list_all_tenants' TenantConfig."""
        return {
            "first_factors": t.first_factors,
            "required_secondary_factors": t.required_secondary_factors,
            "providers": _providers_view(t.third_party_providers),
            "core_config": t.core_config,
        }

    @staticmethod
    def expected_tenant(providers):
        return {
            "first_factors": ["emailpassword", "thirdparty"],
            "required_secondary_factors": None,
            "providers": providers,
            "core_config": {},
        }

    async def associate_user_to_tenant(self, tenant_id, user_id):
        from supertokens_python.recipe.multitenancy.asyncio import associate_user_to_tenant

        return await associate_user_to_tenant(tenant_id, self._recipe_user_id(user_id))

    async def disassociate_user_from_tenant(self, tenant_id, user_id):
        from supertokens_python.recipe.multitenancy.asyncio import disassociate_user_from_tenant

        return await disassociate_user_from_tenant(tenant_id, self._recipe_user_id(user_id))

    associate_body_key = "recipeUserId"

    # --- third party: users with login_methods; manually_create_or_update_user
    # also takes is_verified and answers (user, recipe_user_id,
    # created_new_recipe_user); users are read with get_user (GET /user/id)
    # and list_users_by_account_info (GET /<tenant>/users/by-accountinfo,
    # every recipe's users).

    @staticmethod
    def third_party_user(u):
        if u is None:
            return None
        return {
            "id": u.id,
            "emails": u.emails,
            "third_party": [(t.id, t.user_id) for t in u.third_party],
            "tenant_ids": u.tenant_ids,
            "recipe_ids": [lm.recipe_id for lm in u.login_methods],
        }

    @staticmethod
    async def manually_create_or_update_user(tenant_id, third_party_id, third_party_user_id, email):
        from supertokens_python.recipe.thirdparty.asyncio import manually_create_or_update_user

        res = await manually_create_or_update_user(tenant_id, third_party_id, third_party_user_id, email, False)
        return {
            "result": type(res).__name__,
            "created_new": getattr(res, "created_new_recipe_user", None),
            "recipe_user_id": res.recipe_user_id.get_as_string() if hasattr(res, "recipe_user_id") else None,
            "user": getattr(res, "user", None),
        }

    async def tp_user_by_id(self, user_id):
        return await self._get_user(user_id)

    def _account_info(self, **kwargs):
        from supertokens_python.types import AccountInfo

        return AccountInfo(**kwargs)

    async def tp_users_by_provider(self, tenant_id, third_party_id, third_party_user_id):
        from supertokens_python.asyncio import list_users_by_account_info
        from supertokens_python.recipe.thirdparty.types import ThirdPartyInfo

        info = self._account_info(third_party=ThirdPartyInfo(third_party_user_id, third_party_id))
        return await list_users_by_account_info(tenant_id, info)

    async def users_by_email(self, tenant_id, email):
        from supertokens_python.asyncio import list_users_by_account_info

        return await list_users_by_account_info(tenant_id, self._account_info(email=email))

    tp_paths = {
        "by_id": "GET /user/id",
        "by_provider": "GET /{tenant}/users/by-accountinfo",
        "by_email": "GET /{tenant}/users/by-accountinfo",
    }
    by_email_finds_other_recipes = True

    # --- passwordless: users with login_methods; consume_code answers
    # ConsumeCodeOkResult(created_new_recipe_user, user, recipe_user_id,
    # consumed_device). The passwordless recipe has no getters: users are read
    # with get_user (GET /user/id) and list_users_by_account_info
    # (GET /<tenant>/users/by-accountinfo); update_user(RecipeUserId, ...) and
    # delete_phone_number_for_user(RecipeUserId) → PUT /recipe/user.

    pl_user = staticmethod(_passwordless_user)

    @staticmethod
    def pl_consumed(res):
        d = res.consumed_device
        return {
            "result": type(res).__name__,
            "created_new": res.created_new_recipe_user,
            "recipe_user_id": res.recipe_user_id.get_as_string(),
            "user": _passwordless_user(res.user),
            "consumed_device": {
                "pre_auth_session_id": d.pre_auth_session_id,
                "failed_code_input_attempt_count": d.failed_code_input_attempt_count,
                "email": d.email,
                "phone_number": d.phone_number,
            },
        }

    async def pl_get_user_by_id(self, user_id):
        return _passwordless_user(await self._get_user(user_id))

    async def pl_by_email(self, tenant_id, email):
        from supertokens_python.asyncio import list_users_by_account_info

        return [_passwordless_user(u) for u in await list_users_by_account_info(tenant_id, self._account_info(email=email))]

    async def pl_by_phone_number(self, tenant_id, phone_number):
        from supertokens_python.asyncio import list_users_by_account_info

        info = self._account_info(phone_number=phone_number)
        return [_passwordless_user(u) for u in await list_users_by_account_info(tenant_id, info)]

    async def pl_update_user(self, user_id, email=None, phone_number=None):
        from supertokens_python.recipe.passwordless.asyncio import update_user

        return await update_user(self._recipe_user_id(user_id), email=email, phone_number=phone_number)

    async def pl_delete_phone_number(self, user_id):
        from supertokens_python.recipe.passwordless.asyncio import delete_phone_number_for_user

        return await delete_phone_number_for_user(self._recipe_user_id(user_id))

    pl_update_body_key = "recipeUserId"
    pl_paths = {"by_id": "GET /user/id", "by_account_info": "GET /{tenant}/users/by-accountinfo"}
    # revoke_all_codes(phone_number=...) sends the phone number as "email"
    # (fixed in 0.30), so the core removes nothing.
    pl_revoke_all_phone_key = "email"

    # --- account linking: supertokens_python.recipe.accountlinking.asyncio
    # (the same functions in every release from 0.26): can_create_primary_user
    # / create_primary_user (GET|POST /recipe/accountlinking/user/primary[/check]),
    # can_link_accounts / link_accounts (GET|POST
    # /recipe/accountlinking/user/link[/check]), unlink_account (POST
    # /recipe/accountlinking/user/unlink), all taking a RecipeUserId;
    # supertokens_python.asyncio.delete_user(user_id,
    # remove_all_linked_accounts) → POST /user/remove. Results are classes
    # (CreatePrimaryUserOkResult, LinkAccountsOkResult, ...). can_link_accounts
    # cannot read two of the core's answers: it expects
    # RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR where the core
    # sends ..._WITH_ANOTHER_PRIMARY_USER_ID_ERROR (so it raises "Unknown
    # response status"), and it reads a "description" the core does not send
    # with INPUT_USER_IS_NOT_A_PRIMARY_USER (KeyError).

    account_linking = True

    @staticmethod
    def al_user(u):
        """An account-linking user as the journey compares it."""
        if u is None:
            return None
        return {
            "id": u.id,
            "is_primary_user": u.is_primary_user,
            "emails": u.emails,
            "third_party": [(t.id, t.user_id) for t in u.third_party],
            "tenant_ids": u.tenant_ids,
            "login_methods": sorted(
                (
                    {
                        "recipe_id": lm.recipe_id,
                        "recipe_user_id": lm.recipe_user_id.get_as_string(),
                        "email": lm.email,
                        "third_party": None if lm.third_party is None else (lm.third_party.id, lm.third_party.user_id),
                        "verified": lm.verified,
                        "tenant_ids": lm.tenant_ids,
                    }
                    for lm in u.login_methods
                ),
                key=lambda lm: lm["recipe_id"],
            ),
        }


class V030(V026):
    """0.30.x and later: as V026, but list_users_by_account_info takes an
    AccountInfoInput (supertokens_python.types.base), and passwordless
    revoke_all_codes(phone_number=...) sends phoneNumber."""

    def _account_info(self, **kwargs):
        from supertokens_python.types.base import AccountInfoInput

        return AccountInfoInput(**kwargs)

    pl_revoke_all_phone_key = "phoneNumber"


ADAPTERS = {"v024": V024, "v026": V026, "v030": V030}


def load_release(name):
    if name not in RELEASES:
        raise RuntimeError(f"unknown release {name!r}; one of {', '.join(RELEASES)}")
    release = dict(RELEASES[name], name=name)
    constants = importlib.import_module("supertokens_python.constants")
    release["installed_version"] = constants.VERSION
    release["cdi_supported"] = list(constants.SUPPORTED_CDI_VERSIONS)
    release["adapter"] = ADAPTERS[release["api"]]()
    return release
