//! Fuzzes the parse step: any bytes, any Content-Type, must give Ok or Err,
//! never a panic that escapes, a hang or runaway memory.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run parse_feed fuzz/corpus/parse_feed -- -max_total_time=60`
//! (from the repository root; seeds are the feed fixtures). Crashes found are
//! kept as regression inputs in `tests/regressions/` and replayed by `cargo test`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.split_first() {
        Some((b, rest)) => {
            let ct = match b % 5 {
                0 => None,
                1 => Some("application/rss+xml; charset=windows-1256"),
                2 => Some("text/xml"),
                3 => Some("application/atom+xml; charset=utf-16"),
                _ => Some("application/xml; charset=iso-8859-6"),
            };
            (ct, rest)
        }
        None => (None, data),
    };
    let _ = marsad::parse::parse_feed(body, ct, None, None);
});
