"use strict";
// Users stage: the core's recipe-independent user APIs (getUser,
// listUsersByAccountInfo, paginated listing, counting, deleting), through
// supertokens-node's top-level functions.
//
// Node scenario files run one at a time and Python runs after Node, so while
// a test in this file runs nobody else creates users. Other files did create
// users before, though, so listings are checked against our own users only.
const test = require("node:test");
const assert = require("node:assert/strict");
const u = require("../../lib/users");

const { SuperTokens, EmailPassword, UserMetadata, UserRoles, EmailVerification } = u;

u.initUsersSdk();

// Walk every page of a listing; returns the pages' user id lists.
async function walkPages(list, { limit, ...rest }) {
    const pages = [];
    let paginationToken;
    for (let i = 0; i < 500; i++) {
        const res = await list({ tenantId: "public", limit, paginationToken, ...rest });
        assert.ok(Array.isArray(res.users));
        assert.ok(res.users.length <= limit, `page of ${res.users.length} exceeds limit ${limit}`);
        pages.push(res.users);
        if (res.nextPaginationToken === undefined) {
            return pages;
        }
        assert.equal(typeof res.nextPaginationToken, "string");
        assert.equal(res.users.length, limit, "only the last page may be short");
        paginationToken = res.nextPaginationToken;
    }
    assert.fail("pagination did not end after 500 pages");
}

// Create n users one after another, a few ms apart so that their timeJoined
// values are strictly increasing.
async function createSeries(prefix, n) {
    const users = [];
    for (let i = 0; i < n; i++) {
        const res = await u.signUpOk(`${prefix}-${i}@example.com`);
        users.push(res.user);
        await u.sleep(5);
    }
    for (let i = 1; i < n; i++) {
        assert.ok(users[i].timeJoined > users[i - 1].timeJoined,
            `timeJoined not increasing: ${users[i - 1].timeJoined} then ${users[i].timeJoined}`);
    }
    return users;
}

test("getUser finds a user by id and answers undefined for an unknown id", async () => {
    const email = u.uniqueEmail("get");
    const created = await u.signUpOk(email);
    const user = await SuperTokens.getUser(created.user.id);
    assert.ok(user instanceof SuperTokens.User);
    u.assertFreshEmailPasswordUser(user, email);
    assert.deepEqual(user.toJson(), created.user.toJson());

    assert.equal(await SuperTokens.getUser(`unknown-${u.tag()}`), undefined);
    // A well-formed but unused UUID too.
    assert.equal(await SuperTokens.getUser("4a1c5a0e-7f2b-4c64-9d2e-0b8a6a1f3c55"), undefined);
});

test("listUsersByAccountInfo finds users by email in the public tenant", async () => {
    const email = u.uniqueEmail("byinfo");
    const created = await u.signUpOk(email);
    const other = await u.signUpOk(u.uniqueEmail("byinfo-other"));

    const found = await SuperTokens.listUsersByAccountInfo("public", { email });
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].toJson(), created.user.toJson());
    assert.ok(!found.some((x) => x.id === other.user.id));

    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: u.uniqueEmail("byinfo-none") }), []);
    // Exact match, not a prefix search.
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email: email.slice(0, -4) }), []);
});

test("getUsersNewestFirst / getUsersOldestFirst page through users with limit and paginationToken", async () => {
    const prefix = `page-${u.tag()}`;
    const mine = await createSeries(prefix, 7);
    const ids = mine.map((x) => x.id);
    const newestFirst = [...ids].reverse();

    // Nobody created users after ours, so the newest pages are ours.
    const p1 = await SuperTokens.getUsersNewestFirst({ tenantId: "public", limit: 3 });
    assert.deepEqual(p1.users.map((x) => x.id), newestFirst.slice(0, 3));
    assert.equal(typeof p1.nextPaginationToken, "string");
    assert.deepEqual(p1.users[0].toJson(), mine[6].toJson(), "listed users are full user objects");
    const p2 = await SuperTokens.getUsersNewestFirst({ tenantId: "public", limit: 3, paginationToken: p1.nextPaginationToken });
    assert.deepEqual(p2.users.map((x) => x.id), newestFirst.slice(3, 6));
    assert.equal(typeof p2.nextPaginationToken, "string");
    const p3 = await SuperTokens.getUsersNewestFirst({ tenantId: "public", limit: 3, paginationToken: p2.nextPaginationToken });
    assert.equal(p3.users[0].id, newestFirst[6]);

    // Whole walks: every user exactly once, ordered by timeJoined, ours in order.
    const total = await SuperTokens.getUserCount(undefined, "public");
    for (const [list, order] of [[SuperTokens.getUsersNewestFirst, -1], [SuperTokens.getUsersOldestFirst, 1]]) {
        const all = (await walkPages(list, { limit: 3 })).flat();
        const allIds = all.map((x) => x.id);
        assert.equal(new Set(allIds).size, allIds.length, "a user was listed twice");
        assert.equal(allIds.length, total, "the walk must list as many users as getUserCount counts");
        for (let i = 1; i < all.length; i++) {
            assert.ok((all[i].timeJoined - all[i - 1].timeJoined) * order >= 0, "listing not ordered by timeJoined");
        }
        const ours = allIds.filter((id) => ids.includes(id));
        assert.deepEqual(ours, order === 1 ? ids : newestFirst);
    }

    // Oldest first, our users are the last seven.
    const oldest = (await walkPages(SuperTokens.getUsersOldestFirst, { limit: 4 })).flat();
    assert.deepEqual(oldest.slice(-7).map((x) => x.id), ids);
});

