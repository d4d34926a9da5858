//! Trains the region classifier on the hand-labelled real photographs and writes
//! `crates/analysis/src/regions_model.rs`.
//!
//! Usage: cargo run --release -p photophone-analysis --example train_regions [-- --check]
//!
//! Labels: testdata/real-photos/labels.tsv, a 6×4 grid per photo (S sky, W water,
//! V vegetation, G ground, B buildings, P people/animals, O objects, ? unsure). B, P and O
//! count as ground (everything that is not sky, water or vegetation); ? cells are left out.
//! Before writing, it measures how well the method generalises: two-fold cross-validation by
//! photo (odd-numbered photos train, even-numbered are held out, then the other way round).
//! `--check` prints that and writes nothing.
use photophone_analysis::regions::{self, FEATURES, KINDS};
use std::path::PathBuf;

const L2: f32 = 0.1;
fn l2() -> f32 {
    std::env::var("L2")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(L2)
}
fn steps() -> usize {
    std::env::var("STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(STEPS)
}
const STEPS: usize = 1500;

type Cell = ([f32; FEATURES], usize);

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let set = root.join("testdata/real-photos");
    let labels = std::fs::read_to_string(set.join("labels.tsv")).expect("labels.tsv");
    let mut photos: Vec<(String, Vec<Cell>)> = Vec::new();
    for line in labels.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let photo = photophone_analysis::load_path(&set.join(fields[0])).expect("a labelled photo decodes");
        let features = photophone_analysis::region_features(&photo);
        let letters: Vec<char> = fields[1..].iter().flat_map(|row| row.chars()).collect();
        assert_eq!(letters.len(), features.len(), "{}: 6x4 labels", fields[0]);
        let cells = features
            .into_iter()
            .zip(letters)
            .filter_map(|(x, letter)| class_of(letter).map(|k| (x, k)))
            .collect();
        photos.push((fields[0].to_string(), cells));
    }
    let odd = |name: &str| name[..2].parse::<u32>().unwrap_or(0) % 2 == 1;
    let part = |keep_odd: bool| -> Vec<Cell> {
        photos
            .iter()
            .filter(|(n, _)| odd(n) == keep_odd)
            .flat_map(|(_, c)| c.clone())
            .collect()
    };
    let (a, b) = (part(true), part(false));
    let ab = agreement(&regions::fit(&a, l2(), steps()), &b);
    let ba = agreement(&regions::fit(&b, l2(), steps()), &a);
    let held_out = (ab.0 + ba.0) as f32 / (ab.1 + ba.1) as f32;
    println!("held out: trained on odd photos, {:.1} % of {} even-photo cells; trained on even, {:.1} % of {} odd-photo cells; together {:.1} %",
        100.0 * ab.0 as f32 / ab.1 as f32, ab.1, 100.0 * ba.0 as f32 / ba.1 as f32, ba.1, 100.0 * held_out);
    if std::env::var("OLD").is_ok() {
        // The rules regions.rs used before the classifier (colour, height, smoothness), on the same cells.
        let old = |x: &[f32; FEATURES]| {
            let (upper, l, a, b, edge) = (x[1], x[2], x[3] / 5.0, x[4] / 5.0, x[7] * 200.0 / 1.3);
            let chroma = a.hypot(b);
            let hue = b.atan2(a).to_degrees().rem_euclid(360.0);
            let blueish = chroma > 0.025 && (190.0..290.0).contains(&hue);
            let greenish = chroma > 0.035 && (105.0..190.0).contains(&hue);
            if upper < 0.55 && edge < 60.0 && (blueish || (chroma < 0.04 && l > 0.35)) {
                0
            } else if upper > 0.4 && blueish {
                1
            } else if greenish {
                2
            } else {
                3
            }
        };
        let all: Vec<Cell> = photos.iter().flat_map(|(_, c)| c.clone()).collect();
        let mut m = [[0usize; 4]; 4];
        for (x, k) in &all {
            m[*k][old(x)] += 1;
        }
        let right: usize = (0..4).map(|k| m[k][k]).sum();
        println!(
            "old rules: {:.1} % of {} cells; confusion {m:?}",
            100.0 * right as f32 / all.len() as f32,
            all.len()
        );
    }
    let loo = {
        let (mut right, mut total) = (0, 0);
        let mut m = [[0usize; 4]; 4];
        for (i, (name, cells)) in photos.iter().enumerate() {
            let rest: Vec<Cell> = photos
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, (_, c))| c.clone())
                .collect();
            let model = regions::fit(&rest, l2(), steps());
            let (r, t) = agreement(&model, cells);
            for (x, k) in cells {
                m[*k][predict(&model, x)] += 1;
            }
            let truth: String = cells.iter().map(|(_, k)| KINDS[*k].letter()).collect();
            let guess: String = cells
                .iter()
                .map(|(x, _)| KINDS[predict(&model, x)].letter())
                .collect();
            if std::env::var("GRIDS").is_ok() {
                println!("held out {name:32} {r:2}/{t:2} truth {truth} guess {guess}");
            }
            right += r;
            total += t;
        }
        println!(
            "leave one photo out: {:.1} % of {total} cells; confusion (rows: label SWVG) {m:?}",
            100.0 * right as f32 / total as f32
        );
        right as f32 / total as f32
    };
    if let Ok(h) = std::env::var("MLP") {
        let h: usize = h.parse().unwrap();
        let eval = |train: &[Cell], test: &[Cell]| {
            let m = fit_mlp(train, h, l2(), steps());
            let pred = |x: &[f32; FEATURES]| {
                let p = m.probabilities(x);
                (0..4).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap()
            };
            (test.iter().filter(|(x, k)| pred(x) == *k).count(), test.len())
        };
        let (r1, t1) = eval(&a, &b);
        let (r2, t2) = eval(&b, &a);
        println!(
            "MLP {h}: two-fold held out {:.1} %",
            100.0 * (r1 + r2) as f32 / (t1 + t2) as f32
        );
        let (mut right, mut total) = (0, 0);
        for (i, (_, cells)) in photos.iter().enumerate() {
            let rest: Vec<Cell> = photos
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, (_, c))| c.clone())
                .collect();
            let (r, t) = eval(&rest, cells);
            right += r;
            total += t;
        }
        let all: Vec<Cell> = photos.iter().flat_map(|(_, c)| c.clone()).collect();
        let (rf, tf) = eval(&all, &all);
        println!(
            "MLP {h}: leave one photo out {:.1} %, fitted {:.1} %",
            100.0 * right as f32 / total as f32,
            100.0 * rf as f32 / tf as f32
        );
        return;
    }
    let all: Vec<Cell> = photos.iter().flat_map(|(_, c)| c.clone()).collect();
    let model = regions::fit(&all, l2(), steps());
    let fitted = agreement(&model, &all);
    println!(
        "trained on all {} photos: {:.1} % of {} cells",
        photos.len(),
        100.0 * fitted.0 as f32 / fitted.1 as f32,
        fitted.1
    );
    confusion(&model, &all);
    if std::env::args().any(|a| a == "--check") {
        return;
    }
    let out = root.join("crates/analysis/src/regions_model.rs");
    std::fs::write(&out, source(&model, photos.len(), all.len(), held_out, loo))
        .expect("write regions_model.rs");
    println!("wrote crates/analysis/src/regions_model.rs");
}

