"use strict";
// Shared helpers for the passwordless stage: the Passwordless recipe with its
// email and SMS delivery overridden so that what the SDK would send lands in
// an outbox the scenario reads (the user input code and the magic link), an
// express app serving the SDK's own APIs, random contacts, and magic-link
// parsing.

const crypto = require("node:crypto");
const http = require("node:http");
const assert = require("node:assert/strict");
const express = require("express");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const Passwordless = require("supertokens-node/recipe/passwordless");
const apps = require("./apps");

// The core's defaults (passwordless_max_code_input_attempts,
// passwordless_code_lifetime).
const MAX_ATTEMPTS = 5;
const CODE_LIFETIME = 900000;
const USER_INPUT_CODE_RE = /^[0-9]{6}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function randomInt(n) {
    return crypto.randomInt(n);
}

// A random email with the given prefix; lower-case so it survives the
// core's normalisation unchanged.
function randomEmail(prefix) {
    return `${prefix}-${apps.tag()}@example.com`;
}

// A random valid US number (area code 650, exchange 200-999), as a person
// would type it ("+1 650 234 5678") and in E.164 ("+16502345678"), which is
// how the core (and the SDK's APIs) normalise it.
function randomPhone() {
    const exchange = String(200 + randomInt(800));
    const line = String(randomInt(10000)).padStart(4, "0");
    return { typed: `+1 650 ${exchange} ${line}`, e164: `+1650${exchange}${line}` };
}

// A six-digit code that differs from the given one.
function wrongCode(right) {
    const n = (Number(right) + 1 + randomInt(999998)) % 1000000;
    const code = String(n).padStart(6, "0");
    return code === right ? wrongCode(right) : code;
}

// Everything the SDK hands to its email and SMS delivery: each entry is the
// delivery input ({type, email | phoneNumber, userInputCode, urlWithLinkCode,
// preAuthSessionId, codeLifetime, isFirstFactor, tenantId, ...}).
function outbox() {
    const emails = [];
    const sms = [];
    function lastEmailTo(email) {
        const found = emails.filter((e) => e.email === email);
        assert.ok(found.length > 0, `no email to ${email} in ${JSON.stringify(emails.map((e) => e.email))}`);
        return found[found.length - 1];
    }
    function lastSmsTo(phoneNumber) {
        const found = sms.filter((s) => s.phoneNumber === phoneNumber);
        assert.ok(found.length > 0, `no SMS to ${phoneNumber} in ${JSON.stringify(sms.map((s) => s.phoneNumber))}`);
        return found[found.length - 1];
    }
    return { emails, sms, lastEmailTo, lastSmsTo };
}

// Passwordless.init with both contact methods and both flows, whose delivery
// is the outbox (nothing leaves the machine: it is offline).
function passwordlessRecipe(box, config = {}) {
    return Passwordless.init({
        contactMethod: "EMAIL_OR_PHONE",
        flowType: "USER_INPUT_CODE_AND_MAGIC_LINK",
        emailDelivery: {
            override: (original) => ({
                ...original,
                sendEmail: async (input) => {
                    const { userContext: _ignored, ...rest } = input;
                    box.emails.push(rest);
                },
            }),
        },
        smsDelivery: {
            override: (original) => ({
                ...original,
                sendSms: async (input) => {
                    const { userContext: _ignored, ...rest } = input;
                    box.sms.push(rest);
                },
            }),
        },
        ...config,
    });
}

// The parts of a magic link the frontend reads:
// <websiteDomain><websiteBasePath>/verify?preAuthSessionId=...&tenantId=...#<linkCode>
function parseMagicLink(link) {
    const url = new URL(link);
    return {
        origin: url.origin,
        pathname: url.pathname,
        preAuthSessionId: url.searchParams.get("preAuthSessionId"),
        tenantId: url.searchParams.get("tenantId"),
        linkCode: url.hash.slice(1),
    };
}

// Starts an HTTP server on an ephemeral port, lets `init(baseUrl)` init the
// SDK (with baseUrl as apiDomain), then serves the SDK's express middleware.
// Non-SuperTokens errors come back as 500 {"message": ...}.
async function startApp(init) {
    const server = http.createServer();
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    init(baseUrl);
    const app = express();
    app.use(middleware());
    app.use(errorHandler());
    // eslint-disable-next-line no-unused-vars
    app.use((err, req, res, next) => {
        res.status(500).json({ message: String(err && err.message) });
    });
    server.on("request", app);

    async function call(method, path, { body, headers = {} } = {}) {
        const hdrs = { ...headers };
        if (body !== undefined) {
            hdrs["content-type"] = "application/json";
        }
        const res = await fetch(`${baseUrl}${path}`, {
            method,
            headers: hdrs,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        return apps.readBody(res);
    }

    // A call that must answer 200 with JSON.
    async function ok(method, path, options) {
        const res = await call(method, path, options);
        assert.equal(res.status, 200, `${method} ${path} answered ${res.status}: ${res.text}`);
        assert.ok(res.json !== undefined, `${method} ${path} answered non-JSON: ${res.text}`);
        return res;
    }

    return {
        baseUrl,
        call,
        ok,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
}

module.exports = {
    Passwordless,
    MAX_ATTEMPTS,
    CODE_LIFETIME,
    USER_INPUT_CODE_RE,
    UUID_RE,
    randomEmail,
    randomPhone,
    wrongCode,
    outbox,
    passwordlessRecipe,
    parseMagicLink,
    startApp,
};
