"""Account linking through supertokens-python 0.31's own functions: AccountLinking
(create_primary_user, can_create_primary_user, can_link_accounts, link_accounts,
unlink_account) and the automatic linking the recipes do when
accountlinking.init(should_do_automatic_account_linking=...) says so:
EmailPassword sign_up / sign_in, ThirdParty manually_create_or_update_user (no
provider is called, the machine is offline), Passwordless create_code /
consume_code, EmailVerification verify_email_using_token; plus sessions of linked
login methods (also with external user ids), get_user / list_users_by_account_info /
get_users_newest_first / get_user_count / delete_user on linked users, and the rule
that no two primary users share an email, phone number or third-party account in a
tenant (primary users, links, tenant associations, email / phone number updates).

Users live in the public app's public tenant with random emails (the tenant and
update tests run in apps of their own, created over HTTP and removed afterwards). Each test
is one coroutine (sdk.run): the steps build on each other. Listing and counting
rely on the scenario files running one at a time.

supertokens-python 0.31.4 quirks met here (the SDK's, not the core's; the
scenarios assert them and read the core's answer through the recipe's querier):
- can_link_accounts only knows RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR
  (the create-primary status); the core answers
  RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR, which the SDK
  raises as `Unknown response status`;
- can_link_accounts reads a `description` in INPUT_USER_IS_NOT_A_PRIMARY_USER,
  which the core does not send (a KeyError); link_accounts reads nothing there;
- email changes (EmailPassword update_email_or_password, Passwordless update_user,
  ThirdParty manually_create_or_update_user) are refused by the SDK itself
  (is_email_change_allowed) before the core is asked, so the core's own refusal is
  checked through the recipes' queriers;
- create_new_session_without_request_response with the SuperTokens id of a login
  method that has an external id fails in the SDK (UNKNOWN_USER_ID from the
  email-verification claim), so that request is sent through the querier.
"""

import asyncio
import random
import time
import uuid
from urllib.parse import urlparse

import phonenumbers
import pytest

from core_http import Core, Recorder
from core_http import tag as _tag

from supertokens_python.asyncio import (
    delete_user,
    get_user,
    get_user_count,
    get_users_newest_first,
    list_users_by_account_info,
)
from supertokens_python.normalised_url_path import NormalisedURLPath
from supertokens_python.recipe import (
    accountlinking,
    emailpassword,
    emailverification,
    multitenancy,
    passwordless,
    session,
    thirdparty,
)
from supertokens_python.recipe.accountlinking import ShouldAutomaticallyLink, ShouldNotAutomaticallyLink
from supertokens_python.recipe.accountlinking.asyncio import (
    can_create_primary_user,
    can_link_accounts,
    create_primary_user,
    link_accounts,
    unlink_account,
)
from supertokens_python.recipe.accountlinking.interfaces import (
    CanCreatePrimaryUserAccountInfoAlreadyAssociatedError,
    CanCreatePrimaryUserOkResult,
    CanCreatePrimaryUserRecipeUserIdAlreadyLinkedError,
    CanLinkAccountsAccountInfoAlreadyAssociatedError,
    CanLinkAccountsOkResult,
    CreatePrimaryUserAccountInfoAlreadyAssociatedError,
    CreatePrimaryUserOkResult,
    CreatePrimaryUserRecipeUserIdAlreadyLinkedError,
    LinkAccountsAccountInfoAlreadyAssociatedError,
    LinkAccountsInputUserNotPrimaryError,
    LinkAccountsOkResult,
    LinkAccountsRecipeUserIdAlreadyLinkedError,
    UnlinkAccountOkResult,
)
from supertokens_python.recipe.accountlinking.recipe import AccountLinkingRecipe
from supertokens_python.recipe.emailpassword.asyncio import sign_in, sign_up
from supertokens_python.recipe.emailpassword.interfaces import SignInOkResult, SignUpOkResult, WrongCredentialsError
from supertokens_python.recipe.emailverification.asyncio import (
    create_email_verification_token,
    is_email_verified,
    verify_email_using_token,
)
from supertokens_python.recipe.emailverification.interfaces import CreateEmailVerificationTokenOkResult
from supertokens_python.recipe.multitenancy.asyncio import associate_user_to_tenant, create_or_update_tenant
from supertokens_python.recipe.multitenancy.interfaces import (
    AssociateUserToTenantNotAllowedError,
    AssociateUserToTenantOkResult,
    TenantConfigCreateOrUpdate,
)
from supertokens_python.recipe.passwordless import ContactEmailOrPhoneConfig
from supertokens_python.recipe.passwordless.asyncio import consume_code, create_code
from supertokens_python.recipe.passwordless.interfaces import ConsumeCodeOkResult
from supertokens_python.recipe.session.asyncio import (
    create_new_session_without_request_response,
    get_all_session_handles_for_user,
    get_session_information,
    get_session_without_request_response,
)
from supertokens_python.recipe.thirdparty.asyncio import manually_create_or_update_user
from supertokens_python.recipe.thirdparty.interfaces import ManuallyCreateOrUpdateUserOkResult
from supertokens_python.recipe.thirdparty.types import ThirdPartyInfo
from supertokens_python.types import RecipeUserId
from supertokens_python.types.base import AccountInfoInput

PASSWORD = "linking-Passw0rd"


# --- helpers -------------------------------------------------------------------------


def _email(prefix):
    return f"py-al-{prefix}-{_tag()}@example.com"


def _provider():
    return f"sdk-py-al-{_tag(4)}"


def _phone():
    """A random valid US number in E.164."""
    while True:
        number = f"+1650{random.randint(200, 999)}{random.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
            return number


def _unknown_id():
    return str(uuid.uuid4())





class Linking:
    """should_do_automatic_account_linking: link (requiring verification) or not,
    and remember what the SDK asked."""

    def __init__(self, link=True, require_verification=True):
        self.link = link
        self.require_verification = require_verification
        self.asked = []

    async def __call__(self, new_account_info, user, session_, tenant_id, user_context):
        self.asked.append((new_account_info.recipe_id, user.id if user is not None else None, tenant_id))
        if not self.link:
            return ShouldNotAutomaticallyLink()
        return ShouldAutomaticallyLink(should_require_verification=self.require_verification)


class Answers:
    """The core's answers to the AccountLinking recipe's own querier (the SDK maps them
    to result classes; this keeps the raw JSON, to check its exact fields)."""

    def __init__(self):
        self.seen = []
        querier = AccountLinkingRecipe.get_instance().recipe_implementation.querier
        for name in ("send_get_request", "send_post_request"):
            setattr(querier, name, self._wrap(getattr(querier, name)))

    def _wrap(self, original):
        async def send(path, *args, **kwargs):
            res = await original(path, *args, **kwargs)
            self.seen.append((path.get_as_string_dangerous(), {k: v for k, v in res.items() if k != "_headers"}))
            return res

        return send

    def last(self, path):
        found = [res for p, res in self.seen if p == path]
        assert found, (path, [p for p, _ in self.seen])
        return found[-1]

    def keys(self, path):
        return sorted(self.last(path))


