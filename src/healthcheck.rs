//! `gatehouse healthcheck`: asks a running gatehouse's `/hello` whether it is healthy.
//!
//! A hand-written HTTP/1.0 request over a plain socket, so that a container image needs
//! neither a shell nor an HTTP client to run it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::config::Settings;

/// Well under Docker's default health check timeout (30 s), so the answer is ours.
const TIMEOUT: Duration = Duration::from_secs(3);

/// `Ok` with a line to print when `/hello` answers 200, `Err` with why not otherwise.
pub fn check(settings: &Settings) -> Result<String, String> {
    if settings.port == 0 {
        return Err("port is 0 (a free port picked at start-up); set the port to check".into());
    }
    // A wildcard address is where the server listens, not one to connect to.
    let host = match settings.host.as_str() {
        "0.0.0.0" | "::" => "127.0.0.1",
        host => host,
    };
    let path = format!("{}/hello", settings.base_path);
    let deadline = Instant::now() + TIMEOUT;
    let addresses: Vec<SocketAddr> = (host, settings.port)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve {host}: {error}"))?
        .collect();
    let mut failure = format!("no address found for {host}");
    for address in addresses {
        match ask(address, host, &path, deadline) {
            Ok(200) => return Ok(format!("healthy: GET http://{address}{path} answered 200")),
            Ok(status) => {
                return Err(format!(
                    "unhealthy: GET http://{address}{path} answered {status}"
                ))
            }
            Err(error) => failure = format!("GET http://{address}{path} failed: {error}"),
        }
    }
    Err(failure)
}

/// Sends the request to one address and returns the response's status code.
fn ask(address: SocketAddr, host: &str, path: &str, deadline: Instant) -> std::io::Result<u16> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))
    };
    let mut stream = TcpStream::connect_timeout(&address, left()?)?;
    stream.set_write_timeout(Some(left()?))?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())?;
    // The status line is all we need: read until its end, the end of the answer or the deadline.
    let mut answer = Vec::new();
    let mut buffer = [0; 256];
    while !answer.contains(&b'\n') {
        stream.set_read_timeout(Some(left()?))?;
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    // "HTTP/1.1 200 OK"
    let answer = String::from_utf8_lossy(&answer);
    let mut words = answer.split_whitespace();
    match (words.next(), words.next()) {
        (Some(version), Some(status)) if version.starts_with("HTTP/") => status.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer"))
}
