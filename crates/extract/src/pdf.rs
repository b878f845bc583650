//! PDF through pdfium (BSD/Apache; the build the `pypdfium2` wheel ships), loaded at run time
//! from `TROVE_PDFIUM`, next to the executable, or `/usr/local/lib/libpdfium.so`. Glyphs and
//! their positions are read per page and put in reading order by [`crate::layout`]; pages
//! without a usable text layer but with images are rendered to gray pixels for OCR (now or
//! later). Metadata, JavaScript and embedded files are read from the document.
//!
//! pdfium is C++ parsing untrusted bytes: this runs only inside the worker processes of
//! [`crate::pool`]. [`name_flags`] looks for risky actions without pdfium (the names a PDF
//! writes them with, in the file and in its object streams), so that they are flagged
//! whatever pdfium exposes and even when the engine is off.

use std::ffi::{c_char, c_double, c_float, c_int, c_uint, c_ulong, c_void};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::layout::{Glyph, page_text};
use crate::{Extraction, Flag, OcrMode, Options, Status};

type Doc = *mut c_void;
type Page = *mut c_void;
type TextPage = *mut c_void;
type Bitmap = *mut c_void;
type Obj = *mut c_void;

struct Fns {
    load_mem: unsafe extern "C" fn(*const c_void, usize, *const c_char) -> Doc,
    last_error: unsafe extern "C" fn() -> c_ulong,
    close_doc: unsafe extern "C" fn(Doc),
    page_count: unsafe extern "C" fn(Doc) -> c_int,
    load_page: unsafe extern "C" fn(Doc, c_int) -> Page,
    close_page: unsafe extern "C" fn(Page),
    page_w: unsafe extern "C" fn(Page) -> c_float,
    page_h: unsafe extern "C" fn(Page) -> c_float,
    text_load: unsafe extern "C" fn(Page) -> TextPage,
    text_close: unsafe extern "C" fn(TextPage),
    text_count: unsafe extern "C" fn(TextPage) -> c_int,
    text_unicode: unsafe extern "C" fn(TextPage, c_int) -> c_uint,
    text_box: unsafe extern "C" fn(
        TextPage,
        c_int,
        *mut c_double,
        *mut c_double,
        *mut c_double,
        *mut c_double,
    ) -> c_int,
    text_origin: unsafe extern "C" fn(TextPage, c_int, *mut c_double, *mut c_double) -> c_int,
    text_loose_box: unsafe extern "C" fn(TextPage, c_int, *mut RectF) -> c_int,
    text_size: unsafe extern "C" fn(TextPage, c_int) -> c_double,
    text_map_error: unsafe extern "C" fn(TextPage, c_int) -> c_int,
    meta: unsafe extern "C" fn(Doc, *const c_char, *mut c_void, c_ulong) -> c_ulong,
    obj_count: unsafe extern "C" fn(Page) -> c_int,
    obj_get: unsafe extern "C" fn(Page, c_int) -> Obj,
    obj_type: unsafe extern "C" fn(Obj) -> c_int,
    obj_bounds:
        unsafe extern "C" fn(Obj, *mut c_float, *mut c_float, *mut c_float, *mut c_float) -> c_int,
    bmp_create: unsafe extern "C" fn(c_int, c_int, c_int, *mut c_void, c_int) -> Bitmap,
    bmp_fill: unsafe extern "C" fn(Bitmap, c_int, c_int, c_int, c_int, c_ulong) -> c_int,
    bmp_buffer: unsafe extern "C" fn(Bitmap) -> *mut c_void,
    bmp_stride: unsafe extern "C" fn(Bitmap) -> c_int,
    bmp_destroy: unsafe extern "C" fn(Bitmap),
    render: unsafe extern "C" fn(Bitmap, Page, c_int, c_int, c_int, c_int, c_int, c_int),
    js_count: unsafe extern "C" fn(Doc) -> c_int,
    attachment_count: unsafe extern "C" fn(Doc) -> c_int,
    security_rev: unsafe extern "C" fn(Doc) -> c_int,
}

/// FS_RECTF.
#[repr(C)]
#[derive(Default)]
struct RectF {
    left: c_float,
    top: c_float,
    right: c_float,
    bottom: c_float,
}

struct Pdfium {
    _lib: libloading::Library,
    f: Fns,
}