def _init(sdk, linking, rec=None, connection_uri=None):
    sdk.init(
        connection_uri=connection_uri,
        network_interceptor=rec,
        recipe_list=[
            emailpassword.init(),
            thirdparty.init(),
            passwordless.init(contact_config=ContactEmailOrPhoneConfig(), flow_type="USER_INPUT_CODE"),
            emailverification.init(mode="OPTIONAL"),
            multitenancy.init(),
            accountlinking.init(should_do_automatic_account_linking=linking),
            session.init(),
        ],
    )


async def _core_get(path, params):
    """A GET to the core through the AccountLinking recipe's own querier (the SDK's
    client, with its api key and cdi-version): the core's raw answer."""
    querier = AccountLinkingRecipe.get_instance().recipe_implementation.querier
    res = await querier.send_get_request(NormalisedURLPath(path), params, user_context={})
    res.pop("_headers", None)  # added by the querier
    return res


# Recipe user ids made by the running test; deleted (with their linked accounts) after
# it, also when it fails: a leftover linked user would show up in other files' listings.
_MADE = []


@pytest.fixture(autouse=True)
def _remove_made_users(sdk):
    _MADE.clear()
    yield
    for uid in _MADE:
        try:
            sdk.run(delete_user(uid))
        except Exception:
            pass  # gone with its app, or the SDK was not initialised
    _MADE.clear()


async def _ep(email, tenant="public"):
    res = await sign_up(tenant, email, PASSWORD)
    assert isinstance(res, SignUpOkResult), res
    _MADE.append(res.recipe_user_id.get_as_string())
    return res


async def _verify(recipe_user_id, email, tenant="public"):
    token = await create_email_verification_token(tenant, RecipeUserId(recipe_user_id), email)
    assert isinstance(token, CreateEmailVerificationTokenOkResult), token
    res = await verify_email_using_token(tenant, token.token)
    assert res.status == "OK", res
    return res


async def _tp(provider, tp_user, email, verified, tenant="public"):
    res = await manually_create_or_update_user(tenant, provider, tp_user, email, verified)
    assert isinstance(res, ManuallyCreateOrUpdateUserOkResult), res
    _MADE.append(res.recipe_user_id.get_as_string())
    return res


async def _pless_email(email, tenant="public"):
    code = await create_code(tenant, email=email)
    res = await consume_code(tenant, code.pre_auth_session_id, code.user_input_code, code.device_id)
    assert isinstance(res, ConsumeCodeOkResult), res
    _MADE.append(res.recipe_user_id.get_as_string())
    return res


async def _pless_phone(phone, tenant="public"):
    code = await create_code(tenant, phone_number=phone)
    res = await consume_code(tenant, code.pre_auth_session_id, code.user_input_code, code.device_id)
    assert isinstance(res, ConsumeCodeOkResult), res
    _MADE.append(res.recipe_user_id.get_as_string())
    return res


def _lms(user):
    """(recipeId, recipeUserId) of each login method, in the core's order."""
    return [(lm.recipe_id, lm.recipe_user_id.get_as_string()) for lm in user.login_methods]


def _assert_standalone(user, recipe_id, primary=False):
    assert user.is_primary_user is primary
    assert [lm.recipe_id for lm in user.login_methods] == [recipe_id]
    assert user.login_methods[0].recipe_user_id.get_as_string() == user.id


async def _linked_pair():
    """An email-password user with a verified email (primary), and a third-party user
    with the same verified email linked to it. Needs automatic linking on."""
    email = _email("pair")
    ep = await _ep(email)
    await asyncio.sleep(0.01)
    await _verify(ep.user.id, email)
    provider, tp_user = _provider(), f"tpu-{_tag()}"
    tp = await _tp(provider, tp_user, email, True)
    assert tp.user.id == ep.user.id, _lms(tp.user)
    return email, ep.user.id, tp.recipe_user_id.get_as_string(), provider, tp_user


# --- tests ---------------------------------------------------------------------------


def test_a_verified_third_party_sign_in_links_to_the_verified_email_password_user(sdk):
    rec = Recorder()
    linking = Linking()
    _init(sdk, linking, rec)

    async def scenario():
        email = _email("auto")
        # sign up: the email is not verified, so (verification required) no primary user yet
        ep = await _ep(email)
        ep_id = ep.user.id
        assert ep.recipe_user_id.get_as_string() == ep_id
        _assert_standalone(ep.user, "emailpassword", primary=False)
        assert ep.user.login_methods[0].verified is False
        assert ("emailpassword", None, "public") in linking.asked
        assert not any(c["path"].startswith("/recipe/accountlinking/") for c in rec.calls)

        # an unverified third-party account with that email is not linked (nor primary)
        p0, u0 = _provider(), f"tpu-{_tag()}"
        unverified = await _tp(p0, u0, email, False)
        assert unverified.created_new_recipe_user is True
        assert unverified.user.id == unverified.recipe_user_id.get_as_string() != ep_id
        _assert_standalone(unverified.user, "thirdparty", primary=False)

        # verifying the email makes the email-password user primary (SDK: create_primary_user)
        start = rec.mark()
        await _verify(ep_id, email)
        made = [c for c in rec.since(start) if c["path"] == "/recipe/accountlinking/user/primary"]
        assert [c["body"] for c in made] == [{"recipeUserId": ep_id}], rec.paths(start)
        assert made[0]["headers"]["cdi-version"] == "5.4"
        primary = await get_user(ep_id)
        assert primary.is_primary_user is True
        assert primary.id == ep_id
        assert _lms(primary) == [("emailpassword", ep_id)]
        assert primary.login_methods[0].verified is True

        # a verified third-party sign-in with the same email (other case) links automatically
        p1, u1 = _provider(), f"tpu-{_tag()}"
        start = rec.mark()
        tp = await _tp(p1, u1, email.upper(), True)
        tp_id = tp.recipe_user_id.get_as_string()
        assert tp.created_new_recipe_user is True
        assert tp_id != ep_id
        links = [c for c in rec.since(start) if c["path"] == "/recipe/accountlinking/user/link"]
        assert [c["body"] for c in links] == [{"recipeUserId": tp_id, "primaryUserId": ep_id}], rec.paths(start)
        user = tp.user
        assert user.id == ep_id
        assert user.is_primary_user is True
        assert user.tenant_ids == ["public"]
        assert user.emails == [email]
        assert user.phone_numbers == []
        assert [(t.id, t.user_id) for t in user.third_party] == [(p1, u1)]
        assert _lms(user) == [("emailpassword", ep_id), ("thirdparty", tp_id)]
        tp_lm = user.login_methods[1]
        assert tp_lm.email == email and tp_lm.verified is True
        assert (tp_lm.third_party.id, tp_lm.third_party.user_id) == (p1, u1)
        assert user.time_joined == primary.time_joined == user.login_methods[0].time_joined
        assert user.login_methods[0].time_joined < tp_lm.time_joined
        assert abs(time.time() * 1000 - tp_lm.time_joined) < 5 * 60 * 1000

        # /user/id answers the primary user for either recipe user id
        by_tp = await get_user(tp_id)
        assert by_tp is not None and by_tp.to_json() == user.to_json()
        assert (await get_user(ep_id)).to_json() == user.to_json()
        assert await is_email_verified(RecipeUserId(tp_id), email) is True

        # the unverified account with the same email stayed apart
        apart = await get_user(unverified.user.id)
        _assert_standalone(apart, "thirdparty", primary=False)

        # look-ups by account info answer the primary user once
        by_email = await list_users_by_account_info("public", AccountInfoInput(email=email))
        assert sorted(u.id for u in by_email) == sorted([ep_id, unverified.user.id])
        assert [u.to_json() for u in by_email if u.id == ep_id] == [user.to_json()]
        by_tp_info = await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(u1, p1)))
        assert [u.to_json() for u in by_tp_info] == [user.to_json()]
        both = await list_users_by_account_info("public", AccountInfoInput(email=email, third_party=ThirdPartyInfo(u1, p1)))
        assert [u.id for u in both] == [ep_id]
        union = await list_users_by_account_info(
            "public", AccountInfoInput(email=email, third_party=ThirdPartyInfo(u1, p1)), do_union_of_account_info=True
        )
        assert sorted(u.id for u in union) == sorted([ep_id, unverified.user.id])

        # sign in with either login method: the primary user, the login method's recipe user id
        signed = await sign_in("public", email, PASSWORD)
        assert isinstance(signed, SignInOkResult)
        assert signed.user.id == ep_id and signed.recipe_user_id.get_as_string() == ep_id
        assert _lms(signed.user) == [("emailpassword", ep_id), ("thirdparty", tp_id)]
        again = await _tp(p1, u1, email, True)
        assert again.created_new_recipe_user is False
        assert again.recipe_user_id.get_as_string() == tp_id
        assert again.user.id == ep_id and len(again.user.login_methods) == 2

        await delete_user(ep_id)
        await delete_user(unverified.user.id)
        assert await get_user(tp_id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(email=email)) == []

    sdk.run(scenario())


