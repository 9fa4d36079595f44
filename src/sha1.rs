//! SHA-1, for the one place the server names a guest by a hash: a guest's actor
//! id is `sha1(session id)` (e.g. the actor of a `lobby_timer_reached` message
//! posted while a guest's request read the lobby). Not used for security.

/// The lowercase hex SHA-1 digest of `data`, as PHP's `sha1()` returns it.
pub fn hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

#[cfg(test)]
mod tests {
    // FIPS 180-1 test vectors.
    #[test]
    fn known_digests() {
        assert_eq!(super::hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(super::hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(super::hex(&[b'a'; 1000]), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }
}
