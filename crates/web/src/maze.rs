//! The photo maze's routes (the page is `/maze`):
//! - `POST /api/maze/layout?seed=S` with `{"files": [names…]}` → the maze for those names;
//! - `GET /api/maze/folder?seed=S` → `{"folder", "layout"}` for the server's photos folder
//!   (`photophone serve --photos DIR`: [`photophone_maze::folder::photos_in`], as `photophone
//!   walk` lists it);
//! - `GET /api/maze/folder/photo/{i}?seed=S` and `POST /api/maze/photo?seed=S` (the photo as
//!   the body) → the photo's `/api/analyze` answer, composed for [`SCORE_SECONDS`] unless
//!   `seconds` says otherwise (what `photophone walk` plays); with `&texture=true` the answer
//!   is `multipart/form-data`: that JSON as the part `analysis` and the wall's texture as
//!   the part `texture`, both from one decode;
//! - `GET /api/maze/folder/texture/{i}` and `POST /api/texture` (the photo as the body) → the
//!   texture alone: a JPEG of at most [`TEXTURE_MAX_SIDE`] pixels on its long side, upright
//!   (EXIF orientation applied).
//!
//! Photos are decoded per request at analysis size (large JPEGs in the DCT domain at 1/2–1/8
//! scale), never kept: the server's memory does not grow with the number of photos.

use super::{body, options, run, Analyzed, ApiError, App, JobContext, Params};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use photophone::analysis::{self, Resolution};
use photophone_maze::folder::{self, FolderError};
use photophone_maze::layout::Layout;
use serde::{Deserialize, Serialize};
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

/// Longest side of a wall's texture, in pixels (the analysis copy is at most this size).
pub const TEXTURE_MAX_SIDE: u32 = analysis::decode::ANALYSIS_MAX_SIDE;
/// Most photos one maze takes (a layout request naming more is refused).
pub const MAX_PHOTOS: usize = 10_000;
/// Seconds each maze photo's score is composed for (the page asks for the same).
pub use folder::SCORE_SECONDS;

/// The server's photos folder and its listing, read on the first request and again on each
/// `GET /api/maze/folder`, so indices stay those of the maze the page was given.
#[derive(Default)]
pub(crate) struct Folder {
    dir: Option<PathBuf>,
    listing: Mutex<Option<Arc<Vec<PathBuf>>>>,
}

impl Folder {
    pub(crate) fn new(dir: Option<PathBuf>) -> Folder {
        Folder {
            dir,
            listing: Mutex::new(None),
        }
    }

    fn dir(&self) -> Result<&FsPath, ApiError> {
        self.dir.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_folder",
                "this server has no photos folder (start it with photophone serve --photos DIR)",
            )
        })
    }

    /// Lists the folder again and keeps the listing for the photo and texture routes.
    fn relist(&self) -> Result<Arc<Vec<PathBuf>>, ApiError> {
        let listing = Arc::new(folder::photos_in(self.dir()?).map_err(folder_error)?);
        *self.listing.lock().unwrap_or_else(|e| e.into_inner()) = Some(listing.clone());
        Ok(listing)
    }

    fn photo(&self, index: usize) -> Result<PathBuf, ApiError> {
        let kept = self.listing.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let listing = match kept {
            Some(l) => l,
            None => self.relist()?,
        };
        listing.get(index).cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no photo {index} in the folder (it has {})", listing.len()),
            )
        })
    }
}

fn folder_error(e: FolderError) -> ApiError {
    let message = e.to_string();
    match e {
        FolderError::NoPhotos(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_photos", message),
        FolderError::Unreadable(..) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "folder_unreadable", message)
        }
    }
}

/// `?seed=S` of the layout routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedParam {
    seed: Option<u64>,
}

fn seed(q: Result<Query<SeedParam>, QueryRejection>) -> Result<u64, ApiError> {
    q.map(|Query(p)| p.seed.unwrap_or(0))
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", e.body_text()))
}

#[derive(Deserialize)]
struct Files {
    files: Vec<String>,
}

