//! An item of a case: the message view, its sanitised HTML, its raw bytes, its attachments and
//! the text extraction made of them or of a loose document. Downloads are never rendered by
//! the browser.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_store::query as q;
use trove_store::{annotations, message_view};

use super::types::{AttachmentView, HeaderView, ItemView, MessageParams, MessageView};
use super::{ANYONE, AppState, Caller, Res, item_number, part_number};
use crate::ServerError;
use crate::html::{self, Inline};

/// An item of the case, with its stored bytes for parsing when it has them: whole under 32
/// MiB, else their start (see `Case::read_message`; the flag says whether they are whole).
pub(crate) fn load_item(
    s: &trove_query::Searchable,
    item: i64,
) -> Res<(q::ItemRow, Option<(Vec<u8>, bool)>)> {
    let row =
        q::item(&s.catalog, item)?.ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
    let bytes = match stored_sha(&row)? {
        Some(k) => Some(s.case.read_message(&s.catalog, &k)?),
        None => None,
    };
    Ok((row, bytes))
}

/// The SHA-256 of an item's stored bytes, when it has them (stored, or a duplicate of stored
/// bytes).
fn stored_sha(row: &q::ItemRow) -> Res<Option<[u8; 32]>> {
    let (Some(sha), "stored" | "duplicate") = (&row.sha256, row.outcome.as_str()) else {
        return Ok(None);
    };
    let mut k = [0u8; 32];
    hex::decode_to_slice(sha, &mut k).map_err(|_| ServerError::Internal("bad sha256".into()))?;
    Ok(Some(k))
}

pub(crate) async fn message(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Query(p): Query<MessageParams>,
) -> Res<Json<ItemView>> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, ANYONE)?;
    let case_name = case.clone();
    let v = cx
        .run_audited(
            "view",
            move |entry| {
                let s = entry.searchable()?;
                item_view(&s, item, case_name, p.raw_headers.unwrap_or(false))
            },
            |_| json!({ "item": item }),
        )
        .await?;
    Ok(Json(v))
}

/// An item, its provenance and children, and for a message with stored bytes what is in it.
fn item_view(
    s: &trove_query::Searchable,
    item: i64,
    case: String,
    raw_headers: bool,
) -> Res<ItemView> {
    let (row, bytes) = load_item(s, item)?;
    let provenance = q::ancestry(&s.catalog, item)?;
    let children = q::children(&s.catalog, item)?;
    // A document outside any message: what extraction made of it.
    let mut extraction = None;
    if row.message.is_none()
        && let Some(k) = row.sha256.as_deref().and_then(|h| hex::decode(h).ok())
    {
        extraction = Some(trove_store::extraction::extraction(&s.catalog, &k)?);
    }
    let message = match (row.message, bytes) {
        (Some(mid), Some((bytes, whole))) => {
            Some(message_view(s, mid, &bytes, whole, raw_headers)?)
        }
        _ => None,
    };
    Ok(ItemView {
        item: row,
        provenance,
        children,
        case,
        extraction,
        message,
    })
}

/// What a message with stored bytes shows: its catalog row, addresses, headers, text, what its
/// HTML would have fetched, attachments, copies, thread, tags and notes.
fn message_view(
    s: &trove_query::Searchable,
    mid: i64,
    bytes: &[u8],
    whole: bool,
    raw_headers: bool,
) -> Res<MessageView> {
    let m = q::message(&s.catalog, mid)?;
    let atts = q::attachments(&s.catalog, mid)?;
    let copies = q::copies(&s.catalog, mid)?;
    let parsed = parse_message(bytes, &Limits::default(), DateHints::default(), !whole);
    let safe = parsed
        .html
        .as_deref()
        .map(|h| html::sanitise(h, &inline_images(&parsed)));
    let key = m
        .as_ref()
        .map(|m| m.content_key.clone())
        .unwrap_or_default();
    let kb = hex::decode(&key).unwrap_or_default();
    let thread = message_view::thread_of(&s.catalog, mid).unwrap_or(None);
    let tags = annotations::tags(&s.catalog, &kb)?;
    let notes = annotations::notes(&s.catalog, &kb)?;
    let addresses = message_view::addresses(&s.catalog, mid)?;
    let raw_headers = raw_headers.then(|| {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .or_else(|| bytes.windows(2).position(|w| w == b"\n\n"))
            .unwrap_or(bytes.len());
        String::from_utf8_lossy(&bytes[..end]).into_owned()
    });
    // Each attachment with what extraction made of it (text length, flags, metadata).
    let attachments = atts
        .into_iter()
        .map(|a| {
            let extraction = hex::decode(&a.sha256).ok().and_then(|k| {
                trove_store::extraction::extraction(&s.catalog, &k)
                    .ok()
                    .flatten()
            });
            AttachmentView {
                attachment: a,
                extraction,
            }
        })
        .collect();
    let headers = parsed
        .headers
        .iter()
        .map(|h| HeaderView {
            name: h.name.clone(),
            value: h.value.clone(),
        })
        .collect();
    let (remote_images, links, remote) = match &safe {
        Some(s) => (s.remote_images.clone(), s.links.clone(), s.remote.clone()),
        None => Default::default(),
    };
    Ok(MessageView {
        message: m,
        addresses,
        headers,
        raw_headers,
        text: parsed.text,
        has_html: safe.is_some(),
        remote_images,
        links,
        remote,
        attachments,
        copies,
        thread,
        tags,
        notes,
    })
}

