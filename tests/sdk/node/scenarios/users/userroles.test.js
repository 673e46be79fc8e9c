"use strict";
// Users stage: UserRoles (roles, permissions, user-role assignments), through
// supertokens-node's public functions. Roles and permissions are app-wide and
// the server is shared, so every name carries a random tag. The core assigns
// roles to any user id string (no user needs to exist). List order is not part
// of the contract, so lists are compared sorted.
const test = require("node:test");
const assert = require("node:assert/strict");
const u = require("../../lib/users");

const { UserRoles } = u;

u.initUsersSdk();

const name = (kind) => `${kind}-${u.tag()}`;
const sorted = (list) => [...list].sort();

test("createNewRoleOrAddPermissions creates once, then adds permissions", async () => {
    const role = name("role");
    const [p1, p2, p3] = [name("perm"), name("perm"), name("perm")];

    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, [p1, p2]), { status: "OK", createdNewRole: true });
    assert.deepEqual(sorted((await UserRoles.getPermissionsForRole(role)).permissions), sorted([p1, p2]));

    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, [p2, p3]), { status: "OK", createdNewRole: false });
    const perms = await UserRoles.getPermissionsForRole(role);
    assert.equal(perms.status, "OK");
    assert.deepEqual(sorted(perms.permissions), sorted([p1, p2, p3]), "permissions are added, each once");

    // Adding nothing to an existing role is a no-op.
    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, []), { status: "OK", createdNewRole: false });
    assert.deepEqual(sorted((await UserRoles.getPermissionsForRole(role)).permissions), sorted([p1, p2, p3]));
});

test("a role can be created without permissions and shows in getAllRoles", async () => {
    const role = name("bare");
    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, []), { status: "OK", createdNewRole: true });
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "OK", permissions: [] });
    const all = await UserRoles.getAllRoles();
    assert.equal(all.status, "OK");
    assert.ok(all.roles.includes(role), `${role} missing from getAllRoles`);
});

test("role and permission names are trimmed by the core; an empty role is a 400", async () => {
    const role = name("trim");
    const perm = name("perm");
    assert.equal((await UserRoles.createNewRoleOrAddPermissions(`  ${role} `, [` ${perm}  `])).createdNewRole, true);
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "OK", permissions: [perm] });
    assert.equal((await UserRoles.createNewRoleOrAddPermissions(role, [])).createdNewRole, false);
    await assert.rejects(UserRoles.createNewRoleOrAddPermissions("   ", []), /status code: 400/);
});

test("removePermissionsFromRole removes just those permissions", async () => {
    const role = name("rm");
    const [p1, p2, p3] = [name("perm"), name("perm"), name("perm")];
    await UserRoles.createNewRoleOrAddPermissions(role, [p1, p2, p3]);

    assert.deepEqual(await UserRoles.removePermissionsFromRole(role, [p1, p3]), { status: "OK" });
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "OK", permissions: [p2] });

    // Removing a permission the role does not have is fine.
    assert.deepEqual(await UserRoles.removePermissionsFromRole(role, [p1, name("perm")]), { status: "OK" });
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "OK", permissions: [p2] });
});

test("getRolesThatHavePermission lists the roles holding a permission", async () => {
    const [r1, r2, r3] = [name("holder"), name("holder"), name("holder")];
    const shared = name("shared");
    const lone = name("lone");
    await UserRoles.createNewRoleOrAddPermissions(r1, [shared, lone]);
    await UserRoles.createNewRoleOrAddPermissions(r2, [shared]);
    await UserRoles.createNewRoleOrAddPermissions(r3, []);

    const res = await UserRoles.getRolesThatHavePermission(shared);
    assert.equal(res.status, "OK");
    assert.deepEqual(sorted(res.roles), sorted([r1, r2]));
    assert.deepEqual((await UserRoles.getRolesThatHavePermission(lone)).roles, [r1]);
    assert.deepEqual(await UserRoles.getRolesThatHavePermission(name("nobody-has")), { status: "OK", roles: [] });

    await UserRoles.removePermissionsFromRole(r1, [shared]);
    assert.deepEqual((await UserRoles.getRolesThatHavePermission(shared)).roles, [r2]);
});

