//! `photophone serve`: the page where a photo is dropped and heard, and its HTTP API.
//!
//! Routes (all fixed; no request ever names a file):
//! - `GET /` and its assets, the WebAssembly engine under `/pkg/`, gallery photos under
//!   `/gallery/{name}` (looked up in a built-in list);
//! - `POST /api/analyze` → JSON report + score (the score is what the page's AudioWorklet
//!   plays), `POST /api/render` → WAV, `POST /api/midi` → MIDI, each with the photo as the raw
//!   request body and `?style=ambient|classic&seed=N&seconds=S`;
//! - `GET /api/gallery`, `GET /api/health`;
//! - the photo maze: the page at `/maze` (three.js under `/vendor/`) and its API under
//!   `/api/maze/` and `/api/texture` ([`maze`]).
//!
//! Decoding and rendering run on blocking threads behind a semaphore (requests queue for a
//! slot, then time out with 503 rather than piling up work), and every error is a JSON body
//! `{"error": kind, "message": one line}`.
//!
//! Each request is logged with `tracing` ([`init_logging`] sends it to stderr). SIGTERM or
//! Ctrl-C stops the server gracefully: no new connections, requests in flight finish (up to
//! [`Limits::shutdown_grace`]), then [`serve`] returns.
#![forbid(unsafe_code)]

mod logging;
pub mod maze;
#[cfg(test)]
mod panic_log_tests;
mod shutdown;

pub use logging::{init_logging, DEFAULT_LOG_FILTER};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use photophone::analysis::{self, PhotoError};
use photophone::compose::{self, Style};
use photophone::{synth, Options};
use serde::{Deserialize, Serialize};
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What the server accepts and how much work it takes on at once.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest photo upload, in bytes.
    pub max_upload_bytes: usize,
    /// Photos rendered or analysed at the same time (the rest wait in line).
    pub concurrent_jobs: usize,
    /// How long a request may wait for a free slot before a 503.
    pub queue_timeout: Duration,
    /// How long one job may run before the request gets a 503 (the job still finishes in
    /// its slot, so the concurrency bound holds).
    pub job_timeout: Duration,
    /// Longest piece a request may ask for, in seconds.
    pub max_seconds: f64,
    /// Whole-request limit, upload included (a slow client cannot hold a connection open
    /// indefinitely): 408 after it.
    pub request_timeout: Duration,
    /// Offer the page the WebAssembly engine (when this build has one); without it the page
    /// plays server-rendered WAVs, exactly as with a server built without the engine.
    pub wasm_engine: bool,
    /// After SIGTERM or Ctrl-C, how long requests in flight may take to finish before the
    /// server stops anyway.
    pub shutdown_grace: Duration,
    /// The folder whose photos the maze page can open (`photophone serve --photos DIR`).
    pub photos: Option<PathBuf>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload_bytes: 25 * 1024 * 1024,
            concurrent_jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue_timeout: Duration::from_secs(60),
            job_timeout: Duration::from_secs(60),
            max_seconds: 300.0,
            request_timeout: Duration::from_secs(150),
            wasm_engine: true,
            shutdown_grace: Duration::from_secs(30),
            photos: None,
        }
    }
}

#[derive(Clone)]
struct App {
    limits: Arc<Limits>,
    slots: Arc<Semaphore>,
    folder: Arc<maze::Folder>,
}

/// A failed request: status plus a JSON body naming the problem.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.kind,
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

fn photo_error(e: PhotoError) -> ApiError {
    use PhotoError::*;
    let message = e.to_string();
    match e {
        Empty => ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "no photo in the request body",
        ),
        TooLarge(_) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message),
        UnknownFormat => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image", message),
        TooManyPixels { .. } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_pixels", message),
        Corrupt(_) | NoPixels => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "corrupt_image", message),
        NotFound | IsDirectory | Io(_) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
        }
    }
}

/// `?style=…&seed=…&seconds=…`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    style: Option<String>,
    seed: Option<u64>,
    seconds: Option<f64>,
}

fn options(p: &Params, limits: &Limits) -> Result<Options, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", m);
    let style = match p.style.as_deref() {
        None | Some("ambient") => Style::Ambient,
        Some("classic") => Style::Classic,
        Some(other) => return Err(bad(format!("style must be ambient or classic, not {other:?}"))),
    };
    let seconds = p.seconds.unwrap_or(30.0);
    if !seconds.is_finite() || !(1.0..=limits.max_seconds).contains(&seconds) {
        return Err(bad(format!(
            "seconds must be between 1 and {}",
            limits.max_seconds
        )));
    }
    Ok(Options {
        style,
        seconds,
        seed: p.seed.unwrap_or(0),
        ..Options::default()
    })
}

