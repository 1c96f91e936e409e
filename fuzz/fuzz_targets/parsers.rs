//! The parsers of user-written strings: CIDR blocks and the subnets carved
//! from them, backup and maintenance windows, and durations (`timeouts`,
//! recovery objectives), with the properties their users rely on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_onto::fuzzing::{duration_text, parse_window, windows_overlap, Cidr};
use tfplugin::validate::parse_duration;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);

    if let Ok(cidr) = text.parse::<Cidr>() {
        // What is printed parses back to the same block.
        let shown = cidr.to_string();
        assert_eq!(
            shown.parse::<Cidr>().ok(),
            Some(cidr),
            "{text:?} -> {shown:?}"
        );
        let newbits = knobs % 40;
        let netnum = u32::from(knobs).wrapping_mul(2_654_435_761);
        if let Some(sub) = cidr.subnet(newbits, netnum) {
            assert!(cidr.overlaps(&sub), "{cidr} and its subnet {sub}");
            assert!(sub.prefix() <= 32 && sub.prefix() >= cidr.prefix());
        }
    }

    let daily = parse_window(&text, false);
    let weekly = parse_window(&text, true);
    for span in [daily, weekly].into_iter().flatten() {
        assert!(span.len > 0);
    }
    if let (Some(d), Some(w)) = (daily, parse_window("sun:03:00-sun:04:00", true)) {
        let _ = windows_overlap(d, w);
    }

    if let Ok(d) = parse_duration(&text) {
        // A duration onto prints reads back as the same duration.
        let shown = duration_text(d);
        let back = parse_duration(&shown).expect("a printed duration parses");
        assert_eq!(back.as_secs(), d.as_secs(), "{text:?} -> {shown:?}");
    }
});
