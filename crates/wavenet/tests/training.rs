//! Training behaviour: it learns, it resumes exactly, checkpoints survive interruption, and
//! audio of any rate loads.

use photophone_wavenet::checkpoint::{self, TrainState};
use photophone_wavenet::{audio, mulaw, Adam, Config, Dataset, Model, Trainer};

/// A short synthetic "plucked" clip: decaying harmonics, mu-law encoded.
fn clip(config: &Config, samples: usize) -> Vec<u32> {
    (0..samples)
        .map(|i| {
            let t = i as f32 / config.sample_rate as f32;
            let x = 0.6 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() * (-3.0 * (t % 0.5)).exp()
                + 0.2 * (2.0 * std::f32::consts::PI * 330.0 * t).sin();
            mulaw::encode(x, config.quantization_channels)
        })
        .collect()
}

fn dataset(config: &Config) -> Dataset {
    let silence = mulaw::encode(0.0, config.quantization_channels);
    Dataset::new(
        vec![clip(config, 2000)],
        config.receptive_field(),
        config.sample_size,
        silence,
    )
    .unwrap()
}

#[test]
fn tiny_model_overfits_a_short_clip() {
    let config = Config::tiny();
    let data = dataset(&config);
    let model = Model::new(config.clone(), 3);
    let n = model.num_params();
    let mut trainer = Trainer::new(model, Adam::new(n), &data, 3e-3, 2, 7, 0);
    let first = trainer.step(&data).unwrap();
    let mut last = first;
    for _ in 0..400 {
        last = trainer.step(&data).unwrap();
    }
    eprintln!(
        "loss {:.3} → {:.3} nats, accuracy {:.2} → {:.2}",
        first.loss, last.loss, first.accuracy, last.accuracy
    );
    // Uniform guessing over 32 classes is ln 32 = 3.47 nats.
    assert!(first.loss > 3.0);
    assert!(last.loss < 1.2, "loss {}", last.loss);
    assert!(last.accuracy > 0.5);
}

#[test]
fn resume_continues_exactly_where_it_stopped() {
    let config = Config::tiny();
    let data = dataset(&config);
    let fresh = || {
        let m = Model::new(config.clone(), 5);
        let n = m.num_params();
        let mut t = Trainer::new(m, Adam::new(n), &data, 2e-3, 2, 11, 0);
        // With a decaying learning rate, so resuming must restore the schedule too.
        t.decay_steps = Some(8);
        t
    };
    let mut straight = fresh();
    let straight_losses: Vec<f64> = (0..8).map(|_| straight.step(&data).unwrap().loss).collect();

    let dir = tempfile::tempdir().unwrap();
    let mut first = fresh();
    let mut losses: Vec<f64> = (0..4).map(|_| first.step(&data).unwrap().loss).collect();
    let state = TrainState {
        step: first.step,
        rng: first.rng,
        learning_rate: first.lr,
        seed: 5,
        last_loss: losses.last().copied(),
        decay_steps: first.decay_steps,
    };
    checkpoint::save(dir.path(), &first.model, &first.adam, &state).unwrap();
    drop(first);
    let loaded = checkpoint::load(dir.path()).unwrap();
    assert_eq!(loaded.state, state);
    let mut resumed = Trainer::new(
        loaded.model,
        loaded.adam,
        &data,
        loaded.state.learning_rate,
        2,
        loaded.state.rng,
        loaded.state.step,
    );
    resumed.decay_steps = loaded.state.decay_steps;
    losses.extend((0..4).map(|_| resumed.step(&data).unwrap().loss));
    assert_eq!(losses, straight_losses);
    assert_eq!(resumed.model.params, straight.model.params);
}