def test_sessions_of_linked_login_methods(sdk):
    _init(sdk, Linking())

    async def scenario():
        email, ep_id, tp_id, _, _ = await _linked_pair()

        s_tp = await create_new_session_without_request_response("public", RecipeUserId(tp_id))
        assert s_tp.get_user_id() == ep_id
        assert s_tp.get_recipe_user_id().get_as_string() == tp_id
        payload = s_tp.get_access_token_payload()
        assert (payload["sub"], payload["rsub"]) == (ep_id, tp_id)
        s_ep = await create_new_session_without_request_response("public", RecipeUserId(ep_id))
        assert s_ep.get_user_id() == ep_id
        assert s_ep.get_recipe_user_id().get_as_string() == ep_id
        assert (s_ep.get_access_token_payload()["sub"], s_ep.get_access_token_payload()["rsub"]) == (ep_id, ep_id)

        # read back: locally verified token, and the core's session information
        got = await get_session_without_request_response(s_tp.get_access_token())
        assert got is not None
        assert (got.get_user_id(), got.get_recipe_user_id().get_as_string()) == (ep_id, tp_id)
        checked = await get_session_without_request_response(s_tp.get_access_token(), check_database=True)
        assert (checked.get_user_id(), checked.get_recipe_user_id().get_as_string()) == (ep_id, tp_id)
        info = await get_session_information(s_tp.get_handle())
        assert (info.user_id, info.recipe_user_id.get_as_string()) == (ep_id, tp_id)
        info = await get_session_information(s_ep.get_handle())
        assert (info.user_id, info.recipe_user_id.get_as_string()) == (ep_id, ep_id)

        # refreshed: still the primary user and the login method
        from supertokens_python.recipe.session.asyncio import refresh_session_without_request_response

        refreshed = await refresh_session_without_request_response(s_tp.get_all_session_tokens_dangerously()["refreshToken"])
        assert (refreshed.get_user_id(), refreshed.get_recipe_user_id().get_as_string()) == (ep_id, tp_id)

        # session handles: a login method's own, or all of the primary user's
        both = sorted([s_tp.get_handle(), s_ep.get_handle()])
        assert sorted(await get_all_session_handles_for_user(ep_id)) == both
        assert sorted(await get_all_session_handles_for_user(tp_id)) == both
        assert await get_all_session_handles_for_user(ep_id, fetch_sessions_for_linked_accounts=False) == [s_ep.get_handle()]
        assert await get_all_session_handles_for_user(tp_id, fetch_sessions_for_linked_accounts=False) == [s_tp.get_handle()]

        await delete_user(ep_id)
        assert await get_session_information(s_tp.get_handle()) is None
        assert await get_session_information(s_ep.get_handle()) is None

    sdk.run(scenario())


def test_unlink_account(sdk):
    rec = Recorder()
    _init(sdk, Linking(), rec)

    async def scenario():
        email, ep_id, tp_id, provider, tp_user = await _linked_pair()
        linked = await get_user(ep_id)
        s_tp = await create_new_session_without_request_response("public", RecipeUserId(tp_id))
        s_ep = await create_new_session_without_request_response("public", RecipeUserId(ep_id))

        # unlink the third-party login method: two users again
        answers = Answers()
        start = rec.mark()
        res = await unlink_account(RecipeUserId(tp_id))
        assert answers.last("/recipe/accountlinking/user/unlink") == {"status": "OK", "wasRecipeUserDeleted": False, "wasLinked": True}
        assert rec.paths(start) == ["POST /recipe/accountlinking/user/unlink"]
        assert rec.since(start)[0]["body"] == {"recipeUserId": tp_id}
        assert isinstance(res, UnlinkAccountOkResult)
        assert (res.was_linked, res.was_recipe_user_deleted) == (True, False)
        tp_user_now = await get_user(tp_id)
        assert tp_user_now is not None and tp_user_now.id == tp_id
        _assert_standalone(tp_user_now, "thirdparty", primary=False)
        assert tp_user_now.login_methods[0].time_joined == tp_user_now.time_joined
        ep_user_now = await get_user(ep_id)
        _assert_standalone(ep_user_now, "emailpassword", primary=True)
        assert ep_user_now.time_joined == linked.time_joined
        assert sorted(u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=email))) == sorted([ep_id, tp_id])
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider)))] == [tp_id]
        # the unlinked login method's sessions are revoked, the primary's are kept
        assert await get_session_information(s_tp.get_handle()) is None
        assert (await get_session_information(s_ep.get_handle())) is not None
        # a new session of the unlinked user is its own
        s_alone = await create_new_session_without_request_response("public", RecipeUserId(tp_id))
        assert (s_alone.get_user_id(), s_alone.get_recipe_user_id().get_as_string()) == (tp_id, tp_id)

        # unlinking it again: it was not linked
        again = await unlink_account(RecipeUserId(tp_id))
        assert (again.was_linked, again.was_recipe_user_deleted) == (False, False)

        # link it back (manually); its own sessions are revoked (its user id changed)
        relinked = await link_accounts(RecipeUserId(tp_id), ep_id)
        assert isinstance(relinked, LinkAccountsOkResult)
        assert relinked.accounts_already_linked is False
        assert _lms(relinked.user) == [("emailpassword", ep_id), ("thirdparty", tp_id)]
        assert await get_session_information(s_alone.get_handle()) is None

        # unlinking the primary user's own login method while others are linked deletes that recipe user;
        # the others stay linked under the primary user id
        res = await unlink_account(RecipeUserId(ep_id))
        assert (res.was_linked, res.was_recipe_user_deleted) == (True, True)
        rest = await get_user(ep_id)
        assert rest is not None
        assert rest.id == ep_id and rest.is_primary_user is True
        assert _lms(rest) == [("thirdparty", tp_id)]
        assert (await get_user(tp_id)).to_json() == rest.to_json()
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=email))] == [ep_id]
        assert await get_session_information(s_ep.get_handle()) is None

        # the last login method of a primary user: it just stops being primary
        await delete_user(ep_id)
        assert await get_user(tp_id) is None
        solo = await _ep(_email("solo"))
        made = await create_primary_user(solo.recipe_user_id)
        assert isinstance(made, CreatePrimaryUserOkResult)
        res = await unlink_account(solo.recipe_user_id)
        assert (res.was_linked, res.was_recipe_user_deleted) == (True, False)
        _assert_standalone(await get_user(solo.user.id), "emailpassword", primary=False)
        await delete_user(solo.user.id)

        with pytest.raises(Exception, match="400"):
            await unlink_account(RecipeUserId(_unknown_id()))

    sdk.run(scenario())


