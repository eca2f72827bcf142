//! Text that many rows of an access report share (an account's name and
//! OU path, a permission set's name, a user's name and id, a group), kept
//! once and counted: a report of a million rows holds each account's name
//! once, not once a row.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Shared, immutable text; cloning it copies a pointer, and comparing two
/// copies of the same text compares pointers.
#[derive(Debug, Clone, Default)]
pub struct Shared(Arc<str>);

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Shared {}

impl std::hash::Hash for Shared {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Ord for Shared {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Shared {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Shared {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text is: the same for every copy of it, so that the
    /// report's order can rank copies without comparing them.
    pub(super) fn addr(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<u8>() as usize
    }
}

/// Hashes the addresses [`Shared::addr`] gives. They are distinct by
/// construction, so one multiply spreads them well, at a fraction of the
/// cost of the default SipHash over the millions of lookups a large report
/// makes; the high half is folded in because allocations are aligned and
/// a product's low bits would all be zero.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_usize(usize::from(*b) ^ self.0 as usize);
        }
    }

    fn write_usize(&mut self, n: usize) {
        let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }
}

/// A map keyed by [`Shared::addr`].
pub(super) type ByAddr<V> =
    std::collections::HashMap<usize, V, std::hash::BuildHasherDefault<AddrHasher>>;

impl Deref for Shared {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Self {
        Shared(Arc::from(s))
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Self {
        Shared(Arc::from(s))
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Shared {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
