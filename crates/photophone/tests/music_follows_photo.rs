//! The music must follow the photo: these tests fail if the mapping stops doing so.

mod common;

use common::*;
use photophone::{synth, Options, Style};

fn render(photo: &photophone::Photo, style: Style, seconds: f64) -> Vec<f32> {
    let opts = Options {
        style,
        seconds,
        seed: 1,
        ..Options::default()
    };
    photophone::render(photo, &opts).mastered.audio.samples
}

#[test]
fn spectral_centroid_rises_with_photo_luminance() {
    for base in [photophone::default_photo(), fixture("rocket.jpg")] {
        let mut last = 0.0;
        let mut centroids = Vec::new();
        for gain in [0.15, 0.5, 1.0, 2.5] {
            let photo = relit(&base, gain);
            let lum = photophone::analysis::analyze(&photo).luminance.mean;
            let c = spectral_centroid(&render(&photo, Style::Ambient, 12.0), 44_100);
            centroids.push((gain, lum, c));
            assert!(
                c > last,
                "{}: centroid must rise with luminance: {centroids:?}",
                base.name
            );
            last = c;
        }
        // And by a clearly audible amount from darkest to brightest.
        assert!(
            centroids[3].2 > centroids[0].2 * 1.5,
            "{}: {centroids:?}",
            base.name
        );
        eprintln!("{}: (gain, luminance, centroid Hz) {centroids:?}", base.name);
    }
}

/// The seed's complaint, measured: how different the long-term spectra of different photos
/// are, on the ear's own frequency scale (critical bands). Third-octave bands are printed
/// too; they weigh the 20–500 Hz region, where all of classic's sines live, 13 bands to 15.
#[test]
fn ambient_differs_between_photos_far_more_than_classic() {
    let mut photos = real_photos();
    photos.push(stormy());
    let renders: Vec<(Vec<f32>, Vec<f32>)> = photos
        .iter()
        .map(|p| (render(p, Style::Ambient, 10.0), render(p, Style::Classic, 10.0)))
        .collect();
    let mean_pairwise = |s: &[Vec<f32>]| {
        let mut total = 0.0;
        let mut n = 0;
        for i in 0..s.len() {
            for j in i + 1..s.len() {
                total += spectral_distance(&s[i], &s[j]);
                n += 1;
            }
        }
        total / n as f32
    };
    let distances = |edges: &[f32]| {
        let a: Vec<Vec<f32>> = renders
            .iter()
            .map(|r| band_spectrum_db(&r.0, 44_100, edges))
            .collect();
        let c: Vec<Vec<f32>> = renders
            .iter()
            .map(|r| band_spectrum_db(&r.1, 44_100, edges))
            .collect();
        (mean_pairwise(&a), mean_pairwise(&c))
    };
    let (t_amb, t_cla) = distances(&third_octave_edges());
    eprintln!(
        "third-octave bands: ambient {t_amb:.2} dB, classic {t_cla:.2} dB, ratio {:.2}",
        t_amb / t_cla
    );
    let (ambient, classic) = distances(&bark_edges());
    let ratio = ambient / classic;
    eprintln!("critical bands: mean pairwise spectral distance ambient {ambient:.2} dB, classic {classic:.2} dB, ratio {ratio:.2}");
    // Measured 1.61 (ambient 9.6 dB, classic 6.0 dB) when this was written; a mapping that
    // stopped following the photo would fall to or below classic.
    assert!(ratio > 1.4, "ambient {ambient} dB vs classic {classic} dB");
}

#[test]
fn same_photo_and_seed_give_identical_audio_and_other_seeds_do_not() {
    let photo = fixture("chelsea.png");
    let a = render(&photo, Style::Ambient, 6.0);
    let b = render(&photo, Style::Ambient, 6.0);
    assert!(a == b, "same seed must be bit-identical");
    let opts = Options {
        seconds: 6.0,
        seed: 2,
        ..Options::default()
    };
    let c = photophone::render(&photo, &opts).mastered.audio.samples;
    assert!(a != c, "another seed gives a variation");
    let wav_a = synth::wav::encode_wav(&synth::Audio {
        sample_rate: 44_100,
        samples: a,
    });
    let wav_b = synth::wav::encode_wav(&synth::Audio {
        sample_rate: 44_100,
        samples: b,
    });
    assert_eq!(wav_a, wav_b);
}

#[test]
fn mastering_meets_loudness_peak_and_dc_targets() {
    for photo in real_photos().iter().chain([stormy()].iter()) {
        for style in [Style::Ambient, Style::Classic] {
            let r = photophone::render(
                photo,
                &Options {
                    style,
                    seconds: 12.0,
                    ..Options::default()
                },
            );
            let s = &r.mastered.audio.samples;
            let lufs = synth::loudness_lufs(s, 44_100);
            assert!(
                (lufs - -16.0).abs() <= 1.0,
                "{} {style:?}: {lufs} LUFS",
                photo.name
            );
            let peak = s.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(
                20.0 * peak.log10() <= -1.0,
                "{} {style:?}: peak {peak}",
                photo.name
            );
            for ch in 0..2 {
                let mean =
                    s.iter().skip(ch).step_by(2).map(|&x| x as f64).sum::<f64>() / (s.len() / 2) as f64;
                assert!(mean.abs() < 1e-3, "{} {style:?}: DC {mean}", photo.name);
            }
        }
    }
}

