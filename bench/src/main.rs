//! The gatehouse benchmark harness: starts a release gatehouse on SQLite or PostgreSQL, seeds
//! users at the database level, measures this machine's floors (HTTP, RSA, password hashing,
//! database round trips) and every scenario in the same run, and reports each scenario as a
//! ratio to the floor that binds it.

mod load;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use load::{Call, Measured, Worker};
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(about = "Benchmarks gatehouse against floors measured in the same run")]
struct Args {
    /// sqlite or postgres
    #[arg(long, default_value = "postgres")]
    backend: String,
    /// PostgreSQL server for the benchmark's own throwaway database
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
    /// Requests in flight at once
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per scenario
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Users seeded before the read scenarios (several values: one run each)
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    users: Vec<u64>,
    /// The gatehouse binary (built with `cargo build --release` when missing)
    #[arg(long, default_value = "target/release/gatehouse")]
    binary: PathBuf,
    /// Where to write the results as JSON
    #[arg(long, default_value = "target/bench-results.json")]
    out: PathBuf,
    /// A few seconds in all, small data: checks that every scenario runs without errors
    #[arg(long)]
    smoke: bool,
    /// Runs only the scenarios whose names contain one of these (comma-separated), e.g. when
    /// profiling one of them
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

const PASSWORD: &str = "bench-password-1";
/// The row of get-user's query run straight on the database.
const QUERY_FLOOR: &str = "db floor: get-user query, no HTTP";
/// gatehouse's default `bcrypt_log_rounds`, for the seeded hashes and the hashing floor.
const BCRYPT_COST: u32 = 11;

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.duration = 0.5;
        args.concurrency = 4;
        args.users = vec![1000];
    }
    if !args.binary.exists() {
        let status = Command::new("cargo")
            .args(["build", "--release", "--bin", "gatehouse"])
            .status()?;
        anyhow::ensure!(status.success(), "could not build gatehouse");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let duration = Duration::from_secs_f64(args.duration);
    let mut report = Vec::new();
    let floors = runtime.block_on(floors::measure(&args))?;
    for &users in &args.users {
        let target = runtime.block_on(Target::start(&args, users))?;
        // The first session of a fresh database waits for its signing key to be generated
        // (once per key period in production); that is not what the scenarios measure.
        let (status, _) = load::send_once(&target.address, &scenarios::create_session(1))?;
        anyhow::ensure!(status == 200, "the warm-up session failed ({status})");
        let cpu_before = Cpu::read(&target);
        let http_floor = load::run(
            &target.address,
            workers(args.concurrency, |_| Box::new(Fixed(Call::get("/hello")))),
            duration,
        );
        let mut hello = row("http floor: GET /hello", users, &http_floor, None, &target);
        let cpu = cpu_before.per_request(&Cpu::read(&target), std::slice::from_ref(&http_floor));
        hello["server_cpu_us_per_request"] = json!(cpu.server);
        // What the database answers for get-user's own query, with gatehouse idle.
        let query_floor =
            runtime.block_on(floors::get_user_query(&args, &target.url, users, duration))?;
        let mut rows = vec![hello, row(QUERY_FLOOR, users, &query_floor, None, &target)];
        let chosen = scenarios::all(users).into_iter().filter(|scenario| {
            args.only.is_empty()
                || args
                    .only
                    .iter()
                    .any(|part| scenario.name.contains(part.as_str()))
        });
        for scenario in chosen {
            let measured = run_scenario(&scenario, &target, &args, duration);
            let floor_of = |floor: Floor| match floor {
                Floor::Http => Some(("http".to_string(), http_floor.rate())),
                Floor::Signing => Some(("rsa sign".to_string(), floors.rsa_signs_per_second)),
                Floor::Hashing => Some(("hash".to_string(), floors.hashes_per_second)),
                Floor::Database => Some(("db".to_string(), floors.db_round_trips_per_second)),
                Floor::Unloaded(name) => rows
                    .iter()
                    .find(|row| row["scenario"] == name)
                    .and_then(|row| row["requests_per_second"].as_f64())
                    .map(|rate| ("unloaded".to_string(), rate)),
            };
            let mut new_rows = vec![row(
                scenario.name,
                users,
                &measured.main,
                floor_of(scenario.floor),
                &target,
            )];
            if scenario.name == scenarios::GET_USER {
                new_rows[0]["ratio_to_query_floor"] =
                    json!(measured.main.rate() / query_floor.rate());
            }
            match (&scenario.background, &measured.background) {
                (Some(background), Some(alongside)) => new_rows.push(row(
                    background.name,
                    users,
                    alongside,
                    floor_of(background.floor),
                    &target,
                )),
                // CPU per request means something only for one kind of request at a time.
                _ => {
                    new_rows[0]["server_cpu_us_per_request"] = json!(measured.cpu.server);
                    new_rows[0]["database_cpu_us_per_request"] = json!(measured.cpu.database);
                }
            }
            rows.append(&mut new_rows);
        }
        let summary = target.finish(&args)?;
        print_table(users, &rows, &floors, &summary);
        report.push(json!({ "users": users, "scenarios": rows, "server": summary }));
    }
    let results = json!({ "backend": args.backend, "concurrency": args.concurrency, "duration_seconds": args.duration, "floors": floors.to_json(), "runs": report });
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)?)?;
    let errors: u64 = report
        .iter()
        .flat_map(|run| run["scenarios"].as_array().cloned().unwrap_or_default())
        .map(|row| row["errors"].as_u64().unwrap_or(0))
        .sum();
    println!(
        "results written to {}; {errors} errors in all",
        args.out.display()
    );
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

