"""UserIdMapping stage through supertokens-python's asyncio functions: an
EmailPassword user given the application's own id with
create_user_id_mapping, then used through that id everywhere: get_user,
sign_in, sessions, UserMetadata, EmailVerification; the mapping is looked up,
refused removal while data is kept under the external id, force-removed, and
the user deleted.

supertokens-python 0.31.4 has three UserIdMapping quirks, which the real core
answers exactly as gatehouse does, so the scenario asserts them as they are:
- create_user_id_mapping reads USER_ID_MAPPING_ALREADY_EXISTS_ERROR's second
  flag as res["does_external_user_id_exist"] (the core answers
  doesExternalUserIdExist): a KeyError;
- update_or_delete_user_id_mapping_info sends POST to
  /recipe/userid/external-user-id-info, which the core serves as PUT only: 405;
- user_id_type left out is sent as "userIdType": null in the bodies of
  map/remove and external-user-id-info, which the core refuses (400
  "Field name 'userIdType' is invalid in JSON input").
The scenario checks what gatehouse answers in those places through the SDK's
own Querier.

The server is shared with the Node scenarios and with reruns, so the email and
the external id carry a random tag. One test, one coroutine: the steps build
on each other."""

import base64
import json
import secrets

import pytest

from supertokens_python.asyncio import (
    create_user_id_mapping,
    delete_user,
    delete_user_id_mapping,
    get_user,
    get_user_id_mapping,
    list_users_by_account_info,
    update_or_delete_user_id_mapping_info,
)
from supertokens_python.interfaces import (
    CreateUserIdMappingOkResult,
    DeleteUserIdMappingOkResult,
    GetUserIdMappingOkResult,
    UnknownMappingError,
    UnknownSupertokensUserIDError,
)
from supertokens_python.normalised_url_path import NormalisedURLPath
from supertokens_python.recipe import emailpassword, emailverification, session, usermetadata
from supertokens_python.recipe.emailpassword.asyncio import sign_in, sign_up
from supertokens_python.recipe.emailpassword.interfaces import (
    SignInOkResult,
    SignUpOkResult,
    WrongCredentialsError,
)
from supertokens_python.recipe.emailverification.asyncio import (
    create_email_verification_token,
    is_email_verified,
    verify_email_using_token,
)
from supertokens_python.recipe.emailverification.interfaces import (
    CreateEmailVerificationTokenEmailAlreadyVerifiedError,
    CreateEmailVerificationTokenOkResult,
    VerifyEmailUsingTokenOkResult,
)
from supertokens_python.recipe.session.asyncio import (
    create_new_session_without_request_response,
    get_all_session_handles_for_user,
    get_session_information,
    get_session_without_request_response,
    revoke_all_sessions_for_user,
)
from supertokens_python.recipe.usermetadata.asyncio import (
    clear_user_metadata,
    get_user_metadata,
    update_user_metadata,
)
from supertokens_python.types.base import AccountInfoInput

PASSWORD = "first-Passw0rd"


def _tag(n=6):
    return secrets.token_hex(n)


def _claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _assert_user(user, user_id, email, verified=None):
    assert user is not None, "the user must be found"
    assert user.id == user_id
    assert user.emails == [email]
    assert user.tenant_ids == ["public"]
    assert user.is_primary_user is False
    assert len(user.login_methods) == 1
    lm = user.login_methods[0]
    assert lm.recipe_id == "emailpassword"
    assert lm.recipe_user_id.get_as_string() == user_id
    assert lm.email == email
    if verified is not None:
        assert lm.verified is verified


