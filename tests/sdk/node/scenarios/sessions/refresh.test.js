"use strict";
// Sessions stage: refresh-token rotation, promotion of refreshed access
// tokens, and token-theft detection, with the Session recipe's defaults.
//
// Upstream rules (research/sessions.md §3.3, §3.4): a refresh answers a new,
// *unconfirmed* refresh token and does not touch the database. The new token
// becomes the session's current one when it is itself used to refresh, or
// when an access token minted with it is verified by the core ("promotion").
// Refreshing with the current token is allowed any number of times; using a
// token older than the current one's parent is token theft.
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const s = require("../../lib/sessions");

const { Session } = s;

s.initSessionSdk();

const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

function refresh(refreshToken) {
    return Session.refreshSessionWithoutRequestResponse(refreshToken);
}

test("refreshSessionWithoutRequestResponse answers new access and refresh tokens for the same session", async () => {
    const payload = { role: "editor", nested: { a: [1, 2] } };
    const { session: created, userId, tokens } = await s.newSession({ payload });

    const { result: refreshed, paths, calls } = await s.callsDuring(() => refresh(tokens.refreshToken));
    assert.deepEqual(paths, ["POST /recipe/session/refresh"]);
    assert.equal(calls[0].body.refreshToken, tokens.refreshToken);
    assert.equal(calls[0].body.useDynamicSigningKey, true);
    assert.equal(calls[0].body.enableAntiCsrf, false);

    assert.equal(refreshed.getHandle(), created.getHandle());
    assert.equal(refreshed.getUserId(), userId);
    assert.equal(refreshed.getRecipeUserId().getAsString(), userId);
    assert.equal(refreshed.getTenantId(), "public");

    const next = refreshed.getAllSessionTokensDangerously();
    assert.equal(next.accessAndFrontTokenUpdated, true);
    assert.equal(typeof next.refreshToken, "string");
    assert.notEqual(next.refreshToken, tokens.refreshToken, "refresh must rotate the refresh token");
    assert.notEqual(next.accessToken, tokens.accessToken);
    assert.equal(next.antiCsrfToken, undefined);

    const { payload: claims } = s.assertAccessToken(next.accessToken, {
        userId,
        handle: created.getHandle(),
        kidPrefix: "d-",
        custom: payload,
    });
    assert.equal(claims.exp - claims.iat, s.ACCESS_TOKEN_VALIDITY_S);
    assert.equal(claims.antiCsrfToken, null);
    // Token hashes chain the rotation: the new access token names the refresh
    // token it was minted with and the one that was used (its parent).
    const original = s.decodeJwt(tokens.accessToken).payload;
    assert.equal(original.refreshTokenHash1, sha256(tokens.refreshToken));
    assert.equal(claims.refreshTokenHash1, sha256(next.refreshToken));
    assert.equal(claims.parentRefreshTokenHash1, sha256(tokens.refreshToken));
    assert.deepEqual(refreshed.getAccessTokenPayload(), claims);

    const front = s.decodeFrontToken(next.frontToken);
    assert.equal(front.ate, claims.exp * 1000);

    // The old access token is still valid by signature until it expires.
    const old = await Session.getSessionWithoutRequestResponse(tokens.accessToken);
    assert.equal(old.getHandle(), created.getHandle());
});

