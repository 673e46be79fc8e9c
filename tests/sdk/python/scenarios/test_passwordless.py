"""Passwordless stage through supertokens-python's asyncio functions (create_code,
consume_code, check_code, create_new_code_for_device, list_codes_by_*, revoke_code,
revoke_all_codes, update_user, delete_email_for_user / delete_phone_number_for_user,
signinup) and through the SDK's own HTTP APIs (POST /auth/signinup/code, .../resend,
.../consume, served by fastapi through starlette's TestClient), with the codes the SDK
hands to its email and SMS delivery (both overridden: nothing is sent, the template
variables are kept in a Mailbox).

Users are made in the public tenant with random emails and phone numbers (each test
deletes its users at the end); the code-expiry test and the test of the literal
'+1 650 555 0123' run in an app of their own (created over HTTP, targeted through the
connection URI GATEHOUSE_URL/appid-<app>, removed afterwards).

supertokens-python 0.31.4 quirks seen while writing it (the SDK's, not the core's):
- its list_codes_by_* read each device's codes only under a `code` key (the core
  answers `codes`) and then iterate over the device's keys, so DeviceType.codes is
  always []; the scenarios read the codes through the recipe's own querier;
- create_code reads the answer without looking at the status;
- update_user sends only the fields given (None is "leave alone"); clearing goes
  through delete_email_for_user / delete_phone_number_for_user (`null` in the body),
  and update_user with an email first fetches the user (GET /user/id) and answers
  UpdateUserUnknownUserIdError itself for an unknown id;
- the core's 400 for clearing both the email and the phone number is raised as the
  querier's exception.

Each test is one coroutine (sdk.run) when it uses only the recipe functions: the steps
build on each other."""

import asyncio
import random
import re
import time
from urllib.parse import parse_qs, urlparse

import phonenumbers
import pytest

from core_http import Core, Recorder
from core_http import tag as _tag

from supertokens_python.asyncio import delete_user, get_user, list_users_by_account_info
from supertokens_python.ingredients.emaildelivery.types import EmailDeliveryConfig
from supertokens_python.ingredients.smsdelivery.types import SMSDeliveryConfig
from supertokens_python.normalised_url_path import NormalisedURLPath
from supertokens_python.recipe import emailverification, multitenancy, passwordless, session
from supertokens_python.recipe.emailverification.asyncio import is_email_verified
from supertokens_python.recipe.multitenancy.asyncio import create_or_update_tenant, get_tenant
from supertokens_python.recipe.multitenancy.interfaces import TenantConfigCreateOrUpdate
from supertokens_python.recipe.passwordless import ContactEmailOrPhoneConfig
from supertokens_python.recipe.passwordless.asyncio import (
    check_code,
    consume_code,
    create_code,
    create_new_code_for_device,
    delete_email_for_user,
    delete_phone_number_for_user,
    list_codes_by_device_id,
    list_codes_by_email,
    list_codes_by_phone_number,
    list_codes_by_pre_auth_session_id,
    revoke_all_codes,
    revoke_code,
    signinup,
    update_user,
)
from supertokens_python.recipe.passwordless.interfaces import (
    CheckCodeIncorrectUserInputCodeError,
    CheckCodeOkResult,
    CheckCodeRestartFlowError,
    ConsumeCodeExpiredUserInputCodeError,
    ConsumeCodeIncorrectUserInputCodeError,
    ConsumeCodeOkResult,
    ConsumeCodeRestartFlowError,
    CreateCodeOkResult,
    CreateNewCodeForDeviceOkResult,
    CreateNewCodeForDeviceRestartFlowError,
    CreateNewCodeForDeviceUserInputCodeAlreadyUsedError,
    RevokeCodeOkResult,
    UpdateUserEmailAlreadyExistsError,
    UpdateUserOkResult,
    UpdateUserPhoneNumberAlreadyExistsError,
    UpdateUserUnknownUserIdError,
)
from supertokens_python.recipe.passwordless.recipe import PasswordlessRecipe
from supertokens_python.recipe.session.asyncio import (
    create_new_session_without_request_response,
    get_session_information,
    get_session_without_request_response,
)
from supertokens_python.types import RecipeUserId
from supertokens_python.types.base import AccountInfoInput

DEFAULT_LIFETIME = 900000  # passwordless_code_lifetime, ms
DEFAULT_MAX_ATTEMPTS = 5  # passwordless_max_code_input_attempts
FLOW = "USER_INPUT_CODE_AND_MAGIC_LINK"


# --- helpers -------------------------------------------------------------------------


def _email(prefix):
    return f"py-pl-{prefix}-{_tag()}@example.com"


def _phone():
    """A random valid US number, spaced as a person types it, and its E.164 form."""
    while True:
        spaced = f"+1 650 {random.randint(200, 999)} {random.randint(0, 9999):04d}"
        parsed = phonenumbers.parse(spaced, None)
        if phonenumbers.is_valid_number(parsed):
            return spaced, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)





class Mailbox:
    """What the SDK hands to its email and SMS delivery (both overridden: nothing is sent)."""

    def __init__(self):
        self.emails = []
        self.sms = []

    def email_delivery(self):
        def override(original):
            async def send_email(template_vars, user_context):
                self.emails.append(template_vars)

            original.send_email = send_email
            return original

        return EmailDeliveryConfig(override=override)

    def sms_delivery(self):
        def override(original):
            async def send_sms(template_vars, user_context):
                self.sms.append(template_vars)

            original.send_sms = send_sms
            return original

        return SMSDeliveryConfig(override=override)


def _init(sdk, rec=None, mailbox=None, connection_uri=None):
    mailbox = mailbox or Mailbox()
    sdk.init(
        connection_uri=connection_uri,
        network_interceptor=rec,
        recipe_list=[
            passwordless.init(
                contact_config=ContactEmailOrPhoneConfig(),
                flow_type=FLOW,
                email_delivery=mailbox.email_delivery(),
                sms_delivery=mailbox.sms_delivery(),
            ),
            emailverification.init(mode="OPTIONAL"),
            multitenancy.init(),
            session.init(),
        ],
    )
    return mailbox


