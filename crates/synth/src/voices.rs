//! Score → fundsp graph. Every sounding thing is an event in a `Sequencer` (so note starts and
//! ends get smooth fades and never click); the reverb and DC blocker sit on a separate bus so
//! the offline renderer can run the two halves on two cores.
//!
//! Ambient graph:  (bed + pad >> low-pass + lead >> low-pass) >> [bus: dry & reverb >> DC block]
//! (the three dry parts can also be rendered apart and summed in that order).

// fundsp's graph notation reads like its documentation: `osc * gain >> filter` relies on
// `*` binding tighter than `>>`, as intended.
#![allow(clippy::precedence)]

use crate::bus::Bus;
use crate::svf::{stereo_lowpass, swept_bandpass};
use crate::tones;
use fundsp::prelude32::*;
use photophone_compose::theory::midi_to_hz;
use photophone_compose::{Ambient, Arrangement, Classic, Score, TextureKind};

/// The two halves of a score's signal chain.
pub struct Voices {
    /// No inputs, stereo out: every note, drone and texture, dry.
    pub dry: Box<dyn AudioUnit>,
    /// Stereo in, stereo out: reverb mix and DC blocking.
    pub bus: Bus,
}

/// Builds the graph for a score at a sample rate.
pub fn build(score: &Score, sample_rate: f64) -> Voices {
    Voices {
        dry: sum(dry_parts(score, sample_rate, Room::Preallocated)),
        bus: bus_for(score, sample_rate),
    }
}

/// The parts summed left to right, as `render_raw` sums them on its threads.
fn sum(parts: Vec<Box<dyn AudioUnit>>) -> Box<dyn AudioUnit> {
    let mut parts = parts.into_iter();
    let mut sum = parts.next().expect("at least one dry part");
    for part in parts {
        sum = Box::new(unit::<U0, U2>(sum) + unit::<U0, U2>(part));
    }
    sum
}

/// The dry voices alone, summed as in [`Voices::dry`] (for hosts that supply their own room,
/// as the photo maze does): building the bus's reverb network would be wasted there. Built
/// lean: fundsp's `allocate`, which reserves room for thousands more events
/// per sequencer, was 90 % of building a graph (1.8 ms), the one costly step a real-time host
/// takes on its audio thread, and the lists' default room was 12 MB of a WebAssembly page's
/// memory per voice. The samples are the same.
pub fn build_dry(score: &Score, sample_rate: f64) -> Box<dyn AudioUnit> {
    sum(dry_parts(score, sample_rate, Room::Lean))
}

/// The dry voices as independent parts whose sum, left to right, is [`Voices::dry`], so the
/// offline renderer can compute them on separate threads.
pub(crate) struct Parts {
    pub dry: Vec<Box<dyn AudioUnit>>,
    pub bus: Bus,
}

pub(crate) fn build_parts(score: &Score, sample_rate: f64) -> Parts {
    Parts {
        dry: dry_parts(score, sample_rate, Room::Preallocated),
        bus: bus_for(score, sample_rate),
    }
}

fn bus_for(score: &Score, sample_rate: f64) -> Bus {
    match &score.arrangement {
        Arrangement::Ambient(a) => {
            Bus::with_reverb(a.reverb_room_m, a.reverb_time_s, 0.6, a.reverb_wet, sample_rate)
        }
        Arrangement::Classic(_) => Bus::dry(sample_rate),
    }
}

/// How a graph's event lists are sized.
#[derive(Clone, Copy, PartialEq)]
enum Room {
    /// fundsp's `allocate`: room for thousands more events, so nothing allocates while
    /// playing (the offline renderer and `Stream`).
    Preallocated,
    /// Just the events pushed: a fundsp `Sequencer` starts with room for 16,384 events in
    /// each of its lists (~4 MB, mostly never touched natively, but all of it counted in a
    /// WebAssembly page's memory: 12 MB a voice); a clone keeps only what is used.
    Lean,
}

fn dry_parts(score: &Score, sample_rate: f64, room: Room) -> Vec<Box<dyn AudioUnit>> {
    let mut dry: Vec<Box<dyn AudioUnit>> = match &score.arrangement {
        Arrangement::Ambient(a) => ambient_parts(a, score.seconds, score.seed, sample_rate, room),
        Arrangement::Classic(c) => {
            let mut seq = sequencer(sample_rate);
            classic_events(&mut seq, c, score.seconds);
            vec![Box::new(sized(seq, room))]
        }
    };
    for part in &mut dry {
        part.set_sample_rate(sample_rate);
        if room == Room::Preallocated {
            part.allocate();
        }
    }
    dry
}

fn sequencer(sample_rate: f64) -> Sequencer {
    let mut seq = Sequencer::new(0, 2, ReplayMode::None);
    // Before any push: events take the sequencer's rate when pushed.
    seq.set_sample_rate(sample_rate);
    seq
}

/// Pushes an event, keeping fades inside its span as fundsp requires.
fn push(seq: &mut Sequencer, start: f64, end: f64, fade_in: f64, fade_out: f64, unit: Box<dyn AudioUnit>) {
    let len = (end - start).max(1e-3);
    let fade_in = fade_in.min(len * 0.5);
    let fade_out = fade_out.min(len * 0.5);
    seq.push(start, start + len, Fade::Smooth, fade_in, fade_out, unit);
}

/// Four layers, each a sequencer of events; filters that are the same for every note of a
/// layer sit once on the layer (a linear filter of a sum is the sum of the filtered notes),
/// which keeps a 30-second render inside its time budget. Returned as three parts to be
/// summed in order: bed, pad, lead. (A sequencer does not pass fundsp's pseudorandom phase
/// hashes on to its events, so grouping the layers differently changes no sample.)
/// The sequencer with its event lists sized for `room`.
fn sized(seq: Sequencer, room: Room) -> Sequencer {
    match room {
        Room::Preallocated => seq,
        Room::Lean => seq.clone(),
    }
}

