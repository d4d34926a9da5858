//! `photophone play`: the photo's music on the speakers.
//!
//! By default through the system's own audio player (PipeWire's `pw-play`, PulseAudio's
//! `paplay`, ALSA's `aplay`, `ffplay` or macOS's `afplay`, whichever is installed, or the
//! command in `PHOTOPHONE_PLAYER`), so building photophone needs no audio headers. Built with
//! `--features playback`, it streams in-process to the default output with cpal (on Linux that
//! needs the ALSA headers, libasound2-dev, at build time).

use crate::Failure;
use photophone::{Options, Photo};

#[cfg(not(feature = "playback"))]
pub fn play(photo: &Photo, opts: &Options) -> Result<(), Failure> {
    external::play(photo, opts)
}

#[cfg(not(feature = "playback"))]
mod external {
    use crate::Failure;
    use photophone::{Options, Photo};
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// Players tried in order, with the arguments that make them play one file and exit.
    const PLAYERS: [(&str, &[&str]); 5] = [
        ("pw-play", &[]),
        ("paplay", &[]),
        ("aplay", &["-q"]),
        ("ffplay", &["-nodisp", "-autoexit", "-loglevel", "error"]),
        ("afplay", &[]),
    ];

    fn on_path(name: &str) -> Option<PathBuf> {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    }

    /// `PHOTOPHONE_PLAYER` (`program [arguments]`), else the first player installed.
    fn player() -> Result<(String, Vec<String>), Failure> {
        if let Ok(custom) = std::env::var("PHOTOPHONE_PLAYER") {
            let mut words = custom.split_whitespace().map(String::from);
            if let Some(program) = words.next() {
                return Ok((program, words.collect()));
            }
        }
        PLAYERS
            .iter()
            .find_map(|(name, args)| on_path(name).map(|p| (p.display().to_string(), args.iter().map(|a| a.to_string()).collect())))
            .ok_or_else(|| {
                Failure(
                    "no audio player found (pw-play, paplay, aplay, ffplay or afplay): install one, e.g. \
                     `apt install alsa-utils`, or set PHOTOPHONE_PLAYER, or write a WAV with `photophone render`"
                        .into(),
                )
            })
    }

    pub fn play(photo: &Photo, opts: &Options) -> Result<(), Failure> {
        let (program, args) = player()?;
        let wav = photophone::wav_bytes(&photophone::render(photo, opts));
        let file = tempfile::Builder::new()
            .prefix("photophone-")
            .suffix(".wav")
            .tempfile()
            .map_err(|e| Failure(format!("cannot write a temporary file ({e})")))?;
        std::fs::write(file.path(), &wav)
            .map_err(|e| Failure(format!("cannot write a temporary file ({e})")))?;
        let name = program.rsplit('/').next().unwrap_or(&program).to_string();
        let child = Command::new(&program)
            .args(&args)
            .arg(file.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure(format!("cannot start the audio player {name} ({e})")))?;
        // Ctrl-C stops the player; the temporary file is removed either way.
        let pid = Arc::new(AtomicU32::new(child.id()));
        {
            let pid = pid.clone();
            let _ = ctrlc::set_handler(move || {
                #[cfg(unix)]
                // SAFETY: sending a signal to the child this process started.
                unsafe {
                    libc::kill(pid.load(Ordering::Relaxed) as i32, libc::SIGTERM);
                }
            });
        }
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!("playing {} ({:.0} s) with {name}…", photo.name, opts.seconds);
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Failure(format!("the audio player {name} failed ({e})")))?;
        if !out.status.success() && out.status.code().is_some() {
            let said = String::from_utf8_lossy(&out.stderr);
            let last = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
                .trim();
            return Err(Failure(format!("the audio player {name} failed: {last}")));
        }
        Ok(())
    }
}

#[cfg(feature = "playback")]
pub fn play(photo: &Photo, opts: &Options) -> Result<(), Failure> {
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
    use std::sync::{Arc, Mutex};

    // ALSA's library prints its own multi-line complaints to stderr when there is no sound
    // card; keep them out of the user's terminal and report one line of our own.
    let (device, supported) = quiet_stderr(|| {
        let host = cpal::default_host();
        let device = host
            .default_output_device()
            .ok_or_else(|| Failure("no audio output device found".into()))?;
        let supported = device
            .default_output_config()
            .map_err(|e| Failure(format!("no usable audio output device ({e})")))?;
        Ok::<_, Failure>((device, supported))
    })?;
    let format = supported.sample_format();
    let config: cpal::StreamConfig = supported.into();
    let channels = config.channels as usize;
    let rate = config.sample_rate;
    let stream = Arc::new(Mutex::new(photophone::stream(
        photo,
        &Options {
            sample_rate: rate,
            ..opts.clone()
        },
    )));
    let mut buf: Vec<f32> = Vec::new();
    let mut next_block = move |frames: usize| -> Vec<f32> {
        buf.resize(frames * 2, 0.0);
        if let Ok(mut s) = stream.lock() {
            s.render(&mut buf);
        }
        buf.clone()
    };
    let err_fn = |e| eprintln!("photophone: audio: {e}");
    let out = match format {
        cpal::SampleFormat::F32 => device.build_output_stream(
            config,
            move |data: &mut [f32], _: &cpal::OutputCallbackInfo| {
                let stereo = next_block(data.len() / channels);
                for (frame, lr) in data.chunks_mut(channels).zip(stereo.chunks(2)) {
                    for (c, s) in frame.iter_mut().enumerate() {
                        *s = lr[c.min(1)];
                    }
                }
            },
            err_fn,
            None,
        ),
        cpal::SampleFormat::I16 => device.build_output_stream(
            config,
            move |data: &mut [i16], _: &cpal::OutputCallbackInfo| {
                let stereo = next_block(data.len() / channels);
                for (frame, lr) in data.chunks_mut(channels).zip(stereo.chunks(2)) {
                    for (c, s) in frame.iter_mut().enumerate() {
                        *s = (lr[c.min(1)].clamp(-1.0, 1.0) * 32767.0) as i16;
                    }
                }
            },
            err_fn,
            None,
        ),
        other => {
            return Err(Failure(format!(
                "audio output sample format {other} is not supported"
            )))
        }
    }
    .map_err(|e| Failure(format!("cannot open audio output: {e}")))?;
    out.play()
        .map_err(|e| Failure(format!("cannot start audio output: {e}")))?;
    eprintln!("playing {} ({:.0} s)…", photo.name, opts.seconds);
    std::thread::sleep(std::time::Duration::from_secs_f64(opts.seconds));
    Ok(())
}

/// Runs `f` with file descriptor 2 pointed at /dev/null.
#[cfg(all(feature = "playback", target_os = "linux"))]
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return f();
    };
    // SAFETY: dup/dup2/close on descriptors this function owns; fd 2 is restored before return.
    unsafe {
        let saved = libc::dup(2);
        if saved < 0 {
            return f();
        }
        libc::dup2(null.as_raw_fd(), 2);
        let result = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        result
    }
}

#[cfg(all(feature = "playback", not(target_os = "linux")))]
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    f()
}
