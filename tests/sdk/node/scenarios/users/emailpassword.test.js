"use strict";
// Users stage: EmailPassword sign up / sign in / update / password reset,
// through supertokens-node's public EmailPassword functions.
const test = require("node:test");
const assert = require("node:assert/strict");
const u = require("../../lib/users");

const { EmailPassword, SuperTokens } = u;

u.initUsersSdk();

test("signUp creates an unverified, unlinked emailpassword user in the public tenant", async () => {
    const email = u.uniqueEmail("signup");
    const before = Date.now();
    const res = await u.signUpOk(email);
    const after = Date.now();

    u.assertFreshEmailPasswordUser(res.user, email);
    assert.equal(res.recipeUserId.getAsString(), res.user.id);
    assert.ok(res.user.timeJoined >= before - 2000 && res.user.timeJoined <= after + 2000,
        `timeJoined ${res.user.timeJoined} outside [${before}, ${after}]`);

    // The core hands back the same user on lookup.
    const fetched = await SuperTokens.getUser(res.user.id);
    assert.ok(fetched, "getUser must find the user just created");
    assert.deepEqual(fetched.toJson(), res.user.toJson());
});

test("every signUp gets its own user id", async () => {
    const a = await u.signUpOk(u.uniqueEmail("ids-a"));
    const b = await u.signUpOk(u.uniqueEmail("ids-b"));
    assert.notEqual(a.user.id, b.user.id);
});