// SAFETY: pdfium is used from one thread at a time, under the PDFIUM mutex.
unsafe impl Send for Pdfium {}

static PDFIUM: Mutex<Option<Result<Pdfium, String>>> = Mutex::new(None);

/// Where libpdfium.so is looked for, in order.
pub fn library_candidates() -> Vec<PathBuf> {
    let mut c: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("TROVE_PDFIUM") {
        c.push(p.into());
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        c.push(dir.join("libpdfium.so"));
        c.push(dir.join("../lib/libpdfium.so"));
    }
    c.push("/usr/local/lib/trove/libpdfium.so".into());
    c.push("/usr/local/lib/libpdfium.so".into());
    c.push("libpdfium.so".into());
    c
}

fn load() -> Result<Pdfium, String> {
    let mut last = String::from("not found");
    for path in library_candidates() {
        if path.components().count() > 1 && !path.exists() {
            continue;
        }
        // SAFETY: loading pdfium runs its initialisers; it is the library we ship for this.
        let lib = match unsafe { libloading::Library::new(&path) } {
            Ok(l) => l,
            Err(e) => {
                last = format!("{}: {e}", path.display());
                continue;
            }
        };
        macro_rules! sym {
            ($name:literal) => {
                // SAFETY: the signature is the one declared in pdfium's public headers.
                *unsafe { lib.get($name) }.map_err(|e| format!("{}: {e}", path.display()))?
            };
        }
        let init: unsafe extern "C" fn() = sym!(b"FPDF_InitLibrary\0");
        let f = Fns {
            load_mem: sym!(b"FPDF_LoadMemDocument64\0"),
            last_error: sym!(b"FPDF_GetLastError\0"),
            close_doc: sym!(b"FPDF_CloseDocument\0"),
            page_count: sym!(b"FPDF_GetPageCount\0"),
            load_page: sym!(b"FPDF_LoadPage\0"),
            close_page: sym!(b"FPDF_ClosePage\0"),
            page_w: sym!(b"FPDF_GetPageWidthF\0"),
            page_h: sym!(b"FPDF_GetPageHeightF\0"),
            text_load: sym!(b"FPDFText_LoadPage\0"),
            text_close: sym!(b"FPDFText_ClosePage\0"),
            text_count: sym!(b"FPDFText_CountChars\0"),
            text_unicode: sym!(b"FPDFText_GetUnicode\0"),
            text_box: sym!(b"FPDFText_GetCharBox\0"),
            text_origin: sym!(b"FPDFText_GetCharOrigin\0"),
            text_loose_box: sym!(b"FPDFText_GetLooseCharBox\0"),
            text_size: sym!(b"FPDFText_GetFontSize\0"),
            text_map_error: sym!(b"FPDFText_HasUnicodeMapError\0"),
            meta: sym!(b"FPDF_GetMetaText\0"),
            obj_count: sym!(b"FPDFPage_CountObjects\0"),
            obj_get: sym!(b"FPDFPage_GetObject\0"),
            obj_type: sym!(b"FPDFPageObj_GetType\0"),
            obj_bounds: sym!(b"FPDFPageObj_GetBounds\0"),
            bmp_create: sym!(b"FPDFBitmap_CreateEx\0"),
            bmp_fill: sym!(b"FPDFBitmap_FillRect\0"),
            bmp_buffer: sym!(b"FPDFBitmap_GetBuffer\0"),
            bmp_stride: sym!(b"FPDFBitmap_GetStride\0"),
            bmp_destroy: sym!(b"FPDFBitmap_Destroy\0"),
            render: sym!(b"FPDF_RenderPageBitmap\0"),
            js_count: sym!(b"FPDFDoc_GetJavaScriptActionCount\0"),
            attachment_count: sym!(b"FPDFDoc_GetAttachmentCount\0"),
            security_rev: sym!(b"FPDF_GetSecurityHandlerRevision\0"),
        };
        // SAFETY: initialises the library once for this process.
        unsafe { init() };
        return Ok(Pdfium { _lib: lib, f });
    }
    Err(format!(
        "libpdfium.so could not be loaded ({last}); run scripts/setup-extract.sh"
    ))
}