def _magic_link(url, tenant="public"):
    """(preAuthSessionId, linkCode) of the SDK's magic link
    <websiteDomain><websiteBasePath>/verify?preAuthSessionId=..&tenantId=..#<linkCode>."""
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == "http://localhost:3000/auth/verify", url
    query = parse_qs(parsed.query)
    assert query["tenantId"] == [tenant], url
    assert parsed.fragment, url
    return query["preAuthSessionId"][0], parsed.fragment


async def _core_devices(tenant="public", **query):
    """GET /<tenant>/recipe/signinup/codes through the recipe's own querier: the core's
    devices with their codes (the SDK's list_codes_by_* drop the codes)."""
    querier = PasswordlessRecipe.get_instance().recipe_implementation.querier
    res = await querier.send_get_request(NormalisedURLPath(f"/{tenant}/recipe/signinup/codes"), query, user_context={})
    assert res["status"] == "OK", res
    return res["devices"]


def _assert_created(res, lifetime=DEFAULT_LIFETIME, result_type=CreateCodeOkResult):
    assert isinstance(res, result_type), vars(res)
    assert re.fullmatch(r"[0-9]{6}", res.user_input_code), res.user_input_code
    assert res.code_life_time == lifetime
    assert abs(time.time() * 1000 - res.time_created) < 60 * 1000
    for value in (res.device_id, res.pre_auth_session_id, res.link_code, res.code_id):
        assert isinstance(value, str) and value
    assert len({res.device_id, res.pre_auth_session_id, res.link_code, res.code_id}) == 4


def _assert_pl_user(user, email=None, phone=None, tenant_ids=("public",), verified=None):
    """A passwordless user with one login method."""
    assert user.is_primary_user is False
    assert user.tenant_ids == list(tenant_ids)
    assert user.emails == ([email] if email else [])
    assert user.phone_numbers == ([phone] if phone else [])
    assert user.third_party == []
    assert len(user.login_methods) == 1
    lm = user.login_methods[0]
    assert lm.recipe_id == "passwordless"
    assert lm.recipe_user_id.get_as_string() == user.id
    assert lm.tenant_ids == list(tenant_ids)
    assert lm.email == email
    assert lm.phone_number == phone
    assert lm.third_party is None
    assert lm.time_joined == user.time_joined
    assert abs(time.time() * 1000 - user.time_joined) < 5 * 60 * 1000
    if verified is not None:
        assert lm.verified is verified


# --- recipe functions ----------------------------------------------------------------


def test_sign_up_then_sign_in_by_email_with_a_user_input_code(sdk):
    rec = Recorder()
    _init(sdk, rec)

    async def scenario():
        email = _email("otp")
        start = rec.mark()
        code = await create_code("public", email=email)
        assert rec.paths(start) == ["POST /public/recipe/signinup/code"]
        sent = rec.since(start)[0]
        assert sent["body"] == {"email": email}
        assert sent["headers"].get("rid") == "passwordless"
        assert sent["headers"]["cdi-version"] == "5.4"
        _assert_created(code)

        # the device, as the SDK lists it (no codes: the SDK's quirk) and as the core answers it
        start = rec.mark()
        devices = await list_codes_by_email("public", email)
        assert rec.paths(start) == ["GET /public/recipe/signinup/codes"]
        assert rec.since(start)[0]["params"] == {"email": email}
        assert [(d.pre_auth_session_id, d.email, d.phone_number, d.failed_code_input_attempt_count, d.codes) for d in devices] == [
            (code.pre_auth_session_id, email, None, 0, [])
        ]
        core = await _core_devices(email=email)
        assert core == [
            {
                "preAuthSessionId": code.pre_auth_session_id,
                "failedCodeInputAttemptCount": 0,
                "email": email,
                "codes": [{"codeId": code.code_id, "timeCreated": code.time_created, "codeLifetime": DEFAULT_LIFETIME}],
            }
        ]
        by_device = await list_codes_by_device_id("public", code.device_id)
        assert by_device is not None and by_device.pre_auth_session_id == code.pre_auth_session_id and by_device.email == email
        by_pre_auth = await list_codes_by_pre_auth_session_id("public", code.pre_auth_session_id)
        assert by_pre_auth is not None and by_pre_auth.email == email

        # sign up
        start = rec.mark()
        up = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(up, ConsumeCodeOkResult), vars(up)
        assert rec.paths(start)[0] == "POST /public/recipe/signinup/code/consume"
        assert rec.since(start)[0]["body"] == {
            "preAuthSessionId": code.pre_auth_session_id,
            "userInputCode": code.user_input_code,
            "deviceId": code.device_id,
        }
        assert up.created_new_recipe_user is True
        assert up.recipe_user_id.get_as_string() == up.user.id
        # the email is verified by the consume (the user proved they read mail there)
        _assert_pl_user(up.user, email=email, verified=True)
        assert vars(up.consumed_device) == {
            "pre_auth_session_id": code.pre_auth_session_id,
            "failed_code_input_attempt_count": 0,
            "email": email,
            "phone_number": None,
        }
        assert await is_email_verified(up.recipe_user_id, email) is True
        # the device is used up
        assert await list_codes_by_email("public", email) == []
        assert await list_codes_by_pre_auth_session_id("public", code.pre_auth_session_id) is None
        again = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(again, ConsumeCodeRestartFlowError)

        # sign in, with the email as a person types it: the core normalises it
        typed = f"  {email.upper()} "
        code2 = await create_code("public", email=typed)
        _assert_created(code2)
        assert [d.email for d in await list_codes_by_email("public", email)] == [email]
        assert [d.pre_auth_session_id for d in await list_codes_by_email("public", typed)] == [code2.pre_auth_session_id]
        assert code2.device_id != code.device_id and code2.pre_auth_session_id != code.pre_auth_session_id
        inn = await consume_code("public", code2.pre_auth_session_id, user_input_code=code2.user_input_code, device_id=code2.device_id)
        assert isinstance(inn, ConsumeCodeOkResult), vars(inn)
        assert inn.created_new_recipe_user is False
        assert inn.user.id == up.user.id
        assert inn.consumed_device.email == email
        _assert_pl_user(inn.user, email=email, verified=True)
        assert inn.user.time_joined == up.user.time_joined

        # a caller-chosen user input code; a consume of one device drops the others of the email
        chosen = f"{random.randint(0, 999999):06d}"
        code3 = await create_code("public", email=email, user_input_code=chosen)
        assert isinstance(code3, CreateCodeOkResult) and code3.user_input_code == chosen
        code4 = await create_code("public", email=email)
        assert sorted(d.pre_auth_session_id for d in await list_codes_by_email("public", email)) == sorted(
            [code3.pre_auth_session_id, code4.pre_auth_session_id]
        )
        third = await consume_code("public", code3.pre_auth_session_id, user_input_code=chosen, device_id=code3.device_id)
        assert isinstance(third, ConsumeCodeOkResult) and third.user.id == up.user.id
        assert await list_codes_by_email("public", email) == []
        dropped = await consume_code("public", code4.pre_auth_session_id, user_input_code=code4.user_input_code, device_id=code4.device_id)
        assert isinstance(dropped, ConsumeCodeRestartFlowError)

        # a magic link's code through the recipe function
        code5 = await create_code("public", email=email)
        start = rec.mark()
        by_link = await consume_code("public", code5.pre_auth_session_id, link_code=code5.link_code)
        assert rec.since(start)[0]["body"] == {"preAuthSessionId": code5.pre_auth_session_id, "linkCode": code5.link_code}
        assert isinstance(by_link, ConsumeCodeOkResult) and by_link.user.id == up.user.id
        assert by_link.created_new_recipe_user is False

        await delete_user(up.user.id)
        assert await get_user(up.user.id) is None

    sdk.run(scenario())


