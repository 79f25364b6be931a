//! deskbridge binary
fn main() {}
