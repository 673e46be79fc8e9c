"""TOTP stage through supertokens-python's asyncio functions: devices and codes
(create_device, verify_device, verify_totp, list_devices, update_device,
remove_device) in an app of its own (created over HTTP with httpx, targeted
through the connection URI GATEHOUSE_URL/appid-<app>), the codes computed in
the test with pyotp from the secrets the core hands out; then TOTP as a second
factor with the MultiFactorAuth functions.

supertokens-python 0.31.4 refuses TOTP without MultiFactorAuth ("Please
initialize the MultiFactorAuth recipe to use TOTP."), so every init has both.
It has no function for importing a device: that call goes through the TOTP
recipe's own querier. Its create_device reads the answer's `secret` whatever
the status, so a DEVICE_ALREADY_EXISTS_ERROR answer (which has none, from the
real core as from gatehouse) is a KeyError; the scenario asserts that and reads
the core's answer through the same querier. Its LimitReachedError keeps only
retry_after_ms.

Codes are RFC 6238 (HMAC-SHA1, 6 digits, 30 s) and the devices use skew 1: a
code is computed right before the call that uses it, for the current or the
next step (both still accepted if a step boundary passes in between). A code
accepted once is refused again, so each authenticator remembers the codes it
handed out as valid.

One test, one coroutine each: the steps build on each other."""

import asyncio
import time
from urllib.parse import quote, urlparse

import pyotp
import pytest

from core_http import Core, Recorder
from core_http import tag as _tag

from supertokens_python.asyncio import delete_user, get_user
from supertokens_python.normalised_url_path import NormalisedURLPath
from supertokens_python.recipe import emailpassword, multifactorauth, multitenancy, session, totp
from supertokens_python.recipe.emailpassword.asyncio import sign_up
from supertokens_python.recipe.emailpassword.interfaces import SignUpOkResult
from supertokens_python.recipe.multifactorauth.asyncio import (
    add_to_required_secondary_factors_for_user,
    assert_allowed_to_setup_factor_else_throw_invalid_claim_error,
    get_factors_setup_for_user,
    get_mfa_requirements_for_auth,
    get_required_secondary_factors_for_user,
    mark_factor_as_complete_in_session,
)
from supertokens_python.recipe.multitenancy.asyncio import create_or_update_tenant, get_tenant
from supertokens_python.recipe.multitenancy.interfaces import TenantConfigCreateOrUpdate
from supertokens_python.recipe.session.asyncio import (
    create_new_session_without_request_response,
    get_session_without_request_response,
)
from supertokens_python.recipe.session.exceptions import InvalidClaimsError
from supertokens_python.recipe.totp.asyncio import (
    create_device,
    list_devices,
    remove_device,
    update_device,
    verify_device,
    verify_totp,
)
from supertokens_python.recipe.totp.recipe import TOTPRecipe
from supertokens_python.recipe.totp.types import (
    CreateDeviceOkResult,
    DeviceAlreadyExistsError,
    InvalidTOTPError,
    LimitReachedError,
    UnknownDeviceError,
    UnknownUserIdError,
    UpdateDeviceOkResult,
    VerifyDeviceOkResult,
    VerifyTOTPOkResult,
)
from supertokens_python.types import RecipeUserId

PASSWORD = "first-Passw0rd"
ISSUER = "gatehouse-sdk-tests"  # app_info.app_name: the SDK's default issuer
PERIOD = 30


@pytest.fixture
def app(sdk):
    core = Core(sdk)
    app_id = f"sdk-py-totp-{_tag()}"
    assert core.ok("PUT", "/recipe/multitenancy/app/v2", {"appId": app_id})["createdNew"] is True
    yield app_id
    try:
        assert core.remove_app(app_id) == {"status": "OK", "didExist": True}
    finally:
        core.client.close()