def test_resend_and_revoke(sdk):
    rec = Recorder()
    _init(sdk, rec)

    async def scenario():
        email = _email("resend")
        first = await create_code("public", email=email)
        _assert_created(first)

        # another code for the same device
        start = rec.mark()
        second = await create_new_code_for_device("public", first.device_id)
        assert rec.paths(start) == ["POST /public/recipe/signinup/code"]
        assert rec.since(start)[0]["body"] == {"deviceId": first.device_id}
        _assert_created(second, result_type=CreateNewCodeForDeviceOkResult)
        assert (second.device_id, second.pre_auth_session_id) == (first.device_id, first.pre_auth_session_id)
        assert second.code_id != first.code_id
        assert second.link_code != first.link_code

        chosen = f"{random.randint(0, 999999):06d}"
        while chosen in (first.user_input_code, second.user_input_code):
            chosen = f"{random.randint(0, 999999):06d}"
        third = await create_new_code_for_device("public", first.device_id, user_input_code=chosen)
        assert isinstance(third, CreateNewCodeForDeviceOkResult) and third.user_input_code == chosen
        taken = await create_new_code_for_device("public", first.device_id, user_input_code=chosen)
        assert isinstance(taken, CreateNewCodeForDeviceUserInputCodeAlreadyUsedError)

        # one device with three codes
        device = await list_codes_by_device_id("public", first.device_id)
        assert device is not None and device.pre_auth_session_id == first.pre_auth_session_id
        core = await _core_devices(deviceId=first.device_id)
        assert len(core) == 1
        assert sorted(c["codeId"] for c in core[0]["codes"]) == sorted([first.code_id, second.code_id, third.code_id])
        assert await _core_devices(preAuthSessionId=first.pre_auth_session_id) == core
        assert len(await list_codes_by_email("public", email)) == 1

        # revoke_code removes one code: it is a wrong code now (an attempt counts)
        start = rec.mark()
        await revoke_code("public", first.code_id)
        assert rec.paths(start) == ["POST /public/recipe/signinup/code/remove"]
        assert rec.since(start)[0]["body"] == {"codeId": first.code_id}
        assert sorted(c["codeId"] for c in (await _core_devices(deviceId=first.device_id))[0]["codes"]) == sorted(
            [second.code_id, third.code_id]
        )
        revoked = await consume_code("public", first.pre_auth_session_id, user_input_code=first.user_input_code, device_id=first.device_id)
        assert isinstance(revoked, ConsumeCodeIncorrectUserInputCodeError), vars(revoked)
        assert (revoked.failed_code_input_attempt_count, revoked.maximum_code_input_attempts) == (1, DEFAULT_MAX_ATTEMPTS)
        gone_link = await consume_code("public", first.pre_auth_session_id, link_code=first.link_code)
        assert isinstance(gone_link, ConsumeCodeRestartFlowError)

        # the resent code signs up
        ok = await consume_code("public", second.pre_auth_session_id, user_input_code=second.user_input_code, device_id=second.device_id)
        assert isinstance(ok, ConsumeCodeOkResult), vars(ok)
        assert ok.created_new_recipe_user is True
        assert ok.consumed_device.failed_code_input_attempt_count == 1
        _assert_pl_user(ok.user, email=email, verified=True)
        # a consumed device takes no more codes
        assert isinstance(await create_new_code_for_device("public", first.device_id), CreateNewCodeForDeviceRestartFlowError)
        assert await list_codes_by_device_id("public", first.device_id) is None

        # revoking a device's last code drops the device; an unknown code id is no error
        solo = await create_code("public", email=email)
        await revoke_code("public", solo.code_id)
        assert await list_codes_by_pre_auth_session_id("public", solo.pre_auth_session_id) is None
        assert isinstance(await create_new_code_for_device("public", solo.device_id), CreateNewCodeForDeviceRestartFlowError)
        assert isinstance(await revoke_code("public", solo.code_id), RevokeCodeOkResult)

        # revoke_all_codes drops every device of an email (or a phone number)
        a = await create_code("public", email=email)
        b = await create_code("public", email=email)
        assert len(await list_codes_by_email("public", email)) == 2
        start = rec.mark()
        await revoke_all_codes("public", email=email)
        assert rec.paths(start) == ["POST /public/recipe/signinup/codes/remove"]
        assert rec.since(start)[0]["body"] == {"email": email}
        assert await list_codes_by_email("public", email) == []
        for c in (a, b):
            assert isinstance(await consume_code("public", c.pre_auth_session_id, link_code=c.link_code), ConsumeCodeRestartFlowError)
            assert isinstance(await create_new_code_for_device("public", c.device_id), CreateNewCodeForDeviceRestartFlowError)
        spaced, e164 = _phone()
        await create_code("public", phone_number=e164)
        assert len(await list_codes_by_phone_number("public", e164)) == 1
        await revoke_all_codes("public", phone_number=spaced)
        assert await list_codes_by_phone_number("public", e164) == []

        await delete_user(ok.user.id)

    sdk.run(scenario())


