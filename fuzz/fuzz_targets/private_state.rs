//! Private state comes back from Terraform as opaque bytes that an older or
//! newer provider version wrote: reading never fails hard, and what is read
//! is written and read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfplugin::private::Private;

fuzz_target!(|data: &[u8]| {
    let p = Private::from_bytes(data);
    let again = Private::from_bytes(&p.to_bytes());
    assert_eq!(again, p);
});
