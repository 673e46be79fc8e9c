//! Passwordless: signing in with a code sent by email or SMS, typed in or followed as a magic
//! link. The SDK sends the code; the core makes and checks it, keeping one user per email and
//! per phone number in each tenant. Codes live on a device (the browser that asked for them)
//! and only their hashes are stored.

mod codes;
mod store;

use actix_web::http::Method;
use serde_json::{json, Value};

use self::codes::{DeviceId, EncodingError, LinkCode, Salt};
use self::store::{Attempt, Checked, Contact, Device, DeviceFilter, NewCode, Offered};
use super::core::user::{
    create_login_method, find_user, lookup_answer, normalise_email, normalise_phone_number,
    touch_last_active, AccountInfo, NewLoginMethod, User, PASSWORDLESS,
};
use super::multitenancy::{ensure_recipe_allowed, LoginRecipe};
use super::useridmapping;
use crate::db::{is_unique_violation, now_millis, Db};
use crate::error::ApiError;
use crate::http::{self, HandlerResult, JsonInput, Request, Routes, Scope, TenantId, Update};
use crate::recipes::core::primary_accounts::{self, AccountConflict, AccountKind};
use crate::{
    in_refusable_write_transaction, reserve_primary_accounts, update_login_method_account,
    with_pool,
};

/// Upstream's answer when a tenant's first factors leave Passwordless out (before CDI 5.1).
const NOT_ENABLED: &str = "Passwordless login not enabled for tenant";
/// Attempts at a fresh device id, code id or link code before giving up; a clash of 256-bit
/// random values never happens in practice.
const MAX_GENERATION_ATTEMPTS: usize = 5;

pub fn register(routes: &mut Routes) {
    routes.post("/recipe/signinup/code", Scope::Tenant, create_code);
    routes.post("/recipe/signinup/code/consume", Scope::Tenant, |r| {
        check_code(r, Use::Consume)
    });
    routes.post("/recipe/signinup/code/check", Scope::Tenant, |r| {
        check_code(r, Use::Check)
    });
    routes.post("/recipe/signinup/code/remove", Scope::Tenant, remove_code);
    routes.post("/recipe/signinup/codes/remove", Scope::Tenant, remove_codes);
    routes.get("/recipe/signinup/codes", Scope::Tenant, list_codes);
    routes.for_recipe(
        Method::GET,
        PASSWORDLESS,
        "/recipe/user",
        Scope::Tenant,
        get_user,
    );
    routes.for_recipe(
        Method::PUT,
        PASSWORDLESS,
        "/recipe/user",
        Scope::App,
        update_user,
    );
    routes.on_cleanup(
        "DELETE FROM passwordless_devices WHERE (app_id, tenant_id, device_id_hash) IN \
         (SELECT app_id, tenant_id, device_id_hash FROM passwordless_codes \
          GROUP BY app_id, tenant_id, device_id_hash HAVING MAX(expires_at) < $1)",
    );
}

fn encoding_error(field: &str) -> impl FnOnce(EncodingError) -> ApiError + '_ {
    move |_| ApiError::bad_request(format!("Input encoding error in {field}"))
}

fn restart_flow() -> HandlerResult {
    http::json(&json!({ "status": "RESTART_FLOW_ERROR" }))
}

/// The optional `email` and `phoneNumber` of a body, normalised.
fn contacts(input: &JsonInput) -> Result<(Option<Contact>, Option<Contact>), ApiError> {
    let email = input.opt_str("email")?;
    let phone_number = input.opt_str("phoneNumber")?;
    Ok((
        email.map(|email| Contact::Email(normalise_email(&email))),
        phone_number.map(|phone| Contact::PhoneNumber(normalise_phone_number(&phone))),
    ))
}