fn ambient_parts(
    a: &Ambient,
    seconds: f64,
    seed: u64,
    sample_rate: f64,
    room: Room,
) -> Vec<Box<dyn AudioUnit>> {
    let whole_fade = (seconds * 0.15).min(4.0);

    // Bed: drone (root and fifth, two detuned saws each, slow swell) and the noise texture.
    // The tones share one low-pass after panning (the same sound as one low-pass per tone,
    // since both are linear; one stereo filter costs half as much as two mono ones in turn).
    let mut bed = sequencer(sample_rate);
    let mut drone: Box<dyn AudioUnit> = Box::new(zero() >> split::<U2>());
    for (i, &m) in a.drone.iter().enumerate() {
        let f = midi_to_hz(m as f32);
        let level = a.drone_level * if i == 0 { 0.22 } else { 0.12 };
        let place = if i == 0 { -0.1 } else { 0.1 };
        let swell_seed = seed.wrapping_add(i as u64);
        let saws = tones::chord(&[(f, 1.0, place), (f * 1.0035, 1.0, place)], swell_seed ^ 0xd7_0e);
        let swell = lfo(move |t: f32| level * (0.8 + 0.2 * spline_noise(swell_seed, t * 0.13)));
        drone = Box::new(unit::<U0, U2>(drone) + saws * (swell >> split::<U2>()));
    }
    let drone = unit::<U0, U2>(drone) >> stereo_lowpass(a.drone_cutoff_hz, 0.6);
    push(&mut bed, 0.0, seconds, whole_fade, whole_fade, Box::new(drone));
    // Texture: band-passed noise whose centre wanders; the right channel is the left delayed
    // by 11 ms, which widens it for the price of one filter.
    let centre = a.texture_centre_hz;
    let motion = a.texture_motion_hz;
    let (q, depth) = match a.texture {
        TextureKind::Water => (2.5, 0.45),
        TextureKind::Wind => (1.2, 0.7),
    };
    let level = a.texture_level * 0.5;
    let s = seed ^ 0x5eed_0001;
    let texture =
        (noise().seed(s) | lfo(move |t: f32| centre * (1.0 + depth * spline_noise(s, t * motion))) | dc(q))
            >> swept_bandpass()
            >> mul(level)
            >> split::<U2>()
            >> (pass() | delay(0.011));
    push(&mut bed, 0.0, seconds, whole_fade, whole_fade, Box::new(texture));

    // Pad: one event per chord (its tones spread across the stereo field), cross-fading
    // into the next chord.
    let mut pad = sequencer(sample_rate);
    let pad_fade = 1.2;
    for (c, chord) in a.chords.iter().enumerate() {
        let n = chord.notes.len().clamp(1, usize::MAX) as f32;
        let level = a.pad_level * 0.16 / n.sqrt();
        let tones: Vec<(f32, f32, f32)> = chord
            .notes
            .iter()
            .enumerate()
            .map(|(i, &m)| {
                let spread = (i as f32 / (n - 1.0).max(1.0)) * 1.2 - 0.6;
                (midi_to_hz(m as f32) * 1.002, level, spread)
            })
            .collect();
        let start = (chord.start - pad_fade * 0.5).max(0.0);
        let end = (chord.start + chord.duration + pad_fade * 0.5).min(seconds);
        // Each chord's saws start at their own phases, fixed by the seed.
        let phase_seed = seed.wrapping_mul(0x9e37_79b9).wrapping_add(64 * c as u64);
        let unit = tones::chord(&tones, phase_seed);
        push(&mut pad, start, end, pad_fade, pad_fade, Box::new(unit));
    }

    // Lead: notes that strike and decay; brightness blends a saw into the sine.
    let mut lead = sequencer(sample_rate);
    let lb = a.lead_brightness;
    let decay = 6.9 / a.lead_decay_s.max(0.2); // e^-6.9 = -60 dB
    for note in &a.lead {
        let f = midi_to_hz(note.midi as f32);
        let level = a.lead_level * 0.3 * note.velocity;
        let unit = tones::lead_note(f, level, decay, lb, note.pan);
        let end = (note.start + note.duration + 0.6).min(seconds);
        push(&mut lead, note.start, end, 0.006, 0.5, Box::new(unit));
    }

    vec![
        Box::new(sized(bed, room)),
        Box::new(unit::<U0, U2>(Box::new(sized(pad, room))) >> stereo_lowpass(a.pad_cutoff_hz, 0.7)),
        Box::new(unit::<U0, U2>(Box::new(sized(lead, room))) >> stereo_lowpass(a.lead_cutoff_hz, 0.8)),
    ]
}

fn classic_events(seq: &mut Sequencer, c: &Classic, seconds: f64) {
    // Summed and normalised: each oscillator gets 1/N of full scale, as Web Audio would sum them.
    let gain = 1.0 / std::cmp::Ord::max(c.oscillators.len(), 1) as f32;
    for o in &c.oscillators {
        let f0 = o.frequency_hz;
        let s = o.drift_seed;
        // "randomize the frequency of each oscillator slightly over time": ±1.5 %, smooth.
        let unit = lfo(move |t: f32| f0 * (1.0 + 0.015 * spline_noise(s, t * 0.5)))
            >> sine()
            >> mul(gain)
            >> split::<U2>();
        push(seq, 0.0, seconds, 0.02, 0.02, Box::new(unit));
    }
}
