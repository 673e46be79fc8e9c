//! The scenarios: what each worker sends, and which floor bounds it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::load::{Call, Worker};
use crate::seed::{time_joined, user_id};
use crate::{Fixed, Floor, PASSWORD};

type Workers = Box<dyn Fn(usize) -> Vec<Box<dyn Worker>>>;

pub struct Scenario {
    pub name: &'static str,
    pub floor: Floor,
    pub workers: Workers,
    /// A load run at the same time on a quarter of the connections and reported on its own
    /// row, to see what it does to this one.
    pub background: Option<Background>,
}

pub struct Background {
    pub name: &'static str,
    pub floor: Floor,
    pub workers: Workers,
}

/// A worker that calls `make(worker, iteration)`.
struct Each<F: FnMut(usize, u64) -> Call + Send> {
    worker: usize,
    iteration: u64,
    make: F,
}

impl<F: FnMut(usize, u64) -> Call + Send> Worker for Each<F> {
    fn next(&mut self, _: Option<(u16, &str)>) -> Call {
        self.iteration += 1;
        (self.make)(self.worker, self.iteration)
    }
}

fn each<F>(make: F) -> Workers
where
    F: Fn(usize, u64) -> Call + Send + Clone + 'static,
{
    Box::new(move |count| {
        (0..count)
            .map(|worker| {
                Box::new(Each {
                    worker,
                    iteration: 0,
                    make: make.clone(),
                }) as Box<dyn Worker>
            })
            .collect()
    })
}

/// A spread of seeded users, different for each worker and iteration.
pub fn pick(users: u64, worker: usize, iteration: u64) -> u64 {
    (worker as u64 * 7919 + iteration * 104_729) % users + 1
}

pub fn create_session(user: u64) -> Call {
    Call::post(
        "/recipe/session",
        json!({ "userId": user_id(user), "enableAntiCsrf": false, "userDataInJWT": { "role": "user" }, "userDataInDatabase": {} }),
    )
}

/// Creates a session, then repeats `then` with the tokens of the latest answer.
struct WithSession {
    user: u64,
    tokens: Option<(String, String)>,
    then: fn(&str, &str) -> Call,
}

impl Worker for WithSession {
    fn next(&mut self, previous: Option<(u16, &str)>) -> Call {
        // As the SDKs do: a new refresh token comes with a new access token, and a verify
        // that confirms a refreshed session answers with a new access token alone.
        if let Some((200, body)) = previous {
            if let Ok(answer) = serde_json::from_str::<Value>(body) {
                let token = |kind: &str| answer[kind]["token"].as_str().map(String::from);
                match (
                    token("accessToken"),
                    token("refreshToken"),
                    &mut self.tokens,
                ) {
                    (Some(access), Some(refresh), tokens) => *tokens = Some((access, refresh)),
                    (Some(access), None, Some(tokens)) => tokens.0 = access,
                    _ => {}
                }
            }
        }
        match &self.tokens {
            Some((access, refresh)) => (self.then)(access, refresh),
            None => create_session(self.user),
        }
    }
}

fn with_session(users: u64, then: fn(&str, &str) -> Call) -> Workers {
    Box::new(move |count| {
        (0..count)
            .map(|worker| {
                Box::new(WithSession {
                    user: pick(users, worker, 0),
                    tokens: None,
                    then,
                }) as Box<dyn Worker>
            })
            .collect()
    })
}

fn verify(access: &str, check_database: bool) -> Call {
    Call::post(
        "/recipe/session/verify",
        json!({ "accessToken": access, "doAntiCsrfCheck": false, "enableAntiCsrf": false, "checkDatabase": check_database }),
    )
}

fn refresh(refresh_token: &str) -> Call {
    Call::post(
        "/recipe/session/refresh",
        json!({ "refreshToken": refresh_token, "enableAntiCsrf": false, "useDynamicSigningKey": true }),
    )
}

fn get_user(user: u64) -> Call {
    Call::get(format!("/user/id?userId={}", user_id(user)))
}

fn sign_in(user: u64) -> Call {
    Call::post(
        "/recipe/signin",
        json!({ "email": format!("seed{user}@bench.example"), "password": PASSWORD }),
    )
}

/// The scenario that also gets a ratio to its query run straight on the database.
pub const GET_USER: &str = "get user by id";

