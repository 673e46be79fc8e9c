"use strict";
// Shared helpers for the "sessions" stage scenarios (Session recipe, signing
// keys, JWT recipe), driven through supertokens-node's public functions.
//
// Sessions need no real user: the core does not check that the user exists,
// and createNewSessionWithoutRequestResponse falls back to the recipe user id
// when GET /user/id knows no such user. Every scenario uses its own random
// user id, so reruns and the other files never see each other's sessions.

const crypto = require("node:crypto");
const assert = require("node:assert/strict");
const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const h = require("./harness");

// The issuer the SDK puts into every access token payload (`iss`):
// apiDomain + apiBasePath of harness.initSdk's appInfo.
const ISSUER = "http://localhost:3001/auth";
// jwksDomain the JWT recipe sends to POST /recipe/jwt (appInfo.apiDomain).
const API_DOMAIN = "http://localhost:3001";
// Core defaults (research/sessions.md): access_token_validity 3600 s,
// refresh_token_validity 144000 min, dynamic key update interval 168 h.
const ACCESS_TOKEN_VALIDITY_S = 3600;
const REFRESH_TOKEN_VALIDITY_MS = 144000 * 60 * 1000;
const KEY_UPDATE_INTERVAL_S = 168 * 3600;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Every core request the SDK makes (method, path, body or query), recorded
// through the SDK's networkInterceptor. jose's JWKS fetches bypass the querier
// and are not recorded; neither is the one-off version negotiation
// (GET /apiversion), which happens on whichever call comes first.
const coreCalls = [];

function recordCoreCall(request) {
    const url = new URL(request.url);
    if (url.pathname === "/apiversion") {
        return request;
    }
    coreCalls.push({
        method: request.method,
        path: url.pathname,
        body: request.body,
        params: request.params,
        headers: request.headers,
    });
    return request;
}

// Init the SDK with only the Session recipe (plus what the SDK always adds:
// JWT, OpenId, Multitenancy, AccountLinking, UserMetadata).
function initSessionSdk(sessionConfig = {}) {
    h.initSdk({ recipeList: [Session.init(sessionConfig)], networkInterceptor: recordCoreCall });
}

// Runs fn and answers the core calls it made as "METHOD /path" strings.
async function callsDuring(fn) {
    const start = coreCalls.length;
    const result = await fn();
    return { result, calls: coreCalls.slice(start), paths: coreCalls.slice(start).map((c) => `${c.method.toUpperCase()} ${c.path}`) };
}

function tag(bytes = 6) {
    return crypto.randomBytes(bytes).toString("hex");
}

function newUserId(prefix = "sess") {
    return `${prefix}-user-${tag()}`;
}

function recipeUserId(id) {
    return SuperTokens.convertToRecipeUserId(id);
}

function b64urlJson(part) {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

// Header and payload of a JWS compact token, without verification.
function decodeJwt(token) {
    const parts = token.split(".");
    assert.equal(parts.length, 3, `not a JWS compact token: ${token}`);
    return { header: b64urlJson(parts[0]), payload: b64urlJson(parts[1]), parts };
}

// The front token the SDK builds: base64 JSON {uid, ate, up}; `ate` is the
// accessToken.expiry the core answered.
function decodeFrontToken(frontToken) {
    return JSON.parse(Buffer.from(frontToken, "base64").toString("utf8"));
}

// A fresh session for a fresh user; answers the container and its tokens.
async function newSession({ userId = newUserId(), payload = {}, data = {}, disableAntiCsrf } = {}) {
    const session = await Session.createNewSessionWithoutRequestResponse(
        "public",
        recipeUserId(userId),
        payload,
        data,
        disableAntiCsrf,
    );
    return { session, userId, tokens: session.getAllSessionTokensDangerously() };
}

// Asserts that `promise` rejects with a Session error of the given type.
async function rejectsWithSessionError(promise, type, what = "") {
    let caught;
    await assert.rejects(promise, (err) => {
        caught = err;
        assert.ok(
            Session.Error.isErrorFromSuperTokens(err),
            `${what}: expected a SuperTokens session error, got ${err && err.stack}`,
        );
        assert.equal(err.type, type, `${what}: expected ${type}, got ${err.type} (${err.message})`);
        return true;
    });
    return caught;
}

// GET /.well-known/jwks.json straight from gatehouse, with no api key and no
// cdi-version (as jose's remote JWKS set does it).
async function fetchPublicJwks() {
    const res = await fetch(`${h.GATEHOUSE_URL}/.well-known/jwks.json`);
    const text = await res.text();
    assert.equal(res.status, 200, `GET /.well-known/jwks.json answered ${res.status}: ${text}`);
    return { res, body: JSON.parse(text) };
}

// Verifies an RS256 JWS against a JWK list with node's crypto. Answers the
// JWK that verified it, or throws.
function verifyWithJwks(token, keys) {
    const { header, parts } = decodeJwt(token);
    assert.equal(header.alg, "RS256");
    const jwk = keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `kid ${header.kid} is not in the JWKS (${keys.map((k) => k.kid).join(", ")})`);
    const publicKey = crypto.createPublicKey({ key: jwk, format: "jwk" });
    const ok = crypto.verify(
        "sha256",
        Buffer.from(`${parts[0]}.${parts[1]}`),
        publicKey,
        Buffer.from(parts[2], "base64url"),
    );
    assert.ok(ok, `signature of a token with kid ${header.kid} does not verify with the published key`);
    return jwk;
}