def test_wrong_code_then_right_code(sdk):
    rec = Recorder()
    _init(sdk, rec)

    async def scenario():
        email = _email("wrong")
        code = await create_code("public", email=email)
        wrong = f"{(int(code.user_input_code) + 1) % 1000000:06d}"

        first = await consume_code("public", code.pre_auth_session_id, user_input_code=wrong, device_id=code.device_id)
        assert isinstance(first, ConsumeCodeIncorrectUserInputCodeError), vars(first)
        assert (first.failed_code_input_attempt_count, first.maximum_code_input_attempts) == (1, DEFAULT_MAX_ATTEMPTS)
        # check_code counts too, and does not use the code up
        start = rec.mark()
        checked = await check_code("public", code.pre_auth_session_id, user_input_code=wrong, device_id=code.device_id)
        assert rec.paths(start) == ["POST /public/recipe/signinup/code/check"]
        assert isinstance(checked, CheckCodeIncorrectUserInputCodeError), vars(checked)
        assert (checked.failed_code_input_attempt_count, checked.maximum_code_input_attempts) == (2, DEFAULT_MAX_ATTEMPTS)
        assert (await list_codes_by_pre_auth_session_id("public", code.pre_auth_session_id)).failed_code_input_attempt_count == 2

        right = await check_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(right, CheckCodeOkResult), vars(right)
        assert vars(right.consumed_device) == {
            "pre_auth_session_id": code.pre_auth_session_id,
            "failed_code_input_attempt_count": 2,
            "email": email,
            "phone_number": None,
        }
        assert await list_codes_by_pre_auth_session_id("public", code.pre_auth_session_id) is not None
        # a checked code creates no user
        assert await list_users_by_account_info("public", AccountInfoInput(email=email)) == []

        ok = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(ok, ConsumeCodeOkResult), vars(ok)
        assert ok.created_new_recipe_user is True
        assert ok.consumed_device.failed_code_input_attempt_count == 2
        _assert_pl_user(ok.user, email=email, verified=True)
        assert isinstance(
            await check_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id),
            CheckCodeRestartFlowError,
        )

        # a mismatched pre-auth session id and device id: the core refuses (400), the SDK throws
        other = await create_code("public", email=email)
        with pytest.raises(Exception, match="preAuthSessionId and deviceId doesn't match"):
            await consume_code("public", code.pre_auth_session_id, user_input_code=other.user_input_code, device_id=other.device_id)
        await revoke_all_codes("public", email=email)

        await delete_user(ok.user.id)

    sdk.run(scenario())


def test_restart_after_the_maximum_of_attempts(sdk):
    _init(sdk)

    async def scenario():
        email = _email("max")
        code = await create_code("public", email=email)
        wrong = f"{(int(code.user_input_code) + 7) % 1000000:06d}"
        for n in range(1, DEFAULT_MAX_ATTEMPTS):
            res = await consume_code("public", code.pre_auth_session_id, user_input_code=wrong, device_id=code.device_id)
            assert isinstance(res, ConsumeCodeIncorrectUserInputCodeError), (n, vars(res))
            assert (res.failed_code_input_attempt_count, res.maximum_code_input_attempts) == (n, DEFAULT_MAX_ATTEMPTS)
        # the last allowed attempt is wrong as well: the device is gone
        last = await consume_code("public", code.pre_auth_session_id, user_input_code=wrong, device_id=code.device_id)
        assert isinstance(last, ConsumeCodeRestartFlowError), vars(last)
        assert await list_codes_by_pre_auth_session_id("public", code.pre_auth_session_id) is None
        assert await list_codes_by_email("public", email) == []
        # the right code and the link are no good any more; no more codes for the device
        right = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(right, ConsumeCodeRestartFlowError)
        assert isinstance(await consume_code("public", code.pre_auth_session_id, link_code=code.link_code), ConsumeCodeRestartFlowError)
        assert isinstance(await create_new_code_for_device("public", code.device_id), CreateNewCodeForDeviceRestartFlowError)
        assert await list_users_by_account_info("public", AccountInfoInput(email=email)) == []

        # starting over works
        fresh = await create_code("public", email=email)
        ok = await consume_code("public", fresh.pre_auth_session_id, user_input_code=fresh.user_input_code, device_id=fresh.device_id)
        assert isinstance(ok, ConsumeCodeOkResult) and ok.created_new_recipe_user is True
        assert ok.consumed_device.failed_code_input_attempt_count == 0
        await delete_user(ok.user.id)

    sdk.run(scenario())


