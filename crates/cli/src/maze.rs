//! `photophone maze DIR` (serve the folder's maze, or print its layout) and `photophone walk`
//! (render a scripted walk through it to a binaural WAV, with the page's engine).

use crate::{check_writable, write, Failure};
use photophone::{analysis, compose::Score, synth, Options};
use photophone_maze::{folder, Engine, Layout, Walk};
use std::path::{Path, PathBuf};

/// Frames per block: the page's AudioWorklet quantum, so `walk` renders the page's samples.
const QUANTUM: usize = 128;

#[derive(clap::Args)]
pub struct MazeArgs {
    /// A folder of photos.
    dir: PathBuf,
    /// Print the maze as JSON (each photo's position and facing) instead of serving it.
    #[arg(long)]
    layout: bool,
    /// Maze seed: same photos + seed = the same maze (and the same music).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Address to serve the maze page on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
}

#[derive(clap::Args)]
pub struct WalkArgs {
    /// The folder of photos the maze is made of.
    dir: PathBuf,
    /// The walk: {"keys": [{"t": s, "x": m, "y": m, "heading": deg}, …]}.
    #[arg(long)]
    path: PathBuf,
    /// Binaural WAV to write.
    #[arg(short, long, default_value = "walk.wav")]
    output: PathBuf,
    /// Maze seed (as for `maze`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Sample rate in Hz (a browser's is usually 48000).
    #[arg(long, default_value_t = 48_000)]
    rate: u32,
    /// Most voices playing at once.
    #[arg(long, default_value_t = photophone_maze::engine::DEFAULT_MAX_VOICES)]
    voices: usize,
}

pub fn maze(args: MazeArgs) -> Result<(), Failure> {
    let photos = folder::photos_in(&args.dir).map_err(|e| Failure(e.to_string()))?;
    let layout = Layout::generate(folder::file_names(&photos), args.seed);
    if args.layout {
        println!(
            "{}",
            serde_json::to_string_pretty(&layout).expect("a layout serialises")
        );
        return Ok(());
    }
    eprintln!(
        "photophone: a maze of {} photo(s) from {}: open http://{}/maze",
        photos.len(),
        args.dir.display(),
        args.addr
    );
    crate::serve(args.addr, None, true, 30.0, Some(args.dir))
}

pub fn walk(args: WalkArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.path).map_err(|e| Failure::file(&args.path, e))?;
    let walk = Walk::from_json(&bytes).map_err(|e| Failure::file(&args.path, e))?;
    if !(8_000..=192_000).contains(&args.rate) {
        return Err(Failure(format!(
            "--rate must be between 8000 and 192000, got {}",
            args.rate
        )));
    }
    check_writable(&args.output)?;
    let photos = folder::photos_in(&args.dir).map_err(|e| Failure(e.to_string()))?;
    let layout = Layout::generate(folder::file_names(&photos), args.seed);
    let mut engine = Engine::new(layout, args.rate).map_err(|e| Failure(e.to_string()))?;
    engine.set_max_voices(args.voices);
    for (index, score) in scores(&photos, args.seed).into_iter().enumerate() {
        match score {
            Ok(score) => {
                engine.set_score(index, &score);
            }
            // A photo that cannot be read is a silent wall; the walk goes on.
            Err(problem) => eprintln!("photophone: warning: {problem} (that wall is silent)"),
        }
    }
    engine.set_walk(walk.clone());
    let audio = render_walk(&mut engine, walk.duration(), args.rate);
    write(&args.output, &synth::wav::encode_wav(&audio))
}

/// Renders the walk's length in quanta, interleaved.
pub fn render_walk(engine: &mut Engine, seconds: f64, rate: u32) -> synth::Audio {
    let frames = (seconds * rate as f64).round() as usize;
    let mut samples = Vec::with_capacity(2 * frames);
    let (mut l, mut r) = ([0f32; QUANTUM], [0f32; QUANTUM]);
    while samples.len() < 2 * frames {
        engine.render(&mut l, &mut r);
        let keep = (frames - samples.len() / 2).min(QUANTUM);
        samples.extend(l[..keep].iter().zip(&r[..keep]).flat_map(|(a, b)| [*a, *b]));
    }
    synth::Audio {
        sample_rate: rate,
        samples,
    }
}

/// Each photo's score as the page gets it from `/api/analyze` (ambient style, the maze's
/// seed, [`folder::SCORE_SECONDS`]), composed on all cores.
fn scores(photos: &[PathBuf], seed: u64) -> Vec<Result<Score, String>> {
    let options = Options {
        seconds: folder::SCORE_SECONDS,
        seed,
        ..Options::default()
    };
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(photos.len().max(1));
    let chunk = photos.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let jobs: Vec<_> = photos
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(|p| score(p, &options)).collect::<Vec<_>>()))
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().expect("compose thread"))
            .collect()
    })
}

fn score(path: &Path, options: &Options) -> Result<Score, String> {
    let photo = analysis::load_path_at(path, photophone::resolution_for(options.style))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(photophone::compose_photo(&photo, options).1)
}
