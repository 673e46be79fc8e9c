"use strict";
// Foundation: with the right api key the SDK negotiates CDI 5.4 and can make
// authenticated calls.
const test = require("node:test");
const assert = require("node:assert/strict");
const h = require("../../lib/harness");

h.initSdk();

test("version negotiation through the SDK picks CDI 5.4", async () => {
    assert.equal(h.Querier.apiVersion, undefined, "nothing negotiated before the first call");
    const version = await h.querier().getAPIVersion(h.userContext());
    assert.equal(version, "5.4");
    // The SDK caches the result process-wide; later calls reuse it.
    assert.equal(h.Querier.apiVersion, "5.4");
});

test("an api-key protected GET with the right key returns the server's JSON", async () => {
    // /apiversion is api-key checked, and sendGetRequest adds cdi-version: 5.4,
    // so a 200 here proves both headers were accepted.
    const body = await h.querier().sendGetRequest("/apiversion", {}, h.userContext());
    assert.ok(Array.isArray(body.versions), `expected a versions array, got ${JSON.stringify(body)}`);
    assert.ok(body.versions.includes("5.4"), `5.4 missing from ${JSON.stringify(body.versions)}`);
});

test("GET /hello comes back as the text 'Hello'", async () => {
    // The querier returns the raw text only when content-type starts with
    // "text"; otherwise it JSON-parses the body (which would throw here).
    const body = await h.querier().sendGetRequest("/hello", {}, h.userContext());
    assert.equal(body, "Hello");
});
