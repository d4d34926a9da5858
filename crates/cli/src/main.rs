//! The `photophone` binary: a thin layer of argument parsing and file handling over the
//! `photophone` library.

mod arenas;
mod batch;
mod generate;
mod maze;
mod play;
mod timbre;
mod train;
mod training;

use clap::{Parser, Subcommand, ValueEnum};
use photophone::{analysis, compose, synth, Options, Photo, Style};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "photophone", version, about = "Turn photographs into music.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum StyleArg {
    /// photophone's design: light, colour, texture and structure drive the music.
    Ambient,
    /// The 2014 baseline: tracking.js FAST corners → sine oscillators at 20–500 Hz.
    Classic,
}

impl From<StyleArg> for Style {
    fn from(s: StyleArg) -> Style {
        match s {
            StyleArg::Ambient => Style::Ambient,
            StyleArg::Classic => Style::Classic,
        }
    }
}

#[derive(clap::Args, Clone)]
struct MusicArgs {
    /// Length in seconds.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    #[arg(long, value_enum, default_value = "ambient")]
    style: StyleArg,
    /// Variation seed: same photo + same seed = identical output.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 44_100)]
    rate: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Render a photo to a WAV file (and optionally its score to MIDI), or many photos and
    /// folders of photos into --out-dir, in parallel.
    Render {
        /// The photo (PNG, JPEG, GIF, BMP, TIFF, WebP). Without one, an embedded photo is used.
        /// With --out-dir: any number of photos and folders (searched recursively).
        photos: Vec<PathBuf>,
        /// Output WAV; default `<photo-stem>.wav` in the current directory.
        #[arg(short, long, conflicts_with = "out_dir")]
        output: Option<PathBuf>,
        /// Also write the score as a Standard MIDI File.
        #[arg(long, conflicts_with = "out_dir")]
        midi: Option<PathBuf>,
        /// Render every photo into this folder (`<stem>.wav`; a folder's layout is kept).
        /// Photos whose WAV is already there are skipped.
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// With --out-dir: render again even where the WAV exists.
        #[arg(long, requires = "out_dir")]
        force: bool,
        /// With --out-dir: photos rendered at the same time; default: CPU cores.
        #[arg(long, requires = "out_dir", value_parser = clap::value_parser!(u16).range(1..=1024))]
        jobs: Option<u16>,
        /// Print each stage's wall time to stderr.
        #[arg(long)]
        timings: bool,
        /// A timbre folder (`photophone timbre learn`): it plays the lead line and, where the
        /// instrument reaches low enough, the bass.
        #[arg(long, conflicts_with = "out_dir")]
        timbre: Option<PathBuf>,
        #[command(flatten)]
        music: MusicArgs,
    },
    /// Show what photophone sees in a photo and the musical decisions it makes.
    Analyze {
        photo: Option<PathBuf>,
        /// Machine-readable JSON (schema in the README).
        #[arg(long)]
        json: bool,
        /// Write the photo with its feature points drawn as red squares.
        #[arg(long)]
        overlay: Option<PathBuf>,
        /// Also say which layers this timbre would play, and why.
        #[arg(long)]
        timbre: Option<PathBuf>,
        #[command(flatten)]
        music: MusicArgs,
    },
    /// Train a WaveNet on your own clips (resumable; Ctrl-C writes a checkpoint).
    Train(train::TrainArgs),
    /// Generate raw audio from a trained WaveNet (fast generation; priming; variations).
    Generate(generate::GenerateArgs),
    /// Learn an instrument's timbre from a clip; re-synthesise clips in it.
    #[command(subcommand)]
    Timbre(timbre::TimbreCommand),
    /// Serve the web page (drop a photo, hear it) and its HTTP API. Logs each request to
    /// stderr (RUST_LOG filters); SIGTERM or Ctrl-C stops it gracefully.
    Serve {
        /// Address to listen on; loopback by default (use 0.0.0.0:PORT to expose it).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Photos processed at the same time (the rest queue); default: CPU cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Do not offer the page the WebAssembly engine: it plays server-rendered WAVs.
        #[arg(long)]
        no_wasm_engine: bool,
        /// After SIGTERM or Ctrl-C, seconds that requests in flight get to finish.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        shutdown_grace: f64,
        /// A folder of photos the maze page (/maze) can open and walk through.
        #[arg(long, value_name = "DIR")]
        photos: Option<PathBuf>,
    },
    /// Walk through a maze of a folder's photos in the browser (serves it and prints the
    /// address), or print the maze's layout as JSON (--layout).
    Maze(maze::MazeArgs),
    /// Render a scripted walk through a folder's maze to a binaural WAV (the page's engine).
    Walk(maze::WalkArgs),
    /// Play a photo's music on the default audio output.
    Play {
        photo: Option<PathBuf>,
        #[command(flatten)]
        music: MusicArgs,
    },
}