/// A new code for a new device (`email` or `phoneNumber`), or another code for a device
/// (`deviceId`: a resend). The user input code is the caller's or six random digits.
async fn create_code(request: Request) -> HandlerResult {
    let input = request.json()?;
    let (email, phone_number) = contacts(&input)?;
    let device_id = input.opt_str("deviceId")?;
    let given = [email.is_some(), phone_number.is_some(), device_id.is_some()];
    if given.iter().filter(|&&given| given).count() != 1 {
        return Err(ApiError::bad_request(
            "Please provide exactly one of email, phoneNumber or deviceId",
        ));
    }
    let user_input_code = input.opt_str("userInputCode")?;
    if user_input_code.as_deref() == Some("") {
        return Err(ApiError::bad_request(
            "userInputCode cannot be an empty string.",
        ));
    }
    ensure_recipe_allowed(&request, LoginRecipe::Passwordless, NOT_ENABLED).await?;
    let lifetime = request.settings.passwordless_code_lifetime;
    let db = &request.state.db;
    let tenant = &request.tenant;
    // A new device for an email or a phone number, or the device of `deviceId`.
    let existing = match &device_id {
        Some(device_id) => {
            let device = DeviceId::decode(device_id).map_err(encoding_error("deviceId"))?;
            let salt = store::device_salt(db, tenant, &device.hash())
                .await?
                .and_then(|salt| Salt::decode(&salt));
            match salt {
                Some(salt) => Some((device, salt)),
                None => return restart_flow(),
            }
        }
        None => None,
    };
    let mut attempts = 0;
    let (device, user_input_code, link_code, code_id, created_at) = loop {
        attempts += 1;
        let (device, salt) = match &existing {
            Some((device, salt)) => (device.clone(), salt.clone()),
            None => (DeviceId::generate(), Salt::generate()),
        };
        let user_input_code = user_input_code
            .clone()
            .unwrap_or_else(codes::random_user_input_code);
        let link_code = device.link_code(&salt, &user_input_code);
        let code_id = uuid::Uuid::new_v4().to_string();
        let created_at = now_millis();
        let code = NewCode {
            code_id: &code_id,
            link_code_hash: &link_code.hash(),
            created_at,
            expires_at: created_at.saturating_add(lifetime),
        };
        let stored = match email.as_ref().or(phone_number.as_ref()) {
            Some(contact) => {
                let salt = salt.encode();
                store::create_device(db, tenant, &device.hash(), contact, &salt, &code).await
            }
            None => match store::add_code(db, tenant, &device.hash(), &code).await {
                // The device has a code with the caller's user input code already.
                Err(error) if is_unique_violation(&error) && input.has("userInputCode") => {
                    return http::json(&json!({ "status": "USER_INPUT_CODE_ALREADY_USED_ERROR" }));
                }
                // The device was consumed or removed meanwhile.
                Err(sqlx::Error::Database(error))
                    if error.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
                {
                    return restart_flow();
                }
                stored => stored,
            },
        };
        match stored {
            Ok(()) => break (device, user_input_code, link_code, code_id, created_at),
            // A clash of random values (device id, code): another try.
            Err(error) if is_unique_violation(&error) && attempts < MAX_GENERATION_ATTEMPTS => {}
            Err(error) => return Err(error.into()),
        }
    };
    http::json(&json!({
        "status": "OK",
        "preAuthSessionId": device.hash(),
        "codeId": code_id,
        "deviceId": device.encode(),
        "userInputCode": user_input_code,
        "linkCode": link_code.encode(),
        "timeCreated": created_at,
        "codeLifetime": lifetime,
    }))
}

/// What a checked code is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Sign the user in (or up), using the code and every device of its email or phone.
    Consume,
    /// Only say whether the code is right (failed attempts still count).
    Check,
}

/// Upstream's text when a consume names neither or both ways of giving a code.
const ONE_WAY: &str = "Please provide exactly one of linkCode or deviceId+userInputCode";

