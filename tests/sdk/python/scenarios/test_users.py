"""Users stage through supertokens-python's asyncio functions: EmailPassword
sign up / sign in, core user APIs (get, list, count, delete), UserMetadata,
UserRoles and EmailVerification.

The server is shared with the Node scenarios and with reruns, so every email,
role, permission and metadata user id carries a random tag. Python runs after
Node and its tests run one at a time, so nobody else creates users while a
test here runs. Each test is one coroutine, run with sdk.run."""

import asyncio
import secrets
import time

from supertokens_python.asyncio import (
    delete_user,
    get_user,
    get_user_count,
    get_users_newest_first,
    get_users_oldest_first,
    list_users_by_account_info,
)
from supertokens_python.recipe import (
    emailpassword,
    emailverification,
    session,
    usermetadata,
    userroles,
)
from supertokens_python.recipe.emailpassword.asyncio import sign_in, sign_up
from supertokens_python.recipe.emailpassword.interfaces import (
    EmailAlreadyExistsError,
    SignInOkResult,
    SignUpOkResult,
    WrongCredentialsError,
)
from supertokens_python.recipe.emailverification.asyncio import (
    create_email_verification_token,
    is_email_verified,
    revoke_email_verification_tokens,
    unverify_email,
    verify_email_using_token,
)
from supertokens_python.recipe.emailverification.interfaces import (
    CreateEmailVerificationTokenEmailAlreadyVerifiedError,
    CreateEmailVerificationTokenOkResult,
    VerifyEmailUsingTokenInvalidTokenError,
    VerifyEmailUsingTokenOkResult,
)
from supertokens_python.recipe.usermetadata.asyncio import (
    clear_user_metadata,
    get_user_metadata,
    update_user_metadata,
)
from supertokens_python.recipe.userroles.asyncio import (
    add_role_to_user,
    create_new_role_or_add_permissions,
    delete_role,
    get_all_roles,
    get_permissions_for_role,
    get_roles_for_user,
    get_roles_that_have_permission,
    get_users_that_have_role,
    remove_permissions_from_role,
    remove_user_role,
)
from supertokens_python.recipe.userroles.interfaces import (
    AddRoleToUserOkResult,
    CreateNewRoleOrAddPermissionsOkResult,
    DeleteRoleOkResult,
    GetPermissionsForRoleOkResult,
    GetUsersThatHaveRoleOkResult,
    RemoveUserRoleOkResult,
    UnknownRoleError,
)
from supertokens_python.types import RecipeUserId
from supertokens_python.types.base import AccountInfoInput

PASSWORD = "first-Passw0rd"
OTHER_PASSWORD = "second-Passw0rd"


def _init(sdk):
    sdk.init(
        recipe_list=[
            emailpassword.init(),
            emailverification.init(mode="OPTIONAL"),
            usermetadata.init(),
            userroles.init(),
            session.init(),
        ]
    )


def _tag():
    return secrets.token_hex(6)


def _email(prefix):
    return f"py-{prefix}-{_tag()}@example.com"


async def _sign_up_ok(email, password=PASSWORD):
    res = await sign_up("public", email, password)
    assert isinstance(res, SignUpOkResult), f"sign_up({email!r}) answered {res!r}"
    return res


def test_sign_up_creates_emailpassword_user(sdk):
    _init(sdk)

    async def scenario():
        email = _email("signup")
        before = int(time.time() * 1000)
        res = await _sign_up_ok(email)
        user = res.user
        assert res.recipe_user_id.get_as_string() == user.id
        assert isinstance(user.id, str) and user.id
        assert user.is_primary_user is False
        assert user.tenant_ids == ["public"]
        assert user.emails == [email]
        assert user.phone_numbers == []
        assert user.third_party == []
        assert isinstance(user.time_joined, int)
        assert abs(user.time_joined - before) < 60_000, user.time_joined
        assert len(user.login_methods) == 1
        lm = user.login_methods[0]
        assert lm.recipe_id == "emailpassword"
        assert lm.recipe_user_id.get_as_string() == user.id
        assert lm.tenant_ids == ["public"]
        assert lm.email == email
        assert lm.time_joined == user.time_joined
        assert lm.verified is False

        again = await sign_up("public", email, OTHER_PASSWORD)
        assert isinstance(again, EmailAlreadyExistsError)
        assert again.status == "EMAIL_ALREADY_EXISTS_ERROR"

    sdk.run(scenario())


