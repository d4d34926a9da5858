//! The HTTP API through the real router (no network): formats, errors, limits.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use photophone_web::{router, Limits};
use std::time::Duration;
use tower::ServiceExt;

const ROCKET: &[u8] = include_bytes!("../../photophone/tests/fixtures/rocket.jpg");

async fn call(limits: Limits, method: &str, uri: &str, body: Vec<u8>) -> (StatusCode, String, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body))
        .unwrap();
    let res = router(limits).oneshot(req).await.unwrap();
    let status = res.status();
    let mime = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, mime, bytes)
}

/// Status, `error` field and message of a failed call.
async fn failure(limits: Limits, uri: &str, body: Vec<u8>) -> (StatusCode, String, String) {
    let (status, mime, bytes) = call(limits, "POST", uri, body).await;
    assert_eq!(mime, "application/json", "errors are JSON");
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let message = v["message"].as_str().unwrap().to_string();
    assert!(
        !message.is_empty() && !message.contains('\n'),
        "one readable line: {message:?}"
    );
    (status, v["error"].as_str().unwrap().to_string(), message)
}

#[tokio::test]
async fn analyze_returns_the_report_and_a_playable_score() {
    let (status, mime, bytes) = call(
        Limits::default(),
        "POST",
        "/api/analyze?style=ambient&seed=4&seconds=20",
        ROCKET.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mime, "application/json");
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["report"]["schema_version"], 1);
    assert_eq!(v["report"]["photo"]["width"], 640);
    assert!(v["report"]["analysis"]["features"].as_array().unwrap().len() > 10);
    assert!(v["report"]["music"]["key"].as_str().is_some());
    // The score is what the page's WebAssembly engine plays: it must round-trip.
    let score: photophone::Score = serde_json::from_value(v["score"].clone()).unwrap();
    assert_eq!((score.seconds, score.seed), (20.0, 4));
    // The same photo and options give the same score as the library.
    let photo =
        photophone::analysis::load_bytes_at(ROCKET, "upload", photophone::analysis::Resolution::AnalysisOnly)
            .unwrap();
    let opts = photophone::Options {
        seconds: 20.0,
        seed: 4,
        ..Default::default()
    };
    assert_eq!(score, photophone::compose_photo(&photo, &opts).1);
}

