"use strict";
// A tiny OAuth provider on an ephemeral local port (the machine is offline):
// POST /token exchanges an authorisation code for an access token, GET
// /userinfo answers the profile behind a bearer token. A scenario decides in
// advance which profile a code stands for (`provider.profiles.set(code, {...})`).
// Every request is recorded (method, path, headers, form body).

const http = require("node:http");

async function startFakeProvider() {
    const profiles = new Map();
    const requests = [];
    const server = http.createServer((req, res) => {
        let raw = "";
        req.on("data", (chunk) => (raw += chunk));
        req.on("end", () => {
            const url = new URL(req.url, "http://localhost");
            const form = Object.fromEntries(new URLSearchParams(raw));
            requests.push({ method: req.method, path: url.pathname, headers: req.headers, form });
            const json = (status, body) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            if (req.method === "POST" && url.pathname === "/token") {
                if (form.grant_type !== "authorization_code" || !profiles.has(form.code)) {
                    return json(400, { error: "invalid_grant" });
                }
                return json(200, { access_token: `at-${form.code}`, token_type: "Bearer", expires_in: 3600 });
            }
            if (req.method === "GET" && url.pathname === "/userinfo") {
                const m = /^Bearer at-(.*)$/.exec(req.headers.authorization || "");
                if (!m || !profiles.has(m[1])) {
                    return json(401, { error: "invalid_token" });
                }
                return json(200, profiles.get(m[1]));
            }
            json(404, { error: "not_found" });
        });
    });
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const baseUrl = `http://127.0.0.1:${server.address().port}`;
    return {
        baseUrl,
        profiles,
        requests,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
}

module.exports = { startFakeProvider };
