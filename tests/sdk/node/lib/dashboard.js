"use strict";
// Shared helpers for the "dashboard" stage scenarios: an express app with
// supertokens-node's Dashboard recipe in email-password mode (Dashboard.init()
// without apiKey), the docs' curl commands for dashboard credentials, and a
// small HTTP client for the SDK's dashboard routes.
//
// Dashboard users (the people who log into the dashboard, not app users) are
// global to the server: no tenant, no random user ids. Only the dashboard
// scenario creates them, and all of them carry the DASHBOARD_EMAIL_PREFIX so a
// rerun against the same database can remove what an earlier run left.

const crypto = require("node:crypto");
const http = require("node:http");
const assert = require("node:assert/strict");
const express = require("express");
const SuperTokens = require("supertokens-node");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const EmailVerification = require("supertokens-node/recipe/emailverification");
const UserMetadata = require("supertokens-node/recipe/usermetadata");
const UserRoles = require("supertokens-node/recipe/userroles");
const Dashboard = require("supertokens-node/recipe/dashboard");
const h = require("./harness");

const DASHBOARD_EMAIL_PREFIX = "sdk-dash-";
const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// The core's answer to a 4th dashboard user without a licence (research
// dashboard.md §1.1), as plain text.
const FREE_LIMIT_MESSAGE =
    "Free user limit reached. Please subscribe to a SuperTokens core license key to allow more users to access the dashboard.";

function tag(bytes = 6) {
    return crypto.randomBytes(bytes).toString("hex");
}

// Every core request the SDK makes, except the one-off GET /apiversion.
const coreCalls = [];

function recordCoreCall(request) {
    const url = new URL(request.url);
    if (url.pathname !== "/apiversion") {
        coreCalls.push({ method: request.method.toUpperCase(), path: url.pathname, params: request.params, body: request.body, headers: request.headers });
    }
    return request;
}

// Runs fn and answers what it returned plus the core calls it caused, as
// "METHOD /path" strings.
async function callsDuring(fn) {
    const start = coreCalls.length;
    const result = await fn();
    const calls = coreCalls.slice(start);
    return { result, calls, paths: calls.map((c) => `${c.method} ${c.path}`) };
}