def test_manual_primary_users_and_linking(sdk):
    rec = Recorder()
    linking = Linking(link=False)
    _init(sdk, linking, rec)

    async def scenario():
        answers = Answers()
        PRIMARY, PRIMARY_CHECK = "/recipe/accountlinking/user/primary", "/recipe/accountlinking/user/primary/check"
        LINK, LINK_CHECK = "/recipe/accountlinking/user/link", "/recipe/accountlinking/user/link/check"
        ERROR_KEYS = ["description", "primaryUserId", "status"]
        email_a = _email("man-a")
        a = (await _ep(email_a)).user.id
        p = _provider()
        b = (await _tp(p, f"tpu-{_tag()}", _email("man-b"), True)).user.id
        c = (await _tp(p, f"tpu-{_tag()}", email_a, True)).user.id  # same email as a
        e = (await _ep(_email("man-e"))).user.id
        f = (await _tp(p, f"tpu-{_tag()}", _email("man-f"), False)).user.id
        for uid in (a, b, c, e, f):
            assert (await get_user(uid)).is_primary_user is False  # no automatic linking

        # create a primary user
        start = rec.mark()
        can = await can_create_primary_user(RecipeUserId(a))
        assert rec.paths(start) == ["GET /recipe/accountlinking/user/primary/check"]
        assert rec.since(start)[0]["params"] == {"recipeUserId": a}
        assert isinstance(can, CanCreatePrimaryUserOkResult) and can.was_already_a_primary_user is False
        assert answers.last(PRIMARY_CHECK) == {"status": "OK", "wasAlreadyAPrimaryUser": False}
        start = rec.mark()
        made = await create_primary_user(RecipeUserId(a))
        assert rec.paths(start) == ["POST /recipe/accountlinking/user/primary"]
        assert isinstance(made, CreatePrimaryUserOkResult)
        assert made.was_already_a_primary_user is False
        assert made.user.id == a and made.user.is_primary_user is True
        assert _lms(made.user) == [("emailpassword", a)]
        assert answers.keys(PRIMARY) == ["status", "user", "wasAlreadyAPrimaryUser"]
        again = await create_primary_user(RecipeUserId(a))
        assert isinstance(again, CreatePrimaryUserOkResult) and again.was_already_a_primary_user is True
        assert again.user.to_json() == made.user.to_json()
        can = await can_create_primary_user(RecipeUserId(a))
        assert isinstance(can, CanCreatePrimaryUserOkResult) and can.was_already_a_primary_user is True

        # c has a's email: it cannot become primary
        can_c = await can_create_primary_user(RecipeUserId(c))
        assert isinstance(can_c, CanCreatePrimaryUserAccountInfoAlreadyAssociatedError), vars(can_c)
        assert can_c.primary_user_id == a and can_c.description
        assert answers.keys(PRIMARY_CHECK) == ERROR_KEYS
        made_c = await create_primary_user(RecipeUserId(c))
        assert isinstance(made_c, CreatePrimaryUserAccountInfoAlreadyAssociatedError), vars(made_c)
        assert made_c.primary_user_id == a and made_c.description
        assert answers.keys(PRIMARY) == ERROR_KEYS
        assert (await get_user(c)).is_primary_user is False

        # link b to a
        start = rec.mark()
        can_link = await can_link_accounts(RecipeUserId(b), a)
        assert rec.paths(start) == ["GET /recipe/accountlinking/user/link/check"]
        assert rec.since(start)[0]["params"] == {"recipeUserId": b, "primaryUserId": a}
        assert isinstance(can_link, CanLinkAccountsOkResult) and can_link.accounts_already_linked is False
        assert answers.last(LINK_CHECK) == {"status": "OK", "accountsAlreadyLinked": False}
        assert (await get_user(b)).is_primary_user is False  # a check changes nothing
        start = rec.mark()
        linked = await link_accounts(RecipeUserId(b), a)
        assert rec.paths(start)[0] == "POST /recipe/accountlinking/user/link"
        assert rec.since(start)[0]["body"] == {"recipeUserId": b, "primaryUserId": a}
        assert isinstance(linked, LinkAccountsOkResult), vars(linked)
        assert linked.accounts_already_linked is False
        assert answers.keys(LINK) == ["accountsAlreadyLinked", "status", "user"]
        assert linked.user.id == a and linked.user.is_primary_user is True
        assert _lms(linked.user) == [("emailpassword", a), ("thirdparty", b)]
        assert sorted(linked.user.emails) == sorted([email_a, (await get_user(b)).login_methods[1].email])
        relinked = await link_accounts(RecipeUserId(b), a)
        assert isinstance(relinked, LinkAccountsOkResult) and relinked.accounts_already_linked is True
        assert relinked.user.to_json() == linked.user.to_json()
        can_link = await can_link_accounts(RecipeUserId(b), a)
        assert isinstance(can_link, CanLinkAccountsOkResult) and can_link.accounts_already_linked is True

        # b is linked to a: it cannot become primary
        can_b = await can_create_primary_user(RecipeUserId(b))
        assert isinstance(can_b, CanCreatePrimaryUserRecipeUserIdAlreadyLinkedError), vars(can_b)
        assert can_b.primary_user_id == a and can_b.description
        assert answers.keys(PRIMARY_CHECK) == ERROR_KEYS
        made_b = await create_primary_user(RecipeUserId(b))
        assert isinstance(made_b, CreatePrimaryUserRecipeUserIdAlreadyLinkedError), vars(made_b)
        assert made_b.primary_user_id == a and made_b.description
        assert answers.keys(PRIMARY) == ERROR_KEYS

        # e is not primary: nothing can be linked to it
        not_primary = await link_accounts(RecipeUserId(f), e)
        assert isinstance(not_primary, LinkAccountsInputUserNotPrimaryError), vars(not_primary)
        assert answers.last(LINK) == {"status": "INPUT_USER_IS_NOT_A_PRIMARY_USER"}
        # SDK quirk: can_link_accounts reads a `description` the core does not send
        with pytest.raises(KeyError, match="description"):
            await can_link_accounts(RecipeUserId(f), e)
        assert await _core_get("/recipe/accountlinking/user/link/check", {"recipeUserId": f, "primaryUserId": e}) == {
            "status": "INPUT_USER_IS_NOT_A_PRIMARY_USER"
        }
        assert (await get_user(f)).is_primary_user is False

        # b is linked to a: it cannot be linked to another primary user e
        assert isinstance(await create_primary_user(RecipeUserId(e)), CreatePrimaryUserOkResult)
        elsewhere = await link_accounts(RecipeUserId(b), e)
        assert isinstance(elsewhere, LinkAccountsRecipeUserIdAlreadyLinkedError), vars(elsewhere)
        assert elsewhere.primary_user_id == a and elsewhere.description
        assert elsewhere.user.id == a and _lms(elsewhere.user) == [("emailpassword", a), ("thirdparty", b)]
        assert answers.keys(LINK) == ["description", "primaryUserId", "status", "user"]
        # SDK quirk: can_link_accounts does not know the status the core sends here
        with pytest.raises(Exception, match="Unknown response status: RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR"):
            await can_link_accounts(RecipeUserId(b), e)
        raw = await _core_get("/recipe/accountlinking/user/link/check", {"recipeUserId": b, "primaryUserId": e})
        assert raw["status"] == "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", raw
        assert raw["primaryUserId"] == a and raw["description"], raw
        assert set(raw) == {"status", "primaryUserId", "description"}, raw
        # a primary user itself cannot be linked to another primary user either
        primary_into_primary = await link_accounts(RecipeUserId(e), a)
        assert isinstance(primary_into_primary, LinkAccountsRecipeUserIdAlreadyLinkedError), vars(primary_into_primary)
        assert primary_into_primary.primary_user_id == e
        assert (await get_user(e)).is_primary_user is True and len((await get_user(e)).login_methods) == 1

        # c has a's email: it cannot be linked to e (account info already associated with a)
        can_ce = await can_link_accounts(RecipeUserId(c), e)
        assert isinstance(can_ce, CanLinkAccountsAccountInfoAlreadyAssociatedError), vars(can_ce)
        assert can_ce.primary_user_id == a and can_ce.description
        assert answers.keys(LINK_CHECK) == ERROR_KEYS
        link_ce = await link_accounts(RecipeUserId(c), e)
        assert isinstance(link_ce, LinkAccountsAccountInfoAlreadyAssociatedError), vars(link_ce)
        assert link_ce.primary_user_id == a and link_ce.description
        assert answers.keys(LINK) == ERROR_KEYS
        assert _lms(await get_user(e)) == [("emailpassword", e)]
        # ... but it can be linked to a, which has that email
        into_a = await link_accounts(RecipeUserId(c), a)
        assert isinstance(into_a, LinkAccountsOkResult), vars(into_a)
        assert _lms(into_a.user) == [("emailpassword", a), ("thirdparty", b), ("thirdparty", c)]
        assert sorted(lm.recipe_user_id.get_as_string() for lm in (await get_user(c)).login_methods) == sorted([a, b, c])

        # a primary user linked to itself: already linked
        self_link = await link_accounts(RecipeUserId(a), a)
        assert isinstance(self_link, LinkAccountsOkResult) and self_link.accounts_already_linked is True
        # a linked login method's id stands for its primary user
        h = (await _tp(p, f"tpu-{_tag()}", _email("man-h"), True)).user.id
        can_hb = await can_link_accounts(RecipeUserId(h), b)
        assert isinstance(can_hb, CanLinkAccountsOkResult) and can_hb.accounts_already_linked is False
        via_b = await link_accounts(RecipeUserId(h), b)
        assert isinstance(via_b, LinkAccountsOkResult), vars(via_b)
        assert via_b.user.id == a
        assert _lms(via_b.user)[-1] == ("thirdparty", h) and len(via_b.user.login_methods) == 4

        # a standalone user with e's email cannot join a (e, another primary user, has it)
        g = (await _tp(p, f"tpu-{_tag()}", (await get_user(e)).emails[0], True)).user.id
        link_ga = await link_accounts(RecipeUserId(g), a)
        assert isinstance(link_ga, LinkAccountsAccountInfoAlreadyAssociatedError), vars(link_ga)
        assert link_ga.primary_user_id == e

        # unknown ids are the core's 400, raised by the querier
        with pytest.raises(Exception, match="400.*Unknown user ID provided"):
            await can_create_primary_user(RecipeUserId(_unknown_id()))
        with pytest.raises(Exception, match="400.*Unknown user ID provided"):
            await create_primary_user(RecipeUserId(_unknown_id()))
        with pytest.raises(Exception, match="400.*Unknown user ID provided"):
            await link_accounts(RecipeUserId(_unknown_id()), a)
        with pytest.raises(Exception, match="400.*Unknown user ID provided"):
            await link_accounts(RecipeUserId(f), _unknown_id())

        for uid in (a, e, f, g):
            await delete_user(uid)
        for uid in (a, b, c, e, f, g, h):
            assert await get_user(uid) is None

    sdk.run(scenario())


