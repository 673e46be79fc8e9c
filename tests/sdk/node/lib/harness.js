"use strict";
// Shared helpers for the supertokens-node conformance scenarios.
//
// The node test runner starts every test file in its own process, and the SDK
// keeps its configuration in module-level singletons (SuperTokens instance,
// Querier api key, negotiated CDI version). So the rule here is: one SDK
// configuration per test file. A scenario that needs a different config (a
// wrong api key, other recipes...) goes in its own file.

const SuperTokens = require("supertokens-node");
const Session = require("supertokens-node/recipe/session");
const SuperTokensCore = require("supertokens-node/lib/build/supertokens").default;
const { Querier } = require("supertokens-node/lib/build/querier");

function requireEnv(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} must be set (run the scenarios through tests/sdk/run.sh)`);
    }
    return value;
}

const GATEHOUSE_URL = requireEnv("GATEHOUSE_URL");
const GATEHOUSE_API_KEY = requireEnv("GATEHOUSE_API_KEY");

// Initialise the SDK against gatehouse. Without an `apiKey` option the right
// key is used; an explicit `apiKey: undefined` means "send no api-key header".
// Options: apiKey, recipeList (default [Session.init()]), networkInterceptor,
// appInfo (fields merged over the defaults below, e.g. the apiDomain of a
// scenario's own express server), connectionURI (default GATEHOUSE_URL;
// GATEHOUSE_URL + "/appid-<app>" targets an app). Telemetry must stay off: this machine is
// offline.
function initSdk(options = {}) {
    const apiKey = "apiKey" in options ? options.apiKey : GATEHOUSE_API_KEY;
    const recipeList = options.recipeList;
    // networkInterceptor (optional) sees every core request the SDK makes;
    // scenarios use it to record which core calls happened.
    const networkInterceptor = options.networkInterceptor;
    SuperTokens.init({
        framework: "express",
        supertokens: { connectionURI: options.connectionURI ?? GATEHOUSE_URL, apiKey, networkInterceptor },
        appInfo: {
            appName: "gatehouse-sdk-tests",
            apiDomain: "http://localhost:3001",
            websiteDomain: "http://localhost:3000",
            apiBasePath: "/auth",
            websiteBasePath: "/auth",
            ...(options.appInfo ?? {}),
        },
        recipeList: recipeList ?? [Session.init()],
        telemetry: false,
    });
}

// The SDK's own core client, exactly as its recipes obtain it.
function querier() {
    return Querier.getNewInstanceOrThrowError(SuperTokensCore.getInstanceOrThrowError());
}

// The querier mutates userContext (it stores a per-request GET cache in
// userContext._default), so every call gets a fresh object.
function userContext() {
    return {};
}

// A key that the server certainly was not started with.
function wrongApiKey() {
    return "wrong-" + GATEHOUSE_API_KEY.split("").reverse().join("") + "-x";
}

module.exports = { GATEHOUSE_URL, GATEHOUSE_API_KEY, initSdk, querier, userContext, wrongApiKey, Querier };
