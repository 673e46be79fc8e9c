"use strict";
// Sessions stage: handle-based session management (information, data in the
// database, access-token payload, revocation, listing), with the Session
// recipe's defaults.
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../lib/sessions");

const { Session } = s;

s.initSessionSdk();

const sorted = (list) => [...list].sort();

test("getSessionInformation answers what the session was created with", async () => {
    const payload = { role: "viewer", nested: { deep: [1, { x: null }] } };
    const data = { cart: ["a", "b"], total: 12.5 };
    const before = Date.now();
    const { session, userId } = await s.newSession({ payload, data });
    const handle = session.getHandle();

    const { result: info, paths } = await s.callsDuring(() => Session.getSessionInformation(handle));
    assert.deepEqual(paths, ["GET /recipe/session"]);
    assert.ok(info !== undefined);
    assert.equal(info.sessionHandle, handle);
    assert.equal(info.userId, userId);
    assert.equal(info.recipeUserId.getAsString(), userId);
    assert.equal(info.tenantId, "public");
    assert.deepEqual(info.sessionDataInDatabase, data);
    // The custom claims are what the SDK sent: the payload plus `iss`.
    assert.deepEqual(info.customClaimsInAccessTokenPayload, { ...payload, iss: s.ISSUER });
    assert.ok(Number.isInteger(info.timeCreated) && Number.isInteger(info.expiry), "times are integer milliseconds");
    assert.ok(info.timeCreated >= before - 5000 && info.timeCreated <= Date.now() + 5000, `timeCreated ${info.timeCreated} is not now`);
    // expiry = refresh token expiry = created + refresh_token_validity (100 days).
    assert.ok(
        Math.abs(info.expiry - info.timeCreated - s.REFRESH_TOKEN_VALIDITY_MS) <= 1000,
        `expiry - timeCreated = ${info.expiry - info.timeCreated}, expected ${s.REFRESH_TOKEN_VALIDITY_MS}`,
    );

    // An empty payload and no data.
    const bare = await s.newSession();
    const bareInfo = await Session.getSessionInformation(bare.session.getHandle());
    assert.deepEqual(bareInfo.sessionDataInDatabase, {});
    assert.deepEqual(bareInfo.customClaimsInAccessTokenPayload, { iss: s.ISSUER });
});

test("getSessionInformation of an unknown handle is undefined", async () => {
    assert.equal(await Session.getSessionInformation(require("node:crypto").randomUUID()), undefined);
    assert.equal(await Session.getSessionInformation(`no-such-handle-${s.tag()}`), undefined);
});

test("updateSessionDataInDatabase replaces the data wholesale", async () => {
    const { session } = await s.newSession({ data: { a: 1, b: { c: 2 } } });
    const handle = session.getHandle();

    const { result, paths } = await s.callsDuring(() => Session.updateSessionDataInDatabase(handle, { z: [26] }));
    assert.equal(result, true);
    assert.deepEqual(paths, ["PUT /recipe/session/data"]);
    assert.deepEqual((await Session.getSessionInformation(handle)).sessionDataInDatabase, { z: [26] });

    // Through the container as well.
    await session.updateSessionDataInDatabase({ from: "container" });
    assert.deepEqual(await session.getSessionDataFromDatabase(), { from: "container" });

    // An empty object clears it.
    assert.equal(await Session.updateSessionDataInDatabase(handle, {}), true);
    assert.deepEqual((await Session.getSessionInformation(handle)).sessionDataInDatabase, {});

    // The access token payload is not touched.
    assert.deepEqual((await Session.getSessionInformation(handle)).customClaimsInAccessTokenPayload, { iss: s.ISSUER });
});

test("updateSessionDataInDatabase of an unknown or revoked session is false", async () => {
    assert.equal(await Session.updateSessionDataInDatabase(require("node:crypto").randomUUID(), { a: 1 }), false);
    const { session } = await s.newSession();
    await Session.revokeSession(session.getHandle());
    assert.equal(await Session.updateSessionDataInDatabase(session.getHandle(), { a: 1 }), false);
    await s.rejectsWithSessionError(
        session.updateSessionDataInDatabase({ a: 1 }),
        Session.Error.UNAUTHORISED,
        "container update of a revoked session",
    );
});