def test_update_user(sdk):
    rec = Recorder()
    _init(sdk, rec)

    async def scenario():
        a_email, b_email = _email("upd-a"), _email("upd-b")
        b_spaced, b_phone = _phone()
        a = await signinup("public", a_email, None)
        b = await signinup("public", None, b_spaced)
        assert isinstance(a, ConsumeCodeOkResult) and a.created_new_recipe_user is True
        assert isinstance(b, ConsumeCodeOkResult) and b.created_new_recipe_user is True
        _assert_pl_user(a.user, email=a_email, verified=True)
        _assert_pl_user(b.user, phone=b_phone)
        a_id, b_id = RecipeUserId(a.user.id), RecipeUserId(b.user.id)
        assert isinstance(await update_user(b_id, email=b_email), UpdateUserOkResult)

        # change A's email (given as typed: the core normalises it); a sign-in in progress
        # with the old email is dropped
        pending = await create_code("public", email=a_email)
        new_local = f"py-pl-upd-new-{_tag()}"
        start = rec.mark()
        res = await update_user(a_id, email=f" {new_local.upper()}@Example.com ")
        assert isinstance(res, UpdateUserOkResult), vars(res)
        puts = [c for c in rec.since(start) if c["method"] == "PUT"]
        assert [(c["path"], c["body"], c["headers"].get("rid")) for c in puts] == [
            ("/recipe/user", {"recipeUserId": a.user.id, "email": f" {new_local.upper()}@Example.com "}, "passwordless")
        ]
        new_email = f"{new_local}@example.com"
        fetched = await get_user(a.user.id)
        _assert_pl_user(fetched, email=new_email)
        assert await list_users_by_account_info("public", AccountInfoInput(email=a_email)) == []
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=new_email))] == [a.user.id]
        assert await list_codes_by_email("public", a_email) == []
        assert isinstance(await consume_code("public", pending.pre_auth_session_id, link_code=pending.link_code), ConsumeCodeRestartFlowError)
        # signing in with the new email is A
        again = await signinup("public", new_email, None)
        assert again.created_new_recipe_user is False and again.user.id == a.user.id

        # taken email / phone number
        assert isinstance(await update_user(a_id, email=b_email), UpdateUserEmailAlreadyExistsError)
        assert isinstance(await update_user(a_id, phone_number=b_phone), UpdateUserPhoneNumberAlreadyExistsError)
        assert isinstance(await update_user(a_id, phone_number=b_spaced), UpdateUserPhoneNumberAlreadyExistsError)
        _assert_pl_user(await get_user(a.user.id), email=new_email)

        # add a phone number (normalised to E.164), then clear the email
        a_spaced, a_phone = _phone()
        assert isinstance(await update_user(a_id, phone_number=a_spaced), UpdateUserOkResult)
        _assert_pl_user(await get_user(a.user.id), email=new_email, phone=a_phone)
        start = rec.mark()
        assert isinstance(await delete_email_for_user(a_id), UpdateUserOkResult)
        assert [(c["method"], c["path"], c["body"]) for c in rec.since(start)] == [
            ("PUT", "/recipe/user", {"recipeUserId": a.user.id, "email": None})
        ]
        _assert_pl_user(await get_user(a.user.id), phone=a_phone)
        assert await list_users_by_account_info("public", AccountInfoInput(email=new_email)) == []
        # the freed email is free: another user may take it
        assert isinstance(await update_user(b_id, email=new_email), UpdateUserOkResult)
        _assert_pl_user(await get_user(b.user.id), email=new_email, phone=b_phone)
        # clearing the last one of the two is refused (400), which the SDK throws
        with pytest.raises(Exception, match="You cannot clear both email and phone number of a user"):
            await delete_phone_number_for_user(a_id)
        _assert_pl_user(await get_user(a.user.id), phone=a_phone)
        # B keeps its email when its phone number is cleared
        assert isinstance(await delete_phone_number_for_user(b_id), UpdateUserOkResult)
        _assert_pl_user(await get_user(b.user.id), email=new_email)
        assert await list_users_by_account_info("public", AccountInfoInput(phone_number=b_phone)) == []
        # A signs in with its phone number
        by_phone = await signinup("public", None, a_phone)
        assert by_phone.created_new_recipe_user is False and by_phone.user.id == a.user.id

        # unknown users: the SDK answers itself when an email is given, the core otherwise
        nobody = RecipeUserId(f"py-pl-nobody-{_tag()}")
        start = rec.mark()
        assert isinstance(await update_user(nobody, email=_email("nobody")), UpdateUserUnknownUserIdError)
        assert rec.paths(start) == ["GET /user/id"]
        start = rec.mark()
        assert isinstance(await update_user(nobody, phone_number=_phone()[1]), UpdateUserUnknownUserIdError)
        assert rec.paths(start) == ["PUT /recipe/user"]
        assert isinstance(await delete_email_for_user(nobody), UpdateUserUnknownUserIdError)

        await delete_user(a.user.id)
        await delete_user(b.user.id)

    sdk.run(scenario())