/// Whether pdfium can be loaded here, and why not.
pub fn available() -> Result<(), String> {
    let mut g = PDFIUM.lock().unwrap_or_else(|p| p.into_inner());
    if g.is_none() {
        *g = Some(load());
    }
    match g.as_ref() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(e.clone()),
        None => Err("not loaded".into()),
    }
}

/// A page needs OCR when it has fewer usable characters than this and images on it.
const MIN_TEXT_CHARS: usize = 16;
/// Pages read per document at most.
const MAX_PAGES: i32 = 100_000;
/// Glyphs read per page at most.
const MAX_GLYPHS: i32 = 2_000_000;

pub fn extract(bytes: &[u8], opts: &Options, out: &mut Extraction) {
    let mut g = PDFIUM.lock().unwrap_or_else(|p| p.into_inner());
    if g.is_none() {
        *g = Some(load());
    }
    let p = match g.as_ref() {
        Some(Ok(p)) => p,
        Some(Err(e)) => return out.fail(format!("PDF engine unavailable: {e}")),
        None => return out.fail("PDF engine unavailable"),
    };
    let f = &p.f;
    // SAFETY: pdfium reads `bytes` (which outlives the document) and returns an owned handle.
    let doc = unsafe { (f.load_mem)(bytes.as_ptr().cast(), bytes.len(), std::ptr::null()) };
    if doc.is_null() {
        let err = unsafe { (f.last_error)() };
        match err {
            4 => {
                out.flag(Flag::Encrypted);
                out.skip("encrypted PDF; no password");
            }
            5 => {
                out.flag(Flag::Encrypted);
                out.skip("PDF with an unsupported security handler");
            }
            2 => out.fail("PDF could not be opened (file error)"),
            3 => out.fail("not a readable PDF (damaged or not PDF)"),
            e => out.fail(format!("PDF could not be opened (pdfium error {e})")),
        }
        return;
    }
    let result = read_doc(f, doc, opts, out);
    unsafe { (f.close_doc)(doc) };
    if let Err(e) = result {
        out.fail(e);
    }
}

/// Object streams inflated per document at most, and bytes inflated in all.
const MAX_OBJECT_STREAMS: usize = 10_000;
const MAX_INFLATED: u64 = 64 << 20;

/// The flags that names in a PDF call for, the way pdfid looks for them: `/Launch` (a launch
/// action), `/JS` or `/JavaScript` (JavaScript, also in an /OpenAction or an annotation's
/// action, which pdfium's count of document-level scripts misses), `/EmbeddedFile` (a file
/// inside, also in an attachment annotation). Names are read in the file as written and in
/// its Flate-compressed object streams (inflated up to [`MAX_INFLATED`] bytes in all), with
/// `#xx` escapes undone (`/L#61unch` is `/Launch`).
pub fn name_flags(bytes: &[u8]) -> Vec<Flag> {
    let mut found = Vec::new();
    scan_names(bytes, &mut found);
    let mut budget = MAX_INFLATED;
    let mut streams = 0usize;
    let mut pos = 0usize;
    while budget > 0 && streams < MAX_OBJECT_STREAMS {
        let Some(i) = find(&bytes[pos..], b"stream") else {
            break;
        };
        let at = pos + i;
        pos = at + 6;
        // The keyword after a dictionary (not `endstream`), then its end of line.
        if !bytes[..at].trim_ascii_end().ends_with(b">>") {
            continue;
        }
        let mut data = at + 6;
        if bytes.get(data) == Some(&b'\r') {
            data += 1;
        }
        if bytes.get(data) == Some(&b'\n') {
            data += 1;
        }
        // Its dictionary: from the object's `obj` keyword (within 4 KiB before).
        let window = &bytes[at.saturating_sub(4096)..at];
        let dict = match rfind(window, b"obj") {
            Some(k) => &window[k + 3..],
            None => window,
        };
        let mut names = Vec::new();
        for_each_name(dict, |n| names.push(n.to_vec()));
        let has = |n: &[u8]| names.iter().any(|x| x == n);
        if !has(b"ObjStm") || !(has(b"FlateDecode") || has(b"Fl")) {
            continue;
        }
        streams += 1;
        let mut inflated = Vec::new();
        let mut z = flate2::read::ZlibDecoder::new(&bytes[data.min(bytes.len())..]);
        // A damaged stream gives what inflated before the damage.
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(&mut z, budget), &mut inflated);
        budget = budget.saturating_sub(inflated.len() as u64);
        scan_names(&inflated, &mut found);
    }
    found
}

