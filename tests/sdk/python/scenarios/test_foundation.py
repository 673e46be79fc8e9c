"""Foundation: CDI version negotiation and api-key checking, seen through the
supertokens-python Querier."""

import pytest
from supertokens_python.normalised_url_path import NormalisedURLPath
from supertokens_python.querier import Querier

APIVERSION = NormalisedURLPath("/apiversion")
HELLO = NormalisedURLPath("/hello")


def test_version_negotiation_picks_5_4(sdk):
    sdk.init()
    assert Querier.api_version is None
    version = sdk.run(sdk.querier().get_api_version({}))
    assert version == "5.4"
    # Cached process-wide for all later calls.
    assert Querier.api_version == "5.4"


def test_protected_get_with_right_key_returns_json(sdk):
    sdk.init()
    # /apiversion is api-key checked and send_get_request adds cdi-version:
    # a success proves both headers were accepted.
    body = sdk.run(sdk.querier().send_get_request(APIVERSION, None, {}))
    assert "5.4" in body["versions"], body


def test_hello_is_plain_text(sdk):
    sdk.init()
    # A body that is not JSON comes back under "_text".
    body = sdk.run(sdk.querier().send_get_request(HELLO, None, {}))
    assert body.get("_text") == "Hello", body


@pytest.mark.parametrize("key", ["wrong", "missing"])
def test_bad_api_key_is_refused_with_401(sdk, key):
    sdk.init(api_key=sdk.wrong_api_key() if key == "wrong" else None)
    with pytest.raises(Exception) as caught:
        sdk.run(sdk.querier().get_api_version({}))
    message = str(caught.value)
    assert "path: '/apiversion'" in message
    assert "status code: 401" in message
    assert "Invalid API key" in message
    assert Querier.api_version is None
    with pytest.raises(Exception, match="status code: 401 and message: Invalid API key"):
        sdk.run(sdk.querier().send_get_request(APIVERSION, None, {}))
