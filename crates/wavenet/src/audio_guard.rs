//! Which container an audio file is, and length fields in its metadata checked before
//! symphonia reads them.
//!
//! symphonia 0.5.5 (and 0.6.1) allocates a buffer of whatever size a Vorbis comment, a FLAC
//! picture block or an ID3v2 frame declares before reading it (pdeljanov/Symphonia#508), so a
//! 50-byte file can ask for 4 GiB; and its probe searches a whole file for any format's
//! marker. Found by fuzzing `train`'s audio decoding (fuzz/). Until the crate bounds them:
//! the container is the one the first bytes name (no search), an ID3v2 tag is skipped unread,
//! and a Vorbis comment or FLAC picture whose declared length does not fit in the bytes around
//! it is refused, which caps what decoding can allocate at the file's own size.

/// The containers `train` reads, told by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Wav,
    Flac,
    Ogg,
    /// MPEG audio (MP3), possibly after an ID3v2 tag.
    Mpeg,
}

pub fn container(bytes: &[u8]) -> Option<Container> {
    let mpeg_sync = |b: &[u8]| b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0;
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        Some(Container::Wav)
    } else if bytes.starts_with(b"fLaC") {
        Some(Container::Flac)
    } else if bytes.starts_with(b"OggS") {
        Some(Container::Ogg)
    } else if bytes.starts_with(b"ID3") || mpeg_sync(bytes) {
        Some(Container::Mpeg)
    } else {
        None
    }
}

/// Where the audio stream starts: after an ID3v2 tag (which is skipped, not read), else 0.
pub fn audio_start(bytes: &[u8], kind: Container) -> usize {
    if kind != Container::Mpeg || !bytes.starts_with(b"ID3") || bytes.len() < 10 {
        return 0;
    }
    let size = bytes[6..10]
        .iter()
        .fold(0usize, |acc, &x| acc << 7 | (x & 0x7F) as usize);
    let footer = if bytes[5] & 0x10 != 0 { 10 } else { 0 };
    (10 + size + footer).min(bytes.len())
}

/// Why a file's metadata cannot be trusted, or `None` when its lengths fit.
pub fn implausible_metadata(bytes: &[u8]) -> Option<&'static str> {
    if container(bytes) == Some(Container::Wav) {
        return wav_format(bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"fLaC") {
        return flac_blocks(rest);
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

/// A WAV's `fmt ` chunks (symphonia reads every one before the data, the last one wins):
/// symphonia panics on a sample rate of 0 (its time base) and underflows on an ADPCM block
/// smaller than its header, so the numbers it divides by or subtracts are checked first.
fn wav_format(bytes: &[u8]) -> Option<&'static str> {
    let mut at = 12;
    while let (Some(id), Some(len)) = (bytes.get(at..at + 4), u32_le(bytes, at + 4)) {
        if id == b"data" {
            break;
        }
        if id == b"fmt " && !plausible_wav_format(bytes.get(at + 8..)?) {
            return Some("the WAV format chunk has no channels, rate or sample size");
        }
        at = at.checked_add(8)?.checked_add(len + (len & 1))?;
    }
    None
}

fn plausible_wav_format(chunk: &[u8]) -> bool {
    let u16_at = |i: usize| chunk.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let (Some(tag), Some(channels), Some(rate), Some(align), Some(bits)) =
        (u16_at(0), u16_at(2), u32_le(chunk, 4), u16_at(12), u16_at(14))
    else {
        return true; // too short: symphonia refuses it itself
    };
    // MS ADPCM (2) and IMA ADPCM (0x11) blocks start with a per-channel header.
    let adpcm_header = match tag {
        0x0002 => 7 * channels as u32,
        0x0011 => 4 * channels as u32,
        _ => 0,
    };
    (1..=32).contains(&channels)
        && (1_000..=768_000).contains(&rate)
        && align > 0
        && u32::from(align) > adpcm_header
        && (1..=64).contains(&bits)
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
        // An ID3v2 tag is skipped, not read: the MP3 stream starts after it.
        let tag = [&b"ID3\x03\x00\x00\x00\x00\x00\x04"[..], b"abcd", &[0xFF, 0xFB]].concat();
        assert_eq!(container(&tag), Some(Container::Mpeg));
        assert_eq!(audio_start(&tag, Container::Mpeg), 14);
        // Plain audio without metadata.
        assert_eq!(implausible_metadata(b"RIFF....WAVEfmt "), None);
        assert_eq!(container(b"RIFF....WAVEfmt "), Some(Container::Wav));
        let fmt = |rate: u32| {
            [
                &b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0"[..],
                &rate.to_le_bytes(),
                &[0; 4],
                &[2, 0, 16, 0],
            ]
            .concat()
        };
        assert_eq!(implausible_metadata(&fmt(44_100)), None);
        assert!(implausible_metadata(&fmt(0)).is_some());
        // A second format chunk overrides the first in symphonia: both are checked.
        let twice = [fmt(44_100), fmt(0)[12..].to_vec()].concat();
        assert!(implausible_metadata(&twice).is_some());
        assert_eq!(
            container(b"RIFX....fLaC"),
            None,
            "a marker later in the file is not searched for"
        );
        assert_eq!(container(&[0xFF, 0xFB, 0x90]), Some(Container::Mpeg));
    }
}