class Authenticator:
    """The user's authenticator app, from a device's base32 secret."""

    def __init__(self, secret):
        self.totp = pyotp.TOTP(secret, digits=6, interval=PERIOD)
        self.handed_out = set()

    def at(self, offset):
        """The code of the step `offset` steps away from now."""
        return self.totp.at(time.time() + offset * PERIOD)

    def fresh(self):
        """A code the core accepts now and has not been given yet: the current
        step's, else the next one's, else (last resort) the previous one's."""
        for offset in (0, 1, -1):
            code = self.at(offset)
            if code not in self.handed_out:
                self.handed_out.add(code)
                return code
        raise AssertionError("every code of the window has been used already")

    def give_back(self, code):
        """Forget a code the core did not take (a LIMIT_REACHED_ERROR answer)."""
        self.handed_out.discard(code)

    def wrong(self):
        """Six digits that are no code of this device anywhere near now."""
        near = {self.at(o) for o in range(-3, 4)}
        n = (int(self.at(0)) + 500000) % 1000000
        while f"{n:06d}" in near:
            n = (n + 1) % 1000000
        return f"{n:06d}"


def _invalid(res, current, maximum):
    assert isinstance(res, InvalidTOTPError), vars(res)
    assert (res.current_number_of_failed_attempts, res.max_number_of_failed_attempts) == (current, maximum)


def _devices(res):
    return sorted((d.name, d.period, d.skew, d.verified) for d in res.devices)


async def _raw_post(path, body):
    """A POST through the TOTP recipe's own querier (rid: totp); the core's JSON."""
    querier = TOTPRecipe.get_instance_or_throw().recipe_implementation.querier
    res = await querier.send_post_request(NormalisedURLPath(path), body, user_context={})
    res.pop("_headers", None)
    return res


async def _import_device(user_id, secret, device_name=None):
    body = {"userId": user_id, "skew": 1, "period": PERIOD, "secretKey": secret}
    if device_name is not None:
        body["deviceName"] = device_name
    return await _raw_post("/recipe/totp/device/import", body)