async fn check_code(request: Request, purpose: Use) -> HandlerResult {
    let input = request.json()?;
    let pre_auth_session_id = input.str("preAuthSessionId")?;
    let by_link = input.has("linkCode");
    if by_link && (input.has("userInputCode") || input.has("deviceId")) {
        return Err(ApiError::bad_request(ONE_WAY));
    }
    let link_code = match by_link {
        true => Some(input.str("linkCode")?),
        false if input.has("userInputCode") && input.has("deviceId") => None,
        false => return Err(ApiError::bad_request(ONE_WAY)),
    };
    let typed = match link_code {
        Some(_) => None,
        None => Some((input.str("deviceId")?, input.str("userInputCode")?)),
    };
    ensure_recipe_allowed(&request, LoginRecipe::Passwordless, NOT_ENABLED).await?;
    let db = &request.state.db;
    let tenant = &request.tenant;
    let now = now_millis();
    // Both ways come down to a device and the hash of a link code on it.
    let (device_id_hash, link_code_hash, offered) = match (link_code, typed) {
        (Some(link_code), _) => {
            let hash = LinkCode::decode(&link_code)
                .map_err(encoding_error("linkCode"))?
                .hash();
            let Some(device_id_hash) = store::device_of_link_code(db, tenant, &hash, now).await?
            else {
                return restart_flow();
            };
            (device_id_hash, hash, Offered::LinkCode)
        }
        (None, Some((device_id, user_input_code))) => {
            let device = DeviceId::decode(&device_id).map_err(encoding_error("deviceId"))?;
            let salt = store::device_salt(db, tenant, &device.hash())
                .await?
                .and_then(|salt| Salt::decode(&salt));
            let Some(salt) = salt else {
                return restart_flow();
            };
            let hash = device.link_code(&salt, &user_input_code).hash();
            (device.hash(), hash, Offered::UserInputCode)
        }
        (None, None) => unreachable!("one way is given"),
    };
    if device_id_hash != codes::unpadded(&pre_auth_session_id) {
        return Err(ApiError::bad_request(
            "preAuthSessionId and deviceId doesn't match",
        ));
    }
    let max = request.settings.passwordless_max_code_input_attempts;
    let attempt = Attempt {
        device_id_hash: &device_id_hash,
        link_code_hash: &link_code_hash,
        offered,
        consume: purpose == Use::Consume,
    };
    let checked = store::check(db, tenant, &attempt, max, now).await?;
    let device = match checked {
        Checked::Accepted(device) => device,
        Checked::Restart => return restart_flow(),
        Checked::Incorrect { failed_attempts } => {
            return http::json(&json!({
                "status": "INCORRECT_USER_INPUT_CODE_ERROR",
                "failedCodeInputAttemptCount": failed_attempts,
                "maximumCodeInputAttempts": max,
            }))
        }
        Checked::Expired { failed_attempts } => {
            return http::json(&json!({
                "status": "EXPIRED_USER_INPUT_CODE_ERROR",
                "failedCodeInputAttemptCount": failed_attempts,
                "maximumCodeInputAttempts": max,
            }))
        }
    };
    match purpose {
        Use::Check => {
            http::json(&json!({ "status": "OK", "consumedDevice": consumed_json(&device) }))
        }
        Use::Consume => sign_in_up(&request, &device).await,
    }
}

fn consumed_json(device: &Device) -> Value {
    let mut value = json!({
        "preAuthSessionId": device.pre_auth_session_id,
        "failedCodeInputAttemptCount": device.failed_attempts,
    });
    match &device.contact {
        Some(Contact::Email(email)) => value["email"] = json!(email),
        Some(Contact::PhoneNumber(phone_number)) => value["phoneNumber"] = json!(phone_number),
        None => {}
    }
    value
}

/// Signs in the tenant's passwordless user of the consumed device's email or phone number,
/// creating it the first time. From CDI 4.0 the email is then verified (the user proved they
/// receive mail there).
async fn sign_in_up(request: &Request, device: &Device) -> HandlerResult {
    let Some(contact) = &device.contact else {
        // A damaged device row: it named neither.
        return restart_flow();
    };
    let db = &request.state.db;
    let tenant = &request.tenant;
    let (recipe_user_id, created) = loop {
        if let Some(user_id) = store::login_method_of(db, tenant, contact).await? {
            break (user_id, false);
        }
        // Two devices of one email consumed at once: the loser of the insert signs in to the
        // winner's user on the next turn.
        if let Some(user_id) = create_user(db, tenant, contact).await? {
            break (user_id, true);
        }
    };
    let Some(user) = find_user(db, &tenant.app_id, &recipe_user_id).await? else {
        return Err(anyhow::anyhow!("the signed-in user was deleted meanwhile").into());
    };
    if !created {
        remove_devices_of_other_contact(db, tenant, &user, &recipe_user_id, contact).await?;
    }
    let user = match (contact, request.cdi.has_account_linking()) {
        (Contact::Email(email), true) => {
            mark_verified(db, &tenant.app_id, &recipe_user_id, email).await?;
            find_user(db, &tenant.app_id, &recipe_user_id)
                .await?
                .unwrap_or(user)
        }
        _ => user,
    };
    touch_last_active(db, &tenant.app_id, &user.id).await;
    let mut answer = user.signed_in_json(&recipe_user_id, request.cdi);
    answer["createdNewUser"] = json!(created);
    if request.cdi.passwordless_answers_consumed_device() {
        answer["consumedDevice"] = consumed_json(device);
    }
    http::json(&answer)
}