pub fn all(users: u64) -> Vec<Scenario> {
    let middle = users / 2;
    let deep_token = STANDARD.encode(format!("{};{}", user_id(middle), time_joined(middle)));
    let run = std::process::id();
    vec![
        Scenario {
            name: "sign-up",
            floor: Floor::Hashing,
            background: None,
            workers: each(move |worker, i| {
                Call::post(
                    "/recipe/signup",
                    json!({ "email": format!("new-{run}-{worker}-{i}@bench.example"), "password": PASSWORD }),
                )
            }),
        },
        Scenario {
            name: "sign-in",
            floor: Floor::Hashing,
            background: None,
            workers: each(move |worker, i| sign_in(pick(users, worker, i))),
        },
        Scenario {
            name: "session create",
            floor: Floor::Signing,
            background: None,
            workers: each(move |worker, i| create_session(pick(users, worker, i))),
        },
        Scenario {
            name: "session verify (no database)",
            floor: Floor::Http,
            background: None,
            workers: with_session(users, |access, _| verify(access, false)),
        },
        Scenario {
            name: "session verify (database)",
            floor: Floor::Database,
            background: None,
            workers: with_session(users, |access, _| verify(access, true)),
        },
        Scenario {
            name: "session refresh",
            floor: Floor::Signing,
            background: None,
            workers: with_session(users, |_, refresh_token| refresh(refresh_token)),
        },
        Scenario {
            name: GET_USER,
            floor: Floor::Http,
            background: None,
            workers: each(move |worker, i| get_user(pick(users, worker, i))),
        },
        Scenario {
            name: "users list, first page",
            floor: Floor::Database,
            background: None,
            workers: Box::new(|count| {
                (0..count)
                    .map(|_| Box::new(Fixed(Call::get("/users?limit=20"))) as Box<dyn Worker>)
                    .collect()
            }),
        },
        Scenario {
            name: "users list, a page deep in the list",
            floor: Floor::Database,
            background: None,
            workers: {
                let path = format!(
                    "/users?limit=20&paginationToken={}",
                    deep_token
                        .replace('=', "%3D")
                        .replace('+', "%2B")
                        .replace('/', "%2F")
                );
                Box::new(move |count| {
                    (0..count)
                        .map(|_| Box::new(Fixed(Call::get(path.clone()))) as Box<dyn Worker>)
                        .collect()
                })
            },
        },
        Scenario {
            name: "users count",
            floor: Floor::Database,
            background: None,
            workers: Box::new(|count| {
                (0..count)
                    .map(|_| Box::new(Fixed(Call::get("/users/count"))) as Box<dyn Worker>)
                    .collect()
            }),
        },
        Scenario {
            name: "search by email",
            floor: Floor::Database,
            background: None,
            workers: each(move |worker, i| {
                Call::get(format!("/users?email=seed{}", pick(users, worker, i)))
            }),
        },
        Scenario {
            name: "user metadata read",
            floor: Floor::Database,
            background: None,
            workers: each(move |worker, i| {
                Call::get(format!(
                    "/recipe/user/metadata?userId={}",
                    user_id(pick(users, worker, i))
                ))
            }),
        },
        Scenario {
            name: "user metadata update",
            floor: Floor::Database,
            background: None,
            workers: each(move |worker, i| {
                Call::put(
                    "/recipe/user/metadata",
                    json!({ "userId": user_id(pick(users, worker, i)), "metadataUpdate": { "visits": i } }),
                )
            }),
        },
        Scenario {
            name: "dashboard sign-in",
            floor: Floor::Hashing,
            background: None,
            workers: each(|_, _| {
                Call::post(
                    "/recipe/dashboard/signin",
                    json!({ "email": "bench-admin@bench.example", "password": PASSWORD }),
                )
            }),
        },
        Scenario {
            name: "session verify (no database), sign-ins alongside",
            floor: Floor::Unloaded("session verify (no database)"),
            background: Some(signing_in(users, "  sign-ins alongside verify")),
            workers: with_session(users, |access, _| verify(access, false)),
        },
        Scenario {
            name: "get user by id, sign-ins alongside",
            floor: Floor::Unloaded(GET_USER),
            background: Some(signing_in(users, "  sign-ins alongside get user")),
            workers: each(move |worker, i| get_user(pick(users, worker, i))),
        },
        Scenario {
            name: "mixed: verify, refresh, get user; sign-ins alongside",
            floor: Floor::Http,
            background: Some(signing_in(users, "  sign-ins alongside the mixed load")),
            workers: Box::new(move |count| {
                (0..count)
                    .map(|worker| {
                        Box::new(Mixed {
                            users,
                            worker,
                            iteration: 0,
                            session: WithSession {
                                user: pick(users, worker, 0),
                                tokens: None,
                                then: |access, _| verify(access, false),
                            },
                        }) as Box<dyn Worker>
                    })
                    .collect()
            }),
        },
    ]
}

/// Sign-ins enough to keep every password hashing slot busy, reported as `name`.
fn signing_in(users: u64, name: &'static str) -> Background {
    Background {
        name,
        floor: Floor::Hashing,
        workers: each(move |worker, i| sign_in(pick(users, worker + 1000, i))),
    }
}

/// What an application's requests look like to its auth core: 16 verifies, 2 refreshes and
/// 1 user look-up in every 19 calls (sign-ins run alongside, on their own connections, as
/// they come from other users).
struct Mixed {
    users: u64,
    worker: usize,
    iteration: u64,
    session: WithSession,
}

impl Worker for Mixed {
    fn next(&mut self, previous: Option<(u16, &str)>) -> Call {
        self.iteration += 1;
        let call = self.session.next(previous);
        if self.session.tokens.is_none() {
            return call;
        }
        let (_, refresh_token) = self.session.tokens.as_ref().expect("tokens");
        match self.iteration % 19 {
            0 | 9 => refresh(refresh_token),
            5 => get_user(pick(self.users, self.worker, self.iteration)),
            _ => call,
        }
    }
}