fn class_of(letter: char) -> Option<usize> {
    match letter {
        'S' => Some(0),
        'W' => Some(1),
        'V' => Some(2),
        'G' | 'B' | 'P' | 'O' => Some(3),
        _ => None,
    }
}

fn predict(model: &regions::Model, x: &[f32; FEATURES]) -> usize {
    let p = model.probabilities(x);
    (0..4).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap()
}

fn agreement(model: &regions::Model, cells: &[Cell]) -> (usize, usize) {
    (
        cells.iter().filter(|(x, k)| predict(model, x) == *k).count(),
        cells.len(),
    )
}

fn confusion(model: &regions::Model, cells: &[Cell]) {
    let mut m = [[0usize; 4]; 4];
    for (x, k) in cells {
        m[*k][predict(model, x)] += 1;
    }
    println!(
        "rows: hand label, columns: classifier ({})",
        KINDS.map(|k| k.letter()).iter().collect::<String>()
    );
    for (k, row) in m.iter().enumerate() {
        println!("  {} {:?}", KINDS[k].letter(), row);
    }
}

fn source(model: &regions::Model, photos: usize, cells: usize, held_out: f32, loo: f32) -> String {
    let row = |v: &[f32; FEATURES]| v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", ");
    format!(
        "//! The region classifier's weights. Generated by\n\
         //! `cargo run --release -p photophone-analysis --example train_regions`: softmax regression\n\
         //! (L2 {}, {} gradient steps) on {cells} hand-labelled cells of {photos} photos in\n\
         //! testdata/real-photos (labels.tsv). Cells of photos held out of training that agree with\n\
         //! the hand labels: {:.1} % leaving one photo out, {:.1} % in two-fold cross-validation.\n\
         //! Do not edit by hand.\n\
         use crate::regions::FEATURES;\n\n\
         pub const MEAN: [f32; FEATURES] = [{}];\n\
         pub const SCALE: [f32; FEATURES] = [{}];\n\
         pub const WEIGHTS: [[f32; FEATURES]; 4] = [\n    [{}],\n    [{}],\n    [{}],\n    [{}],\n];\n",
        l2(),
        steps(),
        100.0 * loo,
        100.0 * held_out,
        row(&model.mean),
        row(&model.scale),
        row(&model.weights[0]),
        row(&model.weights[1]),
        row(&model.weights[2]),
        row(&model.weights[3]),
    )
}

