"use strict";
// The dashboard's tenant and ThirdParty views: in an app of its own (so the tenant list is
// this file's), the SDK's dashboard API in API-key mode lists a third-party user with its
// provider, and lists and shows tenants with their login methods and providers.
const test = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const express = require("express");
const { middleware, errorHandler } = require("supertokens-node/framework/express");
const Session = require("supertokens-node/recipe/session");
const EmailPassword = require("supertokens-node/recipe/emailpassword");
const ThirdParty = require("supertokens-node/recipe/thirdparty");
const Multitenancy = require("supertokens-node/recipe/multitenancy");
const Dashboard = require("supertokens-node/recipe/dashboard");
const h = require("../../lib/harness");
const apps = require("../../lib/apps");

const APP_ID = `dash-${apps.tag()}`;
const DASHBOARD_KEY = `dashboard-key-${apps.tag()}`;
const PROVIDER = `sdk-dash-tp-${apps.tag()}`;
let server;
let baseUrl;

// A dashboard API call; the dashboard names a tenant in the path (`/auth/<tenant>/dashboard`).
async function dashboard(path, tenantId) {
    const tenant = tenantId ? `/${tenantId}` : "";
    const res = await fetch(`${baseUrl}/auth${tenant}/dashboard/api${path}`, {
        headers: { authorization: `Bearer ${DASHBOARD_KEY}` },
    });
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${res.status} ${text}`);
    return JSON.parse(text);
}

test.before(async () => {
    await apps.createApp(APP_ID);
    server = http.createServer();
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${server.address().port}`;
    h.initSdk({
        connectionURI: `${h.GATEHOUSE_URL}/appid-${APP_ID}`,
        appInfo: { apiDomain: baseUrl },
        recipeList: [EmailPassword.init(), ThirdParty.init(), Session.init(), Dashboard.init({ apiKey: DASHBOARD_KEY })],
    });
    const app = express();
    app.use(middleware());
    app.use(errorHandler());
    server.on("request", app);
});

test.after(async () => {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
    await apps.removeApp(APP_ID);
});

test("the users list shows a third-party user with its provider", async () => {
    const email = `dash-tp-${apps.tag()}@example.com`;
    const made = await ThirdParty.manuallyCreateOrUpdateUser("public", PROVIDER, "provider-user-1", email, false);
    assert.equal(made.status, "OK", JSON.stringify(made));
    const listed = await dashboard(`/users?limit=10&provider=${PROVIDER}`);
    assert.equal(listed.status, "OK");
    assert.equal(listed.users.length, 1, JSON.stringify(listed));
    const [user] = listed.users;
    assert.equal(user.id, made.user.id);
    assert.deepEqual(user.thirdParty, [{ id: PROVIDER, userId: "provider-user-1" }]);
    assert.equal(user.loginMethods[0].recipeId, "thirdparty");
    assert.deepEqual(user.loginMethods[0].thirdParty, { id: PROVIDER, userId: "provider-user-1" });
    const details = await dashboard(`/user?userId=${made.user.id}`);
    assert.equal(details.status, "OK", JSON.stringify(details));
    assert.deepEqual(details.user.thirdParty, [{ id: PROVIDER, userId: "provider-user-1" }]);
});

test("tenants are listed and shown with their login methods and providers", async () => {
    const tenantId = `t-${apps.tag()}`;
    const created = await Multitenancy.createOrUpdateTenant(tenantId, { firstFactors: ["thirdparty"] });
    assert.equal(created.status, "OK", JSON.stringify(created));
    const provider = { thirdPartyId: PROVIDER, name: "Dashboard test", clients: [{ clientId: "client-1", clientSecret: "secret-1" }] };
    const configured = await Multitenancy.createOrUpdateThirdPartyConfig(tenantId, provider);
    assert.equal(configured.status, "OK", JSON.stringify(configured));

    const listed = await dashboard("/tenants");
    assert.equal(listed.status, "OK");
    const byId = Object.fromEntries(listed.tenants.map((tenant) => [tenant.tenantId, tenant.firstFactors]));
    assert.deepEqual(Object.keys(byId).sort(), ["public", tenantId].sort());
    assert.deepEqual(byId[tenantId], ["thirdparty"]);
    assert.deepEqual([...byId.public].sort(), ["emailpassword", "thirdparty"]);

    const shown = await dashboard("/tenant", tenantId);
    assert.equal(shown.status, "OK", JSON.stringify(shown));
    assert.equal(shown.tenant.tenantId, tenantId);
    assert.deepEqual(shown.tenant.firstFactors, ["thirdparty"]);
    assert.deepEqual(
        shown.tenant.thirdParty.providers.map((p) => p.thirdPartyId),
        [PROVIDER],
    );
});
