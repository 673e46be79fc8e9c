//! The recipes: one module each, holding its routes, logic and queries.

mod core;

use crate::http::Routes;

/// Every endpoint of every recipe. A new recipe is one module and one line here.
pub fn register(routes: &mut Routes) {
    core::register(routes);
}