/// A new passwordless user for `contact` in the tenant; `None` when the tenant has one.
async fn create_user(
    db: &Db,
    tenant: &TenantId,
    contact: &Contact,
) -> Result<Option<String>, ApiError> {
    let user_id = uuid::Uuid::new_v4().to_string();
    let method = NewLoginMethod {
        app_id: &tenant.app_id,
        tenant_id: &tenant.tenant_id,
        user_id: &user_id,
        recipe_id: PASSWORDLESS,
        email: match contact {
            Contact::Email(email) => Some(email),
            Contact::PhoneNumber(_) => None,
        },
        phone_number: match contact {
            Contact::PhoneNumber(phone_number) => Some(phone_number),
            Contact::Email(_) => None,
        },
        third_party: None,
        time_joined: now_millis(),
    };
    Ok(create_login_method(db, &method).await?.then_some(user_id))
}

/// A user with both an email and a phone number who signed in with one of them has no more
/// use for sign-ins in progress with the other.
async fn remove_devices_of_other_contact(
    db: &Db,
    tenant: &TenantId,
    user: &User,
    recipe_user_id: &str,
    used: &Contact,
) -> Result<(), ApiError> {
    let Some(method) = user
        .login_methods
        .iter()
        .find(|method| method.recipe_user_id == recipe_user_id)
    else {
        return Ok(());
    };
    let other = match used {
        Contact::Email(_) => method.phone_number.clone().map(Contact::PhoneNumber),
        Contact::PhoneNumber(_) => method.email.clone().map(Contact::Email),
    };
    match other {
        Some(other) => store::remove_devices(db, tenant, &other).await,
        None => Ok(()),
    }
}

/// Records `email` as verified for the login method, under the id the application knows it by.
async fn mark_verified(
    db: &Db,
    app_id: &str,
    recipe_user_id: &str,
    email: &str,
) -> Result<(), ApiError> {
    let shown_id = useridmapping::shown_id(db, app_id, recipe_user_id).await?;
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO emailverification_verified_emails (app_id, user_id, email) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(app_id)
        .bind(&shown_id)
        .bind(email)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Removes one code (by `codeId`), or from CDI 5.0 alternatively a whole device (by
/// `preAuthSessionId`).
async fn remove_code(request: Request) -> HandlerResult {
    let input = request.json()?;
    let db = &request.state.db;
    if !request.cdi.passwordless_removes_codes_by_device() {
        let code_id = input.str("codeId")?;
        store::remove_code(db, &request.tenant, &code_id).await?;
        return http::ok();
    }
    match (input.opt_str("codeId")?, input.opt_str("preAuthSessionId")?) {
        (Some(code_id), None) => store::remove_code(db, &request.tenant, &code_id).await?,
        (None, Some(device_id_hash)) => {
            store::remove_device(db, &request.tenant, &device_id_hash).await?
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "Please provide either 'codeId' or 'preAuthSessionId'",
            ))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "Please provide only one of 'codeId' or 'preAuthSessionId'",
            ))
        }
    }
    http::ok()
}

/// Removes every device (sign-in in progress) of an email or a phone number in the tenant.
async fn remove_codes(request: Request) -> HandlerResult {
    let contact = match contacts(&request.json()?)? {
        (Some(contact), None) | (None, Some(contact)) => contact,
        _ => {
            return Err(ApiError::bad_request(
                "Please provide exactly one of email or phoneNumber",
            ))
        }
    };
    store::remove_devices(&request.state.db, &request.tenant, &contact).await?;
    http::ok()
}