def test_delete_linked_users(sdk):
    _init(sdk, Linking())

    async def scenario():
        # a linked login method, without the others: the primary user keeps the rest
        email, ep_id, tp_id, provider, tp_user = await _linked_pair()
        s_ep = await create_new_session_without_request_response("public", RecipeUserId(ep_id))
        s_tp = await create_new_session_without_request_response("public", RecipeUserId(tp_id))
        await delete_user(tp_id, remove_all_linked_accounts=False)
        rest = await get_user(ep_id)
        assert rest is not None
        _assert_standalone(rest, "emailpassword", primary=True)
        assert await get_user(tp_id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider))) == []
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=email))] == [ep_id]
        assert await get_session_information(s_tp.get_handle()) is None
        assert await get_session_information(s_ep.get_handle()) is not None
        await delete_user(ep_id)
        assert await get_user(ep_id) is None

        # the primary user's own login method, without the others: the rest keeps the primary id
        email, ep_id, tp_id, provider, tp_user = await _linked_pair()
        s_tp = await create_new_session_without_request_response("public", RecipeUserId(tp_id))
        await delete_user(ep_id, remove_all_linked_accounts=False)
        rest = await get_user(ep_id)
        assert rest is not None
        assert rest.id == ep_id and rest.is_primary_user is True
        assert _lms(rest) == [("thirdparty", tp_id)]
        assert (await get_user(tp_id)).to_json() == rest.to_json()
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=email))] == [ep_id]
        assert isinstance(await sign_in("public", email, PASSWORD), WrongCredentialsError)
        info = await get_session_information(s_tp.get_handle())
        assert info is not None and (info.user_id, info.recipe_user_id.get_as_string()) == (ep_id, tp_id)
        await delete_user(tp_id)
        assert await get_user(ep_id) is None

        # all linked accounts (the default), by a linked login method's id
        email, ep_id, tp_id, provider, tp_user = await _linked_pair()
        s_ep = await create_new_session_without_request_response("public", RecipeUserId(ep_id))
        await delete_user(tp_id, remove_all_linked_accounts=True)
        assert await get_user(ep_id) is None
        assert await get_user(tp_id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(email=email)) == []
        assert await get_session_information(s_ep.get_handle()) is None

        # all linked accounts, by the primary id
        email, ep_id, tp_id, provider, tp_user = await _linked_pair()
        await delete_user(ep_id)
        assert await get_user(ep_id) is None
        assert await get_user(tp_id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(third_party=ThirdPartyInfo(tp_user, provider))) == []

    sdk.run(scenario())


