"use strict";
// Sessions stage: creating sessions and verifying access tokens, with the
// Session recipe's defaults (dynamic signing keys, anti-CSRF "NONE" because
// the api and website domains are same-site).
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../lib/sessions");

const { Session } = s;

s.initSessionSdk();

test("createNewSessionWithoutRequestResponse answers a handle, the user and both tokens", async () => {
    const userId = s.newUserId();
    const payload = { role: "admin", nested: { list: [1, "two", { three: 3 }] }, ratio: 0.5, flag: false };
    const data = { secret: "kept in the database", n: 7 };

    const { result: session, paths, calls } = await s.callsDuring(() =>
        Session.createNewSessionWithoutRequestResponse("public", s.recipeUserId(userId), payload, data),
    );
    // The SDK looks the user up, then asks the core for the session.
    assert.deepEqual(paths, ["GET /user/id", "POST /public/recipe/session"]);
    const create = calls[1].body;
    assert.equal(create.userId, userId);
    assert.equal(create.useDynamicSigningKey, true);
    assert.equal(create.enableAntiCsrf, false);

    const handle = session.getHandle();
    assert.match(handle, s.UUID_RE, "a public-tenant session handle is a plain UUID");
    assert.equal(session.getUserId(), userId);
    assert.equal(session.getRecipeUserId().getAsString(), userId);
    assert.equal(session.getTenantId(), "public");

    const tokens = session.getAllSessionTokensDangerously();
    assert.equal(tokens.accessToken, session.getAccessToken());
    assert.equal(tokens.accessAndFrontTokenUpdated, true);
    assert.equal(typeof tokens.refreshToken, "string");
    assert.ok(tokens.refreshToken.length > 0);
    assert.notEqual(tokens.refreshToken, tokens.accessToken);
    assert.equal(tokens.antiCsrfToken, undefined, "anti-CSRF is off, so the core must not answer an antiCsrfToken");

    const { payload: claims } = s.assertAccessToken(tokens.accessToken, { userId, handle, kidPrefix: "d-", custom: payload });
    assert.equal(claims.parentRefreshTokenHash1, null, "a new session's token has no parent refresh token");
    assert.equal(claims.antiCsrfToken, null);
    assert.equal(claims.exp - claims.iat, s.ACCESS_TOKEN_VALIDITY_S, "access_token_validity defaults to 3600 s");

    // The container's payload is the token's payload.
    assert.deepEqual(session.getAccessTokenPayload(), claims);

    // The front token carries accessToken.expiry as the core answered it:
    // whole seconds, equal to exp * 1000.
    const front = s.decodeFrontToken(tokens.frontToken);
    assert.equal(front.uid, userId);
    assert.equal(front.ate, claims.exp * 1000, "accessToken.expiry must be exp*1000 (rounded to whole seconds)");
    assert.deepEqual(front.up, claims);
});

test("getSessionWithoutRequestResponse verifies a fresh token locally, through the JWKS", async () => {
    const payload = { plan: "gold", count: 3 };
    const { session: created, userId, tokens } = await s.newSession({ payload });

    const { result: session, paths } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(tokens.accessToken),
    );
    assert.deepEqual(paths, [], "a token without parentRefreshTokenHash1 is verified without the core");
    assert.equal(session.getHandle(), created.getHandle());
    assert.equal(session.getUserId(), userId);
    assert.equal(session.getRecipeUserId().getAsString(), userId);
    assert.equal(session.getTenantId(), "public");
    assert.equal(session.getAccessToken(), tokens.accessToken);
    assert.deepEqual(session.getAccessTokenPayload(), created.getAccessTokenPayload());
    assert.equal(session.getAccessTokenPayload().plan, "gold");
    assert.equal(session.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);

    // The same check by hand: the token's kid is published and its signature verifies.
    const { body } = await s.fetchPublicJwks();
    const jwk = s.verifyWithJwks(tokens.accessToken, body.keys);
    assert.ok(jwk.kid.startsWith("d-"));
});

