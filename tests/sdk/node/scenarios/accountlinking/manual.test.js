"use strict";
// Account linking stage: manual linking through the AccountLinking functions
// (canCreatePrimaryUser, createPrimaryUser, canLinkAccounts, linkAccounts,
// unlinkAccount) with every status they answer, the core's rule that no two
// primary users share an email (EMAIL_CHANGE_NOT_ALLOWED_ERROR), and
// SuperTokens.deleteUser of linked users with removeAllLinkedAccounts true and
// false. Automatic linking is on and requires verification; the users here
// are made with the recipe functions and unverified emails, so the SDK never
// links them itself. App of its own (lib/accountlinking.js).
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const al = require("../../lib/accountlinking");
const apps = require("../../lib/apps");
const EmailPasswordRecipe = require("supertokens-node/lib/build/recipe/emailpassword/recipe").default;
const ThirdPartyRecipe = require("supertokens-node/lib/build/recipe/thirdparty/recipe").default;
const PasswordlessRecipe = require("supertokens-node/lib/build/recipe/passwordless/recipe").default;
const Passwordless = require("supertokens-node/recipe/passwordless");

const Multitenancy = require("supertokens-node/recipe/multitenancy");

const { SuperTokens, Session, EmailPassword, ThirdParty, UserMetadata, AccountLinking } = al;
const rid = (id) => SuperTokens.convertToRecipeUserId(id);
let ctx;
const u = {};

test.before(async () => {
    ctx = await al.startLinkingApp({ appPrefix: "sdk-al-manual", requireVerification: true });
});

test.after(async () => {
    await ctx?.close();
});

const base = () => `/appid-${ctx.appId}`;

// Core calls through a recipe's own querier (its rid header, cdi-version,
// api key, the app's connection URI), for requests the SDK's functions check
// themselves before they would reach the core.
const epCore = () => EmailPasswordRecipe.getInstanceOrThrowError().querier;
const tpCore = () => ThirdPartyRecipe.getInstanceOrThrowError().querier;
const plCore = () => PasswordlessRecipe.getInstanceOrThrowError().querier;

// An unverified email-password user made with the recipe function: never
// primary, never linked by the SDK.
async function epUser(prefix) {
    const email = al.randomEmail(prefix);
    const res = await EmailPassword.signUp("public", email, al.PASSWORD);
    assert.equal(res.status, "OK", JSON.stringify(res));
    assert.equal(res.user.isPrimaryUser, false, JSON.stringify(res));
    return { id: res.user.id, email };
}

function ids(user) {
    return user.loginMethods.map((lm) => lm.recipeUserId.getAsString()).sort();
}

test("createPrimaryUser / canCreatePrimaryUser", async () => {
    u.a = await epUser("al-man-a");
    assert.deepEqual(await AccountLinking.canCreatePrimaryUser(rid(u.a.id)), { status: "OK", wasAlreadyAPrimaryUser: false });
    // Checking changes nothing.
    assert.equal((await SuperTokens.getUser(u.a.id)).isPrimaryUser, false);

    const { result: made, calls } = await ctx.rec.during(() => AccountLinking.createPrimaryUser(rid(u.a.id)));
    assert.equal(made.status, "OK", JSON.stringify(made));
    assert.equal(made.wasAlreadyAPrimaryUser, false);
    assert.equal(made.user.id, u.a.id);
    assert.equal(made.user.isPrimaryUser, true);
    assert.deepEqual(ids(made.user), [u.a.id]);
    assert.deepEqual(calls.map((c) => [c.method, c.path, c.body]), [
        ["POST", `${base()}/recipe/accountlinking/user/primary`, { recipeUserId: u.a.id }],
    ]);
    assert.equal(calls[0].headers.rid, "accountlinking");
    assert.equal(calls[0].headers["cdi-version"], "5.4");
    assert.equal((await SuperTokens.getUser(u.a.id)).isPrimaryUser, true);

    const again = await AccountLinking.createPrimaryUser(rid(u.a.id));
    assert.equal(again.status, "OK");
    assert.equal(again.wasAlreadyAPrimaryUser, true);
    assert.equal(again.user.id, u.a.id);
    const { result: check, calls: checkCalls } = await ctx.rec.during(() => AccountLinking.canCreatePrimaryUser(rid(u.a.id)));
    assert.deepEqual(check, { status: "OK", wasAlreadyAPrimaryUser: true });
    assert.equal(checkCalls[0].method, "GET");
    assert.equal(checkCalls[0].path, `${base()}/recipe/accountlinking/user/primary/check`);
    assert.deepEqual(checkCalls[0].params, { recipeUserId: u.a.id });

    // An unknown user: the core's 400, which the SDK throws.
    const unknown = crypto.randomUUID();
    await assert.rejects(AccountLinking.canCreatePrimaryUser(rid(unknown)), /status code: 400 and message: Unknown user ID provided/);
    await assert.rejects(AccountLinking.createPrimaryUser(rid(unknown)), /status code: 400 and message: Unknown user ID provided/);
});

