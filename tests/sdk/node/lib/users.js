"use strict";
// Shared helpers for the "users" stage scenarios (EmailPassword, core user
// APIs, EmailVerification, UserMetadata, UserRoles).
//
// The gatehouse instance is shared by every scenario file and by both SDKs,
// so everything a scenario creates carries a random tag: emails, role names,
// permission names, user ids for metadata. Reruns against the same server
// never collide either.

const crypto = require("node:crypto");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const UserRoles = require("supertokens-node/recipe/userroles");
const h = require("./harness");

// Every recipe of the stage, so any file can use any of them.
function initUsersSdk() {
    h.initSdk({
        recipeList: [
            EmailPassword.init(),
            EmailVerification.init({ mode: "OPTIONAL" }),
            UserMetadata.init(),
            UserRoles.init(),
            Session.init(),
        ],
    });
}

// Lower-case hex, so it survives the core's email normalisation unchanged.
function tag(bytes = 6) {
    return crypto.randomBytes(bytes).toString("hex");
}

function uniqueEmail(prefix) {
    return `${prefix}-${tag()}@example.com`;
}

// Passes the SDK's default password policy (>= 8 chars, a letter and a digit),
// which updateEmailOrPassword enforces before it calls the core.
const PASSWORD = "first-Passw0rd";
const OTHER_PASSWORD = "second-Passw0rd";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Sign up a new user and insist that it worked.
async function signUpOk(email, password = PASSWORD) {
    const res = await EmailPassword.signUp("public", email, password);
    assert.equal(res.status, "OK", `signUp(${JSON.stringify(email)}) answered ${JSON.stringify(res)}`);
    return res;
}

function recipeUserId(id) {
    return SuperTokens.convertToRecipeUserId(id);
}

// What a freshly signed-up, unlinked emailpassword user looks like.
function assertFreshEmailPasswordUser(user, email, { verified = false } = {}) {
    assert.equal(typeof user.id, "string");
    assert.ok(user.id.length > 0, "user id must not be empty");
    assert.equal(user.isPrimaryUser, false);
    assert.deepEqual(user.tenantIds, ["public"]);
    assert.deepEqual(user.emails, [email]);
    assert.deepEqual(user.phoneNumbers, []);
    assert.deepEqual(user.thirdParty, []);
    assert.equal(typeof user.timeJoined, "number");
    assert.ok(Number.isInteger(user.timeJoined), `timeJoined ${user.timeJoined} must be integer milliseconds`);
    // Milliseconds since the epoch, from a server on this machine.
    assert.ok(Math.abs(Date.now() - user.timeJoined) < 5 * 60 * 1000, `timeJoined ${user.timeJoined} is not around now (ms)`);
    assert.equal(user.loginMethods.length, 1);
    const lm = user.loginMethods[0];
    assert.equal(lm.recipeId, "emailpassword");
    assert.equal(lm.recipeUserId.getAsString(), user.id);
    assert.deepEqual(lm.tenantIds, ["public"]);
    assert.equal(lm.email, email);
    assert.equal(lm.phoneNumber, undefined);
    assert.equal(lm.thirdParty, undefined);
    assert.equal(lm.timeJoined, user.timeJoined);
    assert.equal(lm.verified, verified);
}

module.exports = {
    SuperTokens,
    EmailPassword,
    EmailVerification,
    UserMetadata,
    UserRoles,
    initUsersSdk,
    tag,
    uniqueEmail,
    PASSWORD,
    OTHER_PASSWORD,
    sleep,
    signUpOk,
    recipeUserId,
    assertFreshEmailPasswordUser,
};