test("addRoleToUser / getRolesForUser / getUsersThatHaveRole / removeUserRole", async () => {
    const [admin, editor] = [name("admin"), name("editor")];
    await UserRoles.createNewRoleOrAddPermissions(admin, [name("perm")]);
    await UserRoles.createNewRoleOrAddPermissions(editor, []);
    const alice = `alice-${u.tag()}`;
    const bob = `bob-${u.tag()}`;

    assert.deepEqual(await UserRoles.getRolesForUser("public", alice), { status: "OK", roles: [] });

    assert.deepEqual(await UserRoles.addRoleToUser("public", alice, admin), { status: "OK", didUserAlreadyHaveRole: false });
    assert.deepEqual(await UserRoles.addRoleToUser("public", alice, admin), { status: "OK", didUserAlreadyHaveRole: true });
    assert.deepEqual(await UserRoles.addRoleToUser("public", alice, editor), { status: "OK", didUserAlreadyHaveRole: false });
    assert.deepEqual(await UserRoles.addRoleToUser("public", bob, admin), { status: "OK", didUserAlreadyHaveRole: false });

    const aliceRoles = await UserRoles.getRolesForUser("public", alice);
    assert.equal(aliceRoles.status, "OK");
    assert.deepEqual(sorted(aliceRoles.roles), sorted([admin, editor]));
    assert.deepEqual(await UserRoles.getRolesForUser("public", bob), { status: "OK", roles: [admin] });

    const admins = await UserRoles.getUsersThatHaveRole("public", admin);
    assert.equal(admins.status, "OK");
    assert.deepEqual(sorted(admins.users), sorted([alice, bob]));
    assert.deepEqual(await UserRoles.getUsersThatHaveRole("public", editor), { status: "OK", users: [alice] });

    assert.deepEqual(await UserRoles.removeUserRole("public", alice, admin), { status: "OK", didUserHaveRole: true });
    assert.deepEqual(await UserRoles.removeUserRole("public", alice, admin), { status: "OK", didUserHaveRole: false });
    assert.deepEqual(await UserRoles.getRolesForUser("public", alice), { status: "OK", roles: [editor] });
    assert.deepEqual(await UserRoles.getUsersThatHaveRole("public", admin), { status: "OK", users: [bob] });
    // The role itself is untouched.
    assert.equal((await UserRoles.getPermissionsForRole(admin)).permissions.length, 1);
});

test("a role nobody has lists no users", async () => {
    const role = name("empty");
    await UserRoles.createNewRoleOrAddPermissions(role, []);
    assert.deepEqual(await UserRoles.getUsersThatHaveRole("public", role), { status: "OK", users: [] });
});

test("deleteRole removes the role, its permissions and its assignments", async () => {
    const role = name("doomed");
    const keep = name("kept");
    const perm = name("perm");
    const user = `user-${u.tag()}`;
    await UserRoles.createNewRoleOrAddPermissions(role, [perm]);
    await UserRoles.createNewRoleOrAddPermissions(keep, [perm]);
    await UserRoles.addRoleToUser("public", user, role);
    await UserRoles.addRoleToUser("public", user, keep);

    assert.deepEqual(await UserRoles.deleteRole(role), { status: "OK", didRoleExist: true });
    assert.deepEqual(await UserRoles.deleteRole(role), { status: "OK", didRoleExist: false });

    const all = await UserRoles.getAllRoles();
    assert.ok(!all.roles.includes(role), "deleted role still in getAllRoles");
    assert.ok(all.roles.includes(keep));
    assert.deepEqual(await UserRoles.getRolesForUser("public", user), { status: "OK", roles: [keep] });
    assert.deepEqual((await UserRoles.getRolesThatHavePermission(perm)).roles, [keep]);
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "UNKNOWN_ROLE_ERROR" });

    // Re-creating the name starts from scratch.
    assert.deepEqual(await UserRoles.createNewRoleOrAddPermissions(role, []), { status: "OK", createdNewRole: true });
    assert.deepEqual(await UserRoles.getPermissionsForRole(role), { status: "OK", permissions: [] });
    assert.deepEqual(await UserRoles.getUsersThatHaveRole("public", role), { status: "OK", users: [] });
});

test("unknown roles: UNKNOWN_ROLE_ERROR where the SDK declares it", async () => {
    const ghost = name("ghost");
    const user = `user-${u.tag()}`;
    assert.deepEqual(await UserRoles.getPermissionsForRole(ghost), { status: "UNKNOWN_ROLE_ERROR" });
    assert.deepEqual(await UserRoles.removePermissionsFromRole(ghost, ["x"]), { status: "UNKNOWN_ROLE_ERROR" });
    assert.deepEqual(await UserRoles.addRoleToUser("public", user, ghost), { status: "UNKNOWN_ROLE_ERROR" });
    assert.deepEqual(await UserRoles.removeUserRole("public", user, ghost), { status: "UNKNOWN_ROLE_ERROR" });
    assert.deepEqual(await UserRoles.getUsersThatHaveRole("public", ghost), { status: "UNKNOWN_ROLE_ERROR" });
    assert.deepEqual(await UserRoles.deleteRole(ghost), { status: "OK", didRoleExist: false });
    // Nothing was created on the way.
    assert.ok(!(await UserRoles.getAllRoles()).roles.includes(ghost));
    assert.deepEqual(await UserRoles.getRolesForUser("public", user), { status: "OK", roles: [] });
});

test("roles of a real user follow its user id", async () => {
    const role = name("real");
    const { user } = await u.signUpOk(u.uniqueEmail("roles"));
    await UserRoles.createNewRoleOrAddPermissions(role, []);
    assert.deepEqual(await UserRoles.addRoleToUser("public", user.id, role), { status: "OK", didUserAlreadyHaveRole: false });
    assert.deepEqual(await UserRoles.getRolesForUser("public", user.id), { status: "OK", roles: [role] });
});