def test_email_is_normalised_by_the_core(sdk):
    _init(sdk)

    async def scenario():
        local = f"py-norm-{_tag()}"
        res = await _sign_up_ok(f"  {local.upper()}@Example.COM ")
        assert res.user.emails == [f"{local}@example.com"]
        signed_in = await sign_in("public", f"{local}@example.com", PASSWORD)
        assert isinstance(signed_in, SignInOkResult)
        assert signed_in.user.id == res.user.id

    sdk.run(scenario())


def test_sign_in_right_and_wrong(sdk):
    _init(sdk)

    async def scenario():
        email = _email("signin")
        created = await _sign_up_ok(email)

        ok = await sign_in("public", email, PASSWORD)
        assert isinstance(ok, SignInOkResult), ok
        assert ok.user.id == created.user.id
        assert ok.recipe_user_id.get_as_string() == created.user.id
        assert ok.user.to_json() == created.user.to_json()

        wrong = await sign_in("public", email, OTHER_PASSWORD)
        assert isinstance(wrong, WrongCredentialsError)
        assert wrong.status == "WRONG_CREDENTIALS_ERROR"

        unknown = await sign_in("public", _email("nobody"), PASSWORD)
        assert isinstance(unknown, WrongCredentialsError)

    sdk.run(scenario())


def test_get_user_and_list_by_account_info(sdk):
    _init(sdk)

    async def scenario():
        email = _email("get")
        created = await _sign_up_ok(email)

        fetched = await get_user(created.user.id)
        assert fetched is not None
        assert fetched.to_json() == created.user.to_json()
        assert await get_user(f"unknown-{_tag()}") is None

        listed = await list_users_by_account_info("public", AccountInfoInput(email=email))
        assert [x.id for x in listed] == [created.user.id]
        assert await list_users_by_account_info("public", AccountInfoInput(email=_email("none"))) == []

    sdk.run(scenario())


def test_list_users_in_pages(sdk):
    _init(sdk)

    async def scenario():
        prefix = f"py-page-{_tag()}"
        ids = []
        for i in range(5):
            res = await _sign_up_ok(f"{prefix}-{i}@example.com")
            ids.append(res.user.id)
            await asyncio.sleep(0.005)
        newest_first = list(reversed(ids))

        # Nobody created users after ours, so the first pages are ours.
        p1 = await get_users_newest_first("public", limit=2)
        assert [x.id for x in p1.users] == newest_first[:2]
        assert isinstance(p1.next_pagination_token, str)
        p2 = await get_users_newest_first("public", limit=2, pagination_token=p1.next_pagination_token)
        assert [x.id for x in p2.users] == newest_first[2:4]
        p3 = await get_users_newest_first("public", limit=2, pagination_token=p2.next_pagination_token)
        assert p3.users[0].id == newest_first[4]

        # Walk everything oldest first: each user once, ours in creation order.
        seen = []
        token = None
        for _ in range(500):
            page = await get_users_oldest_first("public", limit=3, pagination_token=token)
            assert len(page.users) <= 3
            seen.extend(x.id for x in page.users)
            token = page.next_pagination_token
            if token is None:
                break
            assert len(page.users) == 3
        else:
            raise AssertionError("pagination did not end")
        assert len(seen) == len(set(seen))
        assert [x for x in seen if x in ids] == ids
        assert seen[-5:] == ids
        assert len(seen) == await get_user_count(None, "public")

        # Email search (the core answers all matches, unpaginated).
        found = await get_users_oldest_first("public", query={"email": prefix})
        assert [x.id for x in found.users] == ids

    sdk.run(scenario())


def test_user_count_and_delete_user(sdk):
    _init(sdk)

    async def scenario():
        total = await get_user_count()
        ep = await get_user_count(["emailpassword"])
        email = _email("delete")
        created = await _sign_up_ok(email)
        uid = created.user.id
        assert await get_user_count() == total + 1
        assert await get_user_count(["emailpassword"]) == ep + 1

        role = f"py-delete-role-{_tag()}"
        await update_user_metadata(uid, {"plan": "pro"})
        await create_new_role_or_add_permissions(role, [])
        assert isinstance(await add_role_to_user("public", uid, role), AddRoleToUserOkResult)

        assert await delete_user(uid) is None
        assert await get_user(uid) is None
        assert isinstance(await sign_in("public", email, PASSWORD), WrongCredentialsError)
        assert await get_user_count() == total
        assert (await get_user_metadata(uid)).metadata == {}
        assert (await get_roles_for_user("public", uid)).roles == []

    sdk.run(scenario())


