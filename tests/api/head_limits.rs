//! Requests whose heads are too big are answered with a short text body before the HTTP
//! parser buffers them, and are logged as the client's mistake, not as server errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::cli::start;

/// Sends `request` as it is and reads until the server closes or goes quiet.
fn exchange(address: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may answer and close before it has read everything sent.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn oversized_heads_get_a_text_answer_and_no_error_log() {
    let server = start(&[("SQLITE_PATH", ":memory:"), ("LOG_LEVEL", "INFO")]);
    let cases = [
        (
            format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(100_000)),
            "HTTP/1.1 414 URI Too Long",
        ),
        (
            format!(
                "GET /recipe/user/metadata?{} HTTP/1.1\r\nhost: x\r\n\r\n",
                (0..10_000)
                    .map(|i| format!("p{i}=1"))
                    .collect::<Vec<_>>()
                    .join("&")
            ),
            "HTTP/1.1 414 URI Too Long",
        ),
        (
            format!(
                "GET /hello HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
                "b".repeat(200_000)
            ),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (
            format!(
                "GET /hello HTTP/1.1\r\n{}\r\n",
                (0..1000)
                    .map(|i| format!("x-{i}: 1\r\n"))
                    .collect::<String>()
            ),
            "HTTP/1.1 431 Too Many Header Fields",
        ),
        (
            "GET /hello HTTP/1.1\r\nno colon here\r\n\r\n".to_string(),
            "HTTP/1.1 400 Bad Request",
        ),
    ];
    for (request, status_line) in &cases {
        let answer = exchange(&server.address, request.as_bytes());
        assert!(answer.starts_with(status_line), "{status_line}: {answer:?}");
        let text = status_line
            .split_once(' ')
            .unwrap()
            .1
            .split_once(' ')
            .unwrap()
            .1;
        assert!(answer.ends_with(&format!("\r\n\r\n{text}\n")), "{answer:?}");
    }

    // Ordinary traffic on one connection: a body, then a pipelined request after it.
    let body = r#"{"userId": "u1", "metadataUpdate": {"a": 1}}"#;
    let pipelined = format!(
        "PUT /recipe/user/metadata HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}GET /recipe/user/metadata?userId=u1 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let answer = exchange(&server.address, pipelined.as_bytes());
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert!(
        answer.ends_with(r#"{"status":"OK","metadata":{"a":1}}"#),
        "{answer}"
    );

    std::thread::sleep(Duration::from_millis(200));
    let log = server.log().join("\n");
    assert_eq!(
        log.matches("request head refused").count(),
        cases.len(),
        "{log}"
    );
    assert!(!log.contains("ERROR"), "{log}");
}
