//! `photophone render DIR_OR_PHOTOS… --out-dir OUT`: a photo library on one machine, every core
//! busy, one WAV per photo. Outputs are written atomically, so a WAV that exists is complete:
//! a re-run skips it (unless `--force`) and an interrupted batch continues where it stopped.

use crate::Failure;
use indicatif::{ProgressBar, ProgressStyle};
use photophone::{analysis, Options};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a folder walk picks up (named files are always tried, whatever their extension).
const PHOTO_EXTENSIONS: [&str; 9] = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "jfif"];

/// One photo and the WAV it becomes.
#[derive(Debug)]
struct Job {
    photo: PathBuf,
    wav: PathBuf,
}

pub struct Batch {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub force: bool,
    pub jobs: Option<usize>,
    pub options: Options,
}

pub fn render_batch(batch: Batch) -> Result<(), Failure> {
    let jobs = plan(&batch.inputs, &batch.out_dir)?;
    std::fs::create_dir_all(&batch.out_dir)
        .map_err(|e| Failure::file(&batch.out_dir, format!("cannot create ({e})")))?;
    crate::check_writable(&batch.out_dir.join(".photophone-batch-check"))?;
    let total = jobs.len();
    let todo: Vec<Job> = jobs
        .into_iter()
        .filter(|j| batch.force || !j.wav.exists())
        .collect();
    let skipped = total - todo.len();
    let threads = batch
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure(format!("cannot start {threads} worker threads: {e}")))?;

    // Ctrl-C: photos in progress finish (their WAVs are whole), no new one starts.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let bar = ProgressBar::new(todo.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} photos  {per_sec}  ETA {eta}  {msg}")
            .expect("valid template"),
    );
    let failed = AtomicUsize::new(0);
    let rendered = AtomicUsize::new(0);
    let t0 = Instant::now();
    pool.install(|| {
        todo.par_iter().for_each(|job| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match render_one(job, &batch.options) {
                Ok(()) => rendered.fetch_add(1, Ordering::Relaxed),
                Err(Failure(msg)) => {
                    // (`println` would drop the line when stderr is not a terminal.)
                    bar.suspend(|| eprintln!("photophone: error: {msg}"));
                    failed.fetch_add(1, Ordering::Relaxed)
                }
            };
            bar.inc(1);
        })
    });
    bar.finish_and_clear();

    let (rendered, failed) = (rendered.into_inner(), failed.into_inner());
    let seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "photophone: {rendered} rendered, {skipped} already there (--force redoes them), {failed} failed, \
         in {seconds:.1} s ({:.2} photos/s on {threads} threads) → {}",
        rendered as f64 / seconds.max(1e-9),
        batch.out_dir.display()
    );
    let interrupted = total - skipped - rendered - failed;
    if interrupted > 0 {
        return Err(Failure(format!(
            "interrupted: {interrupted} photos not rendered (run the same command again to continue)"
        )));
    }
    if failed > 0 {
        return Err(Failure(format!(
            "{failed} of {total} photos failed (reasons above)"
        )));
    }
    Ok(())
}

fn render_one(job: &Job, options: &Options) -> Result<(), Failure> {
    let photo = analysis::load_path_at(&job.photo, photophone::resolution_for(options.style))
        .map_err(|e| Failure::file(&job.photo, e))?;
    let wav = photophone::wav_bytes(&photophone::render(&photo, options));
    if let Some(dir) = job.wav.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Failure::file(dir, format!("cannot create ({e})")))?;
    }
    crate::write(&job.wav, &wav)
}

/// Every photo named or found under a named folder (recursively, in name order), with its
/// output: `OUT/<stem>.wav` for a named file, `OUT/<path below the folder>.wav` for a found one.
fn plan(inputs: &[PathBuf], out_dir: &Path) -> Result<Vec<Job>, Failure> {
    let mut jobs = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Failure::file(input, io_problem(&e)))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            if found.is_empty() {
                return Err(Failure::file(
                    input,
                    "no photos in this folder (PNG, JPEG, GIF, BMP, TIFF, WebP)",
                ));
            }
            for photo in found {
                let relative = photo.strip_prefix(input).expect("found under the input");
                jobs.push(Job {
                    wav: out_dir.join(relative).with_extension("wav"),
                    photo,
                });
            }
        } else {
            let stem = input
                .file_stem()
                .map_or_else(|| "photo".into(), |s| s.to_string_lossy().into_owned());
            jobs.push(Job {
                wav: out_dir.join(format!("{stem}.wav")),
                photo: input.clone(),
            });
        }
    }
    let mut writers: HashMap<&Path, &Path> = HashMap::new();
    for job in &jobs {
        if let Some(first) = writers.insert(&job.wav, &job.photo) {
            return Err(Failure(format!(
                "{} and {} would both write {}; render them into different --out-dir folders",
                first.display(),
                job.photo.display(),
                job.wav.display()
            )));
        }
    }
    Ok(jobs)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| Failure::file(dir, io_problem(&e)))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::file(dir, io_problem(&e)))?;
    paths.sort();
    for path in paths {
        // Symlinked folders are not followed (a link back up would never end).
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            walk(&path, found)?;
        } else if is_photo_name(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_photo_name(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    !hidden && ext.is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.as_str()))
}

fn io_problem(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        _ => format!("cannot read ({e})"),
    }
}