def test_user_object_lookups_session_and_delete(sdk):
    rec = Recorder()
    _init(sdk, rec)

    async def scenario():
        email = _email("user")
        spaced, phone = _phone()
        by_email = await signinup("public", email, None)
        by_phone = await signinup("public", None, spaced)
        assert isinstance(by_email, ConsumeCodeOkResult) and isinstance(by_phone, ConsumeCodeOkResult)
        assert by_email.user.id != by_phone.user.id
        _assert_pl_user(by_email.user, email=email, verified=True)
        _assert_pl_user(by_phone.user, phone=phone)
        assert by_phone.consumed_device.phone_number == phone and by_phone.consumed_device.email is None

        # the core's user JSON, as the SDK reads it back
        for made in (by_email, by_phone):
            fetched = await get_user(made.user.id)
            assert fetched is not None and fetched.to_json() == made.user.to_json()
        start = rec.mark()
        found = await list_users_by_account_info("public", AccountInfoInput(phone_number=phone))
        assert [u.id for u in found] == [by_phone.user.id]
        assert rec.paths(start) == ["GET /public/users/by-accountinfo"]
        assert rec.since(start)[0]["params"]["phoneNumber"] == phone
        # the phone number as typed finds the user too (the core normalises it)
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(phone_number=spaced))] == [by_phone.user.id]
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(email=email))] == [by_email.user.id]
        assert await list_users_by_account_info("public", AccountInfoInput(phone_number=_phone()[1])) == []

        # the deprecated recipe look-up (GET /recipe/user, rid passwordless), through the recipe's querier
        querier = PasswordlessRecipe.get_instance().recipe_implementation.querier
        legacy = await querier.send_get_request(NormalisedURLPath("/public/recipe/user"), {"phoneNumber": phone}, user_context={})
        assert legacy["status"] == "OK" and legacy["user"]["id"] == by_phone.user.id
        # from CDI 4.0 it answers the account-linking user JSON
        assert legacy["user"]["phoneNumbers"] == [phone]
        assert [m["recipeId"] for m in legacy["user"]["loginMethods"]] == ["passwordless"]
        legacy = await querier.send_get_request(NormalisedURLPath("/recipe/user"), {"userId": by_email.user.id}, user_context={})
        assert legacy["status"] == "OK" and legacy["user"]["emails"] == [email]
        legacy = await querier.send_get_request(NormalisedURLPath("/public/recipe/user"), {"email": _email("none")}, user_context={})
        assert legacy["status"] == "UNKNOWN_EMAIL_ERROR"

        # a session for the passwordless user
        s = await create_new_session_without_request_response("public", by_phone.recipe_user_id)
        assert s.get_user_id() == by_phone.user.id
        assert s.get_recipe_user_id().get_as_string() == by_phone.user.id
        assert s.get_tenant_id() == "public"
        info = await get_session_information(s.get_handle())
        assert info is not None and info.user_id == by_phone.user.id
        verified = await get_session_without_request_response(s.get_access_token())
        assert verified is not None and verified.get_user_id() == by_phone.user.id

        # delete
        await delete_user(by_phone.user.id)
        assert await get_user(by_phone.user.id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(phone_number=phone)) == []
        anew = await signinup("public", None, phone)
        assert anew.created_new_recipe_user is True and anew.user.id != by_phone.user.id
        await delete_user(anew.user.id)
        await delete_user(by_email.user.id)
        assert await get_user(by_email.user.id) is None

    sdk.run(scenario())


# --- an app of its own: a literal phone number, and codes that expire ------------------


@pytest.fixture
def app(sdk):
    core = Core(sdk)
    app_id = f"sdk-py-pl-{_tag()}"
    assert core.ok("PUT", "/recipe/multitenancy/app/v2", {"appId": app_id})["createdNew"] is True
    yield app_id
    try:
        assert core.remove_app(app_id) == {"status": "OK", "didExist": True}
    finally:
        core.client.close()


def test_phone_number_normalised_to_e164(sdk, app):
    _init(sdk, connection_uri=f"{sdk.url}/appid-{app}")

    async def scenario():
        code = await create_code("public", phone_number="+1 650 555 0123")
        devices = await list_codes_by_phone_number("public", "+16505550123")
        assert [(d.pre_auth_session_id, d.phone_number, d.email) for d in devices] == [(code.pre_auth_session_id, "+16505550123", None)]
        assert [d.pre_auth_session_id for d in await list_codes_by_phone_number("public", "+1 650 555 0123")] == [code.pre_auth_session_id]
        up = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(up, ConsumeCodeOkResult), vars(up)
        assert up.created_new_recipe_user is True
        _assert_pl_user(up.user, phone="+16505550123")
        assert up.consumed_device.phone_number == "+16505550123"
        user = await get_user(up.user.id)
        assert user.phone_numbers == ["+16505550123"]
        assert user.login_methods[0].phone_number == "+16505550123"
        assert [u.id for u in await list_users_by_account_info("public", AccountInfoInput(phone_number="+16505550123"))] == [up.user.id]
        # other spellings of the number sign in to the same user
        for spelling in ("+16505550123", " +1 (650) 555-0123 "):
            again = await signinup("public", None, spelling)
            assert again.created_new_recipe_user is False and again.user.id == up.user.id

    sdk.run(scenario())


