"use strict";
// Sessions stage: Session.init({ useDynamicAccessTokenSigningKey: false }).
// Access tokens are signed with the app's static key (kid "s-<uuid>"), which
// the JWKS publishes; the SDK rejects tokens whose kid prefix disagrees with
// its config, so every token the core answers here must carry an "s-" kid.
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../lib/sessions");

const { Session } = s;

s.initSessionSdk({ useDynamicAccessTokenSigningKey: false });

test("createNewSessionWithoutRequestResponse asks for the static key and gets an s- token", async () => {
    const payload = { static: true };
    const { result: created, calls } = await s.callsDuring(() =>
        Session.createNewSessionWithoutRequestResponse("public", s.recipeUserId(s.newUserId()), payload),
    );
    const create = calls.find((c) => c.path === "/public/recipe/session");
    assert.equal(create.body.useDynamicSigningKey, false);

    const userId = created.getUserId();
    const { header, payload: claims } = s.assertAccessToken(created.getAccessToken(), {
        userId,
        handle: created.getHandle(),
        kidPrefix: "s-",
        custom: payload,
    });
    assert.match(header.kid, /^s-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "static kid is s-<uuid>");
    assert.equal(claims.exp - claims.iat, s.ACCESS_TOKEN_VALIDITY_S);

    // The static key is published and the token verifies with it.
    const { body } = await s.fetchPublicJwks();
    for (const jwk of body.keys) {
        s.assertRsaJwk(jwk);
    }
    s.verifyWithJwks(created.getAccessToken(), body.keys);
    // Dynamic keys are listed first, then the static one(s).
    const kinds = body.keys.map((k) => k.kid.slice(0, 2));
    assert.deepEqual(kinds, [...kinds].sort(), `dynamic keys must come before static keys: ${kinds}`);
});

test("an s- token verifies locally and with checkDatabase", async () => {
    const { session, userId, tokens } = await s.newSession({ payload: { a: 1 } });

    const { result: local, paths } = await s.callsDuring(() => Session.getSessionWithoutRequestResponse(tokens.accessToken));
    assert.deepEqual(paths, []);
    assert.equal(local.getHandle(), session.getHandle());
    assert.equal(local.getUserId(), userId);
    assert.equal(local.getAccessTokenPayload().a, 1);

    const checked = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { checkDatabase: true });
    assert.equal(checked.getHandle(), session.getHandle());
    assert.equal(checked.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, false);
});

test("every session created with the static key uses the same key", async () => {
    const a = await s.newSession();
    const b = await s.newSession();
    assert.equal(s.decodeJwt(a.tokens.accessToken).header.kid, s.decodeJwt(b.tokens.accessToken).header.kid);
});

test("refresh, promotion and regeneration keep signing with the static key", async () => {
    const payload = { flavour: "static" };
    const { session, userId, tokens } = await s.newSession({ payload });
    const handle = session.getHandle();
    const staticKid = s.decodeJwt(tokens.accessToken).header.kid;

    const { result: refreshed, calls } = await s.callsDuring(() =>
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken),
    );
    assert.equal(calls[0].body.useDynamicSigningKey, false);
    const { header: h1, payload: c1 } = s.assertAccessToken(refreshed.getAccessToken(), { userId, handle, kidPrefix: "s-", custom: payload });
    assert.equal(h1.kid, staticKid);
    assert.equal(typeof c1.parentRefreshTokenHash1, "string");

    // Promotion through the core answers another s- token.
    const promoted = await Session.getSessionWithoutRequestResponse(refreshed.getAccessToken());
    assert.equal(promoted.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, true);
    const { header: h2, payload: c2 } = s.assertAccessToken(promoted.getAccessToken(), { userId, handle, kidPrefix: "s-", custom: payload });
    assert.equal(h2.kid, staticKid);
    assert.equal(c2.parentRefreshTokenHash1, null);
    await Session.getSessionWithoutRequestResponse(promoted.getAccessToken());

    // Regeneration too.
    await promoted.mergeIntoAccessTokenPayload({ merged: 1 });
    const { header: h3 } = s.assertAccessToken(promoted.getAccessToken(), {
        userId,
        handle,
        kidPrefix: "s-",
        custom: { ...payload, merged: 1 },
    });
    assert.equal(h3.kid, staticKid);
    const verified = await Session.getSessionWithoutRequestResponse(promoted.getAccessToken());
    assert.equal(verified.getAccessTokenPayload().merged, 1);

    // A check against the database after a by-handle merge also mints an s- token.
    await Session.mergeIntoAccessTokenPayload(handle, { byHandle: true });
    const checked = await Session.getSessionWithoutRequestResponse(verified.getAccessToken(), undefined, { checkDatabase: true });
    assert.equal(checked.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, true);
    const { header: h4 } = s.assertAccessToken(checked.getAccessToken(), {
        userId,
        handle,
        kidPrefix: "s-",
        custom: { byHandle: true, merged: 1 },
    });
    assert.equal(h4.kid, staticKid);
});

test("theft detection works the same with the static key", async () => {
    const { session, tokens } = await s.newSession();
    const r1 = await Session.refreshSessionWithoutRequestResponse(tokens.refreshToken);
    await Session.refreshSessionWithoutRequestResponse(r1.getAllSessionTokensDangerously().refreshToken);
    const err = await s.rejectsWithSessionError(
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken),
        Session.Error.TOKEN_THEFT_DETECTED,
        "reused refresh token",
    );
    assert.equal(err.payload.sessionHandle, session.getHandle());
});

test("createJWT with the static key signs with the same s- key as the sessions", async () => {
    const { tokens } = await s.newSession();
    const sessionKid = s.decodeJwt(tokens.accessToken).header.kid;
    const res = await Session.createJWT({ purpose: "static-check" }, 60, true);
    assert.equal(res.status, "OK");
    const { header } = s.decodeJwt(res.jwt);
    assert.equal(header.kid, sessionKid, "the app has one static RS256 key for sessions and JWTs");
    s.verifyWithJwks(res.jwt, (await s.fetchPublicJwks()).body.keys);
});