test("mergeIntoAccessTokenPayload by handle merges into the stored payload; a check with the database hands out a new token", async () => {
    const { session, userId, tokens } = await s.newSession({ payload: { keep: 1, drop: "x", change: "old" } });
    const handle = session.getHandle();

    const { result, paths } = await s.callsDuring(() =>
        Session.mergeIntoAccessTokenPayload(handle, { change: "new", drop: null, added: { list: [1] } }),
    );
    assert.equal(result, true);
    assert.deepEqual(paths, ["GET /recipe/session", "PUT /recipe/jwt/data"]);
    const expected = { keep: 1, change: "new", added: { list: [1] }, iss: s.ISSUER };
    assert.deepEqual((await Session.getSessionInformation(handle)).customClaimsInAccessTokenPayload, expected);

    // The existing token is unchanged, and verifies locally as it was.
    const local = await Session.getSessionWithoutRequestResponse(tokens.accessToken);
    assert.equal(local.getAccessTokenPayload().change, "old");
    assert.equal(local.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);

    // With checkDatabase the core sees the stored payload differs and mints a
    // token that carries it.
    const checked = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true });
    assert.equal(checked.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, true, "the core must answer a new access token");
    assert.notEqual(checked.getAccessToken(), tokens.accessToken);
    const { payload: claims } = s.assertAccessToken(checked.getAccessToken(), { userId, handle, kidPrefix: "d-", custom: expected });
    assert.equal("drop" in claims, false);
    assert.deepEqual(checked.getAccessTokenPayload(), claims);
    // That token verifies locally.
    await Session.getSessionWithoutRequestResponse(checked.getAccessToken());

    // A refresh also picks the stored payload up.
    const refreshed = await Session.refreshSessionWithoutRequestResponse(tokens.refreshToken);
    assert.equal(refreshed.getAccessTokenPayload().change, "new");
    assert.deepEqual(refreshed.getAccessTokenPayload().added, { list: [1] });
    assert.equal("drop" in refreshed.getAccessTokenPayload(), false);
});

test("mergeIntoAccessTokenPayload of an unknown or revoked session is false", async () => {
    assert.equal(await Session.mergeIntoAccessTokenPayload(require("node:crypto").randomUUID(), { a: 1 }), false);
    const { session } = await s.newSession();
    await Session.revokeSession(session.getHandle());
    assert.equal(await Session.mergeIntoAccessTokenPayload(session.getHandle(), { a: 1 }), false);
});

test("session.mergeIntoAccessTokenPayload regenerates the access token with the merged payload", async () => {
    const { session, userId, tokens } = await s.newSession({ payload: { keep: true, drop: 1, change: "old" } });
    const handle = session.getHandle();
    const old = s.decodeJwt(tokens.accessToken).payload;

    const { paths } = await s.callsDuring(() => session.mergeIntoAccessTokenPayload({ change: "new", drop: null, added: 42 }));
    assert.deepEqual(paths, ["POST /recipe/session/regenerate"]);

    const now = session.getAllSessionTokensDangerously();
    assert.equal(now.accessAndFrontTokenUpdated, true);
    assert.notEqual(now.accessToken, tokens.accessToken);
    const expected = { keep: true, change: "new", added: 42 };
    const { payload: claims } = s.assertAccessToken(now.accessToken, { userId, handle, kidPrefix: "d-", custom: expected });
    assert.equal("drop" in claims, false);
    assert.deepEqual(session.getAccessTokenPayload(), claims);
    // Regeneration keeps the expiry and the refresh-token binding.
    assert.equal(claims.exp, old.exp, "a regenerated token keeps the old token's exp");
    assert.equal(claims.refreshTokenHash1, old.refreshTokenHash1);
    assert.equal(claims.parentRefreshTokenHash1, old.parentRefreshTokenHash1);
    assert.equal(s.decodeFrontToken(now.frontToken).ate, claims.exp * 1000);

    // The database has the new payload too.
    assert.deepEqual((await Session.getSessionInformation(handle)).customClaimsInAccessTokenPayload, { ...expected, iss: s.ISSUER });

    // The new token verifies locally and carries the merge.
    const verified = await Session.getSessionWithoutRequestResponse(now.accessToken);
    assert.equal(verified.getAccessTokenPayload().change, "new");
    assert.equal(verified.getAccessTokenPayload().added, 42);

    // A container from getSession can merge too.
    await verified.mergeIntoAccessTokenPayload({ second: "merge" });
    const again = await Session.getSessionWithoutRequestResponse(verified.getAccessToken());
    assert.equal(again.getAccessTokenPayload().second, "merge");
    assert.equal(again.getAccessTokenPayload().change, "new");
});

test("session.mergeIntoAccessTokenPayload of a revoked session is UNAUTHORISED", async () => {
    const { session } = await s.newSession({ payload: { a: 1 } });
    await Session.revokeSession(session.getHandle());
    await s.rejectsWithSessionError(
        session.mergeIntoAccessTokenPayload({ b: 2 }),
        Session.Error.UNAUTHORISED,
        "regenerate for a revoked session",
    );
});

