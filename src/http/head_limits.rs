//! Limits on request heads, enforced on the connection before actix parses anything.
//!
//! actix-http accepts heads of up to 128 KiB and 96 header fields, and refuses bigger ones
//! with an empty 400 or 431 and an ERROR log line; 2,000 slow clients each sending a 100 KB
//! head kept hundreds of megabytes. This stream wrapper holds each request head back until
//! it is complete and within limits, answers an oversized one itself with a short text
//! body, logs it as the client's mistake (INFO), and closes the connection. Bodies pass
//! through uncounted but for their length, which says where the next head starts.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::web::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The largest request head (request line and header fields): twice the 8 KB upstream's
/// servlet container allows, so every request upstream accepts fits. The SDKs' largest
/// heads are a GET with a few ids in its query and an API key, well under 2 KB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most header fields in one head; actix itself stops at 96.
pub const MAX_HEADER_FIELDS: usize = 64;

/// How far into the stream the wrapper is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Reading a head: nothing is handed on until it is complete and within limits.
    Head,
    /// Inside a body of this many more bytes.
    Body(u64),
    /// A body whose end only HTTP parsing could find (chunked encoding, an unreadable
    /// length): from here on, bytes pass unchecked (actix's own limits still apply).
    Unchecked,
}

pub struct LimitedStream {
    inner: TcpStream,
    position: Position,
    /// Read from the client, not yet handed on.
    input: BytesMut,
    /// Checked, waiting to be handed on.
    output: BytesMut,
    /// An answer being written before the connection closes.
    refusal: Option<BytesMut>,
    /// Where reads from the client land; one per connection, not one per read.
    chunk: Box<[u8]>,
}

/// Bytes read from the client at a time.
const CHUNK_BYTES: usize = 8192;

impl LimitedStream {
    pub fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            position: Position::Head,
            input: BytesMut::new(),
            output: BytesMut::new(),
            refusal: None,
            chunk: vec![0; CHUNK_BYTES].into_boxed_slice(),
        }
    }

    /// Moves what can be checked from `input` to `output`.
    fn classify(&mut self) {
        loop {
            match self.position {
                Position::Unchecked => {
                    let all = self.input.split();
                    self.output.unsplit(all);
                    return;
                }
                Position::Body(remaining) => {
                    let take = remaining.min(self.input.len() as u64) as usize;
                    let part = self.input.split_to(take);
                    self.output.unsplit(part);
                    self.position = match remaining - take as u64 {
                        0 => Position::Head,
                        left => Position::Body(left),
                    };
                    if take == 0 || self.input.is_empty() {
                        return;
                    }
                }
                Position::Head => {
                    // Blank lines between requests are allowed and carry nothing.
                    while self.input.starts_with(b"\r\n") {
                        let blank = self.input.split_to(2);
                        self.output.unsplit(blank);
                    }
                    match check_head(&self.input) {
                        HeadCheck::Incomplete => return,
                        HeadCheck::Refused(status, text) => {
                            tracing::info!(status, reason = text, "request head refused");
                            self.refusal = Some(refusal(status, text));
                            return;
                        }
                        HeadCheck::Complete { len, body } => {
                            let head = self.input.split_to(len);
                            self.output.unsplit(head);
                            self.position = body;
                        }
                    }
                }
            }
        }
    }
}

enum HeadCheck {
    Incomplete,
    Refused(u16, &'static str),
    Complete { len: usize, body: Position },
}

/// Where the head at the start of `input` ends, if it has, and whether it is acceptable.
fn check_head(input: &[u8]) -> HeadCheck {
    let end = input.windows(4).position(|window| window == b"\r\n\r\n");
    let head = &input[..end.map_or(input.len(), |end| end + 4).min(input.len())];
    let request_line_done = head.windows(2).any(|pair| pair == b"\r\n");
    let too_long = end.map_or(input.len(), |end| end + 4) > MAX_HEAD_BYTES;
    if too_long && !request_line_done {
        return HeadCheck::Refused(414, "URI Too Long");
    }
    if too_long {
        return HeadCheck::Refused(431, "Request Header Fields Too Large");
    }
    // Line breaks end the request line, each field and, once complete, the blank line.
    let line_breaks = head.windows(2).filter(|pair| *pair == b"\r\n").count();
    let fields = line_breaks.saturating_sub(1 + usize::from(end.is_some()));
    if fields > MAX_HEADER_FIELDS {
        return HeadCheck::Refused(431, "Too Many Header Fields");
    }
    let Some(end) = end else {
        return HeadCheck::Incomplete;
    };
    // The same parser actix uses: a head it would refuse is refused here, with a body and
    // without the ERROR line actix logs for it.
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADER_FIELDS];
    let mut request = httparse::Request::new(&mut fields);
    match request.parse(&input[..end + 4]) {
        Ok(httparse::Status::Complete(len)) => HeadCheck::Complete {
            len,
            body: body_of(request.headers),
        },
        _ => HeadCheck::Refused(400, "Bad Request"),
    }
}