/// The tenant's devices of an email, a phone number, a device id or a pre-auth session id,
/// with their codes (expired ones included, until the clean-up removes them).
async fn list_codes(request: Request) -> HandlerResult {
    let email = request.query_opt("email")?;
    let phone_number = request.query_opt("phoneNumber")?;
    let device_id = request.query_opt("deviceId")?;
    let pre_auth_session_id = request.query_opt("preAuthSessionId")?;
    let filter =
        match (email, phone_number, device_id, pre_auth_session_id) {
            (Some(email), None, None, None) => {
                DeviceFilter::Contact(Contact::Email(normalise_email(&email)))
            }
            (None, Some(phone), None, None) => {
                DeviceFilter::Contact(Contact::PhoneNumber(normalise_phone_number(&phone)))
            }
            (None, None, Some(device_id), None) => DeviceFilter::PreAuthSessionId(
                DeviceId::decode(&device_id)
                    .map_err(encoding_error("deviceId"))?
                    .hash(),
            ),
            (None, None, None, Some(id)) => DeviceFilter::PreAuthSessionId(id),
            _ => return Err(ApiError::bad_request(
                "Please provide exactly one of email, phoneNumber, deviceId or preAuthSessionId",
            )),
        };
    let devices: Vec<Value> = store::devices(&request.state.db, &request.tenant, &filter)
        .await?
        .into_iter()
        .map(|listed| {
            let codes: Vec<Value> = listed
                .codes
                .iter()
                .map(|(code_id, created_at, expires_at)| {
                    json!({ "codeId": code_id, "timeCreated": created_at, "codeLifetime": expires_at - created_at })
                })
                .collect();
            let mut value = consumed_json(&listed.device);
            value["codes"] = json!(codes);
            value
        })
        .collect();
    http::json(&json!({ "status": "OK", "devices": devices }))
}

/// The deprecated look-up (rid `passwordless`): by user id (app-wide; only that login
/// method), or by email or phone number (in the tenant).
async fn get_user(request: Request) -> HandlerResult {
    let user_id = request.query_opt("userId")?;
    let email = request.query_opt("email")?;
    let phone_number = request.query_opt("phoneNumber")?;
    let db = &request.state.db;
    let app_id = &request.tenant.app_id;
    let (user, unknown) = match (user_id, email, phone_number) {
        (Some(user_id), None, None) => {
            request.ensure_app_wide()?;
            let user = find_user(db, app_id, &user_id)
                .await?
                .and_then(|user| user.only_login_method(&user_id, PASSWORDLESS));
            (user, "UNKNOWN_USER_ID_ERROR")
        }
        (None, Some(email), None) => {
            let contact = Contact::Email(normalise_email(&email));
            (user_of(&request, &contact).await?, "UNKNOWN_EMAIL_ERROR")
        }
        (None, None, Some(phone_number)) => {
            let contact = Contact::PhoneNumber(normalise_phone_number(&phone_number));
            (
                user_of(&request, &contact).await?,
                "UNKNOWN_PHONE_NUMBER_ERROR",
            )
        }
        _ => {
            return Err(ApiError::bad_request(
                "Please provide exactly one of userId, email or phoneNumber",
            ))
        }
    };
    http::json(&lookup_answer(user, unknown, request.cdi))
}

/// The user whose passwordless login method in the request's tenant has `contact`.
async fn user_of(request: &Request, contact: &Contact) -> Result<Option<User>, ApiError> {
    let db = &request.state.db;
    match store::login_method_of(db, &request.tenant, contact).await? {
        Some(user_id) => find_user(db, &request.tenant.app_id, &user_id).await,
        None => Ok(None),
    }
}

/// Upstream's answer when a linked user's new email or phone number is another primary
/// user's.
fn change_not_allowed(kind: AccountKind) -> Value {
    match kind {
        AccountKind::PhoneNumber => json!({
            "status": "PHONE_NUMBER_CHANGE_NOT_ALLOWED_ERROR",
            "reason": "New phone number is associated with another primary user ID",
        }),
        _ => json!({
            "status": "EMAIL_CHANGE_NOT_ALLOWED_ERROR",
            "reason": "New email is associated with another primary user ID",
        }),
    }
}