/// A failure for the user: one line, naming the file.
pub struct Failure(String);

impl Failure {
    fn file(path: &Path, problem: impl std::fmt::Display) -> Failure {
        Failure(format!("{}: {problem}", path.display()))
    }
}

fn main() -> ExitCode {
    // Any bug that still panics prints one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("photophone: internal error: {msg}");
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("photophone: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn options(m: &MusicArgs) -> Result<Options, Failure> {
    // The flags are named as the user typed them: "--seconds must be …".
    Options::checked(m.style.into(), m.seconds, m.seed, m.rate).map_err(|e| Failure(format!("--{e}")))
}

fn load(photo: &Option<PathBuf>, resolution: analysis::Resolution) -> Result<Photo, Failure> {
    match photo {
        None => Ok(photophone::default_photo()),
        Some(path) => analysis::load_path_at(path, resolution).map_err(|e| Failure::file(path, e)),
    }
}

/// The ambient style reads only the analysis copy; the classic style needs every pixel.
/// Checks up front that an output can be created, so no work is wasted on a doomed render.
pub fn check_writable(path: &Path) -> Result<(), Failure> {
    if path.is_dir() {
        return Err(Failure::file(path, "is a directory"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Failure::file(path, "its directory does not exist"));
    }
    tempfile::Builder::new()
        .prefix(".photophone-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| Failure::file(path, format!("cannot write here ({e})")))
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    synth::wav::write_atomically(path, bytes).map_err(|e| Failure(e.to_string()))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Render {
            photos,
            output,
            midi,
            out_dir,
            force,
            jobs,
            timings,
            timbre,
            music,
        } => {
            let opts = options(&music)?;
            if let Some(out_dir) = out_dir {
                if photos.is_empty() {
                    return Err(Failure("--out-dir needs photos or folders to render".into()));
                }
                return batch::render_batch(batch::Batch {
                    inputs: photos,
                    out_dir,
                    force,
                    jobs: jobs.map(usize::from),
                    options: opts,
                });
            }
            let photo = match <[PathBuf; 1]>::try_from(photos) {
                Ok([one]) => Some(one),
                Err(none) if none.is_empty() => None,
                Err(_) => {
                    return Err(Failure(
                        "several photos: give --out-dir to render them all".into(),
                    ))
                }
            };
            let output = output.unwrap_or_else(|| {
                let stem = photo
                    .as_ref()
                    .and_then(|p| p.file_stem())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| photophone::DEFAULT_PHOTO_NAME.into());
                PathBuf::from(format!("{stem}.wav"))
            });
            check_writable(&output)?;
            if let Some(m) = &midi {
                check_writable(m)?;
            }
            let timbre = timbre.map(|t| timbre::load(&t)).transpose()?;
            let t0 = Instant::now();
            let photo = load(&photo, photophone::resolution_for(opts.style))?;
            let decode = t0.elapsed();
            let r = match &timbre {
                Some(t) => photophone::timbre::render_with_timbre(&photo, &opts, t),
                None => photophone::render(&photo, &opts),
            };
            let t1 = Instant::now();
            let wav = synth::wav::encode_wav(&r.mastered.audio);
            write(&output, &wav)?;
            let encode = t1.elapsed();
            if let Some(m) = &midi {
                write(m, &compose::midi::to_midi_bytes(&r.score))?;
            }
            if timings {
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
                eprintln!(
                    "decode {:.1} ms, analysis {:.1} ms, composition {:.1} ms, synthesis {:.1} ms, encode+write {:.1} ms, total {:.1} ms",
                    ms(decode),
                    ms(r.timings.analysis),
                    ms(r.timings.composition),
                    ms(r.timings.synthesis),
                    ms(encode),
                    ms(t0.elapsed())
                );
            }
            eprintln!(
                "{}: {:.1} s, {} Hz stereo, {:.1} LUFS, peak {:.1} dBFS",
                output.display(),
                opts.seconds,
                opts.sample_rate,
                r.mastered.loudness_lufs,
                r.mastered.peak_dbfs
            );
            Ok(())
        }
        Command::Analyze {
            photo,
            json,
            overlay,
            timbre,
            music,
        } => {
            let opts = options(&music)?;
            let timbre = timbre.map(|p| timbre::load(&p).map(|t| (p, t))).transpose()?;
            if let Some(o) = &overlay {
                check_writable(o)?;
            }
            let photo = load(&photo, analysis::Resolution::Full)?;
            let (mut report, score) = photophone::report_and_score(&photo, &opts);
            if let Some((path, t)) = &timbre {
                photophone::timbre::describe(&mut report, &score, t, &path.display().to_string());
            }
            if let Some(o) = &overlay {
                let drawn = analysis::overlay::draw_points(
                    photo.best_pixels(),
                    report.analysis.features.iter().map(|f| (f.x, f.y)),
                );
                let format = image::ImageFormat::from_path(o).unwrap_or(image::ImageFormat::Png);
                let mut bytes = std::io::Cursor::new(Vec::new());
                drawn
                    .write_to(&mut bytes, format)
                    .map_err(|e| Failure::file(o, e))?;
                write(o, bytes.get_ref())?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                print_report(&report);
            }
            Ok(())
        }
        Command::Train(args) => train::train(args),
        Command::Generate(args) => generate::generate(args),
        Command::Timbre(cmd) => timbre::run(cmd),
        Command::Serve {
            addr,
            jobs,
            no_wasm_engine,
            shutdown_grace,
            photos,
        } => serve(addr, jobs, !no_wasm_engine, shutdown_grace, photos),
        Command::Maze(args) => maze::maze(args),
        Command::Walk(args) => maze::walk(args),
        Command::Play { photo, music } => {
            let opts = options(&music)?;
            let photo = load(&photo, photophone::resolution_for(opts.style))?;
            play::play(&photo, &opts)
        }
    }
}

pub(crate) fn serve(
    addr: std::net::SocketAddr,
    jobs: Option<usize>,
    wasm_engine: bool,
    shutdown_grace: f64,
    photos: Option<PathBuf>,
) -> Result<(), Failure> {
    if !(0.0..=3600.0).contains(&shutdown_grace) {
        return Err(Failure(format!(
            "--shutdown-grace must be between 0 and 3600 seconds, got {shutdown_grace}"
        )));
    }
    if let Some(dir) = &photos {
        if !dir.is_dir() {
            return Err(Failure(format!("--photos {}: not a folder", dir.display())));
        }
    }
    let mut limits = photophone_web::Limits {
        photos,
        wasm_engine,
        shutdown_grace: std::time::Duration::from_secs_f64(shutdown_grace),
        ..Default::default()
    };
    if let Some(j) = jobs {
        if j == 0 || j > 1024 {
            return Err(Failure(format!("--jobs must be in 1..=1024, got {j}")));
        }
        limits.concurrent_jobs = j;
    }
    photophone_web::init_logging();
    arenas::cap_malloc_arenas(limits.concurrent_jobs);
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| Failure(format!("cannot start the server: {e}")))?;
    let served = runtime.block_on(photophone_web::serve(addr, limits, |bound| {
            // The first line on stdout is the address (scripts read it when --addr has port 0).
            println!("http://{bound}/");
            if !photophone_web::has_wasm_engine() && wasm_engine {
                eprintln!("photophone: note: built without the WebAssembly engine (scripts/build-wasm.sh adds it); the page plays server-rendered audio");
            }
            eprintln!("photophone: serving on http://{bound}/ (Ctrl-C stops)");
        }));
    // A job still running past the shutdown grace must not hold the exit (dropping the
    // runtime would wait for its blocking thread).
    runtime.shutdown_background();
    served.map_err(|e| Failure(format!("{addr}: {e}")))
}