def test_totp_devices_and_codes(sdk, app):
    rec = Recorder()
    sdk.init(
        connection_uri=f"{sdk.url}/appid-{app}",
        network_interceptor=rec,
        recipe_list=[emailpassword.init(), multitenancy.init(), multifactorauth.init(), totp.init(), session.init()],
    )
    base = f"/appid-{app}"
    limited_tenant = f"lim-{_tag(3)}"

    async def scenario():
        # create_device for a signed-up user: the SDK looks the user up, the core makes an unverified device
        email = f"py-totp-{_tag()}@example.com"
        up = await sign_up("public", email, PASSWORD)
        assert isinstance(up, SignUpOkResult)
        user_id = up.user.id
        start = rec.mark()
        created = await create_device(user_id)
        assert rec.paths(start) == [f"GET {base}/user/id", f"POST {base}/recipe/totp/device"]
        sent = rec.calls[start + 1]
        assert sent["body"] == {"userId": user_id, "skew": 1, "period": 30}
        assert sent["headers"].get("rid") == "totp"
        assert sent["headers"]["cdi-version"] == "5.4"
        assert isinstance(created, CreateDeviceOkResult)
        assert created.device_name == "TOTP Device 0"
        assert len(created.secret) == 32 and set(created.secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert created.qr_code_string == (
            f"otpauth://totp/{ISSUER}:{quote(email)}?secret={created.secret}&issuer={ISSUER}&digits=6&period=30"
        )
        laptop = Authenticator(created.secret)
        start = rec.mark()
        assert _devices(await list_devices(user_id)) == [("TOTP Device 0", 30, 1, False)]
        assert rec.paths(start) == [f"GET {base}/recipe/totp/device/list"]

        # verify_device: wrong code (counts), right code, already verified, unknown device
        start = rec.mark()
        _invalid(await verify_device("public", user_id, "TOTP Device 0", laptop.wrong()), 1, 5)
        assert rec.paths(start) == [f"POST {base}/public/recipe/totp/device/verify"]
        assert sorted(rec.calls[start]["body"]) == ["deviceName", "totp", "userId"]
        device_code = laptop.fresh()
        ok = await verify_device("public", user_id, "TOTP Device 0", device_code)
        assert isinstance(ok, VerifyDeviceOkResult) and ok.was_already_verified is False
        again = await verify_device("public", user_id, "TOTP Device 0", laptop.wrong())
        assert isinstance(again, VerifyDeviceOkResult) and again.was_already_verified is True
        assert isinstance(await verify_device("public", user_id, f"nope-{_tag(3)}", laptop.wrong()), UnknownDeviceError)
        assert _devices(await list_devices(user_id)) == [("TOTP Device 0", 30, 1, True)]

        # verify_totp accepts a code once
        code = laptop.fresh()
        start = rec.mark()
        assert isinstance(await verify_totp("public", user_id, code), VerifyTOTPOkResult)
        assert rec.paths(start) == [f"POST {base}/public/recipe/totp/verify"]
        assert rec.calls[start]["body"] == {"userId": user_id, "totp": code}
        _invalid(await verify_totp("public", user_id, code), 1, 5)
        _invalid(await verify_totp("public", user_id, device_code), 2, 5)

        # rename; names taken
        start = rec.mark()
        assert isinstance(await update_device(user_id, "TOTP Device 0", "laptop"), UpdateDeviceOkResult)
        assert rec.paths(start) == [f"PUT {base}/recipe/totp/device"]
        assert rec.calls[start]["body"] == {"userId": user_id, "existingDeviceName": "TOTP Device 0", "newDeviceName": "laptop"}
        assert isinstance(await update_device(user_id, "TOTP Device 0", "other"), UnknownDeviceError)
        with pytest.raises(KeyError, match="secret"):
            await create_device(user_id, device_name="laptop")
        # What the core answered there.
        assert await _raw_post("/recipe/totp/device", {"userId": user_id, "deviceName": "laptop", "skew": 1, "period": 30}) == {
            "status": "DEVICE_ALREADY_EXISTS_ERROR"
        }
        second = await create_device(user_id)
        assert isinstance(second, CreateDeviceOkResult) and second.device_name == "TOTP Device 1"
        phone = await create_device(user_id, device_name="phone")
        phone_again = await create_device(user_id, device_name="phone")
        assert isinstance(phone_again, CreateDeviceOkResult) and phone_again.device_name == "phone"
        assert phone_again.secret != phone.secret
        assert isinstance(await update_device(user_id, "phone", "laptop"), DeviceAlreadyExistsError)
        assert _devices(await list_devices(user_id)) == [
            ("TOTP Device 1", 30, 1, False),
            ("laptop", 30, 1, True),
            ("phone", 30, 1, False),
        ]
        # a code of an unverified device is no good for verify_totp
        _invalid(await verify_totp("public", user_id, Authenticator(phone_again.secret).at(0)), 3, 5)

        # a bare user id: the SDK's lookup refuses it; with user_identifier_info the core makes the device
        bare = f"py-totp-bare-{_tag()}"
        start = rec.mark()
        assert isinstance(await create_device(bare), UnknownUserIdError)
        assert rec.paths(start) == [f"GET {base}/user/id"]
        start = rec.mark()
        made = await create_device(bare, user_identifier_info="bare@example.com", device_name="authenticator")
        assert rec.paths(start) == [f"POST {base}/recipe/totp/device"]
        assert isinstance(made, CreateDeviceOkResult) and made.device_name == "authenticator"
        assert made.qr_code_string == (
            f"otpauth://totp/{ISSUER}:bare%40example.com?secret={made.secret}&issuer={ISSUER}&digits=6&period=30"
        )
        bare_app = Authenticator(made.secret)
        _invalid(await verify_totp("public", bare, bare_app.at(0)), 1, 5)  # no verified device yet
        ok = await verify_device("public", bare, "authenticator", bare_app.fresh())
        assert isinstance(ok, VerifyDeviceOkResult) and ok.was_already_verified is False
        assert isinstance(await verify_totp("public", bare, bare_app.fresh()), VerifyTOTPOkResult)
        assert _devices(await list_devices(bare)) == [("authenticator", 30, 1, True)]

        # an imported device (known secret) is verified at once and its codes are accepted
        imported = f"py-totp-import-{_tag()}"
        secret = pyotp.random_base32()
        start = rec.mark()
        assert await _import_device(imported, secret, "imported") == {"status": "OK", "deviceName": "imported"}
        assert rec.paths(start) == [f"POST {base}/recipe/totp/device/import"]
        assert rec.calls[start]["headers"].get("rid") == "totp"
        assert _devices(await list_devices(imported)) == [("imported", 30, 1, True)]
        imported_app = Authenticator(secret)
        assert isinstance(await verify_totp("public", imported, imported_app.fresh()), VerifyTOTPOkResult)
        assert await _import_device(imported, pyotp.random_base32(), "imported") == {"status": "DEVICE_ALREADY_EXISTS_ERROR"}
        assert await _import_device(imported, pyotp.random_base32()) == {"status": "OK", "deviceName": "TOTP Device 1"}

        # attempt limit in a tenant with totp_max_attempts 2 and a 2 s cool-down
        core_config = {"totp_max_attempts": 2, "totp_rate_limit_cooldown_sec": 2}
        created_tenant = await create_or_update_tenant(limited_tenant, TenantConfigCreateOrUpdate(core_config=core_config))
        assert created_tenant.created_new is True
        assert (await get_tenant(limited_tenant)).core_config == core_config
        limited_user = f"py-totp-limit-{_tag()}"
        limited_secret = pyotp.random_base32()
        assert (await _import_device(limited_user, limited_secret, "limited"))["status"] == "OK"
        limited_app = Authenticator(limited_secret)
        start = rec.mark()
        _invalid(await verify_totp(limited_tenant, limited_user, limited_app.wrong()), 1, 2)
        assert rec.paths(start) == [f"POST {base}/{limited_tenant}/recipe/totp/verify"]
        _invalid(await verify_totp(limited_tenant, limited_user, limited_app.wrong()), 2, 2)
        code = limited_app.fresh()
        locked = await verify_totp(limited_tenant, limited_user, code)
        assert isinstance(locked, LimitReachedError), vars(locked)
        assert 0 < locked.retry_after_ms <= 2000
        limited_app.give_back(code)
        locked_wrong = await verify_totp(limited_tenant, limited_user, limited_app.wrong())
        assert isinstance(locked_wrong, LimitReachedError), vars(locked_wrong)
        # the count is per tenant: public has its own, with the default maximum
        _invalid(await verify_totp("public", limited_user, limited_app.wrong()), 1, 5)
        await asyncio.sleep((locked_wrong.retry_after_ms + 150) / 1000)
        assert isinstance(await verify_totp(limited_tenant, limited_user, limited_app.fresh()), VerifyTOTPOkResult)
        _invalid(await verify_totp(limited_tenant, limited_user, limited_app.wrong()), 1, 2)

        # remove devices; without devices verify_totp is UNKNOWN_USER_ID_ERROR
        start = rec.mark()
        removed = await remove_device(user_id, "phone")
        assert removed.did_device_exist is True
        assert rec.paths(start) == [f"POST {base}/recipe/totp/device/remove"]
        assert rec.calls[start]["body"] == {"userId": user_id, "deviceName": "phone"}
        assert (await remove_device(user_id, "phone")).did_device_exist is False
        assert (await remove_device(user_id, "TOTP Device 1")).did_device_exist is True
        assert (await remove_device(user_id, "laptop")).did_device_exist is True
        assert _devices(await list_devices(user_id)) == []
        assert isinstance(await verify_totp("public", user_id, laptop.at(0)), UnknownUserIdError)
        assert isinstance(await verify_device("public", user_id, "laptop", laptop.at(0)), UnknownDeviceError)
        assert (await remove_device(f"nobody-{_tag()}", "laptop")).did_device_exist is False
        for who, name in [(bare, "authenticator"), (imported, "imported"), (imported, "TOTP Device 1"), (limited_user, "limited")]:
            assert (await remove_device(who, name)).did_device_exist is True, (who, name)
        assert isinstance(await verify_totp("public", bare, "123456"), UnknownUserIdError)
        assert isinstance(await verify_totp(limited_tenant, limited_user, "123456"), UnknownUserIdError)

        # deleting the user deletes its devices
        assert isinstance(await create_device(user_id, device_name="again"), CreateDeviceOkResult)
        assert len((await list_devices(user_id)).devices) == 1
        await delete_user(user_id)
        assert await get_user(user_id) is None
        assert _devices(await list_devices(user_id)) == []

    sdk.run(scenario())


def test_totp_as_a_second_factor(sdk, app):
    rec = Recorder()
    sdk.init(
        connection_uri=f"{sdk.url}/appid-{app}",
        network_interceptor=rec,
        recipe_list=[emailpassword.init(), multifactorauth.init(), totp.init(), session.init()],
    )
    base = f"/appid-{app}"

    async def scenario():
        up = await sign_up("public", f"py-totp-mfa-{_tag()}@example.com", PASSWORD)
        assert isinstance(up, SignUpOkResult)
        user_id = up.user.id
        await add_to_required_secondary_factors_for_user(user_id, "totp")
        assert await get_required_secondary_factors_for_user(user_id) == ["totp"]
        # EmailPassword answers from the login methods, TOTP from the core's device list.
        start = rec.mark()
        assert await get_factors_setup_for_user(user_id) == ["emailpassword"]
        assert f"GET {base}/recipe/totp/device/list" in rec.paths(start)

        live = await create_new_session_without_request_response("public", RecipeUserId(user_id))
        # made outside the sign-in APIs: no MFA claim until the requirements are asked for
        assert "st-mfa" not in live.get_access_token_payload()
        assert await get_mfa_requirements_for_auth(live) == [{"oneOf": ["totp"]}]
        mfa = live.get_access_token_payload()["st-mfa"]
        assert list(mfa["c"]) == ["emailpassword"]
        assert mfa["v"] is False
        with pytest.raises(InvalidClaimsError):
            await get_session_without_request_response(live.get_access_token())
        await assert_allowed_to_setup_factor_else_throw_invalid_claim_error(live, "totp")

        # a verified device: totp is set up
        created = await create_device(user_id)
        assert isinstance(created, CreateDeviceOkResult)
        app_ = Authenticator(created.secret)
        assert await get_factors_setup_for_user(user_id) == ["emailpassword"]
        ok = await verify_device("public", user_id, created.device_name, app_.fresh())
        assert isinstance(ok, VerifyDeviceOkResult) and ok.was_already_verified is False
        assert sorted(await get_factors_setup_for_user(user_id)) == ["emailpassword", "totp"]
        with pytest.raises(InvalidClaimsError):
            await assert_allowed_to_setup_factor_else_throw_invalid_claim_error(live, "totp")

        # verify_totp, then mark the factor complete: the session satisfies MFA
        assert isinstance(await verify_totp("public", user_id, app_.fresh()), VerifyTOTPOkResult)
        await mark_factor_as_complete_in_session(live, "totp")
        mfa = live.get_access_token_payload()["st-mfa"]
        assert sorted(mfa["c"]) == ["emailpassword", "totp"]
        assert mfa["v"] is True
        again = await get_session_without_request_response(live.get_access_token())
        assert again is not None and again.get_user_id() == user_id

    sdk.run(scenario())
