//! Length fields in audio metadata checked before symphonia reads them.
//!
//! symphonia 0.5.5 (and 0.6.1) allocates a buffer of whatever size a Vorbis comment, a FLAC
//! picture block or an ID3v2 frame declares before reading it (pdeljanov/Symphonia#508), so a
//! 50-byte file can ask for 4 GiB. Found by fuzzing `train`'s audio decoding (fuzz/); until
//! the crate bounds them, these checks refuse a declared length that does not fit in the
//! bytes around it, which caps what decoding can allocate at the file's own size.

/// Why a file's metadata cannot be trusted, or `None` when its lengths fit.
pub fn implausible_metadata(bytes: &[u8]) -> Option<&'static str> {
    if let Some(rest) = bytes.strip_prefix(b"fLaC") {
        return flac_blocks(rest);
    }
    if bytes.starts_with(b"ID3") {
        if let Some(problem) = id3v2(bytes) {
            return Some(problem);
        }
    }
    if !bytes.starts_with(b"OggS") {
        return None;
    }
    // Vorbis comment headers in an Ogg stream (Vorbis, or FLAC inside Ogg), wherever they start.
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], b"\x03vorbis") {
        let start = from + at + 7;
        if vorbis_comment(&bytes[start..]).is_none() {
            return Some("a Vorbis comment declares more bytes than the file holds");
        }
        from = start;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn u32_le(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn u32_be(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// A Vorbis comment (vendor, count, comments) whose every length fits in `b`; the bytes used.
fn vorbis_comment(b: &[u8]) -> Option<usize> {
    let vendor = u32_le(b, 0)?;
    let mut at = 4usize.checked_add(vendor)?;
    let count = u32_le(b, at)?;
    at += 4;
    for _ in 0..count {
        let len = u32_le(b, at)?;
        at = at.checked_add(4)?.checked_add(len)?;
        if at > b.len() {
            return None;
        }
    }
    Some(at)
}

/// FLAC metadata blocks: a Vorbis comment block must fit in its block, and so must a picture
/// block's MIME type, description and data.
fn flac_blocks(mut b: &[u8]) -> Option<&'static str> {
    while b.len() >= 4 {
        let (last, kind) = (b[0] & 0x80 != 0, b[0] & 0x7F);
        let len = (b[1] as usize) << 16 | (b[2] as usize) << 8 | b[3] as usize;
        let block = b.get(4..4 + len).unwrap_or(&b[4..]);
        match kind {
            4 if vorbis_comment(block).is_none() => {
                return Some("a FLAC comment block declares more bytes than it holds")
            }
            6 if !picture_fits(block) => {
                return Some("a FLAC picture block declares more bytes than it holds")
            }
            _ => {}
        }
        if last || len + 4 > b.len() {
            break;
        }
        b = &b[4 + len..];
    }
    None
}

fn picture_fits(b: &[u8]) -> bool {
    let fits = || -> Option<()> {
        let mime = u32_be(b, 4)?;
        let at = 8usize.checked_add(mime)?;
        let description = u32_be(b, at)?;
        let at = at.checked_add(4)?.checked_add(description)?.checked_add(16)?;
        let data = u32_be(b, at)?;
        (at.checked_add(4)?.checked_add(data)? <= b.len()).then_some(())
    };
    fits().is_some()
}

/// An ID3v2 tag at the start of a file: every frame must fit in the tag.
fn id3v2(b: &[u8]) -> Option<&'static str> {
    let (major, flags) = (*b.get(3)?, *b.get(5)?);
    let syncsafe = |s: &[u8]| s.iter().fold(0usize, |acc, &x| acc << 7 | (x & 0x7F) as usize);
    let size = syncsafe(b.get(6..10)?);
    let tag = b.get(10..10 + size).unwrap_or(&b[10.min(b.len())..]);
    if flags & 0x40 != 0 {
        return None; // extended header: leave it to the decoder (frames start elsewhere)
    }
    let (header, size_of): (usize, fn(&[u8]) -> usize) = match major {
        2 => (6, |s| {
            (s[0] as usize) << 16 | (s[1] as usize) << 8 | s[2] as usize
        }),
        3 => (10, |s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize),
        4 => (10, |s| {
            s.iter().fold(0usize, |acc, &x| acc << 7 | (x & 0x7F) as usize)
        }),
        _ => return None,
    };
    let id_len = if major == 2 { 3 } else { 4 };
    let mut at = 0;
    while at + header <= tag.len() && tag[at] != 0 {
        let len = size_of(&tag[at + id_len..at + header]);
        at = at.checked_add(header)?.checked_add(len)?;
        if at > tag.len() {
            return Some("an ID3v2 frame declares more bytes than its tag holds");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_that_fit_pass_and_lengths_that_do_not_are_refused() {
        // FLAC with a Vorbis comment block: vendor "x", one comment "a=b".
        let comment = [
            &1u32.to_le_bytes()[..],
            b"x",
            &1u32.to_le_bytes(),
            &3u32.to_le_bytes(),
            b"a=b",
        ]
        .concat();
        let block = |c: &[u8]| [&[0x84u8, 0, 0, c.len() as u8][..], c].concat();
        let good = [&b"fLaC"[..], &block(&comment)].concat();
        assert_eq!(implausible_metadata(&good), None);
        let mut lying = comment.clone();
        lying[9..13].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(implausible_metadata(&[&b"fLaC"[..], &block(&lying)].concat()).is_some());
        // The same comment in an Ogg Vorbis header packet.
        assert_eq!(
            implausible_metadata(&[&b"OggS....\x03vorbis"[..], &comment].concat()),
            None
        );
        assert!(implausible_metadata(&[&b"OggS....\x03vorbis"[..], &lying].concat()).is_some());
        assert_eq!(
            implausible_metadata(&[&b"RIFF....\x03vorbis"[..], &lying].concat()),
            None,
            "only Ogg streams"
        );
        // ID3v2.3 with one frame of 2 bytes in a 12-byte tag; then the frame claims 1 GB.
        let frame = [&b"TIT2"[..], &2u32.to_be_bytes(), &[0, 0], b"hi"].concat();
        let tag = |f: &[u8]| [&b"ID3\x03\x00\x00"[..], &[0, 0, 0, f.len() as u8], f].concat();
        assert_eq!(implausible_metadata(&tag(&frame)), None);
        let mut huge = frame.clone();
        huge[4..8].copy_from_slice(&(1u32 << 30).to_be_bytes());
        assert!(implausible_metadata(&tag(&huge)).is_some());
        // Plain audio without metadata.
        assert_eq!(implausible_metadata(b"RIFF....WAVEfmt "), None);
    }
}
