//! Standard MIDI File export of a score's melodic and harmonic layers (via `midly`).

use crate::{Arrangement, Score};
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

const PPQ: u16 = 480;

struct Ev {
    tick: u64,
    order: u8, // note-offs before note-ons at the same tick
    kind: TrackEventKind<'static>,
}

fn note_events(ch: u8, notes: impl Iterator<Item = (f64, f64, u8, u8)>, ticks_per_s: f64) -> Vec<Ev> {
    let mut evs = Vec::new();
    for (start, dur, key, vel) in notes {
        let on = (start * ticks_per_s).round() as u64;
        let off = ((start + dur) * ticks_per_s).round().max(on as f64 + 1.0) as u64;
        let channel = u4::new(ch);
        evs.push(Ev {
            tick: on,
            order: 1,
            kind: TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOn {
                    key: u7::new(key.min(127)),
                    vel: u7::new(vel.clamp(1, 127)),
                },
            },
        });
        evs.push(Ev {
            tick: off,
            order: 0,
            kind: TrackEventKind::Midi {
                channel,
                message: MidiMessage::NoteOff {
                    key: u7::new(key.min(127)),
                    vel: u7::new(0),
                },
            },
        });
    }
    evs
}

fn track(name: &'static str, program: Option<(u8, u8)>, mut evs: Vec<Ev>) -> Vec<TrackEvent<'static>> {
    evs.sort_by_key(|e| (e.tick, e.order));
    let mut out = vec![TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::TrackName(name.as_bytes())),
    }];
    if let Some((ch, prog)) = program {
        out.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Midi {
                channel: u4::new(ch),
                message: MidiMessage::ProgramChange {
                    program: u7::new(prog),
                },
            },
        });
    }
    let mut last = 0u64;
    for e in evs {
        out.push(TrackEvent {
            delta: u28::new((e.tick - last) as u32),
            kind: e.kind,
        });
        last = e.tick;
    }
    out.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    out
}

/// Inserts meta events after a track's name.
fn with_prefix(
    mut track: Vec<TrackEvent<'static>>,
    prefix: Vec<TrackEvent<'static>>,
) -> Vec<TrackEvent<'static>> {
    track.splice(1..1, prefix);
    track
}

/// Encodes the score as a format-1 Standard MIDI File.
pub fn to_midi_bytes(score: &Score) -> Vec<u8> {
    let (tempo, tracks) = match &score.arrangement {
        Arrangement::Ambient(a) => {
            let tps = a.tempo_bpm as f64 / 60.0 * PPQ as f64;
            let (sf, minor) = a.key.midi_signature();
            let conductor = vec![
                TrackEvent {
                    delta: u28::new(0),
                    kind: TrackEventKind::Meta(MetaMessage::KeySignature(sf, minor)),
                },
                TrackEvent {
                    delta: u28::new(0),
                    kind: TrackEventKind::Meta(MetaMessage::TimeSignature(4, 2, 24, 8)),
                },
            ];
            let lead = note_events(
                0,
                a.lead
                    .iter()
                    .map(|n| (n.start, n.duration, n.midi, (n.velocity * 110.0) as u8)),
                tps,
            );
            let pad = note_events(
                1,
                a.chords
                    .iter()
                    .flat_map(|c| c.notes.iter().map(move |&m| (c.start, c.duration, m, 70u8))),
                tps,
            );
            let drone = note_events(2, a.drone.iter().map(|&m| (0.0, score.seconds, m, 80u8)), tps);
            (
                a.tempo_bpm,
                vec![
                    with_prefix(track("conductor", None, Vec::new()), conductor),
                    track("lead (photo features)", Some((0, 46)), lead),
                    track("pad (chords)", Some((1, 89)), pad),
                    track("drone", Some((2, 95)), drone),
                ],
            )
        }
        Arrangement::Classic(c) => {
            let tempo = 60.0;
            let tps = PPQ as f64;
            let osc = note_events(
                0,
                c.oscillators.iter().map(|o| {
                    let midi = (69.0 + 12.0 * (o.frequency_hz / 440.0).log2())
                        .round()
                        .clamp(0.0, 127.0) as u8;
                    (0.0, score.seconds, midi, 64u8)
                }),
                tps,
            );
            (
                tempo,
                vec![track("classic oscillators (nearest notes)", Some((0, 80)), osc)],
            )
        }
    };
    let mut smf = Smf::new(Header::new(Format::Parallel, Timing::Metrical(u15::new(PPQ))));
    let mut tracks = tracks;
    let us_per_beat = (60_000_000.0 / tempo as f64).round() as u32;
    tracks[0].insert(
        1,
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(us_per_beat))),
        },
    );
    smf.tracks = tracks;
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing MIDI to memory cannot fail");
    bytes
}
