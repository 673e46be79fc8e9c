"use strict";
// Foundation: a wrong api key is refused with 401 "Invalid API key", and the
// SDK surfaces that as an error. (Own file = own process = own SDK config.)
const test = require("node:test");
const assert = require("node:assert/strict");
const h = require("../../lib/harness");

h.initSdk({ apiKey: h.wrongApiKey() });

test("version negotiation with a wrong api key fails with 401 Invalid API key", async () => {
    await assert.rejects(h.querier().getAPIVersion(h.userContext()), (err) => {
        assert.match(err.message, /path: '\/apiversion'/);
        assert.match(err.message, /status code: 401/);
        assert.match(err.message, /Invalid API key/);
        return true;
    });
    assert.equal(h.Querier.apiVersion, undefined, "no version may be cached after a refusal");
});

test("a GET call with a wrong api key fails with 401 Invalid API key", async () => {
    await assert.rejects(h.querier().sendGetRequest("/apiversion", {}, h.userContext()), /status code: 401 and message: Invalid API key/);
});