def test_passwordless_sign_in_links_automatically(sdk):
    rec = Recorder()
    _init(sdk, Linking(), rec)

    async def scenario():
        # a verified email-password primary user; a passwordless sign-in with that email joins it
        email = _email("pl")
        ep = await _ep(email)
        ep_id = ep.user.id
        await _verify(ep_id, email)
        assert (await get_user(ep_id)).is_primary_user is True
        start = rec.mark()
        pl = await _pless_email(email)
        pl_id = pl.recipe_user_id.get_as_string()
        assert pl.created_new_recipe_user is True
        assert pl_id != ep_id
        assert [c["body"] for c in rec.since(start) if c["path"] == "/recipe/accountlinking/user/link"] == [
            {"recipeUserId": pl_id, "primaryUserId": ep_id}
        ]
        assert pl.user.id == ep_id and pl.user.is_primary_user is True
        assert _lms(pl.user) == [("emailpassword", ep_id), ("passwordless", pl_id)]
        assert pl.user.login_methods[1].email == email and pl.user.login_methods[1].verified is True
        assert pl.user.emails == [email]
        # signing in again by passwordless: the same login method of the same user
        pl2 = await _pless_email(email)
        assert pl2.created_new_recipe_user is False
        assert pl2.recipe_user_id.get_as_string() == pl_id and pl2.user.id == ep_id
        s = await create_new_session_without_request_response("public", pl2.recipe_user_id)
        assert (s.get_user_id(), s.get_recipe_user_id().get_as_string()) == (ep_id, pl_id)
        await delete_user(ep_id)
        assert await get_user(pl_id) is None

        # an unverified email-password user: the (verified) passwordless user becomes primary
        # instead, and the email-password user joins it once its email is verified
        email = _email("pl-late")
        late = (await _ep(email)).user.id
        await asyncio.sleep(0.01)
        pl = await _pless_email(email)
        pl_id = pl.recipe_user_id.get_as_string()
        assert pl.user.id == pl_id
        _assert_standalone(pl.user, "passwordless", primary=True)
        _assert_standalone(await get_user(late), "emailpassword", primary=False)
        await _verify(late, email)
        joined = await get_user(late)
        assert joined.id == pl_id and joined.is_primary_user is True
        assert _lms(joined) == [("emailpassword", late), ("passwordless", pl_id)]
        # the primary user's time joined is its oldest login method's
        assert joined.time_joined == joined.login_methods[0].time_joined < joined.login_methods[1].time_joined
        assert isinstance(await sign_in("public", email, PASSWORD), SignInOkResult)
        assert (await sign_in("public", email, PASSWORD)).user.id == pl_id
        await delete_user(pl_id)
        assert await get_user(late) is None

        # a phone number only: a primary user of its own (a phone login method counts as verified)
        phone = _phone()
        ph = await _pless_phone(phone)
        assert ph.user.id == ph.recipe_user_id.get_as_string()
        _assert_standalone(ph.user, "passwordless", primary=True)
        assert ph.user.phone_numbers == [phone]
        can = await can_create_primary_user(ph.recipe_user_id)
        assert isinstance(can, CanCreatePrimaryUserOkResult) and can.was_already_a_primary_user is True
        await delete_user(ph.user.id)

    sdk.run(scenario())


def test_listing_and_counting_linked_users(sdk):
    _init(sdk, Linking())

    async def scenario():
        count_all = await get_user_count()
        count_public = await get_user_count(tenant_id="public")
        count_ep = await get_user_count(["emailpassword"])
        count_tp = await get_user_count(["thirdparty"])
        count_both = await get_user_count(["emailpassword", "thirdparty"])

        # the primary user (oldest), then another user, then a login method linked to the first
        email = _email("list")
        ep_id = (await _ep(email)).user.id
        await _verify(ep_id, email)
        await asyncio.sleep(0.01)
        other = (await _ep(_email("list-other"))).user.id
        await asyncio.sleep(0.01)
        provider, tp_user = _provider(), f"tpu-{_tag()}"
        tp = await _tp(provider, tp_user, email, True)
        tp_id = tp.recipe_user_id.get_as_string()
        assert tp.user.id == ep_id and len(tp.user.login_methods) == 2

        # counted once
        assert await get_user_count() == count_all + 2
        assert await get_user_count(tenant_id="public") == count_public + 2
        assert await get_user_count(["emailpassword"]) == count_ep + 2
        assert await get_user_count(["thirdparty"]) == count_tp + 1
        assert await get_user_count(["emailpassword", "thirdparty"]) == count_both + 2

        # listed once, at the primary user's time joined (its oldest login method's)
        newest = await get_users_newest_first("public", limit=2)
        assert [u.id for u in newest.users] == [other, ep_id]
        assert _lms(newest.users[1]) == [("emailpassword", ep_id), ("thirdparty", tp_id)]
        assert newest.users[1].is_primary_user is True
        first = await get_users_newest_first("public", limit=1)
        assert [u.id for u in first.users] == [other]
        assert first.next_pagination_token
        second = await get_users_newest_first("public", limit=1, pagination_token=first.next_pagination_token)
        assert [u.id for u in second.users] == [ep_id]
        if second.next_pagination_token is not None:  # older users on the server (none on a fresh one)
            third = await get_users_newest_first("public", limit=5, pagination_token=second.next_pagination_token)
            assert not {ep_id, other, tp_id} & {u.id for u in third.users}
            assert all(u.time_joined <= newest.users[1].time_joined for u in third.users)
        tps = await get_users_newest_first("public", limit=1, include_recipe_ids=["thirdparty"])
        assert [u.id for u in tps.users] == [ep_id]
        assert _lms(tps.users[0]) == [("emailpassword", ep_id), ("thirdparty", tp_id)]
        by_email = await get_users_newest_first("public", query={"email": email})
        assert [u.id for u in by_email.users] == [ep_id]
        by_provider = await get_users_newest_first("public", query={"provider": provider})
        assert [u.id for u in by_provider.users] == [ep_id]

        # unlinked: two users again
        await unlink_account(RecipeUserId(tp_id))
        assert await get_user_count() == count_all + 3
        assert await get_user_count(["thirdparty"]) == count_tp + 1
        assert await get_user_count(["emailpassword"]) == count_ep + 2
        newest = await get_users_newest_first("public", limit=3)
        assert [u.id for u in newest.users] == [tp_id, other, ep_id]
        assert [len(u.login_methods) for u in newest.users] == [1, 1, 1]

        for uid in (ep_id, other, tp_id):
            await delete_user(uid)
        assert await get_user_count() == count_all

    sdk.run(scenario())


@pytest.fixture
def app(sdk):
    core = Core(sdk)
    app_id = f"sdk-py-al-{_tag()}"
    assert core.ok("PUT", "/recipe/multitenancy/app/v2", {"appId": app_id})["createdNew"] is True
    yield app_id
    try:
        assert core.remove_app(app_id) == {"status": "OK", "didExist": True}
    finally:
        core.client.close()


