//! Clients that send slowly or hold connections open must not take the server down.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::cli::start_with_file_limit;

/// A connection that sent its head and one byte of a ten-byte body, then nothing.
fn slow_body(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream
        .write_all(b"PUT /recipe/user/metadata HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{")
        .unwrap();
    stream
}

fn hello_answers(address: &str) -> bool {
    std::process::Command::new("curl")
        .args(["-s", "--max-time", "3", &format!("{address}/hello")])
        .output()
        .is_ok_and(|output| output.stdout.starts_with(b"Hello"))
}

/// More slow clients than the usual soft limit of open files leaves room for: gatehouse
/// raises its limit at start, so /hello still answers; and each slow body is cut off with a
/// 408 after the body timeout.
#[test]
fn slow_bodies_neither_exhaust_descriptors_nor_stay_forever() {
    let server = start_with_file_limit(256);
    let held: Vec<TcpStream> = (0..400).map(|_| slow_body(&server.address)).collect();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        hello_answers(&server.address),
        "/hello with 400 slow clients held"
    );

    let mut first = held.into_iter().next().unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    first.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408")
            && answer.ends_with("Request body not received in time\n"),
        "{answer:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "closed by the body timeout"
    );
    assert!(hello_answers(&server.address));
}