#[test]
fn an_interrupted_save_leaves_a_loadable_checkpoint() {
    let config = Config::tiny();
    let model = Model::new(config, 1);
    let adam = Adam::new(model.num_params());
    let dir = tempfile::tempdir().unwrap();
    let state = TrainState {
        step: 1,
        rng: 2,
        learning_rate: 1e-3,
        seed: 0,
        last_loss: None,
        decay_steps: None,
    };
    checkpoint::save(dir.path(), &model, &adam, &state).unwrap();
    // A kill between the two renames leaves only checkpoint.old; a kill before them leaves a
    // stray temporary folder. Both must still load the last complete checkpoint.
    std::fs::rename(dir.path().join("checkpoint"), dir.path().join("checkpoint.old")).unwrap();
    std::fs::create_dir(dir.path().join(".checkpoint-half")).unwrap();
    std::fs::write(dir.path().join(".checkpoint-half/model.safetensors"), b"half").unwrap();
    let loaded = checkpoint::load(dir.path()).unwrap();
    assert_eq!(loaded.model.params, model.params);
    // A corrupt weights file is reported, not loaded.
    std::fs::write(dir.path().join("checkpoint.old/model.safetensors"), b"garbage").unwrap();
    let err = checkpoint::load(dir.path())
        .err()
        .expect("corrupt checkpoint must fail");
    assert!(err.to_string().contains("corrupt"), "{err}");
    // A folder with no checkpoint.
    let empty = tempfile::tempdir().unwrap();
    assert!(checkpoint::load(empty.path()).is_err());
}

#[test]
fn audio_of_another_rate_is_resampled_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    // 0.2 s silence, 1 s of 440 Hz, 0.3 s silence.
    for i in 0..(22_050 * 3 / 2) {
        let t = i as f32 / 22_050.0;
        let v = if (0.2..1.2).contains(&t) {
            (2.0 * std::f32::consts::PI * 440.0 * t).sin() * 0.5
        } else {
            0.0
        };
        let s = (v * 32767.0) as i16;
        w.write_sample(s).unwrap();
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    let clips = audio::load_clips(dir.path(), 16_000).unwrap();
    assert_eq!(clips.len(), 1);
    let n = clips[0].len() as f32;
    assert!(
        (n - 16_000.0).abs() < 200.0,
        "trimmed 1 s at 16 kHz, got {n} samples"
    );
    // Bad inputs: empty folder, garbage file.
    let empty = tempfile::tempdir().unwrap();
    assert!(audio::load_clips(empty.path(), 16_000)
        .unwrap_err()
        .to_string()
        .contains("no audio files"));
    let junk = dir.path().join("junk.wav");
    std::fs::write(&junk, b"RIFF not really").unwrap();
    assert!(audio::load_clips(&junk, 16_000).is_err());
}

