"use strict";
// Sessions stage: Session.init({ antiCsrf: "VIA_TOKEN" }). The core makes an
// anti-CSRF token at create and at every refresh, puts it into the access
// token's `antiCsrfToken` claim and into the refresh token, and checks it on
// refresh (and on verify when the SDK asks it to).
const test = require("node:test");
const assert = require("node:assert/strict");
const s = require("../../lib/sessions");

const { Session } = s;

s.initSessionSdk({ antiCsrf: "VIA_TOKEN" });

test("a new session gets an anti-CSRF token, also carried in the access token", async () => {
    const { result: session, calls } = await s.callsDuring(() =>
        Session.createNewSessionWithoutRequestResponse("public", s.recipeUserId(s.newUserId()), { a: 1 }),
    );
    assert.equal(calls.find((c) => c.path === "/public/recipe/session").body.enableAntiCsrf, true);
    const tokens = session.getAllSessionTokensDangerously();
    assert.equal(typeof tokens.antiCsrfToken, "string", "the core must answer antiCsrfToken when enableAntiCsrf is true");
    assert.match(tokens.antiCsrfToken, s.UUID_RE);
    const claims = s.decodeJwt(tokens.accessToken).payload;
    assert.equal(claims.antiCsrfToken, tokens.antiCsrfToken);
});

test("getSession checks the anti-CSRF token", async () => {
    const { session, tokens } = await s.newSession({ payload: { a: 1 } });
    const anti = tokens.antiCsrfToken;

    const ok = await Session.getSessionWithoutRequestResponse(tokens.accessToken, anti);
    assert.equal(ok.getHandle(), session.getHandle());

    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(tokens.accessToken),
        Session.Error.TRY_REFRESH_TOKEN,
        "no anti-CSRF token",
    );
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(tokens.accessToken, "wrong-" + anti),
        Session.Error.TRY_REFRESH_TOKEN,
        "wrong anti-CSRF token",
    );
    const unchecked = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { antiCsrfCheck: false });
    assert.equal(unchecked.getHandle(), session.getHandle());

    // The core repeats the check when asked to look at the database.
    const { result: checked, calls } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(tokens.accessToken, anti, { checkDatabase: true }),
    );
    assert.deepEqual(
        { antiCsrfToken: calls[0].body.antiCsrfToken, doAntiCsrfCheck: calls[0].body.doAntiCsrfCheck, enableAntiCsrf: calls[0].body.enableAntiCsrf },
        { antiCsrfToken: anti, doAntiCsrfCheck: true, enableAntiCsrf: true },
    );
    assert.equal(checked.getHandle(), session.getHandle());
    // Without the anti-CSRF check the core does not need the token either.
    const checkedUnchecked = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, {
        checkDatabase: true,
        antiCsrfCheck: false,
    });
    assert.equal(checkedUnchecked.getHandle(), session.getHandle());
});

test("refresh needs the anti-CSRF token and answers a new one", async () => {
    const { session, tokens } = await s.newSession({ payload: { a: 1 } });

    await s.rejectsWithSessionError(
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken, false, "wrong-" + tokens.antiCsrfToken),
        Session.Error.UNAUTHORISED,
        "refresh with a wrong anti-CSRF token",
    );
    await s.rejectsWithSessionError(
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken, false, undefined),
        Session.Error.UNAUTHORISED,
        "refresh without the anti-CSRF token",
    );

    const refreshed = await Session.refreshSessionWithoutRequestResponse(tokens.refreshToken, false, tokens.antiCsrfToken);
    assert.equal(refreshed.getHandle(), session.getHandle());
    const next = refreshed.getAllSessionTokensDangerously();
    assert.equal(typeof next.antiCsrfToken, "string");
    assert.match(next.antiCsrfToken, s.UUID_RE);
    assert.notEqual(next.antiCsrfToken, tokens.antiCsrfToken, "every refresh makes a new anti-CSRF token");
    assert.equal(s.decodeJwt(next.accessToken).payload.antiCsrfToken, next.antiCsrfToken);

    // The refreshed token is promoted by the core; the anti-CSRF check passes
    // through it and the promoted token keeps the same anti-CSRF token.
    const { result: promoted, calls } = await s.callsDuring(() =>
        Session.getSessionWithoutRequestResponse(next.accessToken, next.antiCsrfToken),
    );
    assert.deepEqual(calls.map((c) => c.path), ["/recipe/session/verify"]);
    assert.equal(calls[0].body.antiCsrfToken, next.antiCsrfToken);
    assert.equal(promoted.getAllSessionTokensDangerously().accessAndFrontTokenUpdated, true);
    assert.equal(s.decodeJwt(promoted.getAccessToken()).payload.antiCsrfToken, next.antiCsrfToken);
    await Session.getSessionWithoutRequestResponse(promoted.getAccessToken(), next.antiCsrfToken);

    // The next refresh needs the new anti-CSRF token.
    await s.rejectsWithSessionError(
        Session.refreshSessionWithoutRequestResponse(next.refreshToken, false, tokens.antiCsrfToken),
        Session.Error.UNAUTHORISED,
        "refresh with the previous anti-CSRF token",
    );
    const again = await Session.refreshSessionWithoutRequestResponse(next.refreshToken, false, next.antiCsrfToken);
    assert.equal(again.getHandle(), session.getHandle());
});

test("refresh with disableAntiCsrf skips the check and answers no anti-CSRF token", async () => {
    const { session, tokens } = await s.newSession();
    const { result: refreshed, calls } = await s.callsDuring(() =>
        Session.refreshSessionWithoutRequestResponse(tokens.refreshToken, true),
    );
    assert.equal(calls[0].body.enableAntiCsrf, false);
    assert.equal(refreshed.getHandle(), session.getHandle());
    const next = refreshed.getAllSessionTokensDangerously();
    assert.equal(next.antiCsrfToken, undefined, "no antiCsrfToken when enableAntiCsrf is false");
    assert.equal(s.decodeJwt(next.accessToken).payload.antiCsrfToken, null);
});

test("a session created with disableAntiCsrf has no anti-CSRF token", async () => {
    const { session, tokens } = await s.newSession({ disableAntiCsrf: true });
    assert.equal(tokens.antiCsrfToken, undefined);
    assert.equal(s.decodeJwt(tokens.accessToken).payload.antiCsrfToken, null);

    // With anti-CSRF checks on, a token without one must be refreshed...
    await s.rejectsWithSessionError(
        Session.getSessionWithoutRequestResponse(tokens.accessToken),
        Session.Error.TRY_REFRESH_TOKEN,
        "anti-CSRF check on a token without one",
    );
    // ...and without the check it is fine.
    const ok = await Session.getSessionWithoutRequestResponse(tokens.accessToken, undefined, { antiCsrfCheck: false });
    assert.equal(ok.getHandle(), session.getHandle());

    // The refresh token has no anti-CSRF token, so the core skips that check.
    const refreshed = await Session.refreshSessionWithoutRequestResponse(tokens.refreshToken, false, undefined);
    assert.equal(refreshed.getHandle(), session.getHandle());
    assert.match(refreshed.getAllSessionTokensDangerously().antiCsrfToken, s.UUID_RE);
});
