"""Plain HTTP to gatehouse for the scenarios' own arrangements (apps of their own), with
the api key and no cdi-version, as the docs' curl commands."""

import secrets
from urllib.parse import urlparse

import httpx


def tag(n=6):
    return secrets.token_hex(n)


class Core:
    def __init__(self, sdk):
        self.client = httpx.Client(base_url=sdk.url, headers={"api-key": sdk.api_key}, timeout=30)

    def ok(self, method, path, body=None):
        res = self.client.request(method, path, json=body)
        assert res.status_code == 200, f"{method} {path} {body} answered {res.status_code}: {res.text}"
        assert res.json().get("status") == "OK", f"{method} {path} {body} answered {res.text}"
        return res.json()

    def remove_app(self, app):
        for t in self.ok("GET", f"/appid-{app}/recipe/multitenancy/tenant/list/v2")["tenants"]:
            if t["tenantId"] != "public":
                self.ok("POST", f"/appid-{app}/recipe/multitenancy/tenant/remove", {"tenantId": t["tenantId"]})
        return self.ok("POST", "/recipe/multitenancy/app/remove", {"appId": app})


class Recorder:
    """The SDK's network_interceptor: records every core request but the version
    negotiation."""

    def __init__(self):
        self.calls = []

    def __call__(self, url, method, headers, params, body, user_context):
        if not url.endswith("/apiversion"):
            self.calls.append({"method": method.upper(), "path": urlparse(url).path, "headers": dict(headers), "params": params, "body": body})
        return url, method, headers, params, body

    def mark(self):
        return len(self.calls)

    def since(self, start):
        return self.calls[start:]

    def paths(self, start):
        return [f"{c['method']} {c['path']}" for c in self.calls[start:]]
