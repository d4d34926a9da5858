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

/// The seed's complaint, measured: how far apart renders of different photos sound, by the
/// listening fingerprint (brightness and width of the spectrum on the Bark scale, onsets per
/// second, beat, pitch classes; see `common/listen.rs`), against the 2014 mapping. The
/// long-term spectrum alone is printed too: it rates classic's few sine lines as different
/// when they fall in different bands, though every classic render is heard as the same hum.
#[test]
fn ambient_differs_between_photos_far_more_than_classic() {
    let mut photos = real_photos();
    photos.push(stormy());
    let renders: Vec<(Vec<f32>, Vec<f32>)> = photos
        .iter()
        .map(|p| (render(p, Style::Ambient, 10.0), render(p, Style::Classic, 10.0)))
        .collect();
    let pairs = |d: &dyn Fn(usize, usize) -> f32| {
        let mut v = Vec::new();
        for i in 0..renders.len() {
            for j in i + 1..renders.len() {
                v.push(d(i, j));
            }
        }
        v
    };
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let bark = |k: usize| {
        (
            band_spectrum_db(&renders[k].0, 44_100, &bark_edges()),
            band_spectrum_db(&renders[k].1, 44_100, &bark_edges()),
        )
    };
    let spectra: Vec<_> = (0..renders.len()).map(bark).collect();
    eprintln!(
        "long-term spectrum, critical bands: mean pairwise distance ambient {:.2} dB, classic {:.2} dB",
        mean(&pairs(&|i, j| spectral_distance(&spectra[i].0, &spectra[j].0))),
        mean(&pairs(&|i, j| spectral_distance(&spectra[i].1, &spectra[j].1)))
    );
    let heard: Vec<_> = renders
        .iter()
        .map(|(a, c)| (listen::fingerprint(a, 44_100), listen::fingerprint(c, 44_100)))
        .collect();
    let ambient = pairs(&|i, j| listen::audible_distance(&heard[i].0, &heard[j].0));
    let classic = pairs(&|i, j| listen::audible_distance(&heard[i].1, &heard[j].1));
    let min = |v: &[f32]| v.iter().fold(f32::MAX, |m, &x| m.min(x));
    eprintln!(
        "listening fingerprint: ambient mean {:.2}, closest {:.2}; classic mean {:.2}, closest {:.2} (under 1: alike)",
        mean(&ambient),
        min(&ambient),
        mean(&classic),
        min(&classic)
    );
    // (On these four photos classic's sines happen to differ in brightness; across the
    // 53-photo real set, real_photos.rs finds 7 % of classic pairs alike and no ambient pair.)
    assert!(
        min(&ambient) >= 1.0,
        "two ambient renders sound alike: {ambient:?}"
    );
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
