//! Requests through the server's whole router (limits, routes, query parsing, bodies): the
//! first bytes pick a method and carry a path and query, the rest is the body. Every answer
//! is a response, never a panic; none is a 500.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&method, rest)) = data.split_first() else { return };
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let (target, body) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
    let Ok(target) = std::str::from_utf8(target) else { return };
    let uri = format!("/{}", target.trim_start_matches('/'));
    let Ok(uri) = uri.parse::<http::Uri>() else { return };
    let method = [http::Method::GET, http::Method::POST, http::Method::PUT, http::Method::HEAD][method as usize % 4].clone();
    let limits = photophone_web::Limits {
        max_upload_bytes: 1 << 20,
        concurrent_jobs: 1,
        max_seconds: 1.0, // a legitimate 5-s render takes > 2 s under ASan on a loaded 2-core machine
        ..Default::default()
    };
    let request = http::Request::builder().method(method).uri(uri).body(axum::body::Body::from(body.to_vec())).unwrap();
    let response = runtime().block_on(photophone_web::router(limits).oneshot(request)).unwrap();
    assert!(response.status() != http::StatusCode::INTERNAL_SERVER_ERROR, "{}", response.status());
});
