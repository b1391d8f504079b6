//! Checksums of stored records, so that damage to the file is found when a record is read and
//! never served as data.
//!
//! A checksum is the first 8 bytes (little-endian `u64`) of a BLAKE3 hash in derive-key mode,
//! one context per kind of record, over the record's key and its stored bytes:
//!
//! - event: `sequence` as 8 bytes little-endian, then the record exactly as stored in `EVENTS`;
//! - snapshot: the projection name's length (8 bytes LE) and bytes, the key's length (8 bytes
//!   LE) and bytes, the sequence (8 bytes LE), then the record as stored in `SNAPSHOTS`.
//!
//! Covering the key as well as the bytes means that a record moved to another key (a damaged
//! B-tree key) fails its check just as altered bytes do. 64 bits are plenty against accidental
//! damage (a random change passes with probability 2⁻⁶⁴); they are not meant to resist someone
//! who can write the file. Blobs need no checksum of their own: their key is their BLAKE3 hash.

const EVENT_CONTEXT: &str = "coder-store event record checksum v1";
const SNAPSHOT_CONTEXT: &str = "coder-store snapshot record checksum v1";

/// The checksum of the event record stored at `sequence`.
pub fn event(sequence: u64, record: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new_derive_key(EVENT_CONTEXT);
    hasher.update(&sequence.to_le_bytes());
    hasher.update(record);
    first_u64(hasher)
}

/// The checksum of the snapshot record stored under (projection, key, sequence).
pub fn snapshot(projection: &str, key: &[u8], sequence: u64, record: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new_derive_key(SNAPSHOT_CONTEXT);
    hasher.update(&(projection.len() as u64).to_le_bytes());
    hasher.update(projection.as_bytes());
    hasher.update(&(key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(&sequence.to_le_bytes());
    hasher.update(record);
    first_u64(hasher)
}

fn first_u64(hasher: blake3::Hasher) -> u64 {
    let hash = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_part_of_the_checksum() {
        assert_ne!(event(1, b"x"), event(2, b"x"), "a record moved to another sequence must fail its check");
        assert_ne!(
            snapshot("p", b"ab", 1, b"x"),
            snapshot("p", b"a", 1, b"bx"),
            "lengths are framed, so bytes cannot move between the key and the record"
        );
    }

    #[test]
    fn every_single_bit_flip_changes_the_checksum() {
        let record = b"a record of some length, with a few bytes in it".to_vec();
        let sum = event(7, &record);
        for bit in 0..record.len() * 8 {
            let mut damaged = record.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(event(7, &damaged), sum, "flipping bit {bit} must be detected");
        }
    }

    #[test]
    fn the_format_is_fixed() {
        // These values are on disk in every format 2 store: a change to the contexts, the
        // framing or the byte order breaks every stored checksum, and must fail here first.
        assert_eq!(event(1, b""), 1_789_901_813_802_774_709, "event 1, empty record");
        assert_eq!(event(1, &[1, 1, 0, 0, 0]), 16_779_664_810_114_585_102, "event 1, a record header alone");
        assert_eq!(
            event(u64::MAX, b"coder"),
            18_068_632_163_946_392_968,
            "the last sequence, a short record"
        );
        assert_eq!(snapshot("chat_view", b"key", 7, b"record"), 11_386_192_026_152_858_248, "a snapshot");
        assert_eq!(snapshot("", b"", 0, b""), 4_877_727_897_922_265_336, "a snapshot with every part empty");
    }
}