fn query(q: Result<Query<Params>, QueryRejection>) -> Result<Params, ApiError> {
    q.map(|Query(p)| p)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", e.body_text()))
}

fn body(b: Result<Bytes, BytesRejection>, limits: &Limits) -> Result<Bytes, ApiError> {
    match b {
        Ok(b) if b.is_empty() => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "no photo in the request body",
        )),
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "uploads are limited to {} MB",
                limits.max_upload_bytes / (1024 * 1024)
            ),
        )),
        Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.body_text())),
    }
}

/// What a job was asked to do, for the log when it panics (never the photo itself).
#[derive(Debug)]
struct JobContext {
    route: &'static str,
    upload_bytes: usize,
    options: Options,
}

/// Runs a CPU-bound job on a blocking thread once a slot is free.
async fn run<T: Send + 'static>(
    app: &App,
    context: JobContext,
    job: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let busy = || {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy with other photos; try again shortly",
        )
    };
    let permit = tokio::time::timeout(app.limits.queue_timeout, app.slots.clone().acquire_owned())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let task = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        job()
    });
    match tokio::time::timeout(app.limits.job_timeout, task).await {
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the photo took too long to process",
        )),
        Ok(Err(e)) => {
            let panic = e
                .try_into_panic()
                .map_or_else(|e| e.to_string(), |p| logging::panic_message(p.as_ref()));
            let JobContext {
                route,
                upload_bytes,
                options,
            } = context;
            tracing::error!(
                route,
                upload_bytes,
                style = ?options.style,
                seed = options.seed,
                seconds = options.seconds,
                panic = %panic,
                "job panicked"
            );
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "processing failed",
            ))
        }
        Ok(Ok(result)) => result,
    }
}

/// `POST /api/analyze`: what the page shows and the score its engine plays.
#[derive(Serialize)]
struct Analyzed {
    report: photophone::Report,
    score: compose::Score,
}

/// The request's photo and options, checked, then `job` on them in a processing slot.
async fn with_photo<T: Send + 'static>(
    app: &App,
    route: &'static str,
    q: Result<Query<Params>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
    job: impl FnOnce(&photophone::Photo, &Options) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let opts = options(&query(q)?, &app.limits)?;
    let bytes = body(b, &app.limits)?;
    let context = JobContext {
        route,
        upload_bytes: bytes.len(),
        options: opts.clone(),
    };
    run(app, context, move || {
        let photo = analysis::load_bytes_at(&bytes, "upload", photophone::resolution_for(opts.style))
            .map_err(photo_error)?;
        Ok(job(&photo, &opts))
    })
    .await
}

async fn analyze(
    State(app): State<App>,
    q: Result<Query<Params>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let out = with_photo(&app, "/api/analyze", q, b, |photo, opts| {
        let (report, score) = photophone::report_and_score(photo, opts);
        Analyzed { report, score }
    })
    .await?;
    Ok(Json(out).into_response())
}

async fn render(
    State(app): State<App>,
    q: Result<Query<Params>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let wav = with_photo(&app, "/api/render", q, b, |photo, opts| {
        synth::wav::encode_wav(&photophone::render(photo, opts).mastered.audio)
    })
    .await?;
    Ok(download(wav, "audio/wav", "photophone.wav"))
}

async fn midi(
    State(app): State<App>,
    q: Result<Query<Params>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mid = with_photo(&app, "/api/midi", q, b, |photo, opts| {
        compose::midi::to_midi_bytes(&photophone::compose_photo(photo, opts).1)
    })
    .await?;
    Ok(download(mid, "audio/midi", "photophone.mid"))
}