/// What follows a head: the body its `Content-Length` announces, or unchecked bytes when the
/// length is not given that way.
fn body_of(fields: &[httparse::Header<'_>]) -> Position {
    let mut length = None;
    for field in fields {
        if field.name.eq_ignore_ascii_case("transfer-encoding") {
            return Position::Unchecked;
        }
        if field.name.eq_ignore_ascii_case("content-length") {
            let parsed = std::str::from_utf8(field.value)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok());
            match (parsed, length) {
                (Some(parsed), None) => length = Some(parsed),
                // Unreadable or repeated: actix decides what to answer.
                _ => return Position::Unchecked,
            }
        }
    }
    match length {
        None | Some(0) => Position::Head,
        Some(length) => Position::Body(length),
    }
}

fn refusal(status: u16, text: &str) -> BytesMut {
    let body = format!("{text}\n");
    let answer = format!(
        "HTTP/1.1 {status} {text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    BytesMut::from(answer.as_bytes())
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(answer) = &mut this.refusal {
                while answer.has_remaining() {
                    let written = ready!(Pin::new(&mut this.inner).poll_write(cx, answer))?;
                    if written == 0 {
                        break;
                    }
                    answer.advance(written);
                }
                ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
                // End of stream: actix sees a client that left before finishing its request.
                return Poll::Ready(Ok(()));
            }
            if !this.output.is_empty() {
                let take = this.output.len().min(buf.remaining());
                buf.put_slice(&this.output.split_to(take));
                return Poll::Ready(Ok(()));
            }
            if this.position == Position::Unchecked && this.input.is_empty() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut read = ReadBuf::new(&mut this.chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let filled = read.filled().len();
            if filled == 0 {
                // The client closed; whatever incomplete head it sent is dropped.
                return Poll::Ready(Ok(()));
            }
            this.input.extend_from_slice(&this.chunk[..filled]);
            this.classify();
        }
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(head: &str) -> HeadCheck {
        check_head(head.as_bytes())
    }

    #[test]
    fn finds_the_end_of_a_head_and_its_body() {
        let HeadCheck::Complete { len, body } =
            check("POST /a HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"a\": 1}")
        else {
            panic!("complete")
        };
        assert_eq!(len, 40);
        assert_eq!(body, Position::Body(12));
        assert!(matches!(
            check("GET /a HTTP/1.1\r\nhost: x\r\n"),
            HeadCheck::Incomplete
        ));
        let HeadCheck::Complete { body, .. } =
            check("POST /a HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n")
        else {
            panic!("complete")
        };
        assert_eq!(body, Position::Unchecked);
    }

    #[test]
    fn refuses_heads_past_the_limits() {
        let long_path = format!("GET /{} HTTP/1.1", "a".repeat(MAX_HEAD_BYTES));
        assert!(matches!(check(&long_path), HeadCheck::Refused(414, _)));
        let big_field = format!("GET / HTTP/1.1\r\nx: {}\r\n", "a".repeat(MAX_HEAD_BYTES));
        assert!(matches!(check(&big_field), HeadCheck::Refused(431, _)));
        let many = format!(
            "GET / HTTP/1.1\r\n{}",
            "x: 1\r\n".repeat(MAX_HEADER_FIELDS + 1)
        );
        assert!(matches!(
            check(&many),
            HeadCheck::Refused(431, "Too Many Header Fields")
        ));
        let most = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "x: 1\r\n".repeat(MAX_HEADER_FIELDS)
        );
        assert!(matches!(check(&most), HeadCheck::Complete { .. }));
    }
}