// Starts an HTTP server on an ephemeral port, inits the SDK with the port as
// apiDomain, and serves the SDK's express middleware from it. Answers
// { baseUrl, close() }. Errors that are not SuperTokens errors (for instance a
// core call that failed) come back as 500 {"message": err.message}.
async function startDashboardApp() {
    const server = http.createServer();
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address();
    const baseUrl = `http://127.0.0.1:${port}`;

    h.initSdk({
        appInfo: { apiDomain: baseUrl, websiteDomain: "http://localhost:3000", apiBasePath: "/auth" },
        recipeList: [
            EmailPassword.init(),
            Session.init(),
            Dashboard.init(),
            UserMetadata.init(),
            EmailVerification.init({ mode: "OPTIONAL" }),
            UserRoles.init(),
        ],
        networkInterceptor: recordCoreCall,
    });

    const app = express();
    app.use(middleware());
    app.use(errorHandler());
    // eslint-disable-next-line no-unused-vars
    app.use((err, req, res, next) => {
        res.status(500).json({ message: String(err && err.message) });
    });
    server.on("request", app);

    return {
        baseUrl,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
}

async function readBody(res) {
    const text = await res.text();
    let json;
    if ((res.headers.get("content-type") || "").includes("application/json")) {
        try {
            json = JSON.parse(text);
        } catch (_) {
            json = undefined;
        }
    }
    return { status: res.status, headers: res.headers, text, json };
}

// The docs' curl for dashboard credentials, verbatim: rid: dashboard, the api
// key, a JSON content type and no cdi-version header.
async function docsCurl(method, body) {
    const res = await fetch(`${h.GATEHOUSE_URL}/recipe/dashboard/user`, {
        method,
        headers: { rid: "dashboard", "api-key": h.GATEHOUSE_API_KEY, "Content-Type": "application/json" },
        body: JSON.stringify(body),
    });
    return readBody(res);
}

// Direct core calls for bookkeeping (listing / removing dashboard users).
async function coreRequest(method, path) {
    const res = await fetch(`${h.GATEHOUSE_URL}${path}`, {
        method,
        headers: { rid: "dashboard", "api-key": h.GATEHOUSE_API_KEY },
    });
    return readBody(res);
}

async function listDashboardUsers() {
    const res = await coreRequest("GET", "/recipe/dashboard/users");
    assert.equal(res.status, 200, `GET /recipe/dashboard/users answered ${res.status}: ${res.text}`);
    assert.equal(res.json.status, "OK", res.text);
    assert.ok(Array.isArray(res.json.users), res.text);
    return res.json.users;
}

// Removes the dashboard users an earlier run of this scenario left behind
// (reruns against the same database), so the free limit starts from scratch.
async function removeLeftoverDashboardUsers() {
    for (let round = 0; round < 10; round++) {
        const leftovers = (await listDashboardUsers()).filter((u) => u.email.startsWith(DASHBOARD_EMAIL_PREFIX));
        if (leftovers.length === 0) {
            return;
        }
        for (const u of leftovers) {
            const res = await coreRequest("DELETE", `/recipe/dashboard/user?userId=${encodeURIComponent(u.userId)}`);
            assert.equal(res.status, 200, `DELETE /recipe/dashboard/user answered ${res.status}: ${res.text}`);
        }
    }
}

// A client for the SDK's routes on the express app.
function dashboardClient(baseUrl) {
    async function call(method, path, { session, body, headers = {} } = {}) {
        const hdrs = { ...headers };
        if (session !== undefined) {
            hdrs.authorization = `Bearer ${session}`;
        }
        if (body !== undefined) {
            hdrs["content-type"] = "application/json";
        }
        const res = await fetch(`${baseUrl}${path}`, {
            method,
            headers: hdrs,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        return readBody(res);
    }

    // A guarded dashboard API call that must succeed: 200 and JSON.
    async function ok(method, path, session, body) {
        const res = await call(method, path, { session, body });
        assert.equal(res.status, 200, `${method} ${path} answered ${res.status}: ${res.text}`);
        assert.ok(res.json !== undefined, `${method} ${path} answered non-JSON: ${res.text}`);
        return res.json;
    }

    async function signIn(email, password) {
        return call("POST", "/auth/dashboard/api/signin", { body: { email, password } });
    }

    async function signInOk(email, password) {
        const res = await signIn(email, password);
        assert.equal(res.status, 200, `signin answered ${res.status}: ${res.text}`);
        assert.equal(res.json.status, "OK", `signin answered ${res.text}`);
        return res.json.sessionId;
    }

    return { call, ok, signIn, signInOk };
}

// The 401 the SDK's guard answers when the core refuses the session.
function assertUnauthorised(res, what) {
    assert.equal(res.status, 401, `${what}: expected 401, got ${res.status}: ${res.text}`);
    assert.deepEqual(res.json, { message: "Unauthorised access" }, what);
}

// Users as they travel through JSON (RecipeUserId → string, undefined dropped).
function asJson(value) {
    return JSON.parse(JSON.stringify(value));
}

module.exports = {
    SuperTokens,
    Session,
    EmailPassword,
    EmailVerification,
    UserMetadata,
    UserRoles,
    DASHBOARD_EMAIL_PREFIX,
    UUID_V4_RE,
    FREE_LIMIT_MESSAGE,
    tag,
    coreCalls,
    callsDuring,
    startDashboardApp,
    docsCurl,
    coreRequest,
    listDashboardUsers,
    removeLeftoverDashboardUsers,
    dashboardClient,
    assertUnauthorised,
    asJson,
};