def test_user_id_mapping_through_every_recipe(sdk):
    calls = []

    def record(url, method, headers, params, body, user_context):
        if not url.endswith("/apiversion"):
            calls.append({"url": url, "method": method.lower(), "headers": dict(headers), "params": params, "body": body})
        return url, method, headers, params, body

    sdk.init(
        network_interceptor=record,
        recipe_list=[
            emailpassword.init(),
            emailverification.init(mode="OPTIONAL"),
            usermetadata.init(),
            session.init(),
        ],
    )
    base = sdk.url
    email = f"py-uidmap-{_tag()}@example.com"
    external = f"py-ext-uidmap-{_tag()}"
    info = f"migrated from legacy-{_tag(3)}"

    def only_call(start, method, path):
        made = calls[start:]
        assert [(c["method"], c["url"]) for c in made] == [(method, f"{base}{path}")]
        assert made[0]["headers"]["cdi-version"] == "5.4"
        # The UserIdMapping functions use the SDK's recipe-less querier.
        assert "rid" not in made[0]["headers"], made[0]["headers"]
        return made[0]

    async def scenario():
        querier = sdk.querier()

        # sign up
        up = await sign_up("public", email, PASSWORD)
        assert isinstance(up, SignUpOkResult)
        st_id = up.user.id
        assert st_id != external

        # create: OK, then already exists, then an unknown user
        start = len(calls)
        created = await create_user_id_mapping(st_id, external, info)
        assert isinstance(created, CreateUserIdMappingOkResult)
        call = only_call(start, "post", "/recipe/userid/map")
        # force is sent only when true
        assert call["body"] == {"superTokensUserId": st_id, "externalUserId": external, "externalUserIdInfo": info}

        with pytest.raises(KeyError, match="does_external_user_id_exist"):
            await create_user_id_mapping(st_id, external, info)
        # What the core answered there (the SDK's own request, read raw).
        again = await querier.send_post_request(
            NormalisedURLPath("/recipe/userid/map"),
            {"superTokensUserId": st_id, "externalUserId": external, "externalUserIdInfo": info},
            user_context={},
        )
        again.pop("_headers", None)
        assert again == {
            "status": "USER_ID_MAPPING_ALREADY_EXISTS_ERROR",
            "doesSuperTokensUserIdExist": True,
            "doesExternalUserIdExist": True,
        }

        unknown = await create_user_id_mapping(f"00000000-0000-4000-8000-{_tag()}", f"py-ext-other-{_tag()}")
        assert isinstance(unknown, UnknownSupertokensUserIDError), type(unknown)

        # get, by either id and type
        start = len(calls)
        got = await get_user_id_mapping(external, "EXTERNAL")
        call = only_call(start, "get", "/recipe/userid/map")
        assert call["params"] == {"userId": external, "userIdType": "EXTERNAL"}
        for found in [
            got,
            await get_user_id_mapping(st_id, "SUPERTOKENS"),
            await get_user_id_mapping(st_id, "ANY"),
            await get_user_id_mapping(external),
        ]:
            assert isinstance(found, GetUserIdMappingOkResult), type(found)
            assert (found.supertokens_user_id, found.external_user_id, found.external_user_info) == (st_id, external, info)
        assert calls[-1]["params"] == {"userId": external}
        assert isinstance(await get_user_id_mapping(external, "SUPERTOKENS"), UnknownMappingError)
        assert isinstance(await get_user_id_mapping(st_id, "EXTERNAL"), UnknownMappingError)
        assert isinstance(await get_user_id_mapping(f"nope-{_tag()}"), UnknownMappingError)

        # update the info: the SDK POSTs, the core serves PUT only
        new_info = f"{info} (updated)"
        start = len(calls)
        with pytest.raises(Exception, match=r"POST request to path: '/recipe/userid/external-user-id-info' with status code: 405"):
            await update_or_delete_user_id_mapping_info(external, "EXTERNAL", new_info)
        assert calls[start]["method"] == "post"
        assert calls[start]["body"] == {"userId": external, "userIdType": "EXTERNAL", "externalUserIdInfo": new_info}
        # The same body as a PUT (as supertokens-node sends it).
        put = await querier.send_put_request(
            NormalisedURLPath("/recipe/userid/external-user-id-info"),
            {"userId": external, "userIdType": "EXTERNAL", "externalUserIdInfo": new_info},
            None,
            user_context={},
        )
        assert put["status"] == "OK"
        assert (await get_user_id_mapping(external)).external_user_info == new_info
        put = await querier.send_put_request(
            NormalisedURLPath("/recipe/userid/external-user-id-info"),
            {"userId": st_id, "userIdType": "SUPERTOKENS", "externalUserIdInfo": None},
            None,
            user_context={},
        )
        assert put["status"] == "OK"
        assert (await get_user_id_mapping(external)).external_user_info is None

        # the user, by either id
        _assert_user(await get_user(external), external, email, verified=False)
        _assert_user(await get_user(st_id), external, email, verified=False)
        listed = await list_users_by_account_info("public", AccountInfoInput(email=email))
        assert [u.id for u in listed] == [external]

        # sign in
        signed_in = await sign_in("public", email, PASSWORD)
        assert isinstance(signed_in, SignInOkResult)
        _assert_user(signed_in.user, external, email)
        assert signed_in.recipe_user_id.get_as_string() == external
        recipe_user_id = signed_in.recipe_user_id

        # a session for the signed-in recipe user
        start = len(calls)
        s = await create_new_session_without_request_response("public", recipe_user_id, {"plan": "gold"})
        assert [(c["method"], c["url"]) for c in calls[start:]][-1] == ("post", f"{base}/public/recipe/session")
        assert calls[-1]["body"]["userId"] == external
        assert s.get_user_id() == external
        assert s.get_recipe_user_id().get_as_string() == external
        handle = s.get_handle()
        claims = _claims(s.get_access_token())
        assert claims["sub"] == external and claims["rsub"] == external
        verified = await get_session_without_request_response(s.get_access_token())
        assert verified is not None
        assert verified.get_user_id() == external
        assert verified.get_recipe_user_id().get_as_string() == external
        assert verified.get_handle() == handle
        checked = await get_session_without_request_response(s.get_access_token(), check_database=True)
        assert checked is not None and checked.get_user_id() == external
        information = await get_session_information(handle)
        assert information is not None
        assert information.user_id == external
        assert information.recipe_user_id.get_as_string() == external

        # UserMetadata under the external id
        start = len(calls)
        updated = await update_user_metadata(external, {"plan": "gold", "legacy": {"id": 7}})
        assert updated.metadata == {"plan": "gold", "legacy": {"id": 7}}
        assert calls[start]["url"] == f"{base}/recipe/user/metadata"
        assert calls[start]["body"]["userId"] == external
        assert (await get_user_metadata(external)).metadata == {"plan": "gold", "legacy": {"id": 7}}

        # EmailVerification with the external recipe user id
        start = len(calls)
        token = await create_email_verification_token("public", recipe_user_id)
        assert isinstance(token, CreateEmailVerificationTokenOkResult), type(token)
        sent = [c for c in calls[start:] if c["url"].endswith("/recipe/user/email/verify/token")]
        assert [c["body"] for c in sent] == [{"userId": external, "email": email}]
        done = await verify_email_using_token("public", token.token)
        assert isinstance(done, VerifyEmailUsingTokenOkResult), type(done)
        assert done.user.recipe_user_id.get_as_string() == external
        assert done.user.email == email
        assert await is_email_verified(recipe_user_id) is True
        assert await is_email_verified(recipe_user_id, email) is True
        _assert_user(await get_user(external), external, email, verified=True)
        assert isinstance(
            await create_email_verification_token("public", recipe_user_id),
            CreateEmailVerificationTokenEmailAlreadyVerifiedError,
        )

        # the external id's sessions, by that id
        assert await get_all_session_handles_for_user(external, False) == [handle]
        start = len(calls)
        linked = await get_all_session_handles_for_user(external)
        assert calls[start]["url"] == f"{base}/recipe/session/user"
        assert calls[start]["params"] == {
            "userId": external,
            "fetchAcrossAllTenants": True,
            "fetchSessionsForAllLinkedAccounts": True,
        }
        # Upstream always includes the sessions of the id given, when listing
        # and when revoking (both checked at the end, so a wrong answer here
        # does not stop the rest).
        start = len(calls)
        revoked = await revoke_all_sessions_for_user(external)
        assert calls[start]["url"] == f"{base}/recipe/session/remove"
        assert calls[start]["body"] == {
            "userId": external,
            "revokeAcrossAllTenants": True,
            "revokeSessionsForLinkedAccounts": True,
        }

        # remove the mapping: refused while data is kept under the external id
        start = len(calls)
        with pytest.raises(Exception) as refused:
            await delete_user_id_mapping(external, "EXTERNAL")
        assert "POST request to path: '/recipe/userid/map/remove' with status code: 400" in str(refused.value)
        assert "UserId is already in use in " in str(refused.value)
        assert calls[start]["body"] == {"userId": external, "userIdType": "EXTERNAL"}
        assert isinstance(await get_user_id_mapping(external), GetUserIdMappingOkResult)
        # Without a user_id_type the SDK sends "userIdType": null.
        start = len(calls)
        with pytest.raises(Exception, match="Field name 'userIdType' is invalid in JSON input"):
            await delete_user_id_mapping(external, force=True)
        assert calls[start]["body"] == {"userId": external, "userIdType": None, "force": True}

        start = len(calls)
        removed = await delete_user_id_mapping(external, "EXTERNAL", force=True)
        assert isinstance(removed, DeleteUserIdMappingOkResult)
        assert removed.did_mapping_exist is True
        call = only_call(start, "post", "/recipe/userid/map/remove")
        assert call["body"] == {"userId": external, "userIdType": "EXTERNAL", "force": True}
        assert (await delete_user_id_mapping(external, "EXTERNAL", force=True)).did_mapping_exist is False
        assert isinstance(await get_user_id_mapping(external), UnknownMappingError)
        _assert_user(await get_user(st_id), st_id, email)
        assert await get_user(external) is None
        back = await sign_in("public", email, PASSWORD)
        assert isinstance(back, SignInOkResult) and back.user.id == st_id

        # delete the user
        await delete_user(st_id)
        assert await get_user(st_id) is None
        assert await list_users_by_account_info("public", AccountInfoInput(email=email)) == []
        assert isinstance(await sign_in("public", email, PASSWORD), WrongCredentialsError)

        # what the forced removal left under the external id (nobody's now)
        await revoke_all_sessions_for_user(external)
        await clear_user_metadata(external)
        assert await get_all_session_handles_for_user(external) == []
        assert (await get_user_metadata(external)).metadata == {}

        problems = []
        if linked != [handle]:
            problems.append(
                "GET /recipe/session/user?fetchSessionsForAllLinkedAccounts=true for the mapped external id "
                f"answered {linked}; it must include the given id's sessions"
            )
        if revoked != [handle]:
            problems.append(
                "POST /recipe/session/remove {revokeSessionsForLinkedAccounts: true} for the mapped external id "
                f"revoked {revoked}; it must revoke the given id's sessions"
            )
        assert not problems, "; ".join(problems)

    sdk.run(scenario())
