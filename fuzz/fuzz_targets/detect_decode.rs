//! The decoders of parapet-detect (`decode/`) on any bytes, through
//! `parapet_detect::check_forms`, which decodes the value with fresh buffers and with
//! buffers used for another value first. The first input byte picks query-string rules
//! (`+` is a space) with its low bit, and the other value with the rest; the value is the
//! remaining bytes. Nothing may panic, and:
//!
//! - at most 8 forms, each produced by at least one decoder;
//! - no form longer than the raw value, equal to it, or equal to another form;
//! - reused buffers give the same forms as fresh ones.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Values decoded before the input, so its forms start from buffers of every state.
const PREVIOUS: [&[u8]; 4] = [
    b"",
    b"%253Cscript%253E&lt;\\x3c",
    b"PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    b"plain value",
];

fuzz_target!(|data: &[u8]| {
    let Some((&head, raw)) = data.split_first() else {
        return;
    };
    let form = head & 1 == 1;
    let previous = PREVIOUS[usize::from(head >> 1) % PREVIOUS.len()];
    if let Err(e) = parapet_detect::check_forms(raw, previous, form) {
        panic!("{e} (raw {raw:?}, form {form})");
    }
});