/// Which floor bounds a scenario.
#[derive(Debug, Clone, Copy)]
enum Floor {
    Http,
    Signing,
    Hashing,
    Database,
    /// The rate of the named scenario, measured earlier in the same run without other load.
    Unloaded(&'static str),
}

/// What one scenario's run measured: its own load, the load run alongside it, and the CPU
/// both used.
struct ScenarioRun {
    main: Measured,
    background: Option<Measured>,
    cpu: CpuPerRequest,
}

/// Runs `scenario` (with a quarter of the connections on its background load, if any).
fn run_scenario(
    scenario: &scenarios::Scenario,
    target: &Target,
    args: &Args,
    duration: Duration,
) -> ScenarioRun {
    let background_share = scenario
        .background
        .as_ref()
        .map_or(0, |_| (args.concurrency / 4).max(1));
    let mut groups = vec![(scenario.workers)(args.concurrency - background_share)];
    if let Some(background) = &scenario.background {
        groups.push((background.workers)(background_share));
    }
    let cpu_before = Cpu::read(target);
    let mut measured = load::run_groups(&target.address, groups, duration);
    let cpu = cpu_before.per_request(&Cpu::read(target), &measured);
    let background = (measured.len() > 1).then(|| measured.remove(1));
    ScenarioRun {
        main: measured.remove(0),
        background,
        cpu,
    }
}

fn row(
    name: &str,
    users: u64,
    measured: &Measured,
    floor: Option<(String, f64)>,
    target: &Target,
) -> Value {
    json!({
        "scenario": name,
        "users": users,
        "concurrency": measured.connections,
        "requests_per_second": measured.rate(),
        "p50_ms": measured.percentile(50.0),
        "p99_ms": measured.percentile(99.0),
        "p999_ms": measured.percentile(99.9),
        "errors": measured.errors,
        "ratio_to_floor": floor.as_ref().map(|(_, rate)| measured.rate() / rate),
        "floor": floor.map(|(name, _)| name),
        "peak_rss_kb": target.rss("VmHWM"),
    })
}

fn print_table(users: u64, rows: &[Value], floors: &floors::Floors, summary: &Value) {
    println!("\n{users} users; floors: {}", floors.to_json());
    println!(
        "{:<52} {:>5} {:>9} {:>7} {:>7} {:>7} {:>6} {:>18} {:>14} {:>7} {:>8} {:>8}",
        "scenario",
        "conc",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9",
        "errors",
        "ratio to floor",
        "ratio to query",
        "rss MB",
        "cpu µs/r",
        "db µs/r"
    );
    let micros = |value: &Value| value.as_f64().map_or("-".into(), |us| format!("{us:.0}"));
    for row in rows {
        let ratio = match (&row["floor"], row["ratio_to_floor"].as_f64()) {
            (Value::String(floor), Some(ratio)) => format!("{ratio:.2} × {floor}"),
            _ => String::from("-"),
        };
        println!(
            "{:<52} {:>5} {:>9.0} {:>7.2} {:>7.2} {:>7.2} {:>6} {:>18} {:>14} {:>7.1} {:>8} {:>8}",
            row["scenario"].as_str().unwrap_or_default(),
            row["concurrency"],
            row["requests_per_second"].as_f64().unwrap_or_default(),
            row["p50_ms"].as_f64().unwrap_or_default(),
            row["p99_ms"].as_f64().unwrap_or_default(),
            row["p999_ms"].as_f64().unwrap_or_default(),
            row["errors"],
            ratio,
            row["ratio_to_query_floor"]
                .as_f64()
                .map_or("-".into(), |ratio| format!("{ratio:.2}")),
            row["peak_rss_kb"].as_f64().unwrap_or_default() / 1024.0,
            micros(&row["server_cpu_us_per_request"]),
            micros(&row["database_cpu_us_per_request"]),
        );
    }
    println!("server: {summary}");
}

fn workers(count: usize, make: impl Fn(usize) -> Box<dyn Worker>) -> Vec<Box<dyn Worker>> {
    (0..count).map(make).collect()
}

/// A worker that sends the same call every time.
struct Fixed(Call);

impl Worker for Fixed {
    fn next(&mut self, _: Option<(u16, &str)>) -> Call {
        Call {
            method: self.0.method,
            path: self.0.path.clone(),
            body: self.0.body.clone(),
        }
    }
}

/// A running gatehouse with seeded data.
struct Target {
    child: Child,
    postgres: bool,
    address: String,
    /// The seeded database, for the floors that query it directly.
    url: String,
    startup_ms: f64,
    idle_rss_kb: u64,
    _scratch: tempfile_free::Scratch,
}

mod tempfile_free {
    //! A scratch directory or database removed when the run ends.
    pub enum Scratch {
        Directory(std::path::PathBuf),
        Database { admin: String, name: String },
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            match self {
                Scratch::Directory(path) => {
                    let _ = std::fs::remove_dir_all(path);
                }
                Scratch::Database { admin, name } => {
                    let _ = std::process::Command::new("psql")
                        .args([
                            admin.as_str(),
                            "-qc",
                            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        ])
                        .status();
                }
            }
        }
    }
}