test("signUp with an email that is taken answers EMAIL_ALREADY_EXISTS_ERROR", async () => {
    const email = u.uniqueEmail("dup");
    const first = await u.signUpOk(email);

    const again = await EmailPassword.signUp("public", email, u.OTHER_PASSWORD);
    assert.deepEqual(again, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    // Case and surrounding spaces do not make it a different email.
    const shouted = await EmailPassword.signUp("public", `  ${email.toUpperCase()} `, u.OTHER_PASSWORD);
    assert.deepEqual(shouted, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    // The failed attempts changed nothing: the first password still works.
    const signIn = await EmailPassword.signIn("public", email, u.PASSWORD);
    assert.equal(signIn.status, "OK");
    assert.equal(signIn.user.id, first.user.id);
    const wrong = await EmailPassword.signIn("public", email, u.OTHER_PASSWORD);
    assert.equal(wrong.status, "WRONG_CREDENTIALS_ERROR");
});

test("emails are normalised by the core (trim + lower-case), not by the SDK", async () => {
    const local = `norm-${u.tag()}`;
    const raw = `  ${local.toUpperCase()}@Example.COM `;
    const normalised = `${local}@example.com`;

    // EmailPassword.signUp passes the email to the core untouched, so the
    // normalisation seen here is the core's.
    const res = await u.signUpOk(raw);
    u.assertFreshEmailPasswordUser(res.user, normalised);

    for (const variant of [normalised, raw, normalised.toUpperCase()]) {
        const signIn = await EmailPassword.signIn("public", variant, u.PASSWORD);
        assert.equal(signIn.status, "OK", `signIn with ${JSON.stringify(variant)}`);
        assert.equal(signIn.user.id, res.user.id);
    }

    const listed = await SuperTokens.listUsersByAccountInfo("public", { email: ` ${normalised.toUpperCase()}` });
    assert.deepEqual(listed.map((x) => x.id), [res.user.id]);
});

test("signIn: right password OK, wrong password and unknown email WRONG_CREDENTIALS_ERROR", async () => {
    const email = u.uniqueEmail("signin");
    const created = await u.signUpOk(email);

    const ok = await EmailPassword.signIn("public", email, u.PASSWORD);
    assert.equal(ok.status, "OK");
    assert.equal(ok.recipeUserId.getAsString(), created.user.id);
    assert.deepEqual(ok.user.toJson(), created.user.toJson());

    const wrong = await EmailPassword.signIn("public", email, u.OTHER_PASSWORD);
    assert.deepEqual(wrong, { status: "WRONG_CREDENTIALS_ERROR" });

    // Passwords are compared exactly: no case folding, no trimming.
    const cased = await EmailPassword.signIn("public", email, u.PASSWORD.toUpperCase());
    assert.equal(cased.status, "WRONG_CREDENTIALS_ERROR");
    const padded = await EmailPassword.signIn("public", email, ` ${u.PASSWORD} `);
    assert.equal(padded.status, "WRONG_CREDENTIALS_ERROR");

    const unknown = await EmailPassword.signIn("public", u.uniqueEmail("nobody"), u.PASSWORD);
    assert.deepEqual(unknown, { status: "WRONG_CREDENTIALS_ERROR" });

    // verifyCredentials is the same core call without the user in the answer.
    assert.deepEqual(await EmailPassword.verifyCredentials("public", email, u.PASSWORD), { status: "OK" });
    assert.deepEqual(await EmailPassword.verifyCredentials("public", email, u.OTHER_PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
});

test("updateEmailOrPassword changes the email; sign-in follows the new one", async () => {
    const oldEmail = u.uniqueEmail("chg-old");
    const created = await u.signUpOk(oldEmail);
    const id = created.user.id;
    const newLocal = `chg-new-${u.tag()}`;

    // The core normalises the new email too.
    const res = await EmailPassword.updateEmailOrPassword({
        recipeUserId: u.recipeUserId(id),
        email: ` ${newLocal.toUpperCase()}@EXAMPLE.com`,
    });
    assert.deepEqual(res, { status: "OK" });
    const newEmail = `${newLocal}@example.com`;

    const fetched = await SuperTokens.getUser(id);
    assert.deepEqual(fetched.emails, [newEmail]);
    assert.equal(fetched.loginMethods[0].email, newEmail);
    assert.equal(fetched.timeJoined, created.user.timeJoined, "an update must not change timeJoined");

    assert.equal((await EmailPassword.signIn("public", newEmail, u.PASSWORD)).status, "OK");
    assert.equal((await EmailPassword.signIn("public", oldEmail, u.PASSWORD)).status, "WRONG_CREDENTIALS_ERROR");

    // The old email is free again.
    const reuse = await u.signUpOk(oldEmail, u.OTHER_PASSWORD);
    assert.notEqual(reuse.user.id, id);
});

test("updateEmailOrPassword changes the password; only the new one signs in", async () => {
    const email = u.uniqueEmail("pwd");
    const created = await u.signUpOk(email);

    const res = await EmailPassword.updateEmailOrPassword({
        recipeUserId: u.recipeUserId(created.user.id),
        password: u.OTHER_PASSWORD,
    });
    assert.deepEqual(res, { status: "OK" });

    const ok = await EmailPassword.signIn("public", email, u.OTHER_PASSWORD);
    assert.equal(ok.status, "OK");
    assert.equal(ok.user.id, created.user.id);
    assert.equal((await EmailPassword.signIn("public", email, u.PASSWORD)).status, "WRONG_CREDENTIALS_ERROR");

    const fetched = await SuperTokens.getUser(created.user.id);
    assert.deepEqual(fetched.emails, [email], "a password change must not touch the email");
});

test("updateEmailOrPassword to an email that another user has: EMAIL_ALREADY_EXISTS_ERROR", async () => {
    const mine = u.uniqueEmail("taken-mine");
    const theirs = u.uniqueEmail("taken-theirs");
    const me = await u.signUpOk(mine);
    const them = await u.signUpOk(theirs);

    const res = await EmailPassword.updateEmailOrPassword({ recipeUserId: u.recipeUserId(me.user.id), email: theirs });
    assert.deepEqual(res, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    // Also when only the case differs.
    const shouted = await EmailPassword.updateEmailOrPassword({
        recipeUserId: u.recipeUserId(me.user.id),
        email: theirs.toUpperCase(),
    });
    assert.deepEqual(shouted, { status: "EMAIL_ALREADY_EXISTS_ERROR" });

    assert.deepEqual((await SuperTokens.getUser(me.user.id)).emails, [mine]);
    assert.deepEqual((await SuperTokens.getUser(them.user.id)).emails, [theirs]);

    // A refused email change together with a password change changes neither.
    const both = await EmailPassword.updateEmailOrPassword({
        recipeUserId: u.recipeUserId(me.user.id),
        email: theirs,
        password: u.OTHER_PASSWORD,
    });
    assert.equal(both.status, "EMAIL_ALREADY_EXISTS_ERROR");
    assert.equal((await EmailPassword.signIn("public", mine, u.PASSWORD)).status, "OK");
});

test("updateEmailOrPassword for an unknown user: UNKNOWN_USER_ID_ERROR", async () => {
    const ghost = u.recipeUserId(`ghost-${u.tag()}`);
    // With an email the SDK first looks the user up itself (GET /user/id)...
    const byEmail = await EmailPassword.updateEmailOrPassword({ recipeUserId: ghost, email: u.uniqueEmail("ghost") });
    assert.deepEqual(byEmail, { status: "UNKNOWN_USER_ID_ERROR" });
    // ...with only a password it goes straight to PUT /recipe/user.
    const byPassword = await EmailPassword.updateEmailOrPassword({ recipeUserId: ghost, password: u.OTHER_PASSWORD });
    assert.deepEqual(byPassword, { status: "UNKNOWN_USER_ID_ERROR" });
});

test("updateEmailOrPassword applies the SDK's password policy before calling the core", async () => {
    const email = u.uniqueEmail("policy");
    const created = await u.signUpOk(email);
    const res = await EmailPassword.updateEmailOrPassword({ recipeUserId: u.recipeUserId(created.user.id), password: "short" });
    assert.equal(res.status, "PASSWORD_POLICY_VIOLATED_ERROR");
    assert.equal(typeof res.failureReason, "string");
    assert.equal((await EmailPassword.signIn("public", email, u.PASSWORD)).status, "OK", "the old password must still work");
});

test("a password reset token is consumed exactly once and names its user", async () => {
    const email = u.uniqueEmail("reset");
    const created = await u.signUpOk(email);

    const tok = await EmailPassword.createResetPasswordToken("public", created.user.id, email);
    assert.equal(tok.status, "OK");
    assert.equal(typeof tok.token, "string");
    assert.ok(tok.token.length >= 20, `token ${JSON.stringify(tok.token)} looks too short to be unguessable`);

    const consumed = await EmailPassword.consumePasswordResetToken("public", tok.token);
    assert.deepEqual(consumed, { status: "OK", userId: created.user.id, email });

    const again = await EmailPassword.consumePasswordResetToken("public", tok.token);
    assert.deepEqual(again, { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });

    // Consuming a token does not change the password by itself.
    assert.equal((await EmailPassword.signIn("public", email, u.PASSWORD)).status, "OK");
});

test("consuming one reset token invalidates the user's other tokens", async () => {
    const email = u.uniqueEmail("reset2");
    const created = await u.signUpOk(email);

    const first = await EmailPassword.createResetPasswordToken("public", created.user.id, email);
    const second = await EmailPassword.createResetPasswordToken("public", created.user.id, email);
    assert.equal(first.status, "OK");
    assert.equal(second.status, "OK");
    assert.notEqual(first.token, second.token, "two tokens must differ");

    assert.equal((await EmailPassword.consumePasswordResetToken("public", second.token)).status, "OK");
    assert.deepEqual(await EmailPassword.consumePasswordResetToken("public", first.token),
        { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
});

test("reset tokens of one user do not touch another user's tokens", async () => {
    const a = u.uniqueEmail("reset-a");
    const b = u.uniqueEmail("reset-b");
    const ua = await u.signUpOk(a);
    const ub = await u.signUpOk(b);
    const ta = await EmailPassword.createResetPasswordToken("public", ua.user.id, a);
    const tb = await EmailPassword.createResetPasswordToken("public", ub.user.id, b);

    assert.deepEqual(await EmailPassword.consumePasswordResetToken("public", ta.token), { status: "OK", userId: ua.user.id, email: a });
    assert.deepEqual(await EmailPassword.consumePasswordResetToken("public", tb.token), { status: "OK", userId: ub.user.id, email: b });
});

test("createResetPasswordToken for an unknown user: UNKNOWN_USER_ID_ERROR; junk tokens are invalid", async () => {
    const res = await EmailPassword.createResetPasswordToken("public", `ghost-${u.tag()}`, u.uniqueEmail("ghost"));
    assert.deepEqual(res, { status: "UNKNOWN_USER_ID_ERROR" });

    const junk = await EmailPassword.consumePasswordResetToken("public", `not-a-token-${u.tag()}`);
    assert.deepEqual(junk, { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
});

test("resetPasswordUsingToken sets the new password and burns the token", async () => {
    const email = u.uniqueEmail("resetuse");
    const created = await u.signUpOk(email);
    const tok = await EmailPassword.createResetPasswordToken("public", created.user.id, email);
    assert.equal(tok.status, "OK");

    // 24.0: consumePasswordResetToken + updateEmailOrPassword under the hood.
    const res = await EmailPassword.resetPasswordUsingToken("public", tok.token, u.OTHER_PASSWORD);
    assert.deepEqual(res, { status: "OK" });

    assert.equal((await EmailPassword.signIn("public", email, u.OTHER_PASSWORD)).status, "OK");
    assert.equal((await EmailPassword.signIn("public", email, u.PASSWORD)).status, "WRONG_CREDENTIALS_ERROR");

    const again = await EmailPassword.resetPasswordUsingToken("public", tok.token, u.PASSWORD);
    assert.deepEqual(again, { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
    assert.equal((await EmailPassword.signIn("public", email, u.OTHER_PASSWORD)).status, "OK");
});

test("resetPasswordUsingToken with a password the policy refuses still uses up the token (SDK order)", async () => {
    const email = u.uniqueEmail("resetpolicy");
    const created = await u.signUpOk(email);
    const tok = await EmailPassword.createResetPasswordToken("public", created.user.id, email);

    // The SDK consumes the token first, then checks the policy.
    const res = await EmailPassword.resetPasswordUsingToken("public", tok.token, "short");
    assert.equal(res.status, "PASSWORD_POLICY_VIOLATED_ERROR");
    assert.deepEqual(await EmailPassword.consumePasswordResetToken("public", tok.token),
        { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });
    assert.equal((await EmailPassword.signIn("public", email, u.PASSWORD)).status, "OK");
});