def test_no_two_primary_users_share_an_account_in_a_tenant(sdk, app):
    """In an app of its own: the same email may belong to two primary users in two
    tenants, not in one."""
    _init(sdk, Linking(link=False), connection_uri=f"{sdk.url}/appid-{app}")
    t1 = f"t1-{_tag(3)}"

    async def scenario():
        created = await create_or_update_tenant(
            t1, TenantConfigCreateOrUpdate(first_factors=["emailpassword", "thirdparty", "otp-email", "otp-phone"])
        )
        assert created.created_new is True
        email = _email("mt")
        provider = _provider()

        # primary in public
        u1 = (await _ep(email)).user.id
        assert isinstance(await create_primary_user(RecipeUserId(u1)), CreatePrimaryUserOkResult)
        # the same email in t1: may be primary there too
        u2 = (await _tp(provider, f"tpu-{_tag()}", email, True, tenant=t1)).user.id
        assert (await get_user(u2)).tenant_ids == [t1]
        can2 = await can_create_primary_user(RecipeUserId(u2))
        assert isinstance(can2, CanCreatePrimaryUserOkResult) and can2.was_already_a_primary_user is False
        assert isinstance(await create_primary_user(RecipeUserId(u2)), CreatePrimaryUserOkResult)

        # ... but u2 may not join public, where u1 has that email
        joined = await associate_user_to_tenant("public", RecipeUserId(u2))
        assert isinstance(joined, AssociateUserToTenantNotAllowedError), vars(joined)
        assert joined.reason
        assert (await get_user(u2)).tenant_ids == [t1]

        # another account with the email in t1 cannot become primary (u2 has it there) ...
        u3 = (await _tp(provider, f"tpu-{_tag()}", email, True, tenant=t1)).user.id
        can3 = await can_create_primary_user(RecipeUserId(u3))
        assert isinstance(can3, CanCreatePrimaryUserAccountInfoAlreadyAssociatedError), vars(can3)
        assert can3.primary_user_id == u2
        # ... nor join u1 (u1 would then have u2's email in t1)
        link31 = await link_accounts(RecipeUserId(u3), u1)
        assert isinstance(link31, LinkAccountsAccountInfoAlreadyAssociatedError), vars(link31)
        assert link31.primary_user_id == u2
        # it can join u2
        link32 = await link_accounts(RecipeUserId(u3), u2)
        assert isinstance(link32, LinkAccountsOkResult), vars(link32)
        assert _lms(link32.user) == [("thirdparty", u2), ("thirdparty", u3)]

        # a passwordless account with u1's email in public joins u1, not u2
        pl = await _pless_email(email)
        pl_id = pl.recipe_user_id.get_as_string()
        assert pl.user.is_primary_user is False  # linking is off
        can_pl = await can_link_accounts(pl.recipe_user_id, u2)
        assert isinstance(can_pl, CanLinkAccountsAccountInfoAlreadyAssociatedError), vars(can_pl)
        assert can_pl.primary_user_id == u1
        assert isinstance(await link_accounts(pl.recipe_user_id, u1), LinkAccountsOkResult)
        assert _lms(await get_user(pl_id)) == [("emailpassword", u1), ("passwordless", pl_id)]

        # a user of t1 with no shared account info may join public
        u4 = (await _tp(provider, f"tpu-{_tag()}", _email("mt-free"), True, tenant=t1)).user.id
        assert isinstance(await create_primary_user(RecipeUserId(u4)), CreatePrimaryUserOkResult)
        ok = await associate_user_to_tenant("public", RecipeUserId(u4))
        assert isinstance(ok, AssociateUserToTenantOkResult), vars(ok)
        assert sorted((await get_user(u4)).tenant_ids) == sorted(["public", t1])

        # linking an account of t1 to u1 would give u1's email (u2's in t1) to t1: refused
        u5 = (await _tp(provider, f"tpu-{_tag()}", _email("mt-t1"), True, tenant=t1)).user.id
        link51 = await link_accounts(RecipeUserId(u5), u1)
        assert isinstance(link51, LinkAccountsAccountInfoAlreadyAssociatedError), vars(link51)
        assert link51.primary_user_id == u2
        # to u4 it is fine: the primary user is then in both tenants, each login method in its own
        link54 = await link_accounts(RecipeUserId(u5), u4)
        assert isinstance(link54, LinkAccountsOkResult), vars(link54)
        assert sorted(link54.user.tenant_ids) == sorted(["public", t1])
        assert [(lm.recipe_user_id.get_as_string(), sorted(lm.tenant_ids)) for lm in link54.user.login_methods] == [
            (u4, sorted(["public", t1])),
            (u5, [t1]),
        ]

        for uid in (u1, u2, u4):
            await delete_user(uid)
        for uid in (u1, u2, u3, u4, u5, pl_id):
            assert await get_user(uid) is None

    sdk.run(scenario())


async def _raw(recipe, method, path, body):
    """A request through a recipe's own querier (its rid header): the core's raw answer."""
    querier = recipe.get_instance().recipe_implementation.querier
    if method == "PUT":
        res = await querier.send_put_request(NormalisedURLPath(path), body, None, user_context={})
    else:
        res = await querier.send_post_request(NormalisedURLPath(path), body, user_context={})
    res.pop("_headers", None)
    return res


