"use strict";
// Foundation: with no api key configured the SDK sends no api-key header, and
// the server must refuse it just like a wrong key.
const test = require("node:test");
const assert = require("node:assert/strict");
const h = require("../../lib/harness");

h.initSdk({ apiKey: undefined });

test("without an api key the SDK's calls fail with 401 Invalid API key", async () => {
    await assert.rejects(h.querier().getAPIVersion(h.userContext()), /status code: 401 and message: Invalid API key/);
});
