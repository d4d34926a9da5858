//! Request logging: one `tracing` line per request (method, route, status, duration, upload
//! size), and never a request's body or query string (they are the user's photo and choices).

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What `RUST_LOG` is when unset: photophone's own lines, and only warnings from libraries.
pub const DEFAULT_LOG_FILTER: &str = "warn,photophone=info,photophone_web=info,photophone_cli=info";

/// Sends `tracing` output to stderr, filtered by `RUST_LOG` (default [`DEFAULT_LOG_FILTER`]).
/// Does nothing when a subscriber is already installed.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(s) => EnvFilter::try_new(&s).unwrap_or_else(|e| {
            eprintln!("photophone: note: RUST_LOG={s:?} ignored ({e}); using {DEFAULT_LOG_FILTER}");
            EnvFilter::new(DEFAULT_LOG_FILTER)
        }),
        Err(_) => EnvFilter::new(DEFAULT_LOG_FILTER),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Requests whose response is not finished yet (shutdown reports how many it waits for).
#[derive(Clone, Default)]
pub(crate) struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts a request down even when its future is dropped (client gone, shutdown).
struct Entered(InFlight);

impl Drop for Entered {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The upload size as the client declared it: its Content-Length, "chunked" for a body sent
/// without one (its size is known only once read), and 0 for a request with no body.
fn upload_size(req: &Request) -> String {
    let headers = req.headers();
    match headers.get(header::CONTENT_LENGTH) {
        // hyper has already refused a malformed length; never echo header text anyway.
        Some(n) => n
            .to_str()
            .ok()
            .and_then(|n| n.parse::<u64>().ok())
            .map_or_else(|| "invalid".to_owned(), |n| n.to_string()),
        None if headers.contains_key(header::TRANSFER_ENCODING) => "chunked".to_owned(),
        None => "0".to_owned(),
    }
}

/// Middleware: logs each request once its response is ready. 5xx are errors, except the
/// documented 503 ("busy"/"timeout": the server shedding load), which is a warning.
pub(crate) async fn log_request(State(in_flight): State<InFlight>, req: Request, next: Next) -> Response {
    in_flight.0.fetch_add(1, Ordering::Relaxed);
    let _entered = Entered(in_flight);
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let upload = upload_size(&req);
    let res = next.run(req).await;
    let status = res.status();
    let ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3);
    let status_code = status.as_u16();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(%method, route = %route, status = status_code, ms = %ms, upload_bytes = %upload, "request");
    } else if status.is_server_error() {
        tracing::error!(%method, route = %route, status = status_code, ms = %ms, upload_bytes = %upload, "request");
    } else {
        tracing::info!(%method, route = %route, status = status_code, ms = %ms, upload_bytes = %upload, "request");
    }
    res
}

/// The text of a panic's payload (what `panic!` was given), for the log.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