/// Worst click: the largest second difference in any 5 ms block, relative to the RMS second
/// difference of the 50 ms around it. A discontinuity stands far above its surroundings;
/// the music's own bright notes raise the surroundings too. Returns (ratio, time in s).
fn worst_click(s: &[f32]) -> (f32, f32) {
    const B: usize = 220;
    let mut worst = (0f32, 0f32);
    for ch in 0..2 {
        let x: Vec<f32> = s.iter().skip(ch).step_by(2).copied().collect();
        let d2: Vec<f32> = x.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()).collect();
        let blocks: Vec<(f32, f32)> = d2
            .chunks(B)
            .map(|c| {
                (
                    c.iter().fold(0f32, |m, v| m.max(*v)),
                    c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32,
                )
            })
            .collect();
        for i in 0..blocks.len() {
            let lo = i.saturating_sub(5);
            let hi = (i + 6).min(blocks.len());
            let around: Vec<f32> = (lo..hi).filter(|&k| k != i).map(|k| blocks[k].1).collect();
            let rms = (around.iter().sum::<f32>() / around.len().max(1) as f32).sqrt();
            let ratio = blocks[i].0 / rms.max(2e-4);
            if ratio > worst.0 {
                worst = (ratio, (i * B) as f32 / 44_100.0);
            }
        }
    }
    worst
}

const CLICK_RATIO: f32 = 10.0;

#[test]
fn the_click_detector_detects_clicks() {
    let mut s = render(&fixture("chelsea.png"), Style::Ambient, 6.0);
    assert!(worst_click(&s).0 < CLICK_RATIO);
    // A 0.1 step (−20 dBFS): clean renders score about 4.5, this scores about 15.
    for v in s[2 * 100_000..].iter_mut() {
        *v += 0.1;
    }
    let (ratio, at) = worst_click(&s);
    assert!(ratio > CLICK_RATIO, "missed an injected click: {ratio}");
    assert!((at - 100_000.0 / 44_100.0).abs() < 0.01, "click found at {at} s");
}

#[test]
fn no_clicks_at_note_boundaries() {
    for photo in real_photos() {
        let s = render(&photo, Style::Ambient, 12.0);
        let (ratio, at) = worst_click(&s);
        assert!(
            ratio < CLICK_RATIO,
            "{}: click-like jump {ratio:.1}x its surroundings at {at:.3} s",
            photo.name
        );
    }
}

#[test]
fn streaming_in_any_block_size_matches_and_crossfade_is_click_free() {
    let photo = fixture("rocket.jpg");
    let opts = Options {
        seconds: 5.0,
        ..Options::default()
    };
    let whole = {
        let mut s = photophone::stream(&photo, &opts);
        let mut buf = vec![0f32; 2 * 44_100 * 4];
        s.render(&mut buf);
        buf
    };
    for block in [64usize, 100, 4096, 999] {
        let mut s = photophone::stream(&photo, &opts);
        let mut out = Vec::new();
        let mut buf = vec![0f32; 2 * block];
        while out.len() < whole.len() {
            s.render(&mut buf);
            out.extend_from_slice(&buf);
        }
        out.truncate(whole.len());
        assert!(out == whole, "block size {block} changes the output");
    }
    // Switch photos mid-stream: the cross-fade must not click and must reach the new score.
    let mut s = photophone::stream(&photo, &opts);
    let mut out = vec![0f32; 2 * 44_100];
    s.render(&mut out);
    let other = photophone::compose_photo(&photophone::default_photo(), &opts).1;
    s.switch_to(other.clone(), 0.5);
    let mut after = vec![0f32; 2 * 44_100 * 2];
    s.render(&mut after);
    assert_eq!(s.score(), &other);
    let mut joined = out[out.len() - 2048..].to_vec();
    joined.extend_from_slice(&after);
    let (ratio, at) = worst_click(&joined);
    assert!(ratio < CLICK_RATIO, "cross-fade clicks: {ratio:.1} at {at:.3} s");
    assert!(
        after.iter().any(|x| x.abs() > 0.01),
        "stream is silent after the switch"
    );
}

#[test]
fn midi_export_has_the_score() {
    let photo = photophone::default_photo();
    let (_, score) = photophone::compose_photo(
        &photo,
        &Options {
            seconds: 20.0,
            ..Options::default()
        },
    );
    let bytes = photophone::compose::midi::to_midi_bytes(&score);
    let smf = midly::Smf::parse(&bytes).expect("valid SMF");
    assert_eq!(smf.tracks.len(), 4);
    let note_ons = |t: &Vec<midly::TrackEvent>| {
        t.iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    midly::TrackEventKind::Midi {
                        message: midly::MidiMessage::NoteOn { .. },
                        ..
                    }
                )
            })
            .count()
    };
    let photophone::compose::Arrangement::Ambient(a) = &score.arrangement else {
        panic!("ambient")
    };
    assert_eq!(note_ons(&smf.tracks[1]), a.lead.len());
    assert_eq!(
        note_ons(&smf.tracks[2]),
        a.chords.iter().map(|c| c.notes.len()).sum::<usize>()
    );
    assert!(a.lead.len() > 10);
}

#[test]
#[ignore]
fn print_band_spectra() {
    let mut photos = real_photos();
    photos.push(stormy());
    for style in [Style::Ambient, Style::Classic] {
        for p in &photos {
            let b = band_spectrum_db(&render(p, style, 10.0), 44_100, &bark_edges());
            let s: Vec<String> = b.iter().map(|v| format!("{:4.0}", v)).collect();
            eprintln!("{style:?} {:8} {}", p.name, s.join(""));
        }
    }
    let mut s = render(&fixture("chelsea.png"), Style::Ambient, 6.0);
    eprintln!("clean {:?}", worst_click(&s));
    for v in s[2 * 100_000..].iter_mut() {
        *v += 0.1;
    }
    eprintln!("0.1 step {:?}", worst_click(&s));
}
