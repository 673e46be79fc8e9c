"use strict";
// Shared helpers for the multitenancy and ThirdParty scenarios: apps made over
// plain HTTP (as the SuperTokens docs' curl commands and the SDKs' own tests
// do: the SDKs have no function that creates an app), and a recorder of the
// core requests the SDK makes (through its networkInterceptor).
//
// An app is targeted by the SDK through its connection URI:
// GATEHOUSE_URL + "/appid-<app>", so every core path gets that prefix.

const crypto = require("node:crypto");
const assert = require("node:assert/strict");
const h = require("./harness");

// Lower-case hex, so ids and emails survive the core's normalisation.
function tag(bytes = 6) {
    return crypto.randomBytes(bytes).toString("hex");
}

async function readBody(res) {
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch (_) {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}

// A direct core request with the api key and no cdi-version (as the docs'
// curl commands), path relative to GATEHOUSE_URL.
async function coreRequest(method, path, body) {
    const headers = { "api-key": h.GATEHOUSE_API_KEY };
    if (body !== undefined) {
        headers["content-type"] = "application/json";
    }
    const res = await fetch(`${h.GATEHOUSE_URL}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return readBody(res);
}

async function coreOk(method, path, body) {
    const res = await coreRequest(method, path, body);
    assert.equal(res.status, 200, `${method} ${path} ${JSON.stringify(body)} answered ${res.status}: ${res.text}`);
    assert.equal(res.json?.status, "OK", `${method} ${path} ${JSON.stringify(body)} answered ${res.text}`);
    return res.json;
}

// PUT /recipe/multitenancy/app/v2 on the public app: a new app (with its
// public tenant).
async function createApp(appId) {
    const res = await coreOk("PUT", "/recipe/multitenancy/app/v2", { appId });
    assert.equal(res.createdNew, true, `app ${appId} must be new: ${JSON.stringify(res)}`);
    return res;
}

// Removes an app: first its tenants other than public (an app with tenants
// cannot be removed), then the app itself. Answers the app removal's body.
async function removeApp(appId) {
    const list = await coreOk("GET", `/appid-${appId}/recipe/multitenancy/tenant/list/v2`);
    for (const t of list.tenants) {
        if (t.tenantId !== "public") {
            await coreOk("POST", `/appid-${appId}/recipe/multitenancy/tenant/remove`, { tenantId: t.tenantId });
        }
    }
    return coreOk("POST", "/recipe/multitenancy/app/remove", { appId });
}

async function listAppIds() {
    const res = await coreOk("GET", "/recipe/multitenancy/app/list/v2");
    return res.apps.map((a) => a.appId);
}

// Records every core request the SDK makes except the one-off version
// negotiation. Pass `recorder.intercept` as the SDK's networkInterceptor.
function coreRecorder() {
    const calls = [];
    function intercept(request) {
        const url = new URL(request.url);
        if (!url.pathname.endsWith("/apiversion")) {
            calls.push({
                method: request.method.toUpperCase(),
                path: url.pathname,
                params: request.params,
                body: request.body,
                headers: request.headers,
            });
        }
        return request;
    }
    // Runs fn and answers its result plus the core calls it caused.
    async function during(fn) {
        const start = calls.length;
        const result = await fn();
        const made = calls.slice(start);
        return { result, calls: made, paths: made.map((c) => `${c.method} ${c.path}`) };
    }
    return { calls, intercept, during };
}

module.exports = { tag, readBody, coreRequest, coreOk, createApp, removeApp, listAppIds, coreRecorder };