def test_updates_may_not_give_a_primary_user_another_primary_users_account(sdk, app):
    """Email-password and passwordless updates and a provider's new email, in an app of
    its own: a primary user (or a login method linked to one) may not take an email or
    phone number another primary user has in one of its tenants. The SDK refuses email
    changes itself (is_email_change_allowed) before asking the core, so the core's own
    answer is also checked through the recipes' queriers."""
    from supertokens_python.recipe.emailpassword.asyncio import update_email_or_password
    from supertokens_python.recipe.emailpassword.interfaces import (
        UpdateEmailOrPasswordEmailChangeNotAllowedError,
        UpdateEmailOrPasswordOkResult,
    )
    from supertokens_python.recipe.emailpassword.recipe import EmailPasswordRecipe
    from supertokens_python.recipe.passwordless.asyncio import update_user
    from supertokens_python.recipe.passwordless.interfaces import (
        EmailChangeNotAllowedError,
        PhoneNumberChangeNotAllowedError,
        UpdateUserOkResult,
    )
    from supertokens_python.recipe.passwordless.recipe import PasswordlessRecipe
    from supertokens_python.recipe.thirdparty.interfaces import EmailChangeNotAllowedError as TpEmailChangeNotAllowedError
    from supertokens_python.recipe.thirdparty.recipe import ThirdPartyRecipe

    rec = Recorder()
    _init(sdk, Linking(link=False), rec, connection_uri=f"{sdk.url}/appid-{app}")
    t1 = f"t1-{_tag(3)}"

    async def scenario():
        await create_or_update_tenant(t1, TenantConfigCreateOrUpdate(first_factors=["emailpassword", "thirdparty", "otp-phone"]))
        x, y = _email("upd-x"), _email("upd-y")
        p1 = (await _ep(x)).user.id
        p2 = (await _ep(y)).user.id
        for uid in (p1, p2):
            assert isinstance(await create_primary_user(RecipeUserId(uid)), CreatePrimaryUserOkResult)

        # email-password: the SDK refuses, without a core update
        start = rec.mark()
        refused = await update_email_or_password(RecipeUserId(p2), email=x)
        assert isinstance(refused, UpdateEmailOrPasswordEmailChangeNotAllowedError), vars(refused)
        assert "PUT /appid-" + app + "/recipe/user" not in rec.paths(start)
        # ... and so does the core
        raw = await _raw(EmailPasswordRecipe, "PUT", "/recipe/user", {"recipeUserId": p2, "email": x})
        assert raw == {"status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "New email is associated with another primary user ID"}
        assert (await get_user(p2)).emails == [y]
        # a user that is no primary user (nor linked) may take it (here a passwordless one:
        # email-password emails are unique among email-password users anyway)
        n = (await _pless_email(_email("upd-n"))).recipe_user_id.get_as_string()
        assert (await get_user(n)).is_primary_user is False
        assert await _raw(PasswordlessRecipe, "PUT", "/recipe/user", {"recipeUserId": n, "email": x}) == {"status": "OK"}
        assert (await get_user(n)).emails == [x]
        # a primary user may take a free email
        free = _email("upd-free")
        assert isinstance(await update_email_or_password(RecipeUserId(p2), email=free), UpdateEmailOrPasswordOkResult)
        assert (await get_user(p2)).emails == [free]
        y = free

        # passwordless: the same
        q = await _pless_email(_email("upd-q"))
        q_id = q.recipe_user_id.get_as_string()
        assert isinstance(await create_primary_user(q.recipe_user_id), CreatePrimaryUserOkResult)
        pl_refused = await update_user(q.recipe_user_id, email=x)
        assert isinstance(pl_refused, EmailChangeNotAllowedError), vars(pl_refused)
        raw = await _raw(PasswordlessRecipe, "PUT", "/recipe/user", {"recipeUserId": q_id, "email": x})
        assert raw == {"status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "New email is associated with another primary user ID"}
        assert (await get_user(q_id)).emails == [q.user.emails[0]]

        # phone numbers: a's number in public; b (in t1, other number) is linked to p2 (public),
        # so p2 spans both tenants and b may not take a's number (the SDK asks the core)
        pa, pb = _phone(), _phone()
        a = await _pless_phone(pa)
        assert isinstance(await create_primary_user(a.recipe_user_id), CreatePrimaryUserOkResult)
        b = await _pless_phone(pb, tenant=t1)
        b_id = b.recipe_user_id.get_as_string()
        assert isinstance(await link_accounts(b.recipe_user_id, p2), LinkAccountsOkResult)
        assert sorted((await get_user(p2)).tenant_ids) == sorted(["public", t1])
        start = rec.mark()
        ph_refused = await update_user(b.recipe_user_id, phone_number=pa)
        assert isinstance(ph_refused, PhoneNumberChangeNotAllowedError), vars(ph_refused)
        assert ph_refused.reason == "New phone number is associated with another primary user ID"
        assert rec.since(start)[-1]["body"] == {"recipeUserId": b_id, "phoneNumber": pa}
        assert (await get_user(b_id)).phone_numbers == [pb]
        # unlinked, b may take it (a's number is in public only, b is in t1 only)
        await unlink_account(b.recipe_user_id)
        assert isinstance(await update_user(b.recipe_user_id, phone_number=pa), UpdateUserOkResult)
        assert (await get_user(b_id)).phone_numbers == [pa]

        # third party: a login method linked to p2 whose provider now reports x
        provider, tp_user = _provider(), f"tpu-{_tag()}"
        tp = await _tp(provider, tp_user, _email("upd-tp"), True)
        assert isinstance(await link_accounts(tp.recipe_user_id, p2), LinkAccountsOkResult)
        tp_refused = await manually_create_or_update_user("public", provider, tp_user, x, True)
        assert isinstance(tp_refused, TpEmailChangeNotAllowedError), vars(tp_refused)
        raw = await _raw(
            ThirdPartyRecipe, "POST", "/public/recipe/signinup",
            {"thirdPartyId": provider, "thirdPartyUserId": tp_user, "email": {"id": x, "isVerified": True}},
        )
        assert raw == {"status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR", "reason": "Email already associated with another primary user."}
        assert (await get_user(tp.recipe_user_id.get_as_string())).id == p2
        assert x not in (await get_user(p2)).emails

        for uid in (p1, p2, n, q_id, a.recipe_user_id.get_as_string(), b_id):
            await delete_user(uid)

    sdk.run(scenario())


def test_sessions_of_a_linked_login_method_with_an_external_user_id(sdk):
    """User id mapping on linked users: the core answers external ids for both the
    primary user and the login method (upstream's Session.createNewSession resolves an
    external recipe user id, finds its primary user, and maps both back)."""
    from supertokens_python.asyncio import create_user_id_mapping
    from supertokens_python.interfaces import CreateUserIdMappingOkResult

    rec = Recorder()
    _init(sdk, Linking(), rec)

    async def scenario():
        email, ep_id, tp_id, _, _ = await _linked_pair()
        ext_tp, ext_ep = f"py-al-ext-tp-{_tag()}", f"py-al-ext-ep-{_tag()}"

        # the login method gets an external id
        assert isinstance(await create_user_id_mapping(tp_id, ext_tp), CreateUserIdMappingOkResult)
        user = await get_user(ext_tp)
        assert user is not None and user.id == ep_id
        assert _lms(user) == [("emailpassword", ep_id), ("thirdparty", ext_tp)]
        start = rec.mark()
        s = await create_new_session_without_request_response("public", RecipeUserId(ext_tp))
        created = [c for c in rec.since(start) if c["path"] == "/public/recipe/session"]
        assert [c["body"]["userId"] for c in created] == [ext_tp]
        assert (s.get_user_id(), s.get_recipe_user_id().get_as_string()) == (ep_id, ext_tp)
        assert (s.get_access_token_payload()["sub"], s.get_access_token_payload()["rsub"]) == (ep_id, ext_tp)

        # the primary user gets one too (forced: its email verification is kept under its id)
        assert isinstance(await create_user_id_mapping(ep_id, ext_ep, force=True), CreateUserIdMappingOkResult)
        user = await get_user(tp_id)
        assert user.id == ext_ep
        assert _lms(user) == [("emailpassword", ext_ep), ("thirdparty", ext_tp)]
        s = await create_new_session_without_request_response("public", RecipeUserId(ext_tp))
        assert (s.get_user_id(), s.get_recipe_user_id().get_as_string()) == (ext_ep, ext_tp)
        info = await get_session_information(s.get_handle())
        assert (info.user_id, info.recipe_user_id.get_as_string()) == (ext_ep, ext_tp)
        s = await create_new_session_without_request_response("public", RecipeUserId(ext_ep))
        assert (s.get_user_id(), s.get_recipe_user_id().get_as_string()) == (ext_ep, ext_ep)
        # a session asked for by the login method's SuperTokens id is answered with the external
        # ids too (sent through the Session recipe's querier: the SDK's own function fails first,
        # its email-verification claim finds no login method with that id)
        from supertokens_python.recipe.session.recipe import SessionRecipe

        raw = await _raw(
            SessionRecipe, "POST", "/public/recipe/session",
            {"userId": tp_id, "userDataInJWT": {}, "userDataInDatabase": {}, "useDynamicSigningKey": True, "enableAntiCsrf": False},
        )
        assert (raw["session"]["userId"], raw["session"]["recipeUserId"]) == (ext_ep, ext_tp), raw["session"]

        await delete_user(ext_ep)
        assert await get_user(ext_tp) is None

    sdk.run(scenario())
