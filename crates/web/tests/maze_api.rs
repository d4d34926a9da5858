//! The maze's HTTP API through the real router (no network): layouts, the server's photo
//! folder, analyses with and without textures, textures (downscaled, EXIF orientation
//! applied), and the errors a page shows on a wall.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use photophone_web::{router, Limits};
use std::path::Path;
use tower::ServiceExt;

const ROCKET: &[u8] = include_bytes!("../../photophone/tests/fixtures/rocket.jpg");

struct Answer {
    status: StatusCode,
    mime: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// `(error, message)` of a JSON error, checking the message is one readable line.
    fn error(&self) -> (String, String) {
        assert_eq!(self.mime, "application/json", "errors are JSON");
        let v = self.json();
        let message = v["message"].as_str().unwrap().to_string();
        assert!(
            !message.is_empty() && !message.contains('\n'),
            "one line: {message:?}"
        );
        (v["error"].as_str().unwrap().to_string(), message)
    }
}

async fn call(limits: &Limits, method: &str, uri: &str, body: Vec<u8>) -> Answer {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = router(limits.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let mime = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer {
        status,
        mime,
        headers,
        body,
    }
}

fn with_folder(dir: &Path) -> Limits {
    Limits {
        photos: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_layout_for_dropped_names_is_the_librarys() {
    let names = ["b.jpg", "a.png", "c.webp"];
    let body = serde_json::to_vec(&serde_json::json!({ "files": names })).unwrap();
    let a = call(&Limits::default(), "POST", "/api/maze/layout?seed=7", body).await;
    assert_eq!(a.status, StatusCode::OK);
    let layout: photophone_maze::Layout = serde_json::from_slice(&a.body).unwrap();
    let expected = photophone_maze::Layout::generate(names.map(String::from).to_vec(), 7);
    assert_eq!(layout.walls, expected.walls);
    assert_eq!(
        layout.photos, expected.photos,
        "photos in the order given, as the library hangs them"
    );

    let empty = call(
        &Limits::default(),
        "POST",
        "/api/maze/layout",
        br#"{"files": []}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (empty.status, empty.error().0.as_str()),
        (StatusCode::BAD_REQUEST, "no_photos")
    );
    let bad = call(&Limits::default(), "POST", "/api/maze/layout", b"[1, 2]".to_vec()).await;
    assert_eq!(
        (bad.status, bad.error().0.as_str()),
        (StatusCode::BAD_REQUEST, "bad_body")
    );
    let seed = call(
        &Limits::default(),
        "POST",
        "/api/maze/layout?seed=x",
        br#"{"files": ["a"]}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (seed.status, seed.error().0.as_str()),
        (StatusCode::BAD_REQUEST, "bad_parameter")
    );
}

#[tokio::test]
async fn without_a_folder_or_photos_the_page_gets_one_line() {
    let none = call(&Limits::default(), "GET", "/api/maze/folder", vec![]).await;
    let (kind, message) = none.error();
    assert_eq!((none.status, kind.as_str()), (StatusCode::NOT_FOUND, "no_folder"));
    assert!(message.contains("--photos"), "{message}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a photo").unwrap();
    let empty = call(&with_folder(dir.path()), "GET", "/api/maze/folder", vec![]).await;
    let (kind, message) = empty.error();
    assert_eq!(
        (empty.status, kind.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "no_photos")
    );
    assert!(message.contains("no photos"), "{message}");

    let health = call(&with_folder(dir.path()), "GET", "/api/health", vec![])
        .await
        .json();
    assert_eq!(health["maze_folder"], true);
    assert_eq!(
        health["maze_score_seconds"],
        photophone_maze::folder::SCORE_SECONDS
    );
}

#[tokio::test]
async fn a_folder_gives_its_maze_analyses_and_textures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b-rocket.jpg"), ROCKET).unwrap();
    std::fs::write(dir.path().join("a-broken.JPG"), &ROCKET[..ROCKET.len() / 2]).unwrap();
    std::fs::write(dir.path().join("readme.md"), "# not a photo").unwrap();
    let limits = with_folder(dir.path());

    let maze = call(&limits, "GET", "/api/maze/folder?seed=3", vec![])
        .await
        .json();
    let names: Vec<&str> = maze["layout"]["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a-broken.JPG", "b-rocket.jpg"],
        "photos by name, as `photophone walk` lists them"
    );
    assert_eq!(maze["layout"]["seed"], 3);

    // The analysis is what /api/analyze answers for the same bytes and options.
    let photo = call(&limits, "GET", "/api/maze/folder/photo/1?seed=3", vec![]).await;
    assert_eq!(photo.status, StatusCode::OK);
    let seconds = photophone_maze::folder::SCORE_SECONDS;
    let analyze = call(
        &limits,
        "POST",
        &format!("/api/analyze?seed=3&seconds={seconds}"),
        ROCKET.to_vec(),
    )
    .await;
    assert_eq!(photo.json()["score"], analyze.json()["score"]);
    assert_eq!(photo.json()["score"]["seconds"], seconds);

    let texture = call(&limits, "GET", "/api/maze/folder/texture/1", vec![]).await;
    assert_eq!(
        (texture.status, texture.mime.as_str()),
        (StatusCode::OK, "image/jpeg")
    );
    let image = image::load_from_memory(&texture.body).unwrap();
    assert_eq!(
        (image.width(), image.height()),
        (512, 342),
        "the 640×427 photo, long side 512"
    );

    // A photo that cannot be decoded: the reason, for its wall.
    let broken = call(&limits, "GET", "/api/maze/folder/photo/0", vec![]).await;
    let (kind, message) = broken.error();
    assert_eq!(
        (broken.status, kind.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "corrupt_image")
    );
    assert!(message.contains("truncated"), "{message}");
    let missing = call(&limits, "GET", "/api/maze/folder/texture/2", vec![]).await;
    assert_eq!(
        (missing.status, missing.error().0.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn one_request_can_give_the_analysis_and_the_texture() {
    let a = call(
        &Limits::default(),
        "POST",
        "/api/maze/photo?seed=2&texture=true",
        ROCKET.to_vec(),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let boundary = a
        .mime
        .strip_prefix("multipart/form-data; boundary=")
        .expect("multipart")
        .to_string();
    let parts = multipart(&a.body, &boundary);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].0.contains("name=\"analysis\"") && parts[1].0.contains("name=\"texture\""));
    let analysis: serde_json::Value = serde_json::from_slice(&parts[0].1).unwrap();
    let plain = call(
        &Limits::default(),
        "POST",
        "/api/maze/photo?seed=2",
        ROCKET.to_vec(),
    )
    .await;
    assert_eq!(plain.mime, "application/json", "without texture=true, plain JSON");
    assert_eq!(analysis, plain.json());
    let texture = image::load_from_memory(&parts[1].1).unwrap();
    assert_eq!(texture.width().max(texture.height()), 512);

    let empty = call(&Limits::default(), "POST", "/api/maze/photo?texture=true", vec![]).await;
    assert_eq!(
        (empty.status, empty.error().0.as_str()),
        (StatusCode::BAD_REQUEST, "empty_body")
    );
    let text = call(
        &Limits::default(),
        "POST",
        "/api/texture",
        b"hello, not a photo".to_vec(),
    )
    .await;
    assert_eq!(
        (text.status, text.error().0.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_an_image")
    );
}

#[tokio::test]
async fn textures_are_upright_and_small() {
    // A 1200×600 landscape whose EXIF says "rotate 90° clockwise to view": a 256×512 texture.
    let wide = image::RgbImage::from_fn(1200, 600, |x, _| image::Rgb([(x / 5) as u8, 80, 160]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&wide)
        .unwrap();
    let rotated = with_orientation(&jpeg, 6);
    let a = call(&Limits::default(), "POST", "/api/texture", rotated).await;
    assert_eq!(a.status, StatusCode::OK);
    let texture = image::load_from_memory(&a.body).unwrap().into_rgb8();
    assert_eq!(texture.dimensions(), (256, 512));
    // The photo's left edge (dark) is now at the top.
    assert!(texture.get_pixel(128, 2)[0] < 40 && texture.get_pixel(128, 509)[0] > 200);
}

#[tokio::test]
async fn the_page_and_three_js_are_served_offline() {
    let page = call(&Limits::default(), "GET", "/maze", vec![]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.body).contains("/maze.js"));
    // Cross-origin isolated, so the page can measure its own memory.
    assert_eq!(page.headers["cross-origin-embedder-policy"], "require-corp");
    let js = String::from_utf8(
        call(&Limits::default(), "GET", "/maze-scene.js", vec![])
            .await
            .body,
    )
    .unwrap();
    assert!(
        js.contains("from '/vendor/three.module.min.js'"),
        "three.js from this server, not a CDN"
    );
    for (path, needle) in [
        ("/vendor/three.module.min.js", "./three.core.min.js"),
        ("/vendor/three.core.min.js", "REVISION"),
        ("/vendor/LICENSE-three.txt", "MIT"),
    ] {
        let a = call(&Limits::default(), "GET", path, vec![]).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(String::from_utf8_lossy(&a.body).contains(needle), "{path}");
    }
    let index = String::from_utf8(call(&Limits::default(), "GET", "/", vec![]).await.body).unwrap();
    assert!(
        index.contains("href=\"/maze\""),
        "the main page links to the maze"
    );
}

/// The parts of a multipart body: (headers, bytes).
fn multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let head_end = find(rest, b"\r\n\r\n").unwrap();
        let headers = String::from_utf8(rest[2..head_end].to_vec()).unwrap();
        let content = &rest[head_end + 4..];
        let end = find(content, format!("\r\n{delimiter}").as_bytes()).unwrap();
        parts.push((headers, content[..end].to_vec()));
        rest = &content[end + 2..];
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The JPEG with an EXIF block (APP1) holding only an orientation.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec(); // little-endian, first IFD at 8
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // padding, no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}