/// Changes or removes the email and the phone number of a passwordless login method
/// (`null` removes; one of them must remain), atomically. Sign-ins in progress for the old
/// and the new values are dropped.
async fn update_user(request: Request) -> HandlerResult {
    let input = request.json()?;
    let recipe_user_id = match request.cdi.has_account_linking() {
        true => input.str("recipeUserId")?,
        false => input.str("userId")?,
    };
    let email = input
        .str_update("email")?
        .map(|email| normalise_email(&email));
    let phone_number = input
        .str_update("phoneNumber")?
        .map(|phone| normalise_phone_number(&phone));
    let state = &request.state;
    let app_id = &request.tenant.app_id;
    let recipe_user_id = useridmapping::resolve(&state.db, app_id, &recipe_user_id).await?;
    let user = find_user(&state.db, app_id, &recipe_user_id).await?;
    let method = user.as_ref().and_then(|user| {
        user.login_methods.iter().find(|method| {
            method.recipe_user_id == recipe_user_id && method.recipe_id == PASSWORDLESS
        })
    });
    let (Some(user), Some(method)) = (&user, method) else {
        return http::json(&json!({ "status": "UNKNOWN_USER_ID_ERROR" }));
    };
    // New values of a linked user must not be another primary user's in its tenants.
    let group = user.is_primary.then_some(user.id.as_str());
    let keeps = |update: &Update<String>, current: &Option<String>| match update {
        Update::Keep => current.is_some(),
        Update::Reset => false,
        Update::Set(_) => true,
    };
    if !keeps(&email, &method.email) && !keeps(&phone_number, &method.phone_number) {
        return Err(ApiError::bad_request(
            "You cannot clear both email and phone number of a user",
        ));
    }
    let new_email = email.new_value(&method.email);
    let new_phone_number = phone_number.new_value(&method.phone_number);
    // Values set come before values cleared, so that a swap never passes through a state
    // with neither (upstream's order); a clash names the field whose update hit it.
    let mut changes: Vec<(AccountInfo, &'static str)> = Vec::new();
    for set in [true, false] {
        if new_email != method.email && new_email.is_some() == set {
            changes.push((
                AccountInfo::Email(new_email.as_deref()),
                "EMAIL_ALREADY_EXISTS_ERROR",
            ));
        }
        if new_phone_number != method.phone_number && new_phone_number.is_some() == set {
            changes.push((
                AccountInfo::PhoneNumber(new_phone_number.as_deref()),
                "PHONE_NUMBER_ALREADY_EXISTS_ERROR",
            ));
        }
    }
    if let Some(group) = group {
        for (kind, value) in [
            (AccountKind::Email, &new_email),
            (AccountKind::PhoneNumber, &new_phone_number),
        ] {
            let Some(value) = value else { continue };
            if primary_accounts::held_by_another(&state.db, app_id, group, kind, value).await? {
                return http::json(&change_not_allowed(kind));
            }
        }
    }
    let mut clash = None;
    let updated: sqlx::Result<Result<(), AccountConflict>> = in_refusable_write_transaction!(&state.db, tx => async {
        for (change, status) in &changes {
            clash = Some(*status);
            update_login_method_account!(tx, app_id, &recipe_user_id, change).await?;
        }
        if let Some(group) = group {
            if let Some(conflict) = reserve_primary_accounts!(tx, app_id, group).await? {
                return Ok(Err(conflict));
            }
        }
        Ok::<_, sqlx::Error>(Ok(()))
    });
    match updated {
        Ok(Ok(())) => {}
        Ok(Err(conflict)) => return http::json(&change_not_allowed(conflict.kind)),
        Err(error) if is_unique_violation(&error) => {
            return http::json(&json!({ "status": clash }));
        }
        Err(error) => return Err(error.into()),
    }
    let mut stale: Vec<Contact> = Vec::new();
    if new_email != method.email {
        stale.extend(
            method
                .email
                .iter()
                .chain(&new_email)
                .cloned()
                .map(Contact::Email),
        );
    }
    if new_phone_number != method.phone_number {
        let numbers = method.phone_number.iter().chain(&new_phone_number);
        stale.extend(numbers.cloned().map(Contact::PhoneNumber));
    }
    for tenant_id in &method.tenant_ids {
        let tenant = TenantId {
            app_id: app_id.clone(),
            tenant_id: tenant_id.clone(),
        };
        for contact in &stale {
            store::remove_devices(&state.db, &tenant, contact).await?;
        }
    }
    http::ok()
}