/// Generates a maze on a blocking thread (a 2,000-photo maze takes a moment).
async fn generate(app: &App, files: Vec<String>, seed: u64) -> Result<Layout, ApiError> {
    if files.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "no_photos",
            "no photos: a maze needs at least one",
        ));
    }
    if files.len() > MAX_PHOTOS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_photos",
            format!("{} photos: a maze takes at most {MAX_PHOTOS}", files.len()),
        ));
    }
    let context = JobContext {
        route: "/api/maze/layout",
        upload_bytes: 0,
        options: photophone::Options {
            seed,
            ..Default::default()
        },
    };
    run(app, context, move || Ok(Layout::generate(files, seed))).await
}

async fn layout_for_files(
    State(app): State<App>,
    q: Result<Query<SeedParam>, QueryRejection>,
    files: Result<Json<Files>, JsonRejection>,
) -> Result<Response, ApiError> {
    let seed = seed(q)?;
    let Json(Files { files }) = files.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("expected {{\"files\": [names…]}}: {}", e.body_text()),
        )
    })?;
    Ok(Json(generate(&app, files, seed).await?).into_response())
}

#[derive(Serialize)]
struct FolderMaze {
    /// The folder's name (its last component), for the page's title.
    folder: String,
    layout: Layout,
}

async fn folder_layout(
    State(app): State<App>,
    q: Result<Query<SeedParam>, QueryRejection>,
) -> Result<Response, ApiError> {
    let seed = seed(q)?;
    let dir = app.folder.dir()?;
    let listing = app.folder.relist()?;
    let folder = dir
        .file_name()
        .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
    let names = folder::file_names(&listing);
    let layout = generate(&app, names, seed).await?;
    Ok(Json(FolderMaze { folder, layout }).into_response())
}

fn file_name(path: &FsPath) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `?style=…&seed=…&seconds=…&texture=true` of the maze's photo routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhotoParams {
    style: Option<String>,
    seed: Option<u64>,
    seconds: Option<f64>,
    /// Also answer the wall's texture, made from the same decode.
    texture: Option<bool>,
}

/// The options of a maze photo's score, and whether its texture is wanted.
fn photo_options(
    q: Result<Query<PhotoParams>, QueryRejection>,
    app: &App,
) -> Result<(photophone::Options, bool), ApiError> {
    let p = q
        .map(|Query(p)| p)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_parameter", e.body_text()))?;
    let params = Params {
        style: p.style,
        seed: p.seed,
        seconds: Some(p.seconds.unwrap_or(SCORE_SECONDS)),
    };
    Ok((options(&params, &app.limits)?, p.texture.unwrap_or(false)))
}

/// A decoded photo's analysis (and texture): what the photo routes answer.
fn heard(
    photo: &photophone::Photo,
    opts: &photophone::Options,
    texture: bool,
) -> (Analyzed, Option<Vec<u8>>) {
    let (report, score) = photophone::report_and_score(photo, opts);
    (Analyzed { report, score }, texture.then(|| texture_jpeg(photo)))
}

async fn folder_photo(
    State(app): State<App>,
    Path(index): Path<usize>,
    q: Result<Query<PhotoParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (opts, texture) = photo_options(q, &app)?;
    let path = app.folder.photo(index)?;
    let context = JobContext {
        route: "/api/maze/folder/photo",
        upload_bytes: 0,
        options: opts.clone(),
    };
    let out = run(&app, context, move || {
        let photo = analysis::load_path_at(&path, photophone::resolution_for(opts.style))
            .map_err(|e| file_error(&path, e))?;
        Ok(heard(&photo, &opts, texture))
    })
    .await?;
    Ok(photo_response(out))
}

/// `POST /api/maze/photo`: a dropped photo, as `folder_photo` answers a folder's.
async fn dropped_photo(
    State(app): State<App>,
    q: Result<Query<PhotoParams>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (opts, texture) = photo_options(q, &app)?;
    let bytes = body(b, &app.limits)?;
    let context = JobContext {
        route: "/api/maze/photo",
        upload_bytes: bytes.len(),
        options: opts.clone(),
    };
    let out = run(&app, context, move || {
        let photo = analysis::load_bytes_at(&bytes, "upload", photophone::resolution_for(opts.style))
            .map_err(super::photo_error)?;
        Ok(heard(&photo, &opts, texture))
    })
    .await?;
    Ok(photo_response(out))
}

