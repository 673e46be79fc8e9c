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
    "0.30": {"version": "0.30.4", "cdi": "5.3", "token_version": "5", "api": "v026"},
    "0.31": {"version": "0.31.4", "cdi": "5.4", "token_version": "5", "api": "v026"},
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


ADAPTERS = {"v024": V024, "v026": V026}


def load_release(name):
    if name not in RELEASES:
        raise RuntimeError(f"unknown release {name!r}; one of {', '.join(RELEASES)}")
    release = dict(RELEASES[name], name=name)
    constants = importlib.import_module("supertokens_python.constants")
    release["installed_version"] = constants.VERSION
    release["cdi_supported"] = list(constants.SUPPORTED_CDI_VERSIONS)
    release["adapter"] = ADAPTERS[release["api"]]()
    return release
