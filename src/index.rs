//! Sorted `(key, row)` indexes for id and string look-ups over large tables.
//!
//! Every index in the crate is a `Vec<(i64, usize)>` sorted the same way, so the
//! `.wasm` carries one sort routine; strings are indexed by a 64-bit FNV-1a hash
//! and confirmed by comparing the strings themselves.

#[derive(Clone, Debug, Default)]
pub struct Index(Vec<(i64, usize)>);

/// FNV-1a, 64 bits.
pub fn hash(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

impl Index {
    pub fn new(keys: impl Iterator<Item = i64>) -> Index {
        let mut v: Vec<(i64, usize)> = keys.enumerate().map(|(i, k)| (k, i)).collect();
        v.sort_unstable();
        Index(v)
    }

    pub fn of_strings<'a>(keys: impl Iterator<Item = &'a str>) -> Index {
        Index::new(keys.map(hash))
    }

    /// Rows whose key equals `key`, in row order.
    pub fn rows(&self, key: i64) -> impl Iterator<Item = usize> + '_ {
        let start = self.0.partition_point(|&(k, _)| k < key);
        self.0[start..].iter().take_while(move |&&(k, _)| k == key).map(|&(_, i)| i)
    }

    /// The first row whose key is `key`.
    pub fn find(&self, key: i64) -> Option<usize> {
        self.rows(key).next()
    }

    /// The first row whose string (read back through `get`) is `key`.
    pub fn find_str<'a>(&self, key: &str, get: impl Fn(usize) -> &'a str) -> Option<usize> {
        self.rows(hash(key)).find(|&i| get(i) == key)
    }

    /// A row whose key another row shares (integer keys).
    pub fn duplicate(&self) -> Option<usize> {
        self.0.windows(2).find(|w| w[0].0 == w[1].0).map(|w| w[1].1)
    }

    /// A row whose string another row shares (string keys; hash collisions are confirmed).
    pub fn duplicate_str<'a>(&self, get: impl Fn(usize) -> &'a str) -> Option<usize> {
        let v = &self.0;
        let mut i = 0;
        while i < v.len() {
            let mut j = i + 1;
            while j < v.len() && v[j].0 == v[i].0 {
                j += 1;
            }
            for a in i..j {
                for b in a + 1..j {
                    if get(v[a].1) == get(v[b].1) {
                        return Some(v[b].1.max(v[a].1));
                    }
                }
            }
            i = j;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_detects_duplicates() {
        let ids = [5i64, 3, 9, 3];
        let idx = Index::new(ids.iter().copied());
        assert_eq!(idx.find(9), Some(2));
        assert_eq!(idx.rows(3).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(idx.find(4), None);
        assert_eq!(idx.duplicate(), Some(3));
        let names = ["a", "bb", "c", "bb"];
        let s = Index::of_strings(names.iter().copied());
        assert_eq!(s.find_str("c", |i| names[i]), Some(2));
        assert_eq!(s.find_str("zz", |i| names[i]), None);
        assert_eq!(s.duplicate_str(|i| names[i]), Some(3));
        let unique = ["x", "y"];
        assert_eq!(Index::of_strings(unique.iter().copied()).duplicate_str(|i| unique[i]), None);
    }
}