/// The analysis as JSON, or with a texture as `multipart/form-data` (which a page reads
/// with `Response.formData()`).
fn photo_response((analyzed, texture): (Analyzed, Option<Vec<u8>>)) -> Response {
    let Some(jpeg) = texture else {
        return Json(analyzed).into_response();
    };
    let json = serde_json::to_vec(&analyzed).expect("an analysis serialises");
    let boundary = boundary_for(&[&json, &jpeg]);
    let mut body = Vec::with_capacity(json.len() + jpeg.len() + 400);
    let part = |body: &mut Vec<u8>, headers: &str, bytes: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part(
        &mut body,
        "Content-Disposition: form-data; name=\"analysis\"\r\nContent-Type: application/json",
        &json,
    );
    part(
        &mut body,
        "Content-Disposition: form-data; name=\"texture\"; filename=\"texture.jpg\"\r\nContent-Type: image/jpeg",
        &jpeg,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mime = format!("multipart/form-data; boundary={boundary}");
    ([(header::CONTENT_TYPE, mime)], body).into_response()
}

/// A multipart boundary found in none of the parts.
fn boundary_for(parts: &[&[u8]]) -> String {
    (0u32..)
        .map(|n| format!("photophone-maze-{n:08x}"))
        .find(|b| {
            parts
                .iter()
                .all(|p| !p.windows(b.len()).any(|w| w == b.as_bytes()))
        })
        .expect("some boundary is free")
}

async fn folder_texture(State(app): State<App>, Path(index): Path<usize>) -> Result<Response, ApiError> {
    let path = app.folder.photo(index)?;
    let context = JobContext {
        route: "/api/maze/folder/texture",
        upload_bytes: 0,
        options: photophone::Options::default(),
    };
    let jpeg = run(&app, context, move || {
        let photo =
            analysis::load_path_at(&path, Resolution::AnalysisOnly).map_err(|e| file_error(&path, e))?;
        Ok(texture_jpeg(&photo))
    })
    .await?;
    Ok(jpeg_response(jpeg))
}

/// `POST /api/texture`: the uploaded photo as a wall's texture.
async fn texture(State(app): State<App>, b: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let bytes = body(b, &app.limits)?;
    let context = JobContext {
        route: "/api/texture",
        upload_bytes: bytes.len(),
        options: photophone::Options::default(),
    };
    let jpeg = run(&app, context, move || {
        let photo = analysis::load_bytes_at(&bytes, "upload", Resolution::AnalysisOnly)
            .map_err(super::photo_error)?;
        Ok(texture_jpeg(&photo))
    })
    .await?;
    Ok(jpeg_response(jpeg))
}

/// A folder photo's decoding error, as the upload routes answer it; a file that vanished
/// or cannot be read is named.
fn file_error(path: &FsPath, e: photophone::PhotoError) -> ApiError {
    use photophone::PhotoError::*;
    match e {
        NotFound | IsDirectory | Io(_) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unreadable",
            format!("{}: {e}", file_name(path)),
        ),
        other => super::photo_error(other),
    }
}

/// The analysis copy (area-averaged, upright, long side ≤ 512) as a quality-85 JPEG.
fn texture_jpeg(photo: &photophone::Photo) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&photo.small)
        .expect("encoding to memory cannot fail");
    out
}

fn jpeg_response(jpeg: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response()
}

/// The maze's API routes.
pub(crate) fn routes(router: Router<App>) -> Router<App> {
    router
        .route("/api/maze/layout", post(layout_for_files))
        .route("/api/maze/folder", get(folder_layout))
        .route("/api/maze/photo", post(dropped_photo))
        .route("/api/maze/folder/photo/{index}", get(folder_photo))
        .route("/api/maze/folder/texture/{index}", get(folder_texture))
        .route("/api/texture", post(texture))
}
