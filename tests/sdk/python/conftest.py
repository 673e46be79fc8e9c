"""Shared helpers for the supertokens-python conformance scenarios.

The SDK keeps its configuration in class-level singletons (Supertokens
instance, each recipe instance, the Querier's hosts/api key and negotiated CDI
version). The `sdk` fixture wipes all of them before each test so every test
can init the SDK with its own configuration.
"""

import asyncio
import importlib
import inspect
import os
import pkgutil

import pytest

# The SDK only allows its reset() helpers in its "testing" mode.
os.environ["SUPERTOKENS_ENV"] = "testing"

from supertokens_python import InputAppInfo, Supertokens, SupertokensConfig, init  # noqa: E402
from supertokens_python.querier import Querier  # noqa: E402
from supertokens_python.recipe import session  # noqa: E402
from supertokens_python.recipe_module import RecipeModule  # noqa: E402


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} must be set (run the scenarios through tests/sdk/run.sh)")
    return value


GATEHOUSE_URL = _env("GATEHOUSE_URL")
GATEHOUSE_API_KEY = _env("GATEHOUSE_API_KEY")

_DEFAULT = object()


def reset_sdk():
    """Forget every SDK singleton, including all recipe instances."""
    Supertokens.reset()
    import supertokens_python.recipe as recipes

    for info in pkgutil.iter_modules(recipes.__path__):
        try:
            module = importlib.import_module(f"supertokens_python.recipe.{info.name}.recipe")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, RecipeModule) and hasattr(cls, "reset"):
                cls.reset()
    Querier.api_version = None


class Sdk:
    url = GATEHOUSE_URL
    api_key = GATEHOUSE_API_KEY

    def init(self, api_key=_DEFAULT, recipe_list=None, connection_uri=None, network_interceptor=None):
        """Init the SDK against gatehouse. api_key=None sends no api-key header.
        connection_uri defaults to GATEHOUSE_URL (GATEHOUSE_URL + "/appid-<app>"
        targets an app); network_interceptor(url, method, headers, params, body,
        user_context) sees every core request and answers the first five.
        Telemetry must stay off: this machine is offline."""
        init(
            app_info=InputAppInfo(
                app_name="gatehouse-sdk-tests",
                api_domain="http://localhost:3001",
                website_domain="http://localhost:3000",
                api_base_path="/auth",
                website_base_path="/auth",
            ),
            framework="fastapi",
            mode="asgi",
            supertokens_config=SupertokensConfig(
                connection_uri=connection_uri or GATEHOUSE_URL,
                api_key=GATEHOUSE_API_KEY if api_key is _DEFAULT else api_key,
                network_interceptor=network_interceptor,
            ),
            recipe_list=recipe_list if recipe_list is not None else [session.init()],
            telemetry=False,
        )

    @staticmethod
    def querier():
        """The SDK's own core client, as its recipes obtain it."""
        return Querier.get_instance()

    @staticmethod
    def run(coro):
        return asyncio.run(coro)

    @staticmethod
    def wrong_api_key():
        return "wrong-" + GATEHOUSE_API_KEY[::-1] + "-x"


@pytest.fixture
def sdk():
    reset_sdk()
    yield Sdk()
    reset_sdk()