def test_user_metadata_merge_and_clear(sdk):
    _init(sdk)

    async def scenario():
        uid = f"py-meta-{_tag()}"
        assert (await get_user_metadata(uid)).metadata == {}

        res = await update_user_metadata(uid, {"a": 1, "obj": {"x": 1}, "keep": "me", "gone": True})
        assert res.metadata == {"a": 1, "obj": {"x": 1}, "keep": "me", "gone": True}

        # Shallow merge; None (JSON null) deletes a key.
        res = await update_user_metadata(uid, {"a": 2, "obj": {"y": 2}, "gone": None})
        expected = {"a": 2, "obj": {"y": 2}, "keep": "me"}
        assert res.metadata == expected
        assert (await get_user_metadata(uid)).metadata == expected

        await clear_user_metadata(uid)
        assert (await get_user_metadata(uid)).metadata == {}

    sdk.run(scenario())


def test_user_roles(sdk):
    _init(sdk)

    async def scenario():
        role = f"py-role-{_tag()}"
        p1, p2 = f"py-perm-{_tag()}", f"py-perm-{_tag()}"
        user = f"py-user-{_tag()}"

        created = await create_new_role_or_add_permissions(role, [p1])
        assert isinstance(created, CreateNewRoleOrAddPermissionsOkResult)
        assert created.created_new_role is True
        assert (await create_new_role_or_add_permissions(role, [p2])).created_new_role is False

        perms = await get_permissions_for_role(role)
        assert isinstance(perms, GetPermissionsForRoleOkResult)
        assert sorted(perms.permissions) == sorted([p1, p2])
        await remove_permissions_from_role(role, [p1])
        assert (await get_permissions_for_role(role)).permissions == [p2]
        assert (await get_roles_that_have_permission(p2)).roles == [role]
        assert role in (await get_all_roles()).roles

        added = await add_role_to_user("public", user, role)
        assert isinstance(added, AddRoleToUserOkResult)
        assert added.did_user_already_have_role is False
        assert (await add_role_to_user("public", user, role)).did_user_already_have_role is True
        assert (await get_roles_for_user("public", user)).roles == [role]
        holders = await get_users_that_have_role("public", role)
        assert isinstance(holders, GetUsersThatHaveRoleOkResult)
        assert holders.users == [user]

        removed = await remove_user_role("public", user, role)
        assert isinstance(removed, RemoveUserRoleOkResult)
        assert removed.did_user_have_role is True
        assert (await get_roles_for_user("public", user)).roles == []

        ghost = f"py-ghost-{_tag()}"
        assert isinstance(await add_role_to_user("public", user, ghost), UnknownRoleError)
        assert isinstance(await get_permissions_for_role(ghost), UnknownRoleError)
        assert isinstance(await get_users_that_have_role("public", ghost), UnknownRoleError)

        deleted = await delete_role(role)
        assert isinstance(deleted, DeleteRoleOkResult)
        assert deleted.did_role_exist is True
        assert (await delete_role(role)).did_role_exist is False
        assert role not in (await get_all_roles()).roles

    sdk.run(scenario())


def test_email_verification(sdk):
    _init(sdk)

    async def scenario():
        email = _email("ev")
        created = await _sign_up_ok(email)
        rid = RecipeUserId(created.user.id)
        assert await is_email_verified(rid) is False

        tok = await create_email_verification_token("public", rid)
        assert isinstance(tok, CreateEmailVerificationTokenOkResult), tok
        assert isinstance(tok.token, str) and len(tok.token) >= 20

        res = await verify_email_using_token("public", tok.token)
        assert isinstance(res, VerifyEmailUsingTokenOkResult), res
        assert res.user.recipe_user_id.get_as_string() == created.user.id
        assert res.user.email == email
        assert await is_email_verified(rid) is True
        assert (await get_user(created.user.id)).login_methods[0].verified is True

        reused = await verify_email_using_token("public", tok.token)
        assert isinstance(reused, VerifyEmailUsingTokenInvalidTokenError)
        already = await create_email_verification_token("public", rid)
        assert isinstance(already, CreateEmailVerificationTokenEmailAlreadyVerifiedError)

        await unverify_email(rid)
        assert await is_email_verified(rid) is False
        assert (await get_user(created.user.id)).login_methods[0].verified is False

        pending = await create_email_verification_token("public", rid)
        assert isinstance(pending, CreateEmailVerificationTokenOkResult)
        await revoke_email_verification_tokens("public", rid)
        revoked = await verify_email_using_token("public", pending.token)
        assert isinstance(revoked, VerifyEmailUsingTokenInvalidTokenError)
        assert await is_email_verified(rid) is False

    sdk.run(scenario())
