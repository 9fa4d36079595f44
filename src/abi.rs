//! The host-independent half of the C ABI (see `wasm`): how the input area is
//! cut into documents. Pure, so it is tested and fuzzed natively.

/// Splits `input` into back-to-back UTF-8 documents of the given lengths.
/// Lengths that are negative or run past the area, and bytes that are not
/// UTF-8, are refused with a detail for the `bad-input` outcome.
pub fn split_documents<'a>(input: &'a [u8], lens: &[i32]) -> Result<Vec<&'a str>, String> {
    let mut docs = Vec::with_capacity(lens.len());
    let mut at = 0usize;
    for (i, &len) in lens.iter().enumerate() {
        let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).filter(|&e| e <= input.len());
        let Some(end) = end else {
            return Err(format!(
                "input: document {} (length {len}) does not fit the {}-byte input area",
                i + 1,
                input.len()
            ));
        };
        let doc =
            std::str::from_utf8(&input[at..end]).map_err(|_| format!("input: document {} is not UTF-8", i + 1))?;
        docs.push(doc);
        at = end;
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_refuses() {
        assert_eq!(split_documents(b"{}[1]", &[2, 3]).unwrap(), vec!["{}", "[1]"]);
        assert_eq!(split_documents(b"abc", &[]).unwrap(), Vec::<&str>::new());
        assert!(split_documents(b"{}", &[3]).unwrap_err().contains("does not fit"));
        assert!(split_documents(b"{}", &[-1]).is_err());
        assert!(split_documents(b"{}", &[1, i32::MAX]).is_err());
        assert!(split_documents(b"\xff\xfe", &[2]).unwrap_err().contains("not UTF-8"));
    }
}
