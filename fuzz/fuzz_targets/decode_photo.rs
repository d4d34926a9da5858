//! Photo bytes of any kind through both decode paths (full, and the analysis-only fast paths:
//! DCT-scaled baseline and DC-only progressive JPEG), then the analysis of whatever decodes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photophone::analysis::{self, Resolution};

fuzz_target!(|data: &[u8]| {
    for resolution in [Resolution::AnalysisOnly, Resolution::Full] {
        if let Ok(photo) = analysis::load_bytes_at(data, "fuzz", resolution) {
            let a = analysis::analyze(&photo);
            assert!(a.luminance.mean.is_finite());
        }
    }
});
