//! What every recipe shares: the core's own endpoints and the user model.

pub mod primary_accounts;
mod status;
pub mod user;
mod users;

use crate::http::Routes;

pub fn register(routes: &mut Routes) {
    status::register(routes);
    users::register(routes);
}