fn scan_names(bytes: &[u8], found: &mut Vec<Flag>) {
    for_each_name(bytes, |n| {
        let f = match n {
            b"Launch" => Flag::Launch,
            b"JS" | b"JavaScript" => Flag::Javascript,
            b"EmbeddedFile" | b"EmbeddedFiles" => Flag::Embedded,
            _ => return,
        };
        if !found.contains(&f) {
            found.push(f);
        }
    });
}

/// Calls `f` with every PDF name token (`/Name`, without the slash, `#xx` decoded) of at
/// most 64 bytes.
fn for_each_name(bytes: &[u8], mut f: impl FnMut(&[u8])) {
    let regular = |c: u8| {
        !matches!(
            c,
            b'\0'
                | b'\t'
                | b'\n'
                | b'\x0c'
                | b'\r'
                | b' '
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'/'
                | b'%'
        )
    };
    let mut name = Vec::with_capacity(64);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        name.clear();
        let mut long = false;
        while i < bytes.len() && regular(bytes[i]) {
            let mut c = bytes[i];
            i += 1;
            if c == b'#'
                && let Some(h) = bytes.get(i..i + 2)
                && h.iter().all(u8::is_ascii_hexdigit)
                && let Ok(v) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
            {
                c = v;
                i += 2;
            }
            if name.len() < 64 {
                name.push(c);
            } else {
                long = true;
            }
        }
        if !name.is_empty() && !long {
            f(&name);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn meta_text(f: &Fns, doc: Doc, key: &str) -> Option<String> {
    let k = std::ffi::CString::new(key).ok()?;
    // SAFETY: first call asks the length; second fills a buffer of that length (UTF-16LE).
    let n = unsafe { (f.meta)(doc, k.as_ptr(), std::ptr::null_mut(), 0) } as usize;
    if n <= 2 || n > 1 << 20 {
        return None;
    }
    let mut buf = vec![0u8; n];
    unsafe { (f.meta)(doc, k.as_ptr(), buf.as_mut_ptr().cast(), n as c_ulong) };
    let units: Vec<u16> = buf
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let s = String::from_utf16_lossy(&units).trim().to_owned();
    let placeholder = matches!(
        s.to_ascii_lowercase().as_str(),
        "(anonymous)"
            | "anonymous"
            | "(unspecified)"
            | "unspecified"
            | "untitled"
            | "(untitled)"
            | "unknown"
    );
    (!s.is_empty() && !placeholder).then_some(s)
}

/// `D:20190814100500-06'00'` → `2019-08-14T10:05:00-06:00`.
pub fn pdf_date(s: &str) -> String {
    let d = s.trim().trim_start_matches("D:");
    let digits: String = d.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return s.to_owned();
    }
    let part = |a: usize, b: usize, def: &str| digits.get(a..b).unwrap_or(def).to_owned();
    let mut out = format!(
        "{}-{}-{}T{}:{}:{}",
        part(0, 4, "0000"),
        part(4, 6, "01"),
        part(6, 8, "01"),
        part(8, 10, "00"),
        part(10, 12, "00"),
        part(12, 14, "00")
    );
    let rest = &d[digits.len().min(d.len())..];
    if rest.starts_with('Z') {
        out.push('Z');
    } else if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let tz: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
        if tz.len() >= 4 {
            out.push_str(&format!("{sign}{}:{}", &tz[..2], &tz[2..4]));
        }
    }
    out
}

