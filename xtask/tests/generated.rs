//! The committed copies of the engine's facts (js/facts.mjs, php/src/Facts.php, the
//! Reason union of js/index.d.ts, the tables of docs/reasons.md) are what `cargo xtask gen` writes.

#[test]
fn generated_copies_are_up_to_date() {
    let stale = xtask::gen::stale(&xtask::vectors::root()).unwrap();
    assert!(stale.is_empty(), "out of date (run `cargo xtask gen`): {stale:?}");
}
