"use strict";
// A recording HTTP proxy between the SDK and gatehouse. The SDK's
// connectionURI points here; every request is forwarded unchanged and recorded
// together with gatehouse's answer. supertokens-node 15 has no
// networkInterceptor, so this is how every release's journey sees (the same
// way) which core calls a step made, with which cdi-version header, and what
// came back. Failing steps print the exchanges they caused.

const http = require("node:http");

// Headers that describe one hop, or that fetch() already undid (it
// decompresses), so they must not be copied onto the proxy's own answer.
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);

async function startRecordingProxy(targetUrl) {
    const exchanges = [];
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
            const body = Buffer.concat(chunks);
            const url = new URL(req.url, "http://proxy");
            const headers = {};
            for (const [k, v] of Object.entries(req.headers)) {
                if (!HOP_HEADERS.has(k) && k !== "host") {
                    headers[k] = v;
                }
            }
            const exchange = {
                method: req.method,
                path: url.pathname,
                query: url.search,
                cdiVersion: req.headers["cdi-version"],
                rid: req.headers["rid"],
                requestBody: body.toString("utf8"),
            };
            exchanges.push(exchange);
            try {
                const upstream = await fetch(targetUrl + req.url, {
                    method: req.method,
                    headers,
                    body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
                });
                const answer = Buffer.from(await upstream.arrayBuffer());
                exchange.status = upstream.status;
                exchange.responseBody = answer.toString("utf8");
                const out = {};
                upstream.headers.forEach((v, k) => {
                    if (!HOP_HEADERS.has(k)) {
                        out[k] = v;
                    }
                });
                res.writeHead(upstream.status, out);
                res.end(answer);
            } catch (err) {
                exchange.status = 599;
                exchange.responseBody = `proxy could not reach gatehouse: ${err.message}`;
                res.writeHead(502, { "content-type": "text/plain" });
                res.end(exchange.responseBody);
            }
        });
    });
    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    return {
        url: `http://127.0.0.1:${server.address().port}`,
        exchanges,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            }),
    };
}

function isJwksFetch(e) {
    return e.path === "/.well-known/jwks.json" || e.path === "/recipe/jwt/jwks";
}

// One exchange as a line for failure messages.
function describe(e) {
    const cut = (s) => (s && s.length > 600 ? s.slice(0, 600) + "…" : s);
    return (
        `${e.method} ${e.path}${e.query} cdi-version=${e.cdiVersion ?? "-"} rid=${e.rid ?? "-"}` +
        (e.requestBody ? ` body=${cut(e.requestBody)}` : "") +
        `\n      -> ${e.status ?? "(no answer yet)"} ${cut(e.responseBody) ?? ""}`
    );
}

module.exports = { startRecordingProxy, isJwksFetch, describe };
