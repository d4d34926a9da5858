//! The loop every training session runs (`photophone train`, `photophone timbre learn`): step
//! until a step count, a time limit or a stop request (Ctrl-C); append one metrics line per
//! step; checkpoint every so often and once more at the end, so a stopped run resumes exactly.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When to stop and how often to checkpoint.
pub struct Limits {
    /// Stop at this many steps in total (counting steps before a resume).
    pub steps: Option<u64>,
    pub minutes: Option<f64>,
    pub checkpoint_every: Duration,
}

/// A model being trained, as the loop drives it.
pub trait Steps {
    type Metrics: Copy;
    type Error;
    /// Steps taken so far.
    fn done(&self) -> u64;
    fn step(&mut self) -> Result<Self::Metrics, Self::Error>;
    /// The metrics.jsonl line of a step taken `seconds` into the run.
    fn line(&self, metrics: &Self::Metrics, seconds: f64) -> serde_json::Value;
    /// Writes a checkpoint (atomically) after `last`.
    fn checkpoint(&mut self, last: Option<&Self::Metrics>) -> Result<(), Self::Error>;
}

/// How the loop ended.
pub struct Outcome<M> {
    pub last: Option<M>,
    pub interrupted: bool,
}

/// Runs `model` within `limits`; `on_step` hears each step and the time since the start;
/// a metrics line that cannot be written is an error made by `write_error`.
pub fn run<S: Steps>(
    model: &mut S,
    limits: &Limits,
    stop: &AtomicBool,
    metrics: &mut dyn Write,
    write_error: impl Fn(std::io::Error) -> S::Error,
    mut on_step: impl FnMut(&S::Metrics, Duration),
) -> Result<Outcome<S::Metrics>, S::Error> {
    let started = Instant::now();
    let mut last_checkpoint = Instant::now();
    let deadline = limits.minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let mut last = None;
    let mut interrupted = false;
    loop {
        if limits.steps.is_some_and(|s| model.done() >= s) || deadline.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let m = model.step()?;
        let line = model.line(&m, started.elapsed().as_secs_f64());
        writeln!(metrics, "{line}").map_err(&write_error)?;
        last = Some(m);
        on_step(&m, started.elapsed());
        if last_checkpoint.elapsed() >= limits.checkpoint_every {
            model.checkpoint(last.as_ref())?;
            last_checkpoint = Instant::now();
        }
    }
    model.checkpoint(last.as_ref())?;
    Ok(Outcome { last, interrupted })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts steps; fails at `fail_at`; records checkpoints.
    struct Counter {
        step: u64,
        fail_at: u64,
        checkpoints: Vec<u64>,
    }

    impl Steps for Counter {
        type Metrics = u64;
        type Error = String;
        fn done(&self) -> u64 {
            self.step
        }
        fn step(&mut self) -> Result<u64, String> {
            if self.step == self.fail_at {
                return Err(format!("diverged at {}", self.step));
            }
            self.step += 1;
            Ok(self.step)
        }
        fn line(&self, m: &u64, _: f64) -> serde_json::Value {
            serde_json::json!({ "step": m })
        }
        fn checkpoint(&mut self, _: Option<&u64>) -> Result<(), String> {
            self.checkpoints.push(self.step);
            Ok(())
        }
    }

    fn limits(steps: u64) -> Limits {
        Limits {
            steps: Some(steps),
            minutes: None,
            checkpoint_every: Duration::from_secs(3600),
        }
    }

    #[test]
    fn steps_to_the_target_with_a_line_each_and_a_final_checkpoint() {
        let mut c = Counter {
            step: 2,
            fail_at: 99,
            checkpoints: vec![],
        };
        let mut log = Vec::new();
        let mut heard = 0;
        let o = run(
            &mut c,
            &limits(5),
            &AtomicBool::new(false),
            &mut log,
            |e| e.to_string(),
            |_, _| heard += 1,
        )
        .unwrap();
        assert_eq!((o.last, o.interrupted, heard), (Some(5), false, 3));
        assert_eq!(
            String::from_utf8(log).unwrap(),
            "{\"step\":3}\n{\"step\":4}\n{\"step\":5}\n"
        );
        assert_eq!(c.checkpoints, [5]);
    }

    #[test]
    fn a_stop_request_checkpoints_and_says_so_and_a_failed_step_writes_nothing_more() {
        let mut c = Counter {
            step: 0,
            fail_at: 99,
            checkpoints: vec![],
        };
        let o = run(
            &mut c,
            &limits(5),
            &AtomicBool::new(true),
            &mut Vec::new(),
            |e| e.to_string(),
            |_, _| {},
        )
        .unwrap();
        assert_eq!(
            (o.last, o.interrupted, c.checkpoints.as_slice()),
            (None, true, &[0][..])
        );
        let mut c = Counter {
            step: 0,
            fail_at: 2,
            checkpoints: vec![],
        };
        let r = run(
            &mut c,
            &limits(5),
            &AtomicBool::new(false),
            &mut Vec::new(),
            |e| e.to_string(),
            |_, _| {},
        );
        assert_eq!(r.err().as_deref(), Some("diverged at 2"));
        assert!(c.checkpoints.is_empty(), "the last good checkpoint is kept");
    }
}