test("the first verification of a refreshed access token goes to the core, which promotes it", async () => {
    const payload = { tier: 2 };
    const { session: created, userId, tokens } = await s.newSession({ payload });
    const refreshed = await refresh(tokens.refreshToken);
    const at1 = refreshed.getAccessToken();
    const at1Claims = s.decodeJwt(at1).payload;
    assert.equal(typeof at1Claims.parentRefreshTokenHash1, "string");

    const { result: verified, paths, calls } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(at1),
    );
    assert.deepEqual(paths, ["POST /recipe/session/verify"], "parentRefreshTokenHash1 makes the SDK ask the core");
    assert.equal(calls[0].body.checkDatabase, false);
    assert.equal(verified.getHandle(), created.getHandle());
    assert.equal(verified.getUserId(), userId);
    assert.equal(verified.getRecipeUserId().getAsString(), userId);
    assert.equal(verified.getTenantId(), "public");

    // The core answers a new access token without the parent hash.
    const promotedTokens = verified.getAllSessionTokensDangerously();
    assert.equal(promotedTokens.accessAndFrontTokenUpdated, true, "promotion must answer a new access token");
    const promoted = promotedTokens.accessToken;
    assert.notEqual(promoted, at1);
    const { payload: claims } = s.assertAccessToken(promoted, {
        userId,
        handle: created.getHandle(),
        kidPrefix: "d-",
        custom: payload,
    });
    assert.equal(claims.parentRefreshTokenHash1, null);
    assert.equal(claims.refreshTokenHash1, at1Claims.refreshTokenHash1);
    assert.deepEqual(verified.getAccessTokenPayload(), claims);

    // The promoted token verifies locally, without the core.
    const { result: again, paths: localPaths } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(promoted),
    );
    assert.deepEqual(localPaths, []);
    assert.equal(again.getHandle(), created.getHandle());

    // The refreshed token can still be verified (through the core) afterwards.
    const twice = await Session.getSessionWithoutRequestResponse(at1);
    assert.equal(twice.getHandle(), created.getHandle());

    // The original access token still checks out against the database: its
    // payload matches and it has no parent, so no new token is minted.
    const original = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true });
    assert.equal(original.getHandle(), created.getHandle());
    assert.equal(original.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);

    // And the new refresh token is the session's current one: it refreshes.
    const next = await refresh(refreshed.getAllSessionTokensDangerously().refreshToken);
    assert.equal(next.getHandle(), created.getHandle());
});

test("a refreshed access token of a revoked session is UNAUTHORISED when the core is asked", async () => {
    const { session: created, tokens } = await s.newSession();
    const refreshed = await refresh(tokens.refreshToken);
    assert.equal(await Session.revokeSession(created.getHandle()), true);
    // The token has a parent hash, so the SDK must ask the core, which no
    // longer has the session.
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(refreshed.getAccessToken()),
        Session.Error.UNAUTHORISED,
        "promotion of a revoked session",
    );
});

test("reusing a refresh token after its successor was used is token theft", async () => {
    const { session: created, userId, tokens } = await s.newSession();
    const rt0 = tokens.refreshToken;
    const rt1 = (await refresh(rt0)).getAllSessionTokensDangerously().refreshToken;
    // Using rt1 confirms it (rt0 is now history) and answers rt2.
    const rt2 = (await refresh(rt1)).getAllSessionTokensDangerously().refreshToken;

    const err = await s.rejectsWithSessionError(refresh(rt0), Session.Error.TOKEN_THEFT_DETECTED, "reused rt0");
    assert.equal(err.payload.sessionHandle, created.getHandle());
    assert.equal(err.payload.userId, userId);
    assert.equal(err.payload.recipeUserId.getAsString(), userId);

    // The core reports the theft but leaves the session to the SDK's
    // onTokenTheftDetected (whose default revokes it).
    const info = await Session.getSessionInformation(created.getHandle());
    assert.ok(info !== undefined, "the core itself must not delete the session on token theft");
    assert.equal(await Session.revokeSession(err.payload.sessionHandle), true);
    await s.rejectsWithSessionError(refresh(rt2), Session.Error.UNAUTHORISED, "refresh after the theft revocation");
});

test("reusing a refresh token after the refreshed access token was verified is token theft", async () => {
    const { session: created, tokens } = await s.newSession();
    const refreshed = await refresh(tokens.refreshToken);
    // Verifying the refreshed access token promotes the new refresh token.
    await Session.getSessionWithoutRequestResponse(refreshed.getAccessToken());

    const err = await s.rejectsWithSessionError(
        refresh(tokens.refreshToken),
        Session.Error.TOKEN_THEFT_DETECTED,
        "rt0 reused after promotion",
    );
    assert.equal(err.payload.sessionHandle, created.getHandle());
});