test("getSessionWithoutRequestResponse with checkDatabase asks the core, which confirms the session", async () => {
    const payload = { plan: "silver" };
    const { session: created, userId, tokens } = await s.newSession({ payload });

    const { result: session, paths, calls } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true }),
    );
    assert.deepEqual(paths, ["POST /recipe/session/verify"]);
    assert.equal(calls[0].body.checkDatabase, true);
    assert.equal(session.getHandle(), created.getHandle());
    assert.equal(session.getUserId(), userId);
    assert.equal(session.getRecipeUserId().getAsString(), userId);
    assert.equal(session.getTenantId(), "public");
    assert.deepEqual(session.getAccessTokenPayload(), created.getAccessTokenPayload());
    // Nothing changed in the database, so the core mints no new token.
    assert.equal(session.getAccessToken(), tokens.accessToken);
    assert.equal(session.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);
});

test("after revokeSession the database check fails while the local check passes until expiry", async () => {
    const { session, tokens } = await s.newSession({ payload: { x: 1 } });
    const handle = session.getHandle();

    assert.equal(await Session.revokeSession(handle), true);
    assert.equal(await Session.revokeSession(handle), false, "a second revoke finds nothing");
    assert.equal(await Session.getSessionInformation(handle), undefined);

    // Access tokens stay valid by signature until they expire...
    const local = await Session.getSessionWithoutRequestResponse(tokens.accessToken);
    assert.equal(local.getHandle(), handle);

    // ...but the core knows the session is gone.
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true }),
        Session.Error.UNAUTHORISED,
        "verify with checkDatabase of a revoked session",
    );

    // And the refresh token is dead.
    await s.rejectsWithSessionError(
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken),
        Session.Error.UNAUTHORISED,
        "refresh of a revoked session",
    );
});

test("the container's revokeSession revokes it in the core", async () => {
    const { session, tokens } = await s.newSession();
    await session.revokeSession();
    assert.equal(await Session.getSessionInformation(session.getHandle()), undefined);
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true }),
        Session.Error.UNAUTHORISED,
        "verify with checkDatabase after session.revokeSession()",
    );
});

function reencode(obj) {
    return Buffer.from(JSON.stringify(obj)).toString("base64url");
}

test("a tampered access token is TRY_REFRESH_TOKEN, with or without checkDatabase", async () => {
    const { tokens } = await s.newSession({ payload: { role: "user" } });
    const { header, payload, parts } = s.decodeJwt(tokens.accessToken);

    // Payload changed, signature kept.
    const elevated = [parts[0], reencode({ ...payload, role: "admin" }), parts[2]].join(".");
    for (const options of [undefined, { checkDatabase: true }]) {
        const { paths } = await s.callsDuring(() =>
            s.rejectsWithSessionError(
                Session.getSessionWithoutRequestResponse(elevated, undefined, options),
                Session.Error.TRY_REFRESH_TOKEN,
                `tampered payload, options ${JSON.stringify(options)}`,
            ),
        );
        assert.deepEqual(paths, [], "a token failing local verification never reaches the core");
    }

    // Signature of another session's token.
    const other = await s.newSession({ payload: { role: "user" } });
    const swapped = [parts[0], parts[1], s.decodeJwt(other.tokens.accessToken).parts[2]].join(".");
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(swapped),
        Session.Error.TRY_REFRESH_TOKEN,
        "signature of another token",
    );

    // A key id nobody published.
    const unknownKid = [reencode({ ...header, kid: "d-1" }), parts[1], parts[2]].join(".");
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(unknownKid),
        Session.Error.TRY_REFRESH_TOKEN,
        "unknown kid",
    );

    // The untouched token still verifies.
    await Session.getSessionWithoutRequestResponse(tokens.accessToken);
});

test("a string that is not an access token is UNAUTHORISED", async () => {
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse("not-a-token"),
        Session.Error.UNAUTHORISED,
        "garbage access token",
    );
});

test("sessions of different users and of the same user are independent", async () => {
    const userId = s.newUserId();
    const a = await s.newSession({ userId, payload: { which: "a" } });
    const b = await s.newSession({ userId, payload: { which: "b" } });
    assert.notEqual(a.session.getHandle(), b.session.getHandle());
    assert.notEqual(a.tokens.refreshToken, b.tokens.refreshToken);

    assert.equal(await Session.revokeSession(a.session.getHandle()), true);
    const stillB = await Session.getSessionWithoutRequestResponse(b.tokens.accessToken, undefined, { checkDatabase: true });
    assert.equal(stillB.getHandle(), b.session.getHandle());
    assert.equal(stillB.getAccessTokenPayload().which, "b");
});
