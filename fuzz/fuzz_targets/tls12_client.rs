#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tlsaudit::fuzzing::tls12_client(data);
});