def test_code_expiry_in_a_tenant_with_a_short_code_lifetime(sdk, app):
    _init(sdk, connection_uri=f"{sdk.url}/appid-{app}")
    tenant = f"short-{_tag(3)}"

    async def scenario():
        config = TenantConfigCreateOrUpdate(first_factors=["otp-email", "link-email"], core_config={"passwordless_code_lifetime": 3000})
        assert (await create_or_update_tenant(tenant, config)).created_new is True
        got = await get_tenant(tenant)
        assert got.core_config == {"passwordless_code_lifetime": 3000}
        assert got.first_factors == ["otp-email", "link-email"]

        email = _email("expiry")
        code = await create_code(tenant, email=email)
        _assert_created(code, lifetime=3000)
        # the app's public tenant keeps the default lifetime
        public_code = await create_code("public", email=email)
        assert public_code.code_life_time == DEFAULT_LIFETIME
        await asyncio.sleep(3.5)

        expired = await consume_code(tenant, code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(expired, ConsumeCodeExpiredUserInputCodeError), vars(expired)
        assert (expired.failed_code_input_attempt_count, expired.maximum_code_input_attempts) == (1, DEFAULT_MAX_ATTEMPTS)
        # an expired link is a restart
        assert isinstance(await consume_code(tenant, code.pre_auth_session_id, link_code=code.link_code), ConsumeCodeRestartFlowError)
        # the device is still there: a resent code works (if used within its second)
        resent = await create_new_code_for_device(tenant, code.device_id)
        _assert_created(resent, lifetime=3000, result_type=CreateNewCodeForDeviceOkResult)
        ok = await consume_code(tenant, resent.pre_auth_session_id, user_input_code=resent.user_input_code, device_id=resent.device_id)
        assert isinstance(ok, ConsumeCodeOkResult), vars(ok)
        assert ok.created_new_recipe_user is True
        assert ok.consumed_device.failed_code_input_attempt_count == 1
        _assert_pl_user(ok.user, email=email, tenant_ids=[tenant], verified=True)
        # the public tenant's code of the same email is still good after 1.5 s: another user
        pub = await consume_code("public", public_code.pre_auth_session_id, user_input_code=public_code.user_input_code, device_id=public_code.device_id)
        assert isinstance(pub, ConsumeCodeOkResult), vars(pub)
        assert pub.created_new_recipe_user is True and pub.user.id != ok.user.id
        _assert_pl_user(pub.user, email=email, tenant_ids=["public"], verified=True)

    sdk.run(scenario())


# --- the SDK's HTTP APIs, with the email and SMS delivery overridden --------------------


@pytest.fixture
def api_client(sdk):
    """A function that inits the SDK and answers a TestClient of the SDK's routes."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from supertokens_python.framework.fastapi import get_middleware

    clients = []

    def make(rec, mailbox):
        _init(sdk, rec, mailbox)
        app = FastAPI()
        app.add_middleware(get_middleware())
        client = TestClient(app, base_url="http://localhost:3001", raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _post(client, path, body, headers=None):
    res = client.post(path, headers={"rid": "passwordless", **(headers or {})}, json=body)
    assert res.status_code == 200, f"{path} {body} answered {res.status_code}: {res.text}"
    return res


def test_magic_link_from_the_email_delivery(sdk, api_client):
    rec, mailbox = Recorder(), Mailbox()
    client = api_client(rec, mailbox)
    email = _email("link")

    def exists(address):
        res = client.get("/auth/passwordless/email/exists", params={"email": address}, headers={"rid": "passwordless"})
        assert res.status_code == 200, res.text
        return res.json()

    assert exists(email) == {"status": "OK", "exists": False}
    start = rec.mark()
    created = _post(client, "/auth/signinup/code", {"email": email}).json()
    assert created["status"] == "OK", created
    assert created["flowType"] == FLOW
    assert [c["body"] for c in rec.since(start) if c["path"] == "/public/recipe/signinup/code"] == [{"email": email}]
    assert len(mailbox.emails) == 1 and mailbox.sms == []
    mail = mailbox.emails[0]
    assert mail.email == email
    assert mail.tenant_id == "public"
    assert mail.code_life_time == DEFAULT_LIFETIME
    assert mail.pre_auth_session_id == created["preAuthSessionId"]
    assert mail.is_first_factor is True
    assert re.fullmatch(r"[0-9]{6}", mail.user_input_code)
    pre_auth, link_code = _magic_link(mail.url_with_link_code)
    assert pre_auth == created["preAuthSessionId"]

    # following the link signs up, with a session
    start = rec.mark()
    consumed = _post(client, "/auth/signinup/code/consume", {"preAuthSessionId": pre_auth, "linkCode": link_code})
    body = consumed.json()
    assert body["status"] == "OK", body
    assert body["createdNewRecipeUser"] is True
    user = body["user"]
    assert user["emails"] == [email] and user["phoneNumbers"] == []
    assert [(m["recipeId"], m["email"], m["verified"]) for m in user["loginMethods"]] == [("passwordless", email, True)]
    sent = rec.since(start)
    consumes = [c for c in sent if c["path"] == "/public/recipe/signinup/code/consume"]
    assert [c["body"] for c in consumes] == [{"preAuthSessionId": pre_auth, "linkCode": link_code}]
    assert any(c["method"] == "POST" and c["path"] == "/public/recipe/session" for c in sent)
    access = consumed.headers.get("st-access-token")
    assert access and consumed.headers.get("st-refresh-token") and consumed.headers.get("front-token"), dict(consumed.headers)

    async def check_session():
        s = await get_session_without_request_response(access)
        assert s is not None and s.get_user_id() == user["id"]
        assert await is_email_verified(RecipeUserId(user["id"]), email) is True

    sdk.run(check_session())

    # GET /auth/passwordless/email/exists = GET /public/users/by-accountinfo?email=...
    start = rec.mark()
    assert exists(email) == {"status": "OK", "exists": True}
    assert rec.paths(start) == ["GET /public/users/by-accountinfo"]
    assert exists(email.upper()) == {"status": "OK", "exists": True}

    # the link is used up
    again = _post(client, "/auth/signinup/code/consume", {"preAuthSessionId": pre_auth, "linkCode": link_code}).json()
    assert again == {"status": "RESTART_FLOW_ERROR"}

    # a second magic link signs in to the same user, through the recipe function
    second = _post(client, "/auth/signinup/code", {"email": email}).json()
    assert second["status"] == "OK"
    assert len(mailbox.emails) == 2
    assert mailbox.emails[1].is_first_factor is True
    pre_auth2, link_code2 = _magic_link(mailbox.emails[1].url_with_link_code)
    assert pre_auth2 == second["preAuthSessionId"] != pre_auth

    async def sign_in():
        res = await consume_code("public", pre_auth2, link_code=link_code2)
        assert isinstance(res, ConsumeCodeOkResult), vars(res)
        assert res.created_new_recipe_user is False and res.user.id == user["id"]
        await delete_user(user["id"])

    sdk.run(sign_in())


def test_email_code_resend_and_wrong_code_through_the_api(sdk, api_client):
    rec, mailbox = Recorder(), Mailbox()
    client = api_client(rec, mailbox)
    email = _email("api-otp")

    created = _post(client, "/auth/signinup/code", {"email": email}).json()
    assert created["status"] == "OK", created
    first_code = mailbox.emails[-1].user_input_code

    # resend: a new code for the same device in a new email
    start = rec.mark()
    resent = _post(client, "/auth/signinup/code/resend", {"deviceId": created["deviceId"], "preAuthSessionId": created["preAuthSessionId"]}).json()
    assert resent == {"status": "OK"}
    assert [c["body"] for c in rec.since(start) if c["method"] == "POST" and c["path"] == "/public/recipe/signinup/code"] == [
        {"deviceId": created["deviceId"]}
    ]
    assert len(mailbox.emails) == 2
    resent_mail = mailbox.emails[1]
    assert resent_mail.email == email and resent_mail.pre_auth_session_id == created["preAuthSessionId"]
    second_code = resent_mail.user_input_code
    assert re.fullmatch(r"[0-9]{6}", second_code)

    async def codes():
        return len((await _core_devices(preAuthSessionId=created["preAuthSessionId"]))[0]["codes"])

    assert sdk.run(codes()) == 2

    # a wrong code, then the resent one
    wrong = next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in (first_code, second_code))
    consume = {"preAuthSessionId": created["preAuthSessionId"], "deviceId": created["deviceId"]}
    bad = _post(client, "/auth/signinup/code/consume", {**consume, "userInputCode": wrong}).json()
    assert bad == {"status": "INCORRECT_USER_INPUT_CODE_ERROR", "failedCodeInputAttemptCount": 1, "maximumCodeInputAttempts": DEFAULT_MAX_ATTEMPTS}
    ok = _post(client, "/auth/signinup/code/consume", {**consume, "userInputCode": second_code}).json()
    assert ok["status"] == "OK", ok
    assert ok["createdNewRecipeUser"] is True
    assert ok["user"]["emails"] == [email]

    # a resend for a used-up device is a restart
    gone = _post(client, "/auth/signinup/code/resend", {"deviceId": created["deviceId"], "preAuthSessionId": created["preAuthSessionId"]}).json()
    assert gone == {"status": "RESTART_FLOW_ERROR"}
    assert len(mailbox.emails) == 2

    sdk.run(delete_user(ok["user"]["id"]))


def test_phone_number_through_the_sms_delivery(sdk, api_client):
    rec, mailbox = Recorder(), Mailbox()
    client = api_client(rec, mailbox)
    spaced, phone = _phone()

    start = rec.mark()
    created = _post(client, "/auth/signinup/code", {"phoneNumber": spaced}).json()
    assert created["status"] == "OK", created
    # the SDK's API formats the number (E.164) before the core sees it
    assert [c["body"] for c in rec.since(start) if c["path"] == "/public/recipe/signinup/code"] == [{"phoneNumber": phone}]
    assert mailbox.emails == [] and len(mailbox.sms) == 1
    sms = mailbox.sms[0]
    assert sms.phone_number == phone
    assert sms.tenant_id == "public" and sms.code_life_time == DEFAULT_LIFETIME
    assert sms.pre_auth_session_id == created["preAuthSessionId"]
    assert re.fullmatch(r"[0-9]{6}", sms.user_input_code)
    assert _magic_link(sms.url_with_link_code)[0] == created["preAuthSessionId"]

    consumed = _post(
        client,
        "/auth/signinup/code/consume",
        {"preAuthSessionId": created["preAuthSessionId"], "deviceId": created["deviceId"], "userInputCode": sms.user_input_code},
    )
    body = consumed.json()
    assert body["status"] == "OK", body
    assert body["createdNewRecipeUser"] is True
    user = body["user"]
    assert user["phoneNumbers"] == [phone] and user["emails"] == []
    assert [(m["recipeId"], m["phoneNumber"]) for m in user["loginMethods"]] == [("passwordless", phone)]
    access = consumed.headers.get("st-access-token")
    assert access, dict(consumed.headers)
    for number in (phone, _phone()[1]):
        res = client.get("/auth/passwordless/phonenumber/exists", params={"phoneNumber": number}, headers={"rid": "passwordless"})
        assert res.status_code == 200, res.text
        assert res.json() == {"status": "OK", "exists": number == phone}

    async def check():
        s = await get_session_without_request_response(access)
        assert s is not None and s.get_user_id() == user["id"]
        found = await list_users_by_account_info("public", AccountInfoInput(phone_number=phone))
        assert [u.id for u in found] == [user["id"]]
        fetched = await get_user(user["id"])
        _assert_pl_user(fetched, phone=phone)

        # signing in again by SMS: a recipe-function code for the typed number is the same user
        code = await create_code("public", phone_number=spaced)
        assert [(d.pre_auth_session_id, d.phone_number) for d in await list_codes_by_phone_number("public", phone)] == [
            (code.pre_auth_session_id, phone)
        ]
        res = await consume_code("public", code.pre_auth_session_id, user_input_code=code.user_input_code, device_id=code.device_id)
        assert isinstance(res, ConsumeCodeOkResult), vars(res)
        assert res.created_new_recipe_user is False and res.user.id == user["id"]
        assert res.consumed_device.phone_number == phone

    sdk.run(check())

    # the API's sign-in by SMS: is_first_factor, and the user is signed in
    again = _post(client, "/auth/signinup/code", {"phoneNumber": phone}).json()
    assert again["status"] == "OK"
    assert len(mailbox.sms) == 2 and mailbox.sms[1].phone_number == phone
    pre_auth, link_code = _magic_link(mailbox.sms[1].url_with_link_code)
    signed_in = _post(client, "/auth/signinup/code/consume", {"preAuthSessionId": pre_auth, "linkCode": link_code}).json()
    assert signed_in["status"] == "OK", signed_in
    assert signed_in["createdNewRecipeUser"] is False and signed_in["user"]["id"] == user["id"]

    sdk.run(delete_user(user["id"]))