fn read_doc(f: &Fns, doc: Doc, opts: &Options, out: &mut Extraction) -> Result<(), String> {
    let m = &mut out.meta;
    m.title = meta_text(f, doc, "Title");
    m.author = meta_text(f, doc, "Author");
    m.subject = meta_text(f, doc, "Subject");
    m.creator_tool = meta_text(f, doc, "Creator");
    m.producer = meta_text(f, doc, "Producer");
    m.created = meta_text(f, doc, "CreationDate").map(|d| pdf_date(&d));
    m.modified = meta_text(f, doc, "ModDate").map(|d| pdf_date(&d));
    // SAFETY: queries on an open document.
    unsafe {
        if (f.js_count)(doc) > 0 {
            out.flag(Flag::Javascript);
        }
        if (f.attachment_count)(doc) > 0 {
            out.flag(Flag::Embedded);
        }
        if (f.security_rev)(doc) >= 0 {
            out.meta.extra.insert(
                "pdf_security".into(),
                "permissions-encrypted (opened without a password)".into(),
            );
        }
    }
    let all = unsafe { (f.page_count)(doc) };
    let n = all.clamp(0, MAX_PAGES);
    if all > MAX_PAGES {
        out.truncated(format!("pages past the first {MAX_PAGES} not read"));
    }
    out.pages = n as u32;
    let mut pages: Vec<String> = Vec::with_capacity(n as usize);
    let mut pending = Vec::new();
    let mut ocred = Vec::new();
    for i in 0..n {
        let page = unsafe { (f.load_page)(doc, i) };
        if page.is_null() {
            pages.push(String::new());
            continue;
        }
        let (text, usable, cut) = page_glyph_text(f, page);
        if cut {
            out.truncated(format!("glyphs past {MAX_GLYPHS} on a page not read"));
        }
        let needs_ocr = usable < MIN_TEXT_CHARS && has_images(f, page);
        if needs_ocr && (ocred.len() + pending.len()) >= opts.max_ocr_pages as usize {
            out.truncated(format!(
                "scanned pages past the OCR limit ({} pages) not read",
                opts.max_ocr_pages
            ));
        }
        if needs_ocr && (ocred.len() + pending.len()) < opts.max_ocr_pages as usize {
            match opts.ocr {
                OcrMode::Now => match render_ocr(f, page, opts) {
                    Ok(t) => {
                        pages.push(if text.trim().is_empty() {
                            t
                        } else {
                            format!("{text}\n{t}")
                        });
                        ocred.push(i as u32);
                    }
                    Err(e) => {
                        out.meta
                            .extra
                            .insert(format!("ocr_error_page_{}", i + 1), e);
                        pending.push(i as u32);
                        pages.push(text);
                    }
                },
                _ => {
                    pending.push(i as u32);
                    pages.push(text);
                }
            }
        } else {
            pages.push(text);
        }
        unsafe { (f.close_page)(page) };
    }
    out.text = pages.join("\n\x0c");
    out.ocr_pages = ocred;
    if !pending.is_empty() {
        out.ocr_pending = pending;
        out.status = Status::OcrPending;
    }
    Ok(())
}

/// The page's text in reading order, how many usable (mapped, visible) characters it has,
/// and whether it has more glyphs than are read ([`MAX_GLYPHS`]).
fn page_glyph_text(f: &Fns, page: Page) -> (String, usize, bool) {
    let tp = unsafe { (f.text_load)(page) };
    if tp.is_null() {
        return (String::new(), 0, false);
    }
    let all = unsafe { (f.text_count)(tp) };
    let count = all.clamp(0, MAX_GLYPHS);
    let mut glyphs = Vec::with_capacity(count as usize);
    let mut usable = 0usize;
    for i in 0..count {
        // SAFETY: index within CountChars; out-pointers to locals.
        let u = unsafe { (f.text_unicode)(tp, i) };
        let Some(c) = char::from_u32(u) else { continue };
        if c == '\u{fffe}' || c == '\u{ffff}' || c == '\0' || c == '\u{2}' {
            continue;
        }
        let (mut l, mut r, mut b, mut t) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let have_box = unsafe { (f.text_box)(tp, i, &mut l, &mut r, &mut b, &mut t) } != 0;
        let (mut ox, mut oy) = (0.0f64, 0.0f64);
        let have_origin = unsafe { (f.text_origin)(tp, i, &mut ox, &mut oy) } != 0;
        let size = unsafe { (f.text_size)(tp, i) } as f32;
        if !c.is_whitespace() {
            if unsafe { (f.text_map_error)(tp, i) } == 0 && !c.is_control() {
                usable += 1;
            }
            if !have_box {
                continue;
            }
        }
        let base = if have_origin { oy as f32 } else { b as f32 };
        // The loose box spans the glyph's advance: gaps between loose boxes are real spaces,
        // while tight (ink) boxes leave gaps around narrow glyphs such as `1`.
        let mut loose = RectF::default();
        let (x0, x1) =
            if unsafe { (f.text_loose_box)(tp, i, &mut loose) } != 0 && loose.right >= loose.left {
                (loose.left, loose.right)
            } else {
                (l as f32, r as f32)
            };
        if std::env::var_os("TROVE_DEBUG_GLYPHS").is_some() {
            eprintln!(
                "{c:?} tight {l:.2}-{r:.2} loose {x0:.2}-{x1:.2} base {base:.2} size {size:.2}"
            );
        }
        glyphs.push(Glyph {
            c,
            x0,
            x1,
            y0: b as f32,
            y1: t as f32,
            base,
            size,
        });
    }
    unsafe { (f.text_close)(tp) };
    (page_text(&glyphs), usable, all > MAX_GLYPHS)
}

