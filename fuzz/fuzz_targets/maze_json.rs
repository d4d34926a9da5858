//! The maze page's JSON as the WebAssembly engine takes it: a layout (`MazeEngine::create`)
//! and a walk (`set_walk`). Whatever either accepts must render without a panic, a hang or a
//! non-finite sample. The input is tried as both.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone_wasm::MazeEngine;

const SMALL_MAZE: &[u8] = br#"{"seed":1,"cell_m":4.0,"columns":2,"rows":2,"wall_height_m":3.0,
"walls":[{"x0":0,"y0":0,"x1":8,"y1":0},{"x0":0,"y0":0,"x1":0,"y1":8},{"x0":0,"y0":8,"x1":8,"y1":8},
{"x0":8,"y0":0,"x1":8,"y1":8},{"x0":4,"y0":0,"x1":4,"y1":4}],"start":{"x":2,"y":2,"heading":0},
"photos":[{"file":"a.jpg","x":2,"y":7.9,"facing":180,"width_m":1.6,"height_m":1.2,"centre_height_m":1.6}]}"#;

fuzz_target!(|data: &[u8]| {
    let (mut l, mut r) = (vec![0f32; 128], vec![0f32; 128]);
    if let Some(mut engine) = MazeEngine::create(48_000, data) {
        engine.set_listener(1.0, 1.0, 45.0);
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    }
    let mut engine = MazeEngine::create(48_000, SMALL_MAZE).expect("the fixed maze is valid");
    if engine.set_walk(data) {
        for _ in 0..4 {
            engine.render(&mut l, &mut r);
            assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        }
    }
});