#[test]
fn non_finite_training_stops_with_an_error() {
    let config = Config::tiny();
    let data = dataset(&config);
    let mut model = Model::new(config, 3);
    let n = model.num_params();
    // Poison the embeddings (the first tensors), as a diverged run would.
    model.params[..n / 4].iter_mut().for_each(|p| *p = f32::NAN);
    let before = model.params.clone();
    let mut trainer = Trainer::new(model, Adam::new(n), &data, 1e-3, 1, 1, 0);
    let err = trainer.step(&data).unwrap_err();
    assert!(err.to_string().contains("non-finite"), "{err}");
    // The update was not applied.
    assert!(trainer
        .model
        .params
        .iter()
        .zip(&before)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn mel_conditioned_training_uses_the_conditioning() {
    use photophone_wavenet::session::{self, Options};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..8_000 {
        let t = i as f32 / 8_000.0;
        let f = if t < 0.5 { 300.0 } else { 600.0 };
        w.write_sample(((2.0 * std::f32::consts::PI * f * t).sin() * 12_000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let mut config = Config::tiny();
    config.local_condition = photophone_wavenet::LocalCondition::Mel;
    config.local_condition_channels = 8;
    let out = dir.path().join("model");
    let opts = Options {
        data: path,
        out: out.clone(),
        config,
        steps: Some(5),
        minutes: None,
        batch: 1,
        learning_rate: 1e-2,
        seed: 1,
        resume: false,
        decay: false,
        checkpoint_every: std::time::Duration::from_secs(3600),
    };
    session::run(opts, &std::sync::atomic::AtomicBool::new(false), |_| {}).unwrap();
    let loaded = checkpoint::load(&out).unwrap();
    // Training starts with the conditioning projections at zero (`zero_local_conditioning`).
    let mut initial = Model::new(loaded.model.config.clone(), 1);
    initial.zero_local_conditioning();
    // The local-conditioning weights moved: their gradients were not zero.
    let e = loaded
        .model
        .layout
        .entries
        .iter()
        .find(|e| e.name == "layers.0.local.weight")
        .unwrap();
    let moved = loaded.model.params[e.offset..e.offset + e.len]
        .iter()
        .zip(&initial.params[e.offset..e.offset + e.len])
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        moved > e.len / 2,
        "only {moved} of {} conditioning weights were trained",
        e.len
    );
}

#[test]
fn conditioning_dropout_trains_a_share_of_windows_without_their_conditioning() {
    let mut config = Config::tiny();
    config.local_condition = photophone_wavenet::LocalCondition::Mel;
    config.local_condition_channels = 4;
    let silence = mulaw::encode(0.0, config.quantization_channels);
    let samples = clip(&config, 2000);
    let cond: Vec<f32> = (0..samples.len() * 4)
        .map(|i| ((i * 13) % 7) as f32 * 0.3 - 1.0)
        .collect();
    let data = Dataset::new(
        vec![samples],
        config.receptive_field(),
        config.sample_size,
        silence,
    )
    .unwrap()
    .with_conditioning(vec![cond], 4)
    .unwrap();
    let local_weights = |m: &Model| -> Vec<f32> {
        m.layout
            .entries
            .iter()
            .filter(|e| e.name.ends_with(".local.weight"))
            .flat_map(|e| m.params[e.offset..e.offset + e.len].to_vec())
            .collect()
    };
    let run = |dropout: f32, steps: usize| {
        let mut c = config.clone();
        c.local_condition_dropout = dropout;
        c.validate().unwrap();
        let model = Model::new(c, 3);
        let n = model.num_params();
        let mut t = Trainer::new(model, Adam::new(n), &data, 1e-2, 1, 17, 0);
        let dropped: f64 = (0..steps)
            .map(|_| t.step(&data).unwrap().dropped_conditioning)
            .sum();
        (t.model, dropped / steps as f64)
    };
    // Half the windows, give or take chance, go without their conditioning.
    let (_, share) = run(0.5, 400);
    assert!((0.4..0.6).contains(&share), "{share}");
    let (_, none) = run(0.0, 50);
    assert_eq!(none, 0.0);
    // Windows without conditioning give its weights no gradient: with every window dropped
    // they keep their initial values while the rest of the model trains.
    let (trained, share) = run(0.999, 30);
    assert_eq!(share, 1.0);
    let initial = Model::new(trained.config.clone(), 3);
    assert_eq!(local_weights(&trained), local_weights(&initial));
    assert_ne!(trained.params, initial.params);
    // Out-of-range shares are refused.
    for bad in [1.0, -0.1, f32::NAN] {
        let mut c = config.clone();
        c.local_condition_dropout = bad;
        assert!(c.validate().is_err(), "{bad}");
    }
    let mut c = Config::tiny();
    c.local_condition_dropout = 0.5;
    assert!(c.validate().is_err(), "dropout without conditioning");
}

#[test]
fn windows_cover_every_sample_of_a_clip_the_first_and_last_included() {
    // Sample j of the clip holds the value 1000 + j, so a window's targets name themselves.
    let (len, rf, outputs) = (3_000usize, 64usize, 500usize);
    let clip: Vec<u32> = (0..len as u32).map(|j| 1000 + j).collect();
    let data = Dataset::new(vec![clip], rf, outputs, 0).unwrap();
    let mut hits = vec![0usize; len];
    let mut rng = 5u64;
    for _ in 0..4_000 {
        let (window, _) = data.sample(&mut rng);
        assert_eq!(window.len(), outputs + rf);
        for &v in &window[rf..] {
            assert!(v >= 1000, "a target inside the padding");
            hits[(v - 1000) as usize] += 1;
        }
    }
    let mean = hits.iter().sum::<usize>() as f64 / len as f64;
    let (min, max) = (*hits.iter().min().unwrap(), *hits.iter().max().unwrap());
    // Without the widened draw the first and last samples would be targets of ~1/500 of the
    // windows the middle ones are; with it no sample gets less than about the average.
    assert!(
        hits[0] as f64 > 0.5 * mean && hits[len - 1] as f64 > 0.5 * mean,
        "{} {} {mean}",
        hits[0],
        hits[len - 1]
    );
    assert!(
        min as f64 > 0.5 * mean && (max as f64) < 2.5 * mean,
        "{min} {max} {mean}"
    );
}
