"use strict";
// Sessions stage: the JWT recipe (POST /recipe/jwt) and the public JWKS
// (GET /.well-known/jwks.json). The SDK always initialises the JWT and OpenId
// recipes; Session.createJWT goes through OpenId (which adds `iss` = the
// issuer), supertokens-node/recipe/jwt's createJWT goes straight to the core
// (which defaults `iss` to jwksDomain = appInfo.apiDomain).
const test = require("node:test");
const assert = require("node:assert/strict");
const h = require("../../lib/harness");
const s = require("../../lib/sessions");
const Jwt = require("supertokens-node/recipe/jwt");

const { Session } = s;

s.initSessionSdk();

const nowS = () => Math.floor(Date.now() / 1000);

function assertJwtHeader(jwt, kidPrefix) {
    const { header } = s.decodeJwt(jwt);
    assert.equal(header.alg, "RS256");
    assert.equal(header.typ, "JWT");
    assert.ok(header.kid.startsWith(kidPrefix), `kid ${header.kid} should start with ${kidPrefix}`);
    assert.equal(header.version, undefined, "JWTs (unlike access tokens) carry no version header");
    return header;
}

test("Session.createJWT signs with the static key by default and sets iss, iat, exp", async () => {
    const claims = { sub: "someone", role: "robot", nested: { list: [1, 2] } };
    const before = nowS();
    const { result: res, calls } = await s.callsDuring(() => Session.createJWT(claims, 120));
    assert.equal(res.status, "OK");
    const post = calls.find((c) => c.path === "/recipe/jwt");
    assert.deepEqual(
        { algorithm: post.body.algorithm, jwksDomain: post.body.jwksDomain, validity: post.body.validity, useStaticSigningKey: post.body.useStaticSigningKey },
        { algorithm: "RS256", jwksDomain: s.API_DOMAIN, validity: 120, useStaticSigningKey: true },
    );

    assertJwtHeader(res.jwt, "s-");
    const { payload } = s.decodeJwt(res.jwt);
    assert.equal(payload.iss, s.ISSUER);
    assert.equal(payload.sub, "someone");
    assert.equal(payload.role, "robot");
    assert.deepEqual(payload.nested, { list: [1, 2] });
    assert.ok(Number.isInteger(payload.iat) && payload.iat >= before - 5 && payload.iat <= nowS() + 5, `iat ${payload.iat}`);
    assert.equal(payload.exp - payload.iat, 120);

    // Verifies with the keys the SDK's getJWKS answers and with the public JWKS.
    const jwks = await Session.getJWKS();
    s.verifyWithJwks(res.jwt, jwks.keys);
    s.verifyWithJwks(res.jwt, (await s.fetchPublicJwks()).body.keys);
});

test("the JWT recipe's createJWT defaults iss to the api domain and validity to 100 years", async () => {
    const res = await Jwt.createJWT({ custom: "claim" });
    assert.equal(res.status, "OK");
    assertJwtHeader(res.jwt, "s-");
    const { payload } = s.decodeJwt(res.jwt);
    assert.equal(payload.iss, s.API_DOMAIN);
    assert.equal(payload.custom, "claim");
    assert.equal(payload.exp - payload.iat, 3153600000, "jwtValiditySeconds defaults to 3153600000");
    s.verifyWithJwks(res.jwt, (await Jwt.getJWKS()).keys);
});

test("createJWT with useStaticSigningKey false signs with the current dynamic key (the sessions' key)", async () => {
    const { tokens } = await s.newSession();
    const sessionKid = s.decodeJwt(tokens.accessToken).header.kid;
    const res = await Session.createJWT({ k: "v" }, 60, false);
    assert.equal(res.status, "OK");
    const header = assertJwtHeader(res.jwt, "d-");
    assert.equal(header.kid, sessionKid);
    s.verifyWithJwks(res.jwt, (await s.fetchPublicJwks()).body.keys);
});

test("claims in the payload override the core's iss and exp", async () => {
    const exp = nowS() + 999;
    const res = await Jwt.createJWT({ iss: "https://issuer.example", exp, aud: "someone" }, 60);
    assert.equal(res.status, "OK");
    const { payload } = s.decodeJwt(res.jwt);
    assert.equal(payload.iss, "https://issuer.example");
    assert.equal(payload.exp, exp);
    assert.equal(payload.aud, "someone");
    s.verifyWithJwks(res.jwt, (await s.fetchPublicJwks()).body.keys);
});

test("GET /.well-known/jwks.json needs no api key and is cacheable", async () => {
    // Make sure both kinds of key exist.
    await s.newSession();
    await Session.createJWT({}, 60, true);

    const { res, body } = await s.fetchPublicJwks();
    assert.match(res.headers.get("content-type") || "", /^application\/json/);
    const cacheControl = res.headers.get("cache-control");
    assert.ok(cacheControl, "Cache-Control is required");
    const m = /^max-age=(\d+), must-revalidate$/.exec(cacheControl);
    assert.ok(m, `Cache-Control should be "max-age=<n>, must-revalidate", got ${JSON.stringify(cacheControl)}`);
    const maxAge = Number(m[1]);
    assert.ok(maxAge >= 1 && maxAge <= s.KEY_UPDATE_INTERVAL_S - 60, `max-age ${maxAge} out of range`);

    assert.deepEqual(Object.keys(body), ["keys"], "the public JWKS is just {keys}");
    assert.ok(body.keys.length >= 2, "a dynamic and a static key are published");
    for (const jwk of body.keys) {
        s.assertRsaJwk(jwk);
    }
    const kids = body.keys.map((k) => k.kid);
    assert.equal(new Set(kids).size, kids.length, "kids are unique");
    assert.ok(kids.some((k) => k.startsWith("d-")));
    assert.ok(kids.some((k) => k.startsWith("s-")));
    // Dynamic keys first (newest first), then the static ones.
    const dynamic = kids.filter((k) => k.startsWith("d-"));
    assert.deepEqual(kids.slice(0, dynamic.length), dynamic);
    const created = dynamic.map((k) => Number(k.slice(2)));
    assert.deepEqual(created, [...created].sort((a, b) => b - a), "dynamic keys are newest first");

    // It ignores api key and cdi-version entirely, even wrong ones.
    const odd = await fetch(`${h.GATEHOUSE_URL}/.well-known/jwks.json`, {
        headers: { "api-key": "definitely-not-the-key", "cdi-version": "1.0" },
    });
    assert.equal(odd.status, 200);
    assert.deepEqual((await odd.json()).keys.map((k) => k.kid), kids);
});

test("getJWKS answers the public JWKS and its validity from Cache-Control", async () => {
    const jwks = await Session.getJWKS();
    const { res, body } = await s.fetchPublicJwks();
    assert.deepEqual(jwks.keys, body.keys);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control"))[1]);
    assert.ok(Number.isInteger(jwks.validityInSeconds));
    assert.ok(Math.abs(jwks.validityInSeconds - maxAge) <= 2, `validityInSeconds ${jwks.validityInSeconds} vs max-age ${maxAge}`);
});

test("createJWT with a validity of 0 is refused by the core (400)", async () => {
    await assert.rejects(Jwt.createJWT({ a: 1 }, 0), /status code: 400/);
});