impl Target {
    async fn start(args: &Args, users: u64) -> anyhow::Result<Target> {
        let tag = format!("gatehouse_bench_{}_{}", std::process::id(), users);
        let (env, scratch, url) = match args.backend.as_str() {
            "sqlite" => {
                let dir = std::env::temp_dir().join(&tag);
                std::fs::create_dir_all(&dir)?;
                let path = dir.join("bench.db").display().to_string();
                (
                    vec![("SQLITE_PATH".to_string(), path.clone())],
                    tempfile_free::Scratch::Directory(dir),
                    format!("sqlite://{path}"),
                )
            }
            "postgres" => {
                let status = Command::new("psql")
                    .args([
                        args.postgres.as_str(),
                        "-qc",
                        &format!("CREATE DATABASE {tag}"),
                    ])
                    .status()?;
                anyhow::ensure!(status.success(), "could not create the benchmark database");
                let mut url = url::Url::parse(&args.postgres)?;
                url.set_path(&tag);
                (
                    vec![("POSTGRESQL_CONNECTION_URI".to_string(), url.to_string())],
                    tempfile_free::Scratch::Database {
                        admin: args.postgres.clone(),
                        name: tag.clone(),
                    },
                    url.to_string(),
                )
            }
            other => anyhow::bail!("unknown backend {other}"),
        };
        // The first start migrates; the measured one starts on a migrated database.
        let (child, _, _) = spawn(&args.binary, &env)?;
        stop(child)?;
        let (child, address, startup) = spawn(&args.binary, &env)?;
        let idle_rss_kb = rss_of(child.id(), "VmRSS");
        seed::users(&url, users).await?;
        Ok(Target {
            child,
            postgres: args.backend == "postgres",
            address,
            url,
            startup_ms: startup.as_secs_f64() * 1000.0,
            idle_rss_kb,
            _scratch: scratch,
        })
    }

