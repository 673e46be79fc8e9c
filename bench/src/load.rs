//! A closed-loop HTTP/1.1 load generator: one keep-alive connection and one OS thread per
//! unit of concurrency, each sending its next request as soon as the answer arrives.
//! Threads and plain sockets keep the generator's own cost small and predictable.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request to send.
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: "GET",
            path: path.into(),
            body: None,
        }
    }

    pub fn post(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self {
            method: "POST",
            path: path.into(),
            body: Some(body.to_string()),
        }
    }

    pub fn put(path: impl Into<String>, body: serde_json::Value) -> Self {
        Self {
            method: "PUT",
            path: path.into(),
            body: Some(body.to_string()),
        }
    }
}

/// What a worker does: the next call, given the answer to its previous one (status and
/// body), so that scenarios like refresh can chain tokens.
pub trait Worker: Send {
    fn next(&mut self, previous: Option<(u16, &str)>) -> Call;
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Connections (one worker each) that made the load.
    pub connections: usize,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Microseconds, sorted.
    latencies: Vec<u32>,
}

impl Measured {
    /// A measurement made without HTTP (a floor), from each connection's latencies.
    pub fn new(per_connection: Vec<Vec<u32>>, errors: u64, seconds: f64) -> Self {
        let connections = per_connection.len();
        let mut latencies: Vec<u32> = per_connection.into_iter().flatten().collect();
        latencies.sort_unstable();
        Self {
            connections,
            requests: latencies.len() as u64,
            errors,
            seconds,
            latencies,
        }
    }

    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// A latency percentile in milliseconds.
    pub fn percentile(&self, percent: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((percent / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        f64::from(self.latencies[index]) / 1000.0
    }
}

/// Runs `workers` against `address` for `duration`; answers other than 200 count as errors.
pub fn run(address: &str, workers: Vec<Box<dyn Worker>>, duration: Duration) -> Measured {
    run_groups(address, vec![workers], duration)
        .pop()
        .expect("one group, one measurement")
}

/// Runs groups of workers at the same time, measuring each group on its own (a load and
/// what it does to another load).
pub fn run_groups(
    address: &str,
    groups: Vec<Vec<Box<dyn Worker>>>,
    duration: Duration,
) -> Vec<Measured> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let groups: Vec<Vec<_>> = groups
        .into_iter()
        .map(|workers| {
            workers
                .into_iter()
                .map(|worker| spawn_worker(address, worker, stop.clone()))
                .collect()
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut measured = Vec::new();
    for threads in groups {
        let connections = threads.len();
        let mut latencies = Vec::new();
        let mut errors = 0;
        for thread in threads {
            let (mut worker_latencies, worker_errors) = thread.join().expect("a load worker");
            latencies.append(&mut worker_latencies);
            errors += worker_errors;
        }
        latencies.sort_unstable();
        measured.push(Measured {
            connections,
            requests: latencies.len() as u64,
            errors,
            seconds: started.elapsed().as_secs_f64(),
            latencies,
        });
    }
    measured
}

type WorkerOutcome = (Vec<u32>, u64);

fn spawn_worker(
    address: &str,
    mut worker: Box<dyn Worker>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<WorkerOutcome> {
    let address = address.to_string();
    std::thread::spawn(move || {
        let mut latencies = Vec::new();
        let mut errors = 0u64;
        let mut connection = Connection::open(&address);
        let mut previous: Option<(u16, String)> = None;
        while !stop.load(Ordering::Relaxed) {
            let call = worker.next(
                previous
                    .as_ref()
                    .map(|(status, body)| (*status, body.as_str())),
            );
            let sent = Instant::now();
            let (status, body) = match connection.send(&call) {
                Ok(answer) => answer,
                Err(_) => {
                    connection = Connection::open(&address);
                    (0, String::new())
                }
            };
            latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            if status != 200 {
                errors += 1;
            }
            previous = Some((status, body));
        }
        (latencies, errors)
    })
}

/// Sends one call on a new connection: status and body.
pub fn send_once(address: &str, call: &Call) -> std::io::Result<(u16, String)> {
    Connection::open(address).send(call)
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    fn open(address: &str) -> Self {
        let stream = TcpStream::connect(address).expect("connect to gatehouse");
        stream.set_nodelay(true).ok();
        Self {
            reader: BufReader::new(stream),
            host: address.to_string(),
        }
    }

    fn send(&mut self, call: &Call) -> std::io::Result<(u16, String)> {
        let body = call.body.as_deref().unwrap_or("");
        let request = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
            call.method,
            call.path,
            self.host,
            body.len(),
            body
        );
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}