// The shape every published key has (research/sessions.md §4.3).
function assertRsaJwk(jwk) {
    assert.equal(jwk.kty, "RSA");
    assert.equal(jwk.alg, "RS256");
    assert.equal(jwk.use, "sig");
    assert.equal(jwk.e, "AQAB");
    assert.equal(typeof jwk.kid, "string");
    assert.match(jwk.kid, /^(d-\d+|s-[0-9a-f-]{36})$/, `unexpected kid ${jwk.kid}`);
    assert.match(jwk.n, /^[A-Za-z0-9_-]+$/, "n must be base64url without padding");
    // 2048-bit modulus: 256 bytes → 342 base64url chars (no leading zero byte).
    assert.equal(Buffer.from(jwk.n, "base64url").length, 256, "RSA modulus must be 2048 bits");
}

// Checks a v5 access token issued for `userId` and answers its decoded parts.
function assertAccessToken(token, { userId, handle, kidPrefix, custom = {} }) {
    const { header, payload } = decodeJwt(token);
    assert.equal(header.alg, "RS256");
    assert.equal(header.typ, "JWT");
    assert.equal(header.version, "5", "CDI 5.4 access tokens are v5 (header version is the string \"5\")");
    assert.ok(header.kid.startsWith(kidPrefix), `kid ${header.kid} should start with ${kidPrefix}`);
    assert.equal(payload.sub, userId);
    assert.equal(payload.rsub, userId);
    assert.equal(payload.tId, "public");
    if (handle !== undefined) {
        assert.equal(payload.sessionHandle, handle);
    }
    assert.equal(typeof payload.refreshTokenHash1, "string");
    assert.match(payload.refreshTokenHash1, /^[0-9a-f]{64}$/, "refreshTokenHash1 is a hex SHA-256");
    assert.ok("parentRefreshTokenHash1" in payload, "parentRefreshTokenHash1 must always be present (maybe null)");
    assert.ok("antiCsrfToken" in payload, "antiCsrfToken must always be present (maybe null)");
    assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp), "iat/exp are integer seconds");
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 300, `iat ${payload.iat} is not around now (seconds)`);
    assert.equal(payload.iss, ISSUER);
    for (const [k, v] of Object.entries(custom)) {
        assert.deepEqual(payload[k], v, `custom claim ${k}`);
    }
    return { header, payload };
}

module.exports = {
    Session,
    SuperTokens,
    ISSUER,
    API_DOMAIN,
    ACCESS_TOKEN_VALIDITY_S,
    REFRESH_TOKEN_VALIDITY_MS,
    KEY_UPDATE_INTERVAL_S,
    UUID_RE,
    coreCalls,
    initSessionSdk,
    callsDuring,
    tag,
    newUserId,
    recipeUserId,
    decodeJwt,
    decodeFrontToken,
    newSession,
    rejectsWithSessionError,
    fetchPublicJwks,
    verifyWithJwks,
    assertRsaJwk,
    assertAccessToken,
};