    fn rss(&self, field: &str) -> u64 {
        rss_of(self.child.id(), field)
    }

    fn finish(self, _: &Args) -> anyhow::Result<Value> {
        let summary = json!({ "startup_ms": self.startup_ms, "idle_rss_kb": self.idle_rss_kb, "peak_rss_kb": self.rss("VmHWM") });
        stop(self.child)?;
        Ok(summary)
    }
}

fn spawn(binary: &PathBuf, env: &[(String, String)]) -> anyhow::Result<(Child, String, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let started = Instant::now();
    let child = Command::new(binary)
        .envs(
            env.iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        )
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("LOG_LEVEL", "ERROR")
        .stdout(Stdio::null())
        .spawn()?;
    let address = format!("127.0.0.1:{port}");
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /hello HTTP/1.0\r\n\r\n")?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            if answer.ends_with("Hello") {
                return Ok((child, address, started.elapsed()));
            }
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "gatehouse did not start"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn stop(mut child: Child) -> anyhow::Result<()> {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    child.wait()?;
    Ok(())
}

/// CPU time used so far by gatehouse and by PostgreSQL's processes, in clock ticks (what
/// /proc says; zeros where there is no /proc).
struct Cpu {
    server: u64,
    database: u64,
}

/// CPU microseconds per answered request, on each side of the database connection.
struct CpuPerRequest {
    server: Option<f64>,
    database: Option<f64>,
}

impl Cpu {
    fn read(target: &Target) -> Cpu {
        let mut database = 0;
        if target.postgres {
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Some((name, ticks)) = process_ticks(&entry.path()) {
                    if name == "postgres" {
                        database += ticks;
                    }
                }
            }
        }
        let server = process_ticks(std::path::Path::new(&format!(
            "/proc/{}",
            target.child.id()
        )))
        .map_or(0, |(_, ticks)| ticks);
        Cpu { server, database }
    }

    fn per_request(&self, after: &Cpu, measured: &[load::Measured]) -> CpuPerRequest {
        let requests: u64 = measured.iter().map(|group| group.requests).sum();
        let micros = |before: u64, after: u64| {
            (requests > 0 && after > before)
                .then(|| (after - before) as f64 * 1e6 / *CLOCK_TICKS as f64 / requests as f64)
        };
        CpuPerRequest {
            server: micros(self.server, after.server),
            database: micros(self.database, after.database),
        }
    }
}

/// Clock ticks per second of /proc's CPU times.
static CLOCK_TICKS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
});

/// The command name and user + system CPU ticks of the process at `/proc/<pid>`.
fn process_ticks(process: &std::path::Path) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(process.join("stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_string();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((name, user + system))
}

/// A memory figure of a process from /proc, in KiB (0 where /proc is not there).
fn rss_of(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

mod floors;
mod scenarios;
mod seed;