test("canLinkAccounts / linkAccounts: OK, then already linked; a linked recipe user cannot become primary", async () => {
    u.b = await epUser("al-man-b");
    assert.deepEqual(await AccountLinking.canLinkAccounts(rid(u.b.id), u.a.id), { status: "OK", accountsAlreadyLinked: false });
    assert.equal((await SuperTokens.getUser(u.b.id)).id, u.b.id);

    const { result: linked, calls } = await ctx.rec.during(() => AccountLinking.linkAccounts(rid(u.b.id), u.a.id));
    assert.equal(linked.status, "OK", JSON.stringify(linked));
    assert.equal(linked.accountsAlreadyLinked, false);
    assert.equal(linked.user.id, u.a.id);
    assert.equal(linked.user.isPrimaryUser, true);
    assert.deepEqual(ids(linked.user), [u.a.id, u.b.id].sort());
    assert.deepEqual(linked.user.emails.slice().sort(), [u.a.email, u.b.email].sort());
    const linkCall = calls.find((c) => c.path === `${base()}/recipe/accountlinking/user/link`);
    assert.deepEqual(linkCall.body, { recipeUserId: u.b.id, primaryUserId: u.a.id });

    const byB = await SuperTokens.getUser(u.b.id);
    assert.equal(byB.id, u.a.id);
    assert.deepEqual(ids(byB), [u.a.id, u.b.id].sort());
    // b's email now finds the primary user.
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email: u.b.email })).map((x) => x.id), [u.a.id]);

    const again = await AccountLinking.linkAccounts(rid(u.b.id), u.a.id);
    assert.equal(again.status, "OK");
    assert.equal(again.accountsAlreadyLinked, true);
    assert.deepEqual(ids(again.user), [u.a.id, u.b.id].sort());
    assert.deepEqual(await AccountLinking.canLinkAccounts(rid(u.b.id), u.a.id), { status: "OK", accountsAlreadyLinked: true });
    // The primary user's own login method is linked to itself.
    assert.deepEqual(await AccountLinking.canLinkAccounts(rid(u.a.id), u.a.id), { status: "OK", accountsAlreadyLinked: true });

    // b is linked to a: it cannot become a primary user.
    for (const res of [await AccountLinking.canCreatePrimaryUser(rid(u.b.id)), await AccountLinking.createPrimaryUser(rid(u.b.id))]) {
        assert.equal(res.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR", JSON.stringify(res));
        assert.equal(res.primaryUserId, u.a.id);
    }
});

