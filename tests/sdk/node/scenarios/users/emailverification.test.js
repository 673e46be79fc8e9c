"use strict";
// Users stage: EmailVerification tokens and state, through supertokens-node's
// public EmailVerification functions (recipe in OPTIONAL mode).
const test = require("node:test");
const assert = require("node:assert/strict");
const u = require("../../lib/users");

const { SuperTokens, EmailVerification } = u;

u.initUsersSdk();

async function newUser(prefix) {
    const email = u.uniqueEmail(prefix);
    const res = await u.signUpOk(email);
    return { email, id: res.user.id, rid: res.recipeUserId };
}

async function verifiedInGetUser(id) {
    const user = await SuperTokens.getUser(id);
    assert.ok(user, `user ${id} vanished`);
    return user.loginMethods[0].verified;
}

test("a new user is unverified; a token verifies the email and shows in getUser", async () => {
    const { email, id, rid } = await newUser("ev");
    assert.equal(await EmailVerification.isEmailVerified(rid), false);
    assert.equal(await EmailVerification.isEmailVerified(rid, email), false);
    assert.equal(await verifiedInGetUser(id), false);

    const tok = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal(tok.status, "OK");
    assert.equal(typeof tok.token, "string");
    assert.ok(tok.token.length >= 20, `token ${JSON.stringify(tok.token)} looks too short to be unguessable`);

    const res = await EmailVerification.verifyEmailUsingToken("public", tok.token);
    assert.equal(res.status, "OK");
    assert.equal(res.user.recipeUserId.getAsString(), id);
    assert.equal(res.user.email, email);

    assert.equal(await EmailVerification.isEmailVerified(rid), true);
    assert.equal(await EmailVerification.isEmailVerified(rid, email), true);
    assert.equal(await verifiedInGetUser(id), true);
    // Verification belongs to the (user, email) pair.
    assert.equal(await EmailVerification.isEmailVerified(rid, u.uniqueEmail("other")), false);
});

test("a used token is invalid the second time", async () => {
    const { rid } = await newUser("ev-reuse");
    const tok = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", tok.token)).status, "OK");
    assert.deepEqual(await EmailVerification.verifyEmailUsingToken("public", tok.token),
        { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" });
});

test("verifying with one token uses up the other tokens of the same email", async () => {
    const { rid } = await newUser("ev-two");
    const first = await EmailVerification.createEmailVerificationToken("public", rid);
    const second = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal(first.status, "OK");
    assert.equal(second.status, "OK");
    assert.notEqual(first.token, second.token);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", first.token)).status, "OK");
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", second.token)).status,
        "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
});

test("a token for an already verified email: EMAIL_ALREADY_VERIFIED_ERROR", async () => {
    const { email, rid } = await newUser("ev-already");
    const tok = await EmailVerification.createEmailVerificationToken("public", rid, email);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", tok.token)).status, "OK");
    assert.deepEqual(await EmailVerification.createEmailVerificationToken("public", rid, email),
        { status: "EMAIL_ALREADY_VERIFIED_ERROR" });
    assert.deepEqual(await EmailVerification.createEmailVerificationToken("public", rid),
        { status: "EMAIL_ALREADY_VERIFIED_ERROR" });
});

test("junk tokens are invalid", async () => {
    assert.deepEqual(await EmailVerification.verifyEmailUsingToken("public", `junk-${u.tag()}`),
        { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" });
});

test("revokeEmailVerificationTokens makes outstanding tokens invalid", async () => {
    const { id, rid } = await newUser("ev-revoke");
    const a = await EmailVerification.createEmailVerificationToken("public", rid);
    const b = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.deepEqual(await EmailVerification.revokeEmailVerificationTokens("public", rid), { status: "OK" });
    for (const tok of [a, b]) {
        assert.deepEqual(await EmailVerification.verifyEmailUsingToken("public", tok.token),
            { status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" });
    }
    assert.equal(await EmailVerification.isEmailVerified(rid), false);
    assert.equal(await verifiedInGetUser(id), false);

    // A token made after the revocation works.
    const c = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", c.token)).status, "OK");
});

test("revoking one user's tokens leaves another user's tokens alone", async () => {
    const one = await newUser("ev-rev-one");
    const two = await newUser("ev-rev-two");
    const t2 = await EmailVerification.createEmailVerificationToken("public", two.rid);
    await EmailVerification.createEmailVerificationToken("public", one.rid);
    assert.equal((await EmailVerification.revokeEmailVerificationTokens("public", one.rid)).status, "OK");
    const res = await EmailVerification.verifyEmailUsingToken("public", t2.token);
    assert.equal(res.status, "OK");
    assert.equal(res.user.recipeUserId.getAsString(), two.id);
});

test("unverifyEmail takes verification back; it can be verified again", async () => {
    const { email, id, rid } = await newUser("ev-unverify");
    const tok = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", tok.token)).status, "OK");
    assert.equal(await verifiedInGetUser(id), true);

    assert.deepEqual(await EmailVerification.unverifyEmail(rid), { status: "OK" });
    assert.equal(await EmailVerification.isEmailVerified(rid, email), false);
    assert.equal(await verifiedInGetUser(id), false);
    // Unverifying twice is fine.
    assert.deepEqual(await EmailVerification.unverifyEmail(rid, email), { status: "OK" });

    const again = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal(again.status, "OK");
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", again.token)).status, "OK");
    assert.equal(await EmailVerification.isEmailVerified(rid), true);
});

test("changing the email of a verified user makes it unverified (verification is per email)", async () => {
    const { id, rid } = await newUser("ev-change");
    const tok = await EmailVerification.createEmailVerificationToken("public", rid);
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", tok.token)).status, "OK");

    const newEmail = u.uniqueEmail("ev-changed");
    assert.deepEqual(await u.EmailPassword.updateEmailOrPassword({ recipeUserId: rid, email: newEmail }), { status: "OK" });
    assert.equal(await EmailVerification.isEmailVerified(rid), false);
    assert.equal(await verifiedInGetUser(id), false);
});

test("verifyEmailUsingToken without account linking still answers the verified user", async () => {
    const { email, id, rid } = await newUser("ev-nolink");
    const tok = await EmailVerification.createEmailVerificationToken("public", rid);
    // attemptAccountLinking=false: only the core's verify call.
    const res = await EmailVerification.verifyEmailUsingToken("public", tok.token, false);
    assert.equal(res.status, "OK");
    assert.equal(res.user.recipeUserId.getAsString(), id);
    assert.equal(res.user.email, email);
    assert.equal(await EmailVerification.isEmailVerified(rid), true);
});