fn has_images(f: &Fns, page: Page) -> bool {
    let (w, h) = unsafe { ((f.page_w)(page), (f.page_h)(page)) };
    let page_area = (w * h).max(1.0);
    let n = unsafe { (f.obj_count)(page) }.clamp(0, 100_000);
    let mut covered = 0.0f32;
    for i in 0..n {
        let o = unsafe { (f.obj_get)(page, i) };
        if o.is_null() || unsafe { (f.obj_type)(o) } != 3 {
            continue;
        }
        let (mut l, mut b, mut r, mut t) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        if unsafe { (f.obj_bounds)(o, &mut l, &mut b, &mut r, &mut t) } != 0 {
            covered += ((r - l).abs() * (t - b).abs()).min(page_area);
        }
    }
    covered / page_area > 0.1
}

/// Renders a page to 8-bit gray at the OCR resolution and OCRs it.
fn render_ocr(f: &Fns, page: Page, opts: &Options) -> Result<String, String> {
    let (pw, ph) = unsafe { ((f.page_w)(page), (f.page_h)(page)) };
    if !(pw.is_finite() && ph.is_finite()) || pw <= 0.0 || ph <= 0.0 {
        return Err("page has no size".into());
    }
    let mut dpi = opts.ocr_dpi as f32;
    let max_side = 10_000.0f32;
    if pw.max(ph) / 72.0 * dpi > max_side {
        dpi = max_side * 72.0 / pw.max(ph);
    }
    let w = (pw / 72.0 * dpi).round().max(1.0) as c_int;
    let h = (ph / 72.0 * dpi).round().max(1.0) as c_int;
    // 4 = FPDFBitmap_BGRA; rendering into gray bitmaps is not supported by every build.
    let bmp = unsafe { (f.bmp_create)(w, h, 4, std::ptr::null_mut(), 0) };
    if bmp.is_null() {
        return Err(format!("could not allocate a {w}×{h} bitmap"));
    }
    let gray = unsafe {
        (f.bmp_fill)(bmp, 0, 0, w, h, 0xFFFF_FFFF);
        // 0x01 FPDF_ANNOT | 0x800 FPDF_PRINTING
        (f.render)(bmp, page, 0, 0, w, h, 0, 0x01 | 0x800);
        let stride = (f.bmp_stride)(bmp).max(0) as usize;
        let buf = (f.bmp_buffer)(bmp) as *const u8;
        if buf.is_null() || stride < w as usize * 4 {
            (f.bmp_destroy)(bmp);
            return Err("render failed".into());
        }
        let src = std::slice::from_raw_parts(buf, stride * h as usize);
        let mut g = vec![0u8; w as usize * h as usize];
        for y in 0..h as usize {
            let row = &src[y * stride..y * stride + w as usize * 4];
            for (x, px) in row.chunks_exact(4).enumerate() {
                g[y * w as usize + x] =
                    ((px[0] as u32 * 29 + px[1] as u32 * 150 + px[2] as u32 * 77) >> 8) as u8;
            }
        }
        (f.bmp_destroy)(bmp);
        g
    };
    crate::ocr::gray_text(
        &gray,
        w as u32,
        h as u32,
        w as u32,
        dpi.round() as u32,
        &opts.languages,
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(
            super::pdf_date("D:20190814100500-06'00'"),
            "2019-08-14T10:05:00-06:00"
        );
        assert_eq!(super::pdf_date("D:2019"), "2019-01-01T00:00:00");
        assert_eq!(super::pdf_date("garbage"), "garbage");
    }
}
