//! simulator binary
fn main() {}
