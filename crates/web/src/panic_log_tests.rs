//! A job that panics answers 500 and is logged with its request's context, not lost.

use super::*;
use std::sync::Mutex;

/// Collects the log in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn a_panicking_job_is_a_500_logged_with_its_request() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = App {
        slots: Arc::new(Semaphore::new(1)),
        limits: Arc::new(Limits::default()),
        folder: Default::default(),
    };
    let context = JobContext {
        route: "/api/render",
        upload_bytes: 1234,
        options: Options {
            seed: 7,
            seconds: 12.0,
            ..Options::default()
        },
    };
    let err = run(&app, context, || -> Result<(), ApiError> {
        panic!("synthetic failure")
    })
    .await
    .unwrap_err();
    assert_eq!(
        (err.status, err.kind),
        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
    );
    assert_eq!(app.slots.available_permits(), 1, "the slot is given back");
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for part in [
        "ERROR",
        "job panicked",
        "/api/render",
        "upload_bytes=1234",
        "seed=7",
        "seconds=12",
        "panic=synthetic failure",
    ] {
        assert!(log.contains(part), "{part:?} missing from the log: {log}");
    }
}