test("getUsers with includeRecipeIds lists only users of that recipe", async () => {
    const mine = await createSeries(`recipe-${u.tag()}`, 2);
    const res = await SuperTokens.getUsersNewestFirst({ tenantId: "public", limit: 2, includeRecipeIds: ["emailpassword"] });
    assert.deepEqual(res.users.map((x) => x.id), [mine[1].id, mine[0].id]);
    for (const user of res.users) {
        assert.ok(user.loginMethods.every((lm) => lm.recipeId === "emailpassword"));
    }
    // Filtering on another recipe leaves our users out.
    const other = await SuperTokens.getUsersNewestFirst({ tenantId: "public", includeRecipeIds: ["passwordless"] });
    assert.ok(!other.users.some((x) => x.id === mine[0].id || x.id === mine[1].id));
    for (const user of other.users) {
        assert.ok(user.loginMethods.some((lm) => lm.recipeId === "passwordless"));
    }
});

test("getUsers with an email search query returns just the matching users", async () => {
    const prefix = `search-${u.tag()}`;
    const mine = await createSeries(prefix, 4);
    const ids = mine.map((x) => x.id);
    await u.signUpOk(u.uniqueEmail("search-decoy"));

    // The real core's search ignores limit/paginationToken and answers every
    // match at once (up to 1000), so only the default limit is used here.
    const newest = await SuperTokens.getUsersNewestFirst({ tenantId: "public", query: { email: prefix } });
    assert.deepEqual(newest.users.map((x) => x.id), [...ids].reverse());
    assert.equal(newest.nextPaginationToken, undefined);
    const oldest = await SuperTokens.getUsersOldestFirst({ tenantId: "public", query: { email: prefix } });
    assert.deepEqual(oldest.users.map((x) => x.id), ids);

    // The search term is case-insensitive.
    const shouted = await SuperTokens.getUsersOldestFirst({ tenantId: "public", query: { email: prefix.toUpperCase() } });
    assert.deepEqual(shouted.users.map((x) => x.id), ids);

    const none = await SuperTokens.getUsersOldestFirst({ tenantId: "public", query: { email: `nomatch-${u.tag()}` } });
    assert.deepEqual(none.users, []);
});

test("an invalid pagination token is a 400 from the core", async () => {
    await assert.rejects(
        SuperTokens.getUsersNewestFirst({ tenantId: "public", limit: 2, paginationToken: "definitely-not-a-token" }),
        /status code: 400/,
    );
});

test("getUserCount counts new users, in total, per recipe and per tenant", async () => {
    const all = await SuperTokens.getUserCount();
    const ep = await SuperTokens.getUserCount(["emailpassword"]);
    const pub = await SuperTokens.getUserCount(undefined, "public");
    const pless = await SuperTokens.getUserCount(["passwordless"]);
    for (const n of [all, ep, pub, pless]) {
        assert.ok(Number.isInteger(n) && n >= 0, `count ${n} is not a count`);
    }
    assert.ok(ep <= all && pub <= all);

    await u.signUpOk(u.uniqueEmail("count-a"));
    await u.signUpOk(u.uniqueEmail("count-b"));

    assert.equal(await SuperTokens.getUserCount(), all + 2);
    assert.equal(await SuperTokens.getUserCount(["emailpassword"]), ep + 2);
    assert.equal(await SuperTokens.getUserCount(undefined, "public"), pub + 2);
    assert.equal(await SuperTokens.getUserCount(["passwordless"]), pless);
});

test("deleteUser removes the user, its login and its metadata, roles and verification", async () => {
    const email = u.uniqueEmail("delete");
    const created = await u.signUpOk(email);
    const id = created.user.id;
    const role = `delete-role-${u.tag()}`;

    // Give the user some non-auth data first.
    assert.equal((await UserMetadata.updateUserMetadata(id, { plan: "pro" })).status, "OK");
    assert.equal((await UserRoles.createNewRoleOrAddPermissions(role, ["p"])).status, "OK");
    assert.equal((await UserRoles.addRoleToUser("public", id, role)).status, "OK");
    const tok = await EmailVerification.createEmailVerificationToken("public", u.recipeUserId(id));
    assert.equal(tok.status, "OK");
    assert.equal((await EmailVerification.verifyEmailUsingToken("public", tok.token)).status, "OK");
    const countBefore = await SuperTokens.getUserCount();

    assert.deepEqual(await SuperTokens.deleteUser(id), { status: "OK" });

    assert.equal(await SuperTokens.getUser(id), undefined);
    assert.deepEqual(await SuperTokens.listUsersByAccountInfo("public", { email }), []);
    assert.deepEqual(await EmailPassword.signIn("public", email, u.PASSWORD), { status: "WRONG_CREDENTIALS_ERROR" });
    assert.equal(await SuperTokens.getUserCount(), countBefore - 1);
    assert.deepEqual((await UserMetadata.getUserMetadata(id)).metadata, {});
    assert.deepEqual((await UserRoles.getRolesForUser("public", id)).roles, []);
    const holders = await UserRoles.getUsersThatHaveRole("public", role);
    assert.equal(holders.status, "OK", "deleting a user must not delete the role");
    assert.deepEqual(holders.users, []);
    assert.equal(await EmailVerification.isEmailVerified(u.recipeUserId(id), email), false);

    // The email can be used again, by a new user.
    const again = await u.signUpOk(email);
    assert.notEqual(again.user.id, id);
    assert.equal(again.user.loginMethods[0].verified, false, "verification of the deleted user must not carry over");
});

test("deleteUser of an unknown user is OK and changes nothing", async () => {
    const before = await SuperTokens.getUserCount();
    assert.deepEqual(await SuperTokens.deleteUser(`ghost-${u.tag()}`), { status: "OK" });
    assert.equal(await SuperTokens.getUserCount(), before);
});
