//! Exports: the results of a query as JSON lines, CSV, mbox or a zip of the raw messages,
//! streamed as they are written.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::json;

use super::types::ExportParams;
use super::{AppState, Caller, REPORTERS, Res, or_everything};
use crate::ServerError;
use crate::auth::random_token;

/// A writer that hands chunks to an async body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 256 << 10 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::take(&mut self.buf);
            self.tx
                .blocking_send(Ok(chunk))
                .map_err(|_| std::io::Error::other("client went away"))?;
        }
        Ok(())
    }
}

pub(crate) async fn export(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<ExportParams>,
) -> Res<Response> {
    let cx = c.in_case(&app, &case, REPORTERS)?;
    let format: trove_query::export::Format = p
        .format
        .as_deref()
        .unwrap_or("jsonl")
        .parse()
        .map_err(ServerError::BadRequest)?;
    let qs = or_everything(&p.q);
    // Refuse a bad query now, with its error, rather than midway through a download.
    {
        let q2 = qs.clone();
        cx.run(move |e| {
            e.searchable()?
                .query(&q2)
                .map(|_| ())
                .map_err(ServerError::Search)
        })
        .await?;
    }
    cx.audit(
        "export",
        json!({ "q": p.q, "format": p.format.as_deref().unwrap_or("jsonl"), "copies": p.copies.unwrap_or(false) }),
    );
    let copies = p.copies.unwrap_or(false);
    let (ctype, ext) = match format {
        trove_query::export::Format::Jsonl => ("application/x-ndjson", "jsonl"),
        trove_query::export::Format::Csv => ("text/csv; charset=utf-8", "csv"),
        trove_query::export::Format::Mbox => ("application/mbox", "mbox"),
        trove_query::export::Format::Zip => ("application/zip", "zip"),
    };
    let entry = cx.entry.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Res<()> {
            let s = entry.searchable()?;
            if format == trove_query::export::Format::Zip {
                // A zip needs to seek: build it in a temporary file, then stream that.
                let tmp = tempfile_in(&entry.case.tmp_dir())?;
                trove_query::export::export_zip(&s, &qs, copies, tmp.reopen()?)?;
                let mut f = tmp.reopen()?;
                let mut w = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::new(),
                };
                std::io::copy(&mut f, &mut w)?;
                std::io::Write::flush(&mut w)?;
            } else {
                let mut w = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::new(),
                };
                trove_query::export::export(&s, &qs, format, copies, &mut w)?;
                std::io::Write::flush(&mut w)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = tokio_stream(rx);
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"trove-{case}-export.{ext}\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

fn tempfile_in(dir: &std::path::Path) -> Res<TempFile> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("export-{}.zip", random_token()?));
    std::fs::File::create(&path)?;
    Ok(TempFile { path })
}

/// A temporary file removed when dropped.
struct TempFile {
    path: std::path::PathBuf,
}

impl TempFile {
    fn reopen(&self) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
