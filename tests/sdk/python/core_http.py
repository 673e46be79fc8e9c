"""Plain HTTP to gatehouse for the scenarios' own arrangements (apps of their own), with
the api key and no cdi-version, as the docs' curl commands."""

import secrets

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
