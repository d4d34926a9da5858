//! `photophone play`: streams a photo's music to the default audio output.

use crate::Failure;
use photophone::{Options, Photo};

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

#[cfg(not(feature = "playback"))]
pub fn play(_photo: &Photo, _opts: &Options) -> Result<(), Failure> {
    Err(Failure(
        "this photophone was built without the `playback` feature; rebuild with default features".into(),
    ))
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