fn download(bytes: Vec<u8>, mime: &'static str, name: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).expect("ascii"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The built-in gallery: (name, title, MIME type, bytes, credit).
const GALLERY: &[(&str, &str, &str, &[u8], &str)] = &[
    (
        "coffee",
        "Coffee",
        "image/png",
        photophone::DEFAULT_PHOTO_PNG,
        "scikit-image sample data, CC0",
    ),
    (
        "chelsea",
        "Chelsea the cat",
        "image/png",
        include_bytes!("../../photophone/tests/fixtures/chelsea.png"),
        "Stefan van der Walt, CC0",
    ),
    (
        "rocket",
        "Falcon 9 launch",
        "image/jpeg",
        include_bytes!("../../photophone/tests/fixtures/rocket.jpg"),
        "SpaceX, public domain",
    ),
];

#[derive(Serialize)]
struct GalleryEntry {
    name: &'static str,
    title: &'static str,
    url: String,
    credit: &'static str,
}

async fn gallery_list() -> Json<Vec<GalleryEntry>> {
    Json(
        GALLERY
            .iter()
            .map(|(name, title, _, _, credit)| GalleryEntry {
                name,
                title,
                url: format!("/gallery/{name}"),
                credit,
            })
            .collect(),
    )
}

async fn gallery_photo(Path(name): Path<String>) -> Result<Response, ApiError> {
    // The name is only compared against the built-in list, never used as a path.
    let (_, _, mime, bytes, _) = GALLERY
        .iter()
        .find(|(n, ..)| *n == name)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such gallery photo"))?;
    Ok(([(header::CONTENT_TYPE, *mime)], *bytes).into_response())
}

/// The page's files, built into the binary: (route, MIME type, bytes).
const PAGE: &[(&str, &str, &[u8])] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("../static/index.html"),
    ),
    ("/app.js", "text/javascript", include_bytes!("../static/app.js")),
    (
        "/worklet.js",
        "text/javascript",
        include_bytes!("../static/worklet.js"),
    ),
    (
        "/worklet-shim.js",
        "text/javascript",
        include_bytes!("../static/worklet-shim.js"),
    ),
    ("/style.css", "text/css", include_bytes!("../static/style.css")),
    ("/maze.js", "text/javascript", include_bytes!("../static/maze.js")),
    (
        "/maze-scene.js",
        "text/javascript",
        include_bytes!("../static/maze-scene.js"),
    ),
    (
        "/maze-audio.js",
        "text/javascript",
        include_bytes!("../static/maze-audio.js"),
    ),
    (
        "/maze-worklet.js",
        "text/javascript",
        include_bytes!("../static/maze-worklet.js"),
    ),
    ("/maze.css", "text/css", include_bytes!("../static/maze.css")),
    (
        "/maze-world.js",
        "text/javascript",
        include_bytes!("../static/maze-world.js"),
    ),
    (
        "/maze-map.js",
        "text/javascript",
        include_bytes!("../static/maze-map.js"),
    ),
    (
        "/maze-input.js",
        "text/javascript",
        include_bytes!("../static/maze-input.js"),
    ),
    // three.js, pinned and committed (scripts/update-three.sh): the page works offline.
    (
        "/vendor/three.module.min.js",
        "text/javascript",
        include_bytes!("../static/vendor/three.module.min.js"),
    ),
    (
        "/vendor/three.core.min.js",
        "text/javascript",
        include_bytes!("../static/vendor/three.core.min.js"),
    ),
    (
        "/vendor/LICENSE-three.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../static/vendor/LICENSE-three.txt"),
    ),
];

fn asset(mime: &'static str, bytes: &'static [u8]) -> Response {
    (
        [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-cache")],
        bytes,
    )
        .into_response()
}

#[cfg(embedded_wasm)]
const WASM: Option<(&[u8], &[u8])> = Some((
    include_bytes!("../pkg/photophone_wasm.js"),
    include_bytes!("../pkg/photophone_wasm_bg.wasm"),
));
#[cfg(not(embedded_wasm))]
const WASM: Option<(&[u8], &[u8])> = None;

/// Whether this build carries the WebAssembly engine (`scripts/build-wasm.sh` before
/// building adds it).
pub fn has_wasm_engine() -> bool {
    WASM.is_some()
}

fn no_engine() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_wasm_engine",
        "this server offers no WebAssembly engine (built without it: run scripts/build-wasm.sh, then rebuild; or started with --no-wasm-engine)",
    )
    .into_response()
}

#[derive(Serialize)]
struct Health {
    ok: bool,
    wasm_engine: bool,
    /// Whether the maze page can open a folder of the server's (`serve --photos DIR`).
    maze_folder: bool,
    /// Seconds the maze page asks each photo's score to be composed for.
    maze_score_seconds: f64,
    version: &'static str,
}

/// Answers 408 (JSON) to a request, upload included, that takes longer than the limit.
async fn request_deadline(
    State(app): State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(app.limits.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request took too long (a slow upload?)",
        )
        .into_response(),
    }
}