fn print_report(r: &photophone::Report) {
    let a = &r.analysis;
    println!("{} ({}x{})", r.photo.name, r.photo.width, r.photo.height);
    println!(
        "  light      mean luminance {:.3}, median {:.3}, lightness {:.2}, std {:.3}",
        a.luminance.mean, a.luminance.median, a.luminance.lightness, a.luminance.std_dev
    );
    println!(
        "  colour     warmth {:+.2}, saturation {:.2}, hue {:.0}°",
        a.colour.warmth, a.colour.saturation, a.colour.mean_hue_deg
    );
    println!(
        "  texture    contrast {:.2}, edge density {:.3}",
        a.texture.contrast, a.texture.edge_density
    );
    let palette: Vec<String> = a
        .palette
        .iter()
        .map(|p| format!("{} {:.0}%", p.hex, p.weight * 100.0))
        .collect();
    println!("  palette    {}", palette.join(", "));
    println!(
        "  regions    sky {:.0}%, water {:.0}%, vegetation {:.0}%, ground {:.0}%, heavy sky {:.2}",
        a.regions.sky * 100.0,
        a.regions.water * 100.0,
        a.regions.vegetation * 100.0,
        a.regions.ground * 100.0,
        a.regions.heavy_sky
    );
    println!(
        "  features   {} scored FAST points; classic: {} tracking.js corners",
        a.features.len(),
        r.classic.feature_pixels.len()
    );
    println!("music ({:?})", r.music.style);
    if let Some(t) = &r.music.timbre {
        let plays = match t.plays.as_slice() {
            [] => "nothing in this style (no melodic line)".to_string(),
            p => format!("the {}; the other layers as usual", p.join(" and ")),
        };
        println!("  timbre     {} plays {plays}", t.path);
    }
    for d in &r.music.decisions {
        println!("  {:<10} {} — because {}", d.topic, d.value, d.because);
    }
}