test("getAllSessionHandlesForUser and revokeAllSessionsForUser cover exactly the user's sessions", async () => {
    const userId = s.newUserId();
    const otherUser = s.newUserId();
    const mine = [];
    for (let i = 0; i < 3; i++) {
        mine.push((await s.newSession({ userId })).session.getHandle());
    }
    const theirs = (await s.newSession({ userId: otherUser })).session.getHandle();

    const { result: all, calls } = await s.callsDuring(() => Session.getAllSessionHandlesForUser(userId));
    assert.deepEqual(sorted(all), sorted(mine));
    assert.equal(calls[0].path, "/recipe/session/user");
    // Tenant-scoped listing (GET /public/recipe/session/user).
    const { result: inPublic, calls: tenantCalls } = await s.callsDuring(() =>
        Session.getAllSessionHandlesForUser(userId, true, "public"),
    );
    assert.equal(tenantCalls[0].path, "/public/recipe/session/user");
    assert.deepEqual(sorted(inPublic), sorted(mine));

    assert.deepEqual(await Session.getAllSessionHandlesForUser(s.newUserId()), []);

    const { result: revoked, calls: revokeCalls } = await s.callsDuring(() => Session.revokeAllSessionsForUser(userId));
    assert.equal(revokeCalls[0].path, "/recipe/session/remove");
    assert.deepEqual(sorted(revoked), sorted(mine));
    assert.deepEqual(await Session.getAllSessionHandlesForUser(userId), []);
    for (const h of mine) {
        assert.equal(await Session.getSessionInformation(h), undefined);
    }
    assert.deepEqual(await Session.revokeAllSessionsForUser(userId), [], "nothing left to revoke");

    // The other user's session is untouched.
    assert.deepEqual(await Session.getAllSessionHandlesForUser(otherUser), [theirs]);
    assert.ok((await Session.getSessionInformation(theirs)) !== undefined);
});

test("revokeAllSessionsForUser in the public tenant", async () => {
    const userId = s.newUserId();
    const handles = [(await s.newSession({ userId })).session.getHandle(), (await s.newSession({ userId })).session.getHandle()];
    const { result: revoked, calls } = await s.callsDuring(() => Session.revokeAllSessionsForUser(userId, true, "public"));
    assert.equal(calls[0].path, "/public/recipe/session/remove");
    assert.equal(calls[0].body.revokeAcrossAllTenants, false);
    assert.deepEqual(sorted(revoked), sorted(handles));
    assert.deepEqual(await Session.getAllSessionHandlesForUser(userId, true, "public"), []);
});

test("revokeMultipleSessions answers the handles it revoked", async () => {
    const userId = s.newUserId();
    const [h1, h2, h3] = [
        (await s.newSession({ userId })).session.getHandle(),
        (await s.newSession({ userId })).session.getHandle(),
        (await s.newSession({ userId })).session.getHandle(),
    ];
    const unknown = require("node:crypto").randomUUID();

    const revoked = await Session.revokeMultipleSessions([h1, unknown, h2]);
    assert.deepEqual(sorted(revoked), sorted([h1, h2]), "unknown handles are not reported as revoked");
    assert.deepEqual(await Session.getAllSessionHandlesForUser(userId), [h3]);
    assert.deepEqual(await Session.revokeMultipleSessions([h1, h2]), [], "already revoked");
    assert.deepEqual(await Session.revokeMultipleSessions([h3]), [h3]);
    assert.deepEqual(await Session.getAllSessionHandlesForUser(userId), []);
});

test("refreshing and verifying a session does not create new handles for the user", async () => {
    const userId = s.newUserId();
    const { session, tokens } = await s.newSession({ userId });
    const refreshed = await Session.refreshSessionWithoutRequestResponse(tokens.refreshToken);
    await Session.getSessionWithoutRequestResponse(refreshed.getAccessToken());
    assert.deepEqual(await Session.getAllSessionHandlesForUser(userId), [session.getHandle()]);
});

test("the core refuses protected claims in a payload update (400) and keeps the payload", async () => {
    const { session } = await s.newSession({ payload: { mine: 1 } });
    const handle = session.getHandle();
    const protectedClaims = ["sub", "rsub", "tId", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken"];
    for (const claim of protectedClaims) {
        await assert.rejects(
            Session.mergeIntoAccessTokenPayload(handle, { [claim]: "x" }),
            /status code: 400 and message: The user payload contains protected field/,
            `merge of ${claim} by handle`,
        );
    }
    const before = session.getAccessToken();
    await assert.rejects(
        session.mergeIntoAccessTokenPayload({ sub: "someone-else" }),
        /status code: 400 and message: The user payload contains protected field/,
        "regenerate with sub",
    );
    assert.equal(session.getAccessToken(), before);
    assert.deepEqual((await Session.getSessionInformation(handle)).customClaimsInAccessTokenPayload, { mine: 1, iss: s.ISSUER });
});
