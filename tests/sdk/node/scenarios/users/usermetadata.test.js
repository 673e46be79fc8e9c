"use strict";
// Users stage: UserMetadata, through supertokens-node's public functions.
// The core keeps metadata for any user id string (no user needs to exist).
const test = require("node:test");
const assert = require("node:assert/strict");
const u = require("../../lib/users");

const { UserMetadata } = u;

u.initUsersSdk();

const freshUserId = () => `meta-user-${u.tag()}`;

test("a user without metadata has {}", async () => {
    assert.deepEqual(await UserMetadata.getUserMetadata(freshUserId()), { status: "OK", metadata: {} });
});

test("updateUserMetadata stores JSON values and answers the full metadata", async () => {
    const id = freshUserId();
    const doc = {
        name: "Ada",
        age: 36,
        ratio: 0.5,
        admin: false,
        tags: ["a", "b", 3],
        nested: { deep: { list: [{ x: 1 }], empty: {} } },
        unicode: "Grüße ✓",
    };
    assert.deepEqual(await UserMetadata.updateUserMetadata(id, doc), { status: "OK", metadata: doc });
    assert.deepEqual(await UserMetadata.getUserMetadata(id), { status: "OK", metadata: doc });
});

test("updates merge shallowly: top-level keys are replaced, not merged", async () => {
    const id = freshUserId();
    await UserMetadata.updateUserMetadata(id, { a: 1, obj: { x: 1, y: 2 }, keep: "me" });
    const res = await UserMetadata.updateUserMetadata(id, { a: 2, obj: { z: 3 }, added: [1] });
    const expected = { a: 2, obj: { z: 3 }, keep: "me", added: [1] };
    assert.deepEqual(res, { status: "OK", metadata: expected });
    assert.deepEqual((await UserMetadata.getUserMetadata(id)).metadata, expected);
});

test("a null value deletes that key; other keys stay", async () => {
    const id = freshUserId();
    await UserMetadata.updateUserMetadata(id, { a: 1, b: 2, c: { d: 4 } });
    const res = await UserMetadata.updateUserMetadata(id, { a: null, c: null, e: 5 });
    assert.deepEqual(res, { status: "OK", metadata: { b: 2, e: 5 } });
    assert.deepEqual((await UserMetadata.getUserMetadata(id)).metadata, { b: 2, e: 5 });

    // Deleting a key that is not there is harmless.
    const again = await UserMetadata.updateUserMetadata(id, { nothere: null });
    assert.deepEqual(again.metadata, { b: 2, e: 5 });
});

test("an empty update changes nothing", async () => {
    const id = freshUserId();
    await UserMetadata.updateUserMetadata(id, { a: 1 });
    assert.deepEqual(await UserMetadata.updateUserMetadata(id, {}), { status: "OK", metadata: { a: 1 } });
});

test("clearUserMetadata removes everything; clearing again is fine", async () => {
    const id = freshUserId();
    await UserMetadata.updateUserMetadata(id, { a: 1, b: { c: 2 } });
    assert.deepEqual(await UserMetadata.clearUserMetadata(id), { status: "OK" });
    assert.deepEqual((await UserMetadata.getUserMetadata(id)).metadata, {});
    assert.deepEqual(await UserMetadata.clearUserMetadata(id), { status: "OK" });
    assert.deepEqual(await UserMetadata.clearUserMetadata(freshUserId()), { status: "OK" });

    // After a clear, updates start from {}.
    assert.deepEqual((await UserMetadata.updateUserMetadata(id, { z: 26 })).metadata, { z: 26 });
});

test("metadata is kept per user", async () => {
    const a = freshUserId();
    const b = freshUserId();
    await UserMetadata.updateUserMetadata(a, { who: "a" });
    await UserMetadata.updateUserMetadata(b, { who: "b" });
    await UserMetadata.clearUserMetadata(a);
    assert.deepEqual((await UserMetadata.getUserMetadata(a)).metadata, {});
    assert.deepEqual((await UserMetadata.getUserMetadata(b)).metadata, { who: "b" });
});

test("metadata of a real user is reached by its user id", async () => {
    const { user } = await u.signUpOk(u.uniqueEmail("meta"));
    assert.deepEqual((await UserMetadata.updateUserMetadata(user.id, { plan: "free" })).metadata, { plan: "free" });
    assert.deepEqual((await UserMetadata.getUserMetadata(user.id)).metadata, { plan: "free" });
});
