//! Score JSON as the page hands it to the WebAssembly engine: whatever it accepts must render
//! (two 128-frame quanta and a cross-fade) without a panic or a non-finite sample.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone_wasm::Engine;

fuzz_target!(|data: &[u8]| {
    let mut engine = Engine::new(44_100);
    let (mut l, mut r) = (vec![0f32; 128], vec![0f32; 128]);
    if engine.play(data, 0.0) {
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
        engine.play(data, 0.5);
        engine.render(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    }
});
