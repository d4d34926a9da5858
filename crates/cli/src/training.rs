//! What `train` and `timbre learn` share: checking the common options, Ctrl-C that finishes
//! the step and writes a checkpoint, and the progress bar (steps, rate, ETA, metrics).

use crate::Failure;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Checks --batch (1..=`max_batch`), --lr and --minutes; returns the step target: --steps,
/// or `default_steps` when neither --steps nor --minutes is given (None: train by time).
pub fn check_options(
    batch: usize,
    max_batch: usize,
    lr: f32,
    steps: Option<u64>,
    minutes: Option<f64>,
    default_steps: u64,
) -> Result<Option<u64>, Failure> {
    if batch == 0 || batch > max_batch {
        return Err(Failure(format!(
            "--batch must be in 1..={max_batch}, got {batch}"
        )));
    }
    if !lr.is_finite() || lr <= 0.0 || lr > 1.0 {
        return Err(Failure(format!("--lr must be in (0, 1], got {lr}")));
    }
    if minutes.is_some_and(|m| !m.is_finite() || m <= 0.0) {
        return Err(Failure("--minutes must be positive".into()));
    }
    Ok(match (steps, minutes) {
        (None, None) => Some(default_steps),
        (s, _) => s,
    })
}

/// A flag Ctrl-C sets: the session finishes its step, writes a checkpoint and returns.
pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    stop
}

/// A bar to `steps` with rate and ETA, or a spinner with the elapsed time when training by time.
pub fn progress_bar(steps: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::new(steps.unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(if steps.is_some() {
            "{bar:30} {pos}/{len} steps  {per_sec}  ETA {eta}  {msg}"
        } else {
            "{spinner} {pos} steps  {per_sec}  {elapsed}  {msg}"
        })
        .expect("valid template"),
    );
    bar
}

/// Moves the bar to `step` (a resumed run starts where it stopped, and its ETA with it).
pub fn advance(bar: &ProgressBar, first_step: u64, step: u64, message: String) {
    if bar.position() == 0 {
        bar.set_position(first_step);
        bar.reset_eta();
    }
    bar.set_position(step);
    bar.set_message(message);
}
