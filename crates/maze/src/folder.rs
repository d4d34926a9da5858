//! The photos of a folder, as the maze hangs them: files with a photo's extension, sorted by
//! name (so the same folder and seed always give the same maze, on the page and in `walk`).

use std::path::{Path, PathBuf};

/// Extensions photophone decodes.
pub const PHOTO_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp"];

/// Seconds of music a maze photo's score is composed for (it then loops on the maze's bars,
/// each loop overlapping the last one's closing fade). Building a score's graph takes time in
/// proportion to its notes, on the audio thread: a 60-s score took 2.0 ms median and 6.6 ms
/// at most on this machine (`examples/maze_cost.rs`), more than a 2.67-ms quantum; 30 s
/// halves that.
pub const SCORE_SECONDS: f64 = 30.0;

/// What is wrong with a maze folder: one line.
// Each variant's `#[error]` message is its documentation.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{0}: cannot read the folder ({1})")]
    Unreadable(PathBuf, std::io::Error),
    #[error("{0}: no photos here (looked for .jpg, .jpeg, .png, .gif, .bmp, .tif, .tiff, .webp)")]
    NoPhotos(PathBuf),
}

/// The folder's photo files (not its subfolders'), sorted by file name.
pub fn photos_in(dir: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let unreadable = |e| FolderError::Unreadable(dir.to_path_buf(), e);
    let mut photos = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let is_photo = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if is_photo && path.is_file() {
            photos.push(path);
        }
    }
    if photos.is_empty() {
        return Err(FolderError::NoPhotos(dir.to_path_buf()));
    }
    photos.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(photos)
}

/// The names the layout shows for these files.
pub fn file_names(photos: &[PathBuf]) -> Vec<String> {
    photos
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_photos_by_name_and_says_when_there_are_none() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.JPG", "a.png", "notes.txt", "c.webp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.jpg")).unwrap();
        let found = photos_in(dir.path()).unwrap();
        assert_eq!(file_names(&found), ["a.png", "b.JPG", "c.webp"]);
        let empty = tempfile::tempdir().unwrap();
        let e = photos_in(empty.path()).unwrap_err().to_string();
        assert!(e.contains("no photos here"), "{e}");
        assert!(photos_in(&dir.path().join("missing"))
            .unwrap_err()
            .to_string()
            .contains("cannot read"));
    }
}