/// A one-hidden-layer network (tanh), for comparison with the softmax regression (`MLP=H`).
#[derive(Clone, Debug)]
struct Mlp {
    mean: [f32; FEATURES],
    scale: [f32; FEATURES],
    hidden: Vec<[f32; FEATURES]>,
    out: [Vec<f32>; 4],
}

impl Mlp {
    fn standard(&self, x: &[f32; FEATURES]) -> [f32; FEATURES] {
        std::array::from_fn(|j| {
            if j == 0 {
                1.0
            } else {
                (x[j] - self.mean[j]) / self.scale[j]
            }
        })
    }
    fn hidden_of(&self, z: &[f32; FEATURES]) -> Vec<f32> {
        let mut h: Vec<f32> = self
            .hidden
            .iter()
            .map(|w| w.iter().zip(z).map(|(a, b)| a * b).sum::<f32>().tanh())
            .collect();
        h.push(1.0);
        h
    }
    fn probabilities(&self, x: &[f32; FEATURES]) -> [f32; 4] {
        let h = self.hidden_of(&self.standard(x));
        let logits: [f32; 4] = std::array::from_fn(|k| self.out[k].iter().zip(&h).map(|(a, b)| a * b).sum());
        let top = logits.iter().fold(f32::MIN, |m, &v| m.max(v));
        let e: [f32; 4] = std::array::from_fn(|k| (logits[k] - top).exp());
        let t: f32 = e.iter().sum();
        std::array::from_fn(|k| e[k] / t)
    }
}

/// Fits [`Mlp`] with Adam on the full batch, deterministic initialisation.
fn fit_mlp(cells: &[([f32; FEATURES], usize)], hidden: usize, l2: f32, steps: usize) -> Mlp {
    let base = regions::fit(cells, 0.0, 0);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0
    };
    let mut m = Mlp {
        mean: base.mean,
        scale: base.scale,
        hidden: (0..hidden)
            .map(|_| std::array::from_fn(|_| rand() * 0.5))
            .collect(),
        out: std::array::from_fn(|_| (0..=hidden).map(|_| rand() * 0.1).collect()),
    };
    let n = cells.len().max(1) as f32;
    let params = hidden * FEATURES + 4 * (hidden + 1);
    let (mut m1, mut m2) = (vec![0f32; params], vec![0f32; params]);
    let zs: Vec<[f32; FEATURES]> = cells.iter().map(|(x, _)| m.standard(x)).collect();
    for t in 1..=steps {
        let mut g = vec![0f32; params];
        for ((_, label), z) in cells.iter().zip(&zs) {
            let h = m.hidden_of(z);
            let logits: [f32; 4] = std::array::from_fn(|k| m.out[k].iter().zip(&h).map(|(a, b)| a * b).sum());
            let top = logits.iter().fold(f32::MIN, |a, &v| a.max(v));
            let e: [f32; 4] = std::array::from_fn(|k| (logits[k] - top).exp());
            let tot: f32 = e.iter().sum();
            let mut dh = vec![0f32; hidden];
            for k in 0..4 {
                let err = (e[k] / tot - f32::from(k == *label)) / n;
                for (i, hv) in h.iter().enumerate() {
                    g[hidden * FEATURES + k * (hidden + 1) + i] += err * hv;
                    if i < hidden {
                        dh[i] += err * m.out[k][i];
                    }
                }
            }
            for i in 0..hidden {
                let d = dh[i] * (1.0 - h[i] * h[i]);
                for j in 0..FEATURES {
                    g[i * FEATURES + j] += d * z[j];
                }
            }
        }
        let mut p = 0;
        let lr = 0.01;
        let mut step = |w: &mut f32, grad: f32| {
            let grad = grad + l2 * *w;
            m1[p] = 0.9 * m1[p] + 0.1 * grad;
            m2[p] = 0.999 * m2[p] + 0.001 * grad * grad;
            let mh = m1[p] / (1.0 - 0.9f32.powi(t as i32));
            let vh = m2[p] / (1.0 - 0.999f32.powi(t as i32));
            *w -= lr * mh / (vh.sqrt() + 1e-8);
            p += 1;
        };
        for i in 0..hidden {
            for j in 0..FEATURES {
                let gi = g[i * FEATURES + j];
                step(&mut m.hidden[i][j], gi);
            }
        }
        for k in 0..4 {
            for i in 0..=hidden {
                let gi = g[hidden * FEATURES + k * (hidden + 1) + i];
                step(&mut m.out[k][i], gi);
            }
        }
    }
    m
}
