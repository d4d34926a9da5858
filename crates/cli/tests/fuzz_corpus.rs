//! Every seed and every input the fuzzers once failed on (fuzz/seeds, fuzz/regressions), run
//! through the same calls as the fuzz targets (fuzz/fuzz_targets), with the fuzzers' limits:
//! no panic, no input over 2 s, no single allocation over 1 GiB, the targets' assertions
//! hold. The fuzzing itself is `fuzz/run.sh` (see fuzz/README.md).

use photophone::analysis::{self, Resolution};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// The system allocator, noting the largest single request (libFuzzer's -malloc_limit_mb).
struct Watched;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watched = Watched;

const MAX_ALLOCATION: usize = 1 << 30;
const MAX_TIME: Duration = Duration::from_secs(2);

/// Runs every input of a target, one at a time, within the fuzzers' limits.
fn replay(target: &str, run: impl Fn(&Path, &[u8])) {
    for (path, data) in inputs(target) {
        LARGEST.store(0, Ordering::Relaxed);
        let t0 = Instant::now();
        run(&path, &data);
        let (took, largest) = (t0.elapsed(), LARGEST.load(Ordering::Relaxed));
        assert!(took <= MAX_TIME, "{}: {took:?}", path.display());
        assert!(
            largest <= MAX_ALLOCATION,
            "{}: allocated {largest} bytes at once",
            path.display()
        );
    }
}

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

// One test, so inputs run one at a time and the allocation watch sees only its own.
#[test]
fn every_fuzz_input_within_the_limits() {
    replay("decode_photo", decode_photo);
    replay("score_json", score_json);
    replay("decode_audio", decode_audio);
    replay("load_checkpoint", load_checkpoint);
    replay("http_api", http_api);
    replay("maze_json", maze_json);
}

fn maze_json(path: &Path, data: &[u8]) {
    let (mut l, mut r) = (vec![0f32; 128], vec![0f32; 128]);
    if let Some(mut engine) = photophone_wasm::MazeEngine::create(48_000, data) {
        engine.set_listener(1.0, 1.0, 45.0);
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()), "{}", path.display());
    }
    let layout = std::fs::read(path.with_file_name("layout.json")).unwrap_or_default();
    if let Some(mut engine) = photophone_wasm::MazeEngine::create(48_000, &layout) {
        if engine.set_walk(data) {
            engine.render(&mut l, &mut r);
            assert!(l.iter().chain(&r).all(|x| x.is_finite()), "{}", path.display());
        }
    }
}

fn decode_photo(path: &Path, data: &[u8]) {
    for resolution in [Resolution::AnalysisOnly, Resolution::Full] {
        if let Ok(photo) = analysis::load_bytes_at(data, "fuzz", resolution) {
            assert!(
                analysis::analyze(&photo).luminance.mean.is_finite(),
                "{}",
                path.display()
            );
        }
    }
}

fn score_json(path: &Path, data: &[u8]) {
    let mut engine = photophone_wasm::Engine::new(44_100);
    let (mut l, mut r) = (vec![0f32; 128], vec![0f32; 128]);
    if engine.play(data, 0.0) {
        engine.render(&mut l, &mut r);
        engine.play(data, 0.5);
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()), "{}", path.display());
    }
}

fn decode_audio(_: &Path, data: &[u8]) {
    if let Ok((mono, rate)) = photophone_wavenet::audio::decode_mono_bytes(data.to_vec(), "fuzz") {
        let at_16k = photophone_wavenet::audio::resample(&mono, rate, 16_000);
        let _ = photophone_wavenet::audio::trim_silence(&at_16k);
    }
}

fn load_checkpoint(path: &Path, data: &[u8]) {
    const FILES: [&str; 5] = [
        "config.json",
        "state.json",
        "model.safetensors",
        "optimizer.safetensors",
        "optimizer_v.safetensors",
    ];
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("checkpoint");
    std::fs::create_dir(&current).unwrap();
    let (lengths, mut rest) = data.split_at(data.len().min(20));
    for (i, name) in FILES.iter().enumerate() {
        let len = lengths
            .get(4 * i..4 * i + 4)
            .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
        let (file, tail) = rest.split_at(len.min(rest.len()));
        std::fs::write(current.join(name), file).unwrap();
        rest = tail;
    }
    let wavenet = photophone_wavenet::checkpoint::load(dir.path());
    let timbre = photophone_timbre::Timbre::load(dir.path());
    // The seeds are real checkpoints: they must still load, or they no longer seed anything.
    match path.file_name().and_then(|n| n.to_str()) {
        Some("tiny") => assert!(wavenet.is_ok(), "{}", path.display()),
        Some("tiny-timbre") => assert!(timbre.is_ok(), "{}", path.display()),
        _ => {}
    }
}

fn http_api(path: &Path, data: &[u8]) {
    let Some((&method, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let (target, body) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
    let Ok(target) = std::str::from_utf8(target) else {
        return;
    };
    let Ok(uri) = format!("/{}", target.trim_start_matches('/')).parse::<http::Uri>() else {
        return;
    };
    let method = [
        http::Method::GET,
        http::Method::POST,
        http::Method::PUT,
        http::Method::HEAD,
    ][method as usize % 4]
        .clone();
    let limits = photophone_web::Limits {
        max_upload_bytes: 1 << 20,
        concurrent_jobs: 1,
        max_seconds: 1.0,
        ..Default::default()
    };
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(axum::body::Body::from(body.to_vec()))
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let response = runtime
        .block_on(photophone_web::router(limits).oneshot(request))
        .unwrap();
    assert_ne!(
        response.status(),
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        path.display()
    );
}