test("refreshing with the same token twice at once is not theft; either new token then refreshes", async () => {
    const payload = { concurrent: true };
    const { session: created, tokens } = await s.newSession({ payload });

    // Two tabs racing with the same refresh token: both succeed.
    const [a, b] = await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)]);
    for (const r of [a, b]) {
        assert.equal(r.getHandle(), created.getHandle());
        assert.equal(r.getAccessTokenPayload().concurrent, true);
    }
    const rtA = a.getAllSessionTokensDangerously().refreshToken;
    const rtB = b.getAllSessionTokensDangerously().refreshToken;
    assert.notEqual(rtA, rtB, "each refresh answers its own refresh token");

    // Refreshing again with the same (still current) token is also fine.
    const c = await refresh(tokens.refreshToken);
    assert.equal(c.getHandle(), created.getHandle());

    // One of the racers carries on.
    const next = await refresh(rtA);
    assert.equal(next.getHandle(), created.getHandle());
    const verified = await Session.getSessionWithoutRequestResponse(next.getAccessToken());
    assert.equal(verified.getHandle(), created.getHandle());
    assert.equal(verified.getAccessTokenPayload().concurrent, true);
    // ...and keeps going.
    const after = await refresh(next.getAllSessionTokensDangerously().refreshToken);
    assert.equal(after.getHandle(), created.getHandle());
});

test("once one sibling refresh token is used, the other sibling is stale (theft), as upstream", async () => {
    // Upstream §3.3: after rtA (child of rt0) is used, the session's current
    // token is rtA; rtB's parent rt0 is no longer current, so rtB is theft.
    const { session: created, tokens } = await s.newSession();
    const a = await refresh(tokens.refreshToken);
    const b = await refresh(tokens.refreshToken);
    await refresh(a.getAllSessionTokensDangerously().refreshToken);

    // b's access token still verifies (its signature is fine), but the core
    // does not promote it: the session has moved on to a's chain, so the
    // answer is OK without a new access token (§3.4).
    const bVerified = await Session.getSessionWithoutRequestResponse(b.getAccessToken());
    assert.equal(bVerified.getHandle(), created.getHandle());
    assert.equal(bVerified.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);
    assert.equal(bVerified.getAccessToken(), b.getAccessToken());

    const err = await s.rejectsWithSessionError(
        refresh(b.getAllSessionTokensDangerously().refreshToken),
        Session.Error.TOKEN_THEFT_DETECTED,
        "stale sibling",
    );
    assert.equal(err.payload.sessionHandle, created.getHandle());
});

test("a refresh token that is not one is UNAUTHORISED", async () => {
    const { tokens } = await s.newSession();
    const rt = tokens.refreshToken;
    const other = (await s.newSession()).tokens.refreshToken;

    // Flip one character of the encrypted part.
    const cut = rt.indexOf(".") > 0 ? Math.floor(rt.indexOf(".") / 2) : Math.floor(rt.length / 2);
    const flipped = rt.slice(0, cut) + (rt[cut] === "A" ? "B" : "A") + rt.slice(cut + 1);
    assert.notEqual(flipped, rt);

    const bad = { "garbage": "garbage", "three dotted parts": "abc.def.V2", "one flipped character": flipped, "empty-ish": "." };
    // Another session's encrypted part with this token's other parts.
    if (rt.split(".").length === 3 && other.split(".").length === 3) {
        const [, nonce, version] = rt.split(".");
        bad["encrypted part of another token"] = [other.split(".")[0], nonce, version].join(".");
    }
    for (const [what, token] of Object.entries(bad)) {
        await s.rejectsWithSessionError(refresh(token), Session.Error.UNAUTHORISED, what);
    }

    // None of that disturbed the real session.
    const ok = await refresh(rt);
    assert.ok(ok.getHandle());
});