fn inline_images(p: &trove_formats::message::ParsedMessage) -> Inline {
    p.attachments
        .iter()
        .filter_map(|a| {
            a.content_id
                .clone()
                .map(|cid| (cid, (a.mime.clone(), a.data.clone())))
        })
        .collect()
}

pub(crate) async fn message_html(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, ANYONE)?;
    let safe = cx
        .run(move |entry| {
            let s = entry.searchable()?;
            let (_, bytes) = load_item(&s, item)?;
            let (bytes, whole) =
                bytes.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
            let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
            let html = parsed
                .html
                .as_deref()
                .ok_or_else(|| ServerError::NotFound("no HTML body".into()))?;
            Ok(html::sanitise(html, &inline_images(&parsed)))
        })
        .await?;
    let mut res = (StatusCode::OK, safe.html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(html::MAIL_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(res)
}

/// A file to download: never rendered by the browser.
fn download(bytes: impl Into<Body>, name: &str) -> Response {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let mut res = (StatusCode::OK, bytes.into()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // An ASCII fallback name, and the real name (RFC 6266 / RFC 5987) for browsers.
    let utf8: String = name
        .bytes()
        .take(400)
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{clean}\"; filename*=UTF-8''{utf8}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}

pub(crate) async fn raw(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, ANYONE)?;
    let stored = cx.entry.case.clone();
    let (row, blob) = cx
        .run_audited(
            "download",
            move |entry| {
                let s = entry.searchable()?;
                let row = q::item(&s.catalog, item)?
                    .ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
                let blob = match stored_sha(&row)? {
                    Some(k) => s.catalog.blob(&k)?,
                    None => None,
                };
                let blob = blob.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
                Ok((row, blob))
            },
            |(row, _)| json!({ "item": item, "sha256": row.sha256 }),
        )
        .await?;
    let ext = if row.message.is_some() { "eml" } else { "bin" };
    let size = blob.size;
    let mut res = download(stream_blob(stored, blob), &format!("trove-{item}.{ext}"));
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(res)
}

/// A stored blob sent as it is read, 256 KiB at a time on a blocking thread: a download holds
/// a chunk in memory, not the file (a stored message can be gigabytes).
fn stream_blob(case: trove_store::Case, blob: trove_store::BlobRef) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    tokio::task::spawn_blocking(move || {
        let mut r = match case.blob_dir().open(&blob) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 256 << 10];
            match std::io::Read::read(&mut r, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(buf)).is_err() {
                        break; // the client went away
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

pub(crate) async fn attachment(
    State(app): AppState,
    c: Caller,
    Path((case, item, part)): Path<(String, String, String)>,
) -> Res<Response> {
    let (item, part) = (item_number(&item)?, part_number(&part)?);
    let cx = c.in_case(&app, &case, ANYONE)?;
    let (name, data) = cx
        .run_audited(
            "download-attachment",
            move |entry| {
                let (_, bytes) = load_item(&*entry.searchable()?, item)?;
                let (bytes, whole) =
                    bytes.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
                let parsed =
                    parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
                let a = parsed
                    .attachments
                    .into_iter()
                    .find(|a| a.part == part)
                    .ok_or_else(|| ServerError::NotFound(format!("part {part}")))?;
                Ok((
                    a.name.unwrap_or_else(|| format!("part-{part}")),
                    a.data,
                    hex::encode(a.sha256),
                ))
            },
            |(_, _, sha)| json!({ "item": item, "part": part, "sha256": sha }),
        )
        .await
        .map(|(name, data, _)| (name, data))?;
    Ok(download(data, &name))
}

/// Extracted text, as UTF-8 plain text.
fn plain_text(text: String) -> Response {
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The text extraction made of an attachment (plain text; pages separated by form feeds).
pub(crate) async fn attachment_text(
    State(app): AppState,
    c: Caller,
    Path((case, item, part)): Path<(String, String, String)>,
) -> Res<Response> {
    let (item, part) = (item_number(&item)?, part_number(&part)?);
    let cx = c.in_case(&app, &case, ANYONE)?;
    let text = cx
        .run_audited(
            "view-attachment-text",
            move |entry| {
                let s = entry.searchable()?;
                let row = load_item(&s, item)?.0;
                let mid = row.message.ok_or_else(|| {
                    ServerError::NotFound(format!("item {item} is not a message"))
                })?;
                let a = q::attachments(&s.catalog, mid)?
                    .into_iter()
                    .find(|a| a.part == part)
                    .ok_or_else(|| ServerError::NotFound(format!("part {part}")))?;
                s.document_text(&a.sha256).ok_or_else(|| {
                    ServerError::NotFound(format!("no text extracted from part {part}"))
                })
            },
            |_| json!({ "item": item, "part": part }),
        )
        .await?;
    Ok(plain_text(text))
}

/// The text extracted from a loose document (an item outside any message).
pub(crate) async fn document_text(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, ANYONE)?;
    let text = cx
        .run_audited(
            "view-document-text",
            move |entry| {
                let s = entry.searchable()?;
                let row = q::item(&s.catalog, item)?
                    .ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
                let sha = row.sha256.ok_or_else(|| {
                    ServerError::NotFound(format!("item {item} has no stored bytes"))
                })?;
                s.document_text(&sha).ok_or_else(|| {
                    ServerError::NotFound(format!("no text extracted from item {item}"))
                })
            },
            |_| json!({ "item": item }),
        )
        .await?;
    Ok(plain_text(text))
}
