//! `photophone serve` stopped by SIGTERM: the request in flight gets its whole response, new
//! connections are refused, the process exits 0 within the grace period; and each request
//! is logged (method, route, status, size) without its body or query.
#![cfg(target_os = "linux")]

mod common;

use common::bin;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = bin()
            .args(["serve", "--addr", "127.0.0.1:0", "--jobs", "1"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = BufReader::new(child.stderr.take().unwrap());
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut line = String::new();
            while pipe.read_line(&mut line).unwrap_or(0) > 0 {
                sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        Server { child, addr, stderr }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn wait_for_log(&self, what: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if log.contains(what) {
                return log;
            }
            assert!(started.elapsed() < limit, "no {what:?} in the log: {log}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn sigterm(&self) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
    }

    /// The exit status, which must come within `limit`.
    fn exit_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                self.child.kill().unwrap();
                panic!("still running {limit:?} after SIGTERM: {}", self.log());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// POSTs `body` on a fresh connection; says on `sent` once the upload is written; returns
/// the raw response (empty if the server closed the connection without one).
fn post(addr: &str, target: &str, body: &[u8], sent: mpsc::Sender<()>) -> Vec<u8> {
    let mut conn = TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "POST {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(body).unwrap();
    let _ = sent.send(());
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    answer
}

/// Status and body of a raw response, checking the body is as long as its Content-Length.
fn complete_response(raw: &[u8]) -> (u16, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {} bytes", raw.len()));
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    let body = raw[end + 4..].to_vec();
    assert_eq!(body.len(), length, "the whole body arrived");
    (status, body)
}

/// Starts a slow render and returns once its upload is written (and a little after, so the
/// server is working on it).
fn slow_render(addr: &str, photo: Arc<Vec<u8>>, seconds: u32) -> thread::JoinHandle<Vec<u8>> {
    let (sent, uploaded) = mpsc::channel();
    let addr = addr.to_string();
    let client = thread::spawn(move || post(&addr, &format!("/api/render?seconds={seconds}"), &photo, sent));
    uploaded.recv_timeout(Duration::from_secs(30)).unwrap();
    thread::sleep(Duration::from_millis(500));
    client
}

fn refused(addr: &str) -> bool {
    let started = Instant::now();
    // The listener closes just after the signal is handled: allow it a moment.
    while started.elapsed() < Duration::from_secs(5) {
        match TcpStream::connect(addr) {
            Err(e) => return e.kind() == std::io::ErrorKind::ConnectionRefused,
            Ok(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let photo = Arc::new(photophone::large_test_jpeg(4000, 3000));
    let mut server = Server::start(&[]);
    let client = slow_render(&server.addr, photo.clone(), 120);
    server.sigterm();
    let log = server.wait_for_log("stopping:", Duration::from_secs(10));
    assert!(
        log.contains("signal=\"SIGTERM\"") || log.contains("signal=SIGTERM"),
        "{log}"
    );
    assert!(log.contains("in_flight=1"), "the render was in flight: {log}");
    assert!(refused(&server.addr), "new connections refused after SIGTERM");

    let (status, wav) = complete_response(&client.join().unwrap());
    assert_eq!(status, 200);
    assert_eq!(&wav[..4], b"RIFF");
    let exit = server.exit_within(Duration::from_secs(30));
    let log = server.log();
    assert!(exit.success(), "{exit:?}: {log}");
    assert!(log.contains("stopped: every request finished"), "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("route=/api/render"))
        .unwrap_or_else(|| panic!("no request line: {log}"));
    for part in ["INFO", "method=POST", "status=200", "ms="] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    assert!(line.contains(&format!("upload_bytes={}", photo.len())), "{line}");
    assert!(!line.contains("seconds=120"), "no query in the log: {line}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn the_grace_period_bounds_the_wait_and_bodies_are_never_logged() {
    let mut server = Server::start(&["--shutdown-grace", "1"]);
    // A bad upload is logged by size only.
    let (sent, _) = mpsc::channel();
    let raw = post(&server.addr, "/api/analyze?seed=99", b"MARKER-not-a-photo", sent);
    assert_eq!(complete_response(&raw).0, 415);
    let log = server.wait_for_log("status=415", Duration::from_secs(10));
    assert!(log.contains("route=/api/analyze"), "{log}");
    assert!(log.contains("upload_bytes=18"), "{log}");
    assert!(!log.contains("MARKER") && !log.contains("seed=99"), "{log}");
    // A request without a body is logged as uploading nothing.
    let mut conn = TcpStream::connect(&server.addr).unwrap();
    write!(
        conn,
        "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    assert_eq!(complete_response(&raw).0, 200);
    let log = server.wait_for_log("route=/api/health", Duration::from_secs(10));
    assert!(log.contains("method=GET route=/api/health status=200"), "{log}");
    assert!(log.contains("upload_bytes=0"), "{log}");

    // A render far longer than the grace period: the server stops without it.
    let photo = Arc::new(photophone::large_test_jpeg(4000, 3000));
    let client = slow_render(&server.addr, photo, 300);
    let signalled = Instant::now();
    server.sigterm();
    let exit = server.exit_within(Duration::from_secs(15));
    let log = server.log();
    assert!(exit.success(), "{exit:?}: {log}");
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "{:?}",
        signalled.elapsed()
    );
    assert!(log.contains("stopping anyway"), "{log}");
    assert!(log.contains("in_flight=1"), "{log}");
    let raw = client.join().unwrap();
    assert!(
        !raw.starts_with(b"HTTP/1.1 200"),
        "the cut-off render has no response"
    );
}