#[tokio::test]
async fn render_and_midi_downloads_parse() {
    let (status, mime, wav) = call(
        Limits::default(),
        "POST",
        "/api/render?seconds=4&style=classic",
        ROCKET.to_vec(),
    )
    .await;
    assert_eq!((status, mime.as_str()), (StatusCode::OK, "audio/wav"));
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate), (2, 44_100));
    let samples: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
    assert_eq!(samples.len(), 4 * 44_100 * 2);
    let rms =
        (samples.iter().map(|&s| (s as f64 / 32768.0).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
    assert!(rms > 0.01, "not silent: {rms}");

    let (status, mime, mid) = call(Limits::default(), "POST", "/api/midi?seconds=10", ROCKET.to_vec()).await;
    assert_eq!((status, mime.as_str()), (StatusCode::OK, "audio/midi"));
    let smf = midly::Smf::parse(&mid).unwrap();
    let notes = smf
        .tracks
        .iter()
        .flatten()
        .filter(|e| matches!(e.kind, midly::TrackEventKind::Midi { message: midly::MidiMessage::NoteOn { vel, .. }, .. } if vel > 0))
        .count();
    assert!(notes > 5, "{notes} notes");
}

#[tokio::test]
async fn bad_uploads_get_415_or_422_naming_the_problem() {
    let (s, kind, msg) = failure(Limits::default(), "/api/analyze", b"just some text".to_vec()).await;
    assert_eq!(
        (s, kind.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image"),
        "{msg}"
    );

    let (s, kind, msg) = failure(
        Limits::default(),
        "/api/render",
        ROCKET[..ROCKET.len() / 2].to_vec(),
    )
    .await;
    assert_eq!(
        (s, kind.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_image"),
        "{msg}"
    );
    assert!(msg.contains("truncated"), "{msg}");

    // A decompression bomb: a valid PNG header claiming 20000 × 20000 pixels. Refused from
    // the header, before any pixel is decoded.
    let mut bomb = Vec::new();
    {
        let mut enc = png_header(20_000, 20_000);
        bomb.append(&mut enc);
    }
    let (s, kind, msg) = failure(Limits::default(), "/api/analyze", bomb).await;
    assert_eq!(
        (s, kind.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "too_many_pixels"),
        "{msg}"
    );

    let (s, kind, _) = failure(Limits::default(), "/api/analyze", Vec::new()).await;
    assert_eq!((s, kind.as_str()), (StatusCode::BAD_REQUEST, "empty_body"));
}

/// A small PNG file whose header claims an RGB image of the given size: signature, IHDR,
/// a short IDAT and IEND, each chunk with its CRC.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut c = 0xFFFF_FFFFu32;
        for &b in &body {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&(!c).to_be_bytes());
    }
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib stream start: the pixels a bomb would inflate to never get decoded.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn oversized_uploads_and_bad_parameters_are_refused() {
    let small = Limits {
        max_upload_bytes: 50_000,
        ..Limits::default()
    };
    let (s, kind, msg) = failure(small, "/api/render", ROCKET.to_vec()).await;
    assert_eq!(
        (s, kind.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        "{msg}"
    );
    for uri in [
        "/api/render?style=loud",
        "/api/render?seconds=0",
        "/api/render?seconds=NaN",
        "/api/render?seconds=100000",
        "/api/render?seed=-1",
        "/api/render?path=/etc/passwd",
    ] {
        let (s, kind, msg) = failure(Limits::default(), uri, ROCKET.to_vec()).await;
        assert_eq!(
            (s, kind.as_str()),
            (StatusCode::BAD_REQUEST, "bad_parameter"),
            "{uri}: {msg}"
        );
    }
}

#[tokio::test]
async fn names_never_reach_the_file_system() {
    for uri in [
        "/gallery/..%2F..%2FCargo.toml",
        "/gallery/../Cargo.toml",
        "/static/app.js",
        "/pkg/../Cargo.toml",
        "/etc/passwd",
    ] {
        let (s, _, body) = call(Limits::default(), "GET", uri, Vec::new()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(!String::from_utf8_lossy(&body).contains("[package]"), "{uri}");
    }
    let (s, mime, body) = call(Limits::default(), "GET", "/gallery/rocket", Vec::new()).await;
    assert_eq!((s, mime.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(body, ROCKET);
    let (s, _, list) = call(Limits::default(), "GET", "/api/gallery", Vec::new()).await;
    assert_eq!(s, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_slice(&list).unwrap();
    assert!(list.as_array().unwrap().len() >= 3);
    let (s, mime, page) = call(Limits::default(), "GET", "/", Vec::new()).await;
    assert_eq!((s, mime.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&page).contains("/app.js"));
}

#[tokio::test]
async fn work_beyond_the_concurrency_limit_queues_then_gets_503() {
    let limits = Limits {
        concurrent_jobs: 1,
        queue_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let app = router(limits);
    let request = |uri: &str| {
        Request::builder()
            .method("POST")
            .uri(uri)
            .body(Body::from(ROCKET.to_vec()))
            .unwrap()
    };
    // One long render holds the only slot; a second request waits 200 ms, then gets 503.
    let long = app.clone().oneshot(request("/api/render?seconds=300"));
    let late = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        app.clone().oneshot(request("/api/analyze")).await
    };
    let (long, late) = tokio::join!(long, late);
    assert_eq!(long.unwrap().status(), StatusCode::OK);
    let late = late.unwrap();
    assert_eq!(late.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = late.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "busy");
    // With the slot free again, the same request succeeds.
    assert_eq!(
        app.oneshot(request("/api/analyze")).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_request_slower_than_the_deadline_gets_408() {
    let limits = Limits {
        request_timeout: Duration::from_millis(100),
        ..Limits::default()
    };
    // An upload that never finishes: the body stream stays pending.
    let (tx, body) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(1);
    tx.send(Ok(axum::body::Bytes::from_static(&ROCKET[..1000])))
        .await
        .unwrap();
    let stream = futures_stream(body);
    let req = Request::builder()
        .method("POST")
        .uri("/api/analyze")
        .body(Body::from_stream(stream))
        .unwrap();
    let res = router(limits).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::REQUEST_TIMEOUT);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "request_timeout");
    drop(tx);
}

/// A receiver as a body stream.
fn futures_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send + 'static {
    struct S(tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>);
    impl futures_core::Stream for S {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.0.poll_recv(cx)
        }
    }
    let _ = &mut rx;
    S(rx)
}