test("linking a recipe user that is linked elsewhere: RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", async () => {
    u.d = await epUser("al-man-d");
    const d = await AccountLinking.createPrimaryUser(rid(u.d.id));
    assert.equal(d.status, "OK");

    const check = await AccountLinking.canLinkAccounts(rid(u.b.id), u.d.id);
    assert.equal(check.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(check));
    assert.equal(check.primaryUserId, u.a.id);
    assert.equal(typeof check.description, "string");

    const link = await AccountLinking.linkAccounts(rid(u.b.id), u.d.id);
    assert.equal(link.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(link));
    assert.equal(link.primaryUserId, u.a.id);
    // The SDK turns the core's user into a User: the one b belongs to.
    assert.equal(link.user.id, u.a.id);
    assert.deepEqual(ids(link.user), [u.a.id, u.b.id].sort());

    // A primary user (with its own login method) cannot be linked into another one either.
    const primaryIntoOther = await AccountLinking.linkAccounts(rid(u.a.id), u.d.id);
    assert.equal(primaryIntoOther.status, "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(primaryIntoOther));
    assert.equal(primaryIntoOther.primaryUserId, u.a.id);

    // Nothing changed.
    assert.deepEqual(ids(await SuperTokens.getUser(u.d.id)), [u.d.id]);
    assert.deepEqual(ids(await SuperTokens.getUser(u.a.id)), [u.a.id, u.b.id].sort());
});

test("linking to a user that is not primary: INPUT_USER_IS_NOT_A_PRIMARY_USER", async () => {
    u.c = await epUser("al-man-c");
    u.e = await epUser("al-man-e");
    assert.deepEqual(await AccountLinking.canLinkAccounts(rid(u.c.id), u.e.id), { status: "INPUT_USER_IS_NOT_A_PRIMARY_USER" });
    assert.deepEqual(await AccountLinking.linkAccounts(rid(u.c.id), u.e.id), { status: "INPUT_USER_IS_NOT_A_PRIMARY_USER" });
    assert.equal((await SuperTokens.getUser(u.c.id)).id, u.c.id);
    assert.equal((await SuperTokens.getUser(u.e.id)).isPrimaryUser, false);
    // An unknown primary user id: the core's 400.
    await assert.rejects(AccountLinking.linkAccounts(rid(u.c.id), crypto.randomUUID()), /status code: 400/);
});

test("account info of another primary user: ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", async () => {
    // A third-party user with a's email, unverified: the SDK leaves it apart.
    u.tpUserId = `tp-${apps.tag()}`;
    const made = await ThirdParty.manuallyCreateOrUpdateUser("public", al.PROVIDER_ID, u.tpUserId, u.a.email, false);
    assert.equal(made.status, "OK", JSON.stringify(made));
    assert.equal(made.createdNewRecipeUser, true);
    u.t = { id: made.recipeUserId.getAsString(), email: u.a.email };
    assert.equal(made.user.id, u.t.id);
    assert.equal(made.user.isPrimaryUser, false);

    // It cannot become primary: a's primary user has the email.
    for (const res of [await AccountLinking.canCreatePrimaryUser(rid(u.t.id)), await AccountLinking.createPrimaryUser(rid(u.t.id))]) {
        assert.equal(res.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(res));
        assert.equal(res.primaryUserId, u.a.id);
        assert.equal(res.description, "This user's email is already associated with another user ID");
    }
    // Nor join d's: the email would then be on two primary users.
    for (const res of [await AccountLinking.canLinkAccounts(rid(u.t.id), u.d.id), await AccountLinking.linkAccounts(rid(u.t.id), u.d.id)]) {
        assert.equal(res.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(res));
        assert.equal(res.primaryUserId, u.a.id);
        assert.equal(res.description, "This user's email is already associated with another user ID");
    }
    assert.equal((await SuperTokens.getUser(u.t.id)).id, u.t.id);

    // Joining a's is fine (manual linking needs no verification).
    const link = await AccountLinking.linkAccounts(rid(u.t.id), u.a.id);
    assert.equal(link.status, "OK", JSON.stringify(link));
    assert.deepEqual(ids(link.user), [u.a.id, u.b.id, u.t.id].sort());
    assert.deepEqual(link.user.thirdParty, [{ id: al.PROVIDER_ID, userId: u.tpUserId }]);
    const byEmail = await SuperTokens.listUsersByAccountInfo("public", { email: u.a.email });
    assert.deepEqual(byEmail.map((x) => x.id), [u.a.id]);
});

test("no two primary users share an email: the SDK refuses the change, and so does the core", async () => {
    // d (primary) takes a's email (a primary user's): the SDK's own check.
    const sdk = await EmailPassword.updateEmailOrPassword({ recipeUserId: rid(u.d.id), email: u.a.email });
    assert.deepEqual(sdk, {
        status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR",
        reason: "New email cannot be applied to existing account because of there is another primary user with the same email address.",
    });
    // The same update sent straight to the core (as the SDK would send it).
    const core = await epCore().sendPutRequest("/recipe/user", { recipeUserId: u.d.id, email: u.a.email }, {}, {});
    assert.deepEqual(core, { status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR", reason: "New email is associated with another primary user ID" });
    // b's email belongs to a's primary user too (b is linked there).
    const coreB = await epCore().sendPutRequest("/recipe/user", { recipeUserId: u.d.id, email: u.b.email.toUpperCase() }, {}, {});
    assert.equal(coreB.status, "EMAIL_CHANGE_NOT_ALLOWED_ERROR", JSON.stringify(coreB));
    assert.equal((await SuperTokens.getUser(u.d.id)).emails[0], u.d.email);

    // The third-party sign-in-up of a user linked to a, with d's email: the core refuses.
    const tpRes = await tpCore().sendPostRequest("/public/recipe/signinup", {
        thirdPartyId: al.PROVIDER_ID, thirdPartyUserId: u.tpUserId, email: { id: u.d.email, isVerified: true },
    }, {});
    assert.deepEqual(tpRes, { status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR", reason: "Email already associated with another primary user." });
    // ...and the SDK refuses it itself.
    const tpSdk = await ThirdParty.manuallyCreateOrUpdateUser("public", al.PROVIDER_ID, u.tpUserId, u.d.email, true);
    assert.deepEqual(tpSdk, { status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR", reason: "Email already associated with another primary user." });
    assert.deepEqual((await SuperTokens.getUser(u.t.id)).loginMethods.find((lm) => lm.recipeId === "thirdparty").email, u.a.email);

    // A primary user whose email is only on a third-party login method (the
    // SDK makes a verified one primary at once).
    const f = await ThirdParty.manuallyCreateOrUpdateUser("public", al.PROVIDER_ID, `tp-${apps.tag()}`, al.randomEmail("al-man-f"), true);
    assert.equal(f.status, "OK", JSON.stringify(f));
    assert.equal(f.user.isPrimaryUser, true);
    u.f = { id: f.user.id, email: f.user.emails[0] };
    // A non-primary user may take a primary user's email (e is not primary)...
    const core2 = await epCore().sendPutRequest("/recipe/user", { recipeUserId: u.e.id, email: u.f.email }, {}, {});
    assert.deepEqual(core2, { status: "OK" });
    // ...but then it can neither become primary nor join another primary user.
    const cannot = await AccountLinking.canCreatePrimaryUser(rid(u.e.id));
    assert.equal(cannot.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(cannot));
    assert.equal(cannot.primaryUserId, u.f.id);
    const toA = await AccountLinking.canLinkAccounts(rid(u.e.id), u.a.id);
    assert.equal(toA.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(toA));
    assert.equal(toA.primaryUserId, u.f.id);
    // A passwordless primary user (a consumed email is verified, so the SDK
    // makes it primary at once) cannot take f's email either.
    const q = await Passwordless.signInUp({ tenantId: "public", email: al.randomEmail("al-man-q") });
    assert.equal(q.status, "OK", JSON.stringify(q));
    assert.equal(q.user.isPrimaryUser, true);
    const plSdk = await Passwordless.updateUser({ recipeUserId: q.recipeUserId, email: u.f.email });
    assert.deepEqual(plSdk, {
        status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR",
        reason: "New email cannot be applied to existing account because of there is another primary user with the same email address.",
    });
    const plRes = await plCore().sendPutRequest("/recipe/user", { recipeUserId: q.user.id, email: u.f.email }, {}, {});
    assert.deepEqual(plRes, { status: "EMAIL_CHANGE_NOT_ALLOWED_ERROR", reason: "New email is associated with another primary user ID" });
    assert.deepEqual((await SuperTokens.getUser(q.user.id)).emails, [q.user.emails[0]]);
    await SuperTokens.deleteUser(q.user.id);
    // (Email-password emails stay unique in a tenant, linked or not.)
    const taken = await epCore().sendPutRequest("/recipe/user", { recipeUserId: u.e.id, email: u.d.email }, {}, {});
    assert.deepEqual(taken, { status: "EMAIL_ALREADY_EXISTS_ERROR" });
    u.e.email = u.f.email;
});

test("unlinkAccount: a linked login method, the primary user's own one, a lone primary user", async () => {
    // t leaves a's user.
    assert.deepEqual(await AccountLinking.unlinkAccount(rid(u.t.id)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: true });
    assert.equal((await SuperTokens.getUser(u.t.id)).id, u.t.id);
    assert.deepEqual(ids(await SuperTokens.getUser(u.a.id)), [u.a.id, u.b.id].sort());

    // The primary user's own login method, while b is still linked: the core
    // deletes that recipe user; the user lives on (same id) with b.
    const session = await Session.createNewSessionWithoutRequestResponse("public", rid(u.b.id));
    assert.equal(session.getUserId(), u.a.id);
    const res = await AccountLinking.unlinkAccount(rid(u.a.id));
    assert.deepEqual(res, { status: "OK", wasRecipeUserDeleted: true, wasLinked: true });
    const rest = await SuperTokens.getUser(u.a.id);
    assert.equal(rest.id, u.a.id);
    assert.equal(rest.isPrimaryUser, true);
    assert.deepEqual(ids(rest), [u.b.id]);
    assert.deepEqual(rest.emails, [u.b.email]);
    assert.equal((await SuperTokens.getUser(u.b.id)).id, u.a.id);
    // a's password no longer signs in; b's does, as the same user.
    assert.deepEqual(await EmailPassword.verifyCredentials("public", u.a.email, al.PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    const signIn = await EmailPassword.signIn("public", u.b.email, al.PASSWORD);
    assert.equal(signIn.status, "OK");
    assert.equal(signIn.user.id, u.a.id);
    assert.equal(signIn.recipeUserId.getAsString(), u.b.id);
    // b's session is untouched.
    assert.equal((await Session.getSessionInformation(session.getHandle()))?.userId, u.a.id);

    // A primary user with only its own login method: no longer primary, not deleted.
    assert.deepEqual(await AccountLinking.unlinkAccount(rid(u.d.id)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: true });
    const d = await SuperTokens.getUser(u.d.id);
    assert.equal(d.isPrimaryUser, false);
    assert.deepEqual(ids(d), [u.d.id]);
    // A user that is neither linked nor primary.
    assert.deepEqual(await AccountLinking.unlinkAccount(rid(u.d.id)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: false });
    await assert.rejects(AccountLinking.unlinkAccount(rid(crypto.randomUUID())), /status code: 400 and message: Unknown user ID provided/);
});

test("the one-primary-user-per-email rule holds per tenant", async () => {
    const tenantId = `al-t-${apps.tag(4)}`;
    const created = await Multitenancy.createOrUpdateTenant(tenantId, { firstFactors: ["emailpassword", "thirdparty"] });
    assert.equal(created.status, "OK", JSON.stringify(created));
    const email = al.randomEmail("al-man-tenant");

    // A primary email-password user in the tenant...
    const g = await EmailPassword.signUp(tenantId, email, al.PASSWORD);
    assert.equal(g.status, "OK", JSON.stringify(g));
    const gId = g.user.id;
    assert.equal((await AccountLinking.createPrimaryUser(rid(gId))).status, "OK");
    // ...and a primary third-party user with the same email in public: allowed,
    // the tenants differ.
    const k = await ThirdParty.manuallyCreateOrUpdateUser("public", al.PROVIDER_ID, `tp-${apps.tag()}`, email, false);
    assert.equal(k.status, "OK", JSON.stringify(k));
    const kId = k.user.id;
    assert.equal(k.user.isPrimaryUser, false);
    const kPrimary = await AccountLinking.createPrimaryUser(rid(kId));
    assert.equal(kPrimary.status, "OK", JSON.stringify(kPrimary));
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo(tenantId, { email })).map((x) => x.id), [gId]);
    assert.deepEqual((await SuperTokens.listUsersByAccountInfo("public", { email })).map((x) => x.id), [kId]);

    // Bringing k into the tenant would give it two primary users with the email.
    const refused = await Multitenancy.associateUserToTenant(tenantId, rid(kId));
    assert.equal(refused.status, "ASSOCIATION_NOT_ALLOWED_ERROR", JSON.stringify(refused));
    assert.equal(typeof refused.reason, "string");
    assert.deepEqual((await SuperTokens.getUser(kId)).tenantIds, ["public"]);

    // A user of the tenant linked to g is in g's user, with g's tenants.
    const m = await EmailPassword.signUp(tenantId, al.randomEmail("al-man-tenant-m"), al.PASSWORD);
    const linked = await AccountLinking.linkAccounts(m.recipeUserId, gId);
    assert.equal(linked.status, "OK", JSON.stringify(linked));
    assert.deepEqual(linked.user.tenantIds, [tenantId]);
    const inTenant = await SuperTokens.getUsersNewestFirst({ tenantId });
    assert.deepEqual(inTenant.users.map((x) => x.id), [gId]);
    assert.equal(await SuperTokens.getUserCount(undefined, tenantId), 1);
    // k, once no longer primary, may join the tenant (it is then a plain recipe user there).
    assert.deepEqual(await AccountLinking.unlinkAccount(rid(kId)), { status: "OK", wasRecipeUserDeleted: false, wasLinked: true });
    const joined = await Multitenancy.associateUserToTenant(tenantId, rid(kId));
    assert.deepEqual(joined, { status: "OK", wasAlreadyAssociated: false });
    assert.deepEqual((await SuperTokens.getUser(kId)).tenantIds.sort(), [tenantId, "public"].sort());
    // ...but can no longer become primary.
    const cannot = await AccountLinking.canCreatePrimaryUser(rid(kId));
    assert.equal(cannot.status, "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR", JSON.stringify(cannot));
    assert.equal(cannot.primaryUserId, gId);

    for (const id of [gId, kId]) {
        await SuperTokens.deleteUser(id);
    }
    assert.equal((await Multitenancy.deleteTenant(tenantId)).status, "OK");
});

// A primary user with two linked login methods, each with metadata.
async function linkedTrio(prefix) {
    const p = await epUser(`${prefix}-p`);
    const l1 = await epUser(`${prefix}-l1`);
    const l2 = await epUser(`${prefix}-l2`);
    assert.equal((await AccountLinking.createPrimaryUser(rid(p.id))).status, "OK");
    assert.equal((await AccountLinking.linkAccounts(rid(l1.id), p.id)).status, "OK");
    assert.equal((await AccountLinking.linkAccounts(rid(l2.id), p.id)).status, "OK");
    for (const x of [p, l1, l2]) {
        await UserMetadata.updateUserMetadata(x.id, { owner: x.id });
    }
    return { p, l1, l2 };
}

async function metadataOf(id) {
    return (await UserMetadata.getUserMetadata(id)).metadata;
}

test("deleteUser(removeAllLinkedAccounts: false): only that login method goes", async () => {
    const before = await SuperTokens.getUserCount();
    const { p, l1, l2 } = await linkedTrio("al-del-one");
    assert.equal(await SuperTokens.getUserCount(), before + 1);

    // A linked login method: it and its own data go; the user stays.
    const { calls } = await ctx.rec.during(() => SuperTokens.deleteUser(l1.id, false));
    assert.deepEqual(calls.map((c) => [c.method, c.path, c.body]), [["POST", `${base()}/user/remove`, { userId: l1.id, removeAllLinkedAccounts: false }]]);
    assert.equal(await SuperTokens.getUser(l1.id), undefined);
    assert.deepEqual(ids(await SuperTokens.getUser(p.id)), [p.id, l2.id].sort());
    assert.deepEqual(await metadataOf(l1.id), {});
    assert.deepEqual(await metadataOf(p.id), { owner: p.id });
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: l1.email }), []);

    // The primary user's own login method: the user lives on under its id
    // with the remaining login method, and keeps its data.
    await SuperTokens.deleteUser(p.id, false);
    const rest = await SuperTokens.getUser(p.id);
    assert.ok(rest, "the primary user id still answers");
    assert.equal(rest.id, p.id);
    assert.equal(rest.isPrimaryUser, true);
    assert.deepEqual(ids(rest), [l2.id]);
    assert.equal((await SuperTokens.getUser(l2.id)).id, p.id);
    assert.deepEqual(await metadataOf(p.id), { owner: p.id });
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: p.email }), []);
    assert.equal(await SuperTokens.getUserCount(), before + 1);
    const session = await Session.createNewSessionWithoutRequestResponse("public", rid(l2.id));
    assert.equal(session.getUserId(), p.id);

    // The last login method: the user is gone.
    await SuperTokens.deleteUser(l2.id, false);
    assert.equal(await SuperTokens.getUser(p.id), undefined);
    assert.equal(await SuperTokens.getUser(l2.id), undefined);
    assert.equal(await SuperTokens.getUserCount(), before);
});

test("deleteUser(removeAllLinkedAccounts: true, the SDK's default): every login method goes", async () => {
    const before = await SuperTokens.getUserCount();
    const { p, l1, l2 } = await linkedTrio("al-del-all");
    const session = await Session.createNewSessionWithoutRequestResponse("public", rid(l2.id));
    // Through a linked login method's id, with the SDK's default.
    const { calls } = await ctx.rec.during(() => SuperTokens.deleteUser(l1.id));
    assert.deepEqual(calls.map((c) => [c.method, c.path, c.body]), [["POST", `${base()}/user/remove`, { userId: l1.id, removeAllLinkedAccounts: true }]]);
    for (const x of [p, l1, l2]) {
        assert.equal(await SuperTokens.getUser(x.id), undefined, `user ${x.id}`);
        assert.deepEqual(await metadataOf(x.id), {}, `metadata of ${x.id}`);
        assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: x.email }), []);
    }
    assert.equal(await Session.getSessionInformation(session.getHandle()), undefined);
    assert.equal(await SuperTokens.getUserCount(), before);

    // Through the primary user id, explicitly.
    const trio = await linkedTrio("al-del-all2");
    await SuperTokens.deleteUser(trio.p.id, true);
    for (const x of [trio.p, trio.l1, trio.l2]) {
        assert.equal(await SuperTokens.getUser(x.id), undefined, `user ${x.id}`);
    }
    assert.equal(await SuperTokens.getUserCount(), before);
});