/// The whole application.
pub fn router(limits: Limits) -> Router {
    app(limits).0
}

/// The application, and its count of requests in flight.
fn app(limits: Limits) -> (Router, logging::InFlight) {
    let in_flight = logging::InFlight::default();
    let app = App {
        slots: Arc::new(Semaphore::new(limits.concurrent_jobs.max(1))),
        folder: Arc::new(maze::Folder::new(limits.photos.clone())),
        limits: Arc::new(limits.clone()),
    };
    let engine = WASM.filter(|_| limits.wasm_engine);
    let maze_folder = limits.photos.is_some();
    let mut router = Router::new();
    for &(path, mime, bytes) in PAGE {
        router = router.route(path, get(move || async move { asset(mime, bytes) }));
    }
    // Cross-origin isolated, so the page may measure its memory
    // (performance.measureUserAgentSpecificMemory); everything it loads is its own.
    router = router.route(
        "/maze",
        get(|| async {
            let mut page = asset("text/html; charset=utf-8", include_bytes!("../static/maze.html"));
            let headers = page.headers_mut();
            headers.insert(
                "cross-origin-opener-policy",
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                "cross-origin-embedder-policy",
                HeaderValue::from_static("require-corp"),
            );
            page
        }),
    );
    let router = router
        .route(
            "/pkg/photophone_wasm.js",
            get(move || async move { engine.map_or_else(no_engine, |(js, _)| asset("text/javascript", js)) }),
        )
        .route(
            "/pkg/photophone_wasm_bg.wasm",
            get(move || async move { engine.map_or_else(no_engine, |(_, wasm)| asset("application/wasm", wasm)) }),
        )
        .route("/gallery/{name}", get(gallery_photo))
        .route("/api/gallery", get(gallery_list))
        .route(
            "/api/health",
            get(move || async move {
                Json(Health {
                    ok: true,
                    wasm_engine: engine.is_some(),
                    maze_folder,
                    maze_score_seconds: maze::SCORE_SECONDS,
                    version: env!("CARGO_PKG_VERSION"),
                })
            }),
        )
        .route("/api/analyze", post(analyze))
        .route("/api/render", post(render))
        .route("/api/midi", post(midi));
    let router = maze::routes(router)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page") })
        .layer(DefaultBodyLimit::max(limits.max_upload_bytes))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            request_deadline,
        ))
        // Outermost, so the line has the final status (a 408 included) and whole duration.
        .layer(axum::middleware::from_fn_with_state(
            in_flight.clone(),
            logging::log_request,
        ))
        .with_state(app);
    (router, in_flight)
}

/// Binds `addr` and serves until SIGTERM or Ctrl-C, then stops gracefully: the listener
/// closes at once, requests in flight get up to `limits.shutdown_grace` to finish (a second
/// signal cuts that short), and it returns `Ok`. `on_ready` gets the bound address (port 0
/// picks a free one). Blocking jobs still running after the grace are left to the caller's
/// runtime shutdown.
pub async fn serve(
    addr: SocketAddr,
    limits: Limits,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let mut signals = shutdown::Signals::install()?;
    let grace = limits.shutdown_grace;
    let (router, in_flight) = app(limits);
    on_ready(listener.local_addr()?);
    let stop = Arc::new(tokio::sync::Notify::new());
    let server = axum::serve(listener, router)
        .with_graceful_shutdown({
            let stop = stop.clone();
            async move { stop.notified().await }
        })
        .into_future();
    tokio::pin!(server);
    let signal = tokio::select! {
        done = &mut server => return done,
        signal = signals.next() => signal,
    };
    tracing::info!(
        signal,
        in_flight = in_flight.count(),
        grace_s = grace.as_secs_f64(),
        "stopping: no new connections; finishing the requests in flight"
    );
    // `notify_one` keeps the permit if the server has not polled its signal yet.
    stop.notify_one();
    tokio::select! {
        done = &mut server => {
            done?;
            tracing::info!("stopped: every request finished");
        }
        _ = tokio::time::sleep(grace) => tracing::warn!(
            in_flight = in_flight.count(),
            grace_s = grace.as_secs_f64(),
            "stopping anyway: requests still in flight after the grace period"
        ),
        signal = signals.next() => tracing::warn!(
            signal,
            in_flight = in_flight.count(),
            "stopping now: second signal"
        ),
    }
    Ok(())
}
