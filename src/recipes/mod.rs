//! The recipes: one module each, holding its routes, logic and queries.

mod accountlinking;
pub mod core;
pub mod dashboard;
mod emailpassword;
mod emailverification;
mod jwt;
pub mod multitenancy;
mod passwordless;
pub mod session;
mod thirdparty;
pub mod totp;
mod useridmapping;
mod usermetadata;
mod userroles;

use crate::http::Routes;

/// Every endpoint of every recipe. A new recipe is one module and one line here.
pub fn register(routes: &mut Routes) {
    accountlinking::register(routes);
    core::register(routes);
    dashboard::register(routes);
    emailpassword::register(routes);
    emailverification::register(routes);
    jwt::register(routes);
    multitenancy::register(routes);
    passwordless::register(routes);
    session::register(routes);
    thirdparty::register(routes);
    totp::register(routes);
    useridmapping::register(routes);
    usermetadata::register(routes);
    userroles::register(routes);
}
