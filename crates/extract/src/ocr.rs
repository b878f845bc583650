//! OCR with Tesseract 5 through its C API, loaded at run time (`libtesseract.so.5`, Apache-2.0;
//! Leptonica, BSD-2, decodes image files). Nothing links it: a trove without Tesseract runs,
//! and records pages as waiting for OCR. The engine is created once per process and reused
//! (starting one costs ~1 s); PDF pages are fed as raw gray pixels, never re-encoded.
//!
//! This is native code parsing untrusted images: it runs only inside the worker processes of
//! [`crate::pool`].

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::sync::Mutex;

type Api = *mut c_void;
type Pix = c_void;

/// What went wrong with OCR.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("Tesseract is not installed ({0}); install tesseract-ocr and tesseract-ocr-spa")]
    Missing(String),
    #[error("Tesseract could not load the languages '{0}' (is tesseract-ocr-{0} installed?)")]
    Languages(String),
    #[error("the image could not be decoded")]
    Decode,
    #[error("image of {0}×{1} pixels is over the OCR limit")]
    TooLarge(u32, u32),
    #[error("Tesseract returned no text object")]
    NoResult,
}

struct Fns {
    create: unsafe extern "C" fn() -> Api,
    init3: unsafe extern "C" fn(Api, *const c_char, *const c_char) -> c_int,
    set_psm: unsafe extern "C" fn(Api, c_int),
    set_image: unsafe extern "C" fn(Api, *const u8, c_int, c_int, c_int, c_int),
    set_image2: unsafe extern "C" fn(Api, *mut Pix),
    set_resolution: unsafe extern "C" fn(Api, c_int),
    get_text: unsafe extern "C" fn(Api) -> *mut c_char,
    delete_text: unsafe extern "C" fn(*mut c_char),
    clear: unsafe extern "C" fn(Api),
    set_variable: unsafe extern "C" fn(Api, *const c_char, *const c_char) -> c_int,
    pix_read_mem: unsafe extern "C" fn(*const u8, usize) -> *mut Pix,
    pix_destroy: unsafe extern "C" fn(*mut *mut Pix),
    pix_get_xres: unsafe extern "C" fn(*const Pix) -> c_int,
    pix_get_width: unsafe extern "C" fn(*const Pix) -> c_int,
    pix_get_height: unsafe extern "C" fn(*const Pix) -> c_int,
}

struct Engine {
    _tess: libloading::Library,
    _lept: libloading::Library,
    f: Fns,
    api: Api,
    lang: String,
}

// SAFETY: the engine is only used under the ENGINE mutex, one call at a time.
unsafe impl Send for Engine {}

static ENGINE: Mutex<Option<Engine>> = Mutex::new(None);

/// Largest image fed to Tesseract (pixels on a side).
const MAX_SIDE: u32 = 12_000;

fn open_first(names: &[String]) -> Result<libloading::Library, String> {
    let mut last = String::new();
    for n in names {
        // SAFETY: loading a shared library runs its initialisers; these are the system's
        // Tesseract and Leptonica, loaded in a sandboxed worker process.
        match unsafe { libloading::Library::new(n) } {
            Ok(l) => return Ok(l),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

fn load() -> Result<(libloading::Library, libloading::Library, Fns), OcrError> {
    let mut tess_names: Vec<String> = std::env::var("TROVE_TESSERACT").ok().into_iter().collect();
    tess_names.extend(["libtesseract.so.5".into(), "libtesseract.so".into()]);
    let mut lept_names: Vec<String> = std::env::var("TROVE_LEPTONICA").ok().into_iter().collect();
    lept_names.extend([
        "libleptonica.so.6".into(),
        "liblept.so.5".into(),
        "libleptonica.so".into(),
        "liblept.so".into(),
    ]);
    let tess = open_first(&tess_names).map_err(OcrError::Missing)?;
    let lept = open_first(&lept_names).map_err(OcrError::Missing)?;
    macro_rules! sym {
        ($lib:expr, $name:literal) => {
            // SAFETY: the signature is the one declared in tesseract/capi.h or leptonica's
            // allheaders.h for this symbol.
            *unsafe { $lib.get($name) }.map_err(|e| OcrError::Missing(e.to_string()))?
        };
    }
    let f = Fns {
        create: sym!(tess, b"TessBaseAPICreate\0"),
        init3: sym!(tess, b"TessBaseAPIInit3\0"),
        set_psm: sym!(tess, b"TessBaseAPISetPageSegMode\0"),
        set_image: sym!(tess, b"TessBaseAPISetImage\0"),
        set_image2: sym!(tess, b"TessBaseAPISetImage2\0"),
        set_resolution: sym!(tess, b"TessBaseAPISetSourceResolution\0"),
        get_text: sym!(tess, b"TessBaseAPIGetUTF8Text\0"),
        delete_text: sym!(tess, b"TessDeleteText\0"),
        clear: sym!(tess, b"TessBaseAPIClear\0"),
        set_variable: sym!(tess, b"TessBaseAPISetVariable\0"),
        pix_read_mem: sym!(lept, b"pixReadMem\0"),
        pix_destroy: sym!(lept, b"pixDestroy\0"),
        pix_get_xres: sym!(lept, b"pixGetXRes\0"),
        pix_get_width: sym!(lept, b"pixGetWidth\0"),
        pix_get_height: sym!(lept, b"pixGetHeight\0"),
    };
    Ok((tess, lept, f))
}

/// Runs `f` with an engine for `langs`, creating it (once per process) if needed.
fn with_engine<T>(
    langs: &str,
    f: impl FnOnce(&Engine) -> Result<T, OcrError>,
) -> Result<T, OcrError> {
    let mut guard = ENGINE.lock().unwrap_or_else(|p| p.into_inner());
    if guard.as_ref().is_none_or(|e| e.lang != langs) {
        let (tess, lept, fns) = match guard.take() {
            Some(old) => (old._tess, old._lept, old.f),
            None => load()?,
        };
        let lang = CString::new(langs).map_err(|_| OcrError::Languages(langs.into()))?;
        // SAFETY: C API calls on a handle we own; null datapath means the default tessdata.
        let api = unsafe { (fns.create)() };
        if api.is_null() {
            return Err(OcrError::Missing("TessBaseAPICreate returned null".into()));
        }
        let rc = unsafe { (fns.init3)(api, std::ptr::null(), lang.as_ptr()) };
        if rc != 0 {
            return Err(OcrError::Languages(langs.into()));
        }
        unsafe {
            (fns.set_psm)(api, 3); // PSM_AUTO: page segmentation, no OSD
            let (k, v) = (c"debug_file", c"/dev/null");
            (fns.set_variable)(api, k.as_ptr(), v.as_ptr());
        }
        *guard = Some(Engine {
            _tess: tess,
            _lept: lept,
            f: fns,
            api,
            lang: langs.to_owned(),
        });
    }
    match guard.as_ref() {
        Some(e) => f(e),
        None => Err(OcrError::NoResult),
    }
}

fn take_text(e: &Engine) -> Result<String, OcrError> {
    // SAFETY: GetUTF8Text returns a NUL-terminated string we free with TessDeleteText.
    let p = unsafe { (e.f.get_text)(e.api) };
    if p.is_null() {
        unsafe { (e.f.clear)(e.api) };
        return Err(OcrError::NoResult);
    }
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    unsafe {
        (e.f.delete_text)(p);
        (e.f.clear)(e.api);
    }
    Ok(s)
}

/// OCR of 8-bit gray pixels (`stride` bytes per row) scanned or rendered at `dpi`.
pub fn gray_text(
    pixels: &[u8],
    width: u32,
    height: u32,
    stride: u32,
    dpi: u32,
    langs: &str,
) -> Result<String, OcrError> {
    if width == 0
        || height == 0
        || (stride as u64) * (height as u64) > pixels.len() as u64
        || stride < width
    {
        return Err(OcrError::Decode);
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(OcrError::TooLarge(width, height));
    }
    with_engine(langs, |e| {
        // SAFETY: the buffer holds stride × height bytes (checked above) and outlives the call
        // (Tesseract copies it in SetImage).
        unsafe {
            (e.f.set_image)(
                e.api,
                pixels.as_ptr(),
                width as c_int,
                height as c_int,
                1,
                stride as c_int,
            );
            (e.f.set_resolution)(e.api, dpi as c_int);
        }
        take_text(e)
    })
}

/// OCR of an image file's bytes (JPEG, PNG, TIFF, GIF, BMP, WebP), decoded by Leptonica.
pub fn image_text(bytes: &[u8], langs: &str) -> Result<String, OcrError> {
    with_engine(langs, |e| {
        // SAFETY: pixReadMem reads `len` bytes from the slice and returns an owned Pix or null.
        let mut pix = unsafe { (e.f.pix_read_mem)(bytes.as_ptr(), bytes.len()) };
        if pix.is_null() {
            return Err(OcrError::Decode);
        }
        let (w, h) = unsafe { ((e.f.pix_get_width)(pix), (e.f.pix_get_height)(pix)) };
        if w <= 0 || h <= 0 || w as u32 > MAX_SIDE || h as u32 > MAX_SIDE {
            unsafe { (e.f.pix_destroy)(&mut pix) };
            return Err(OcrError::TooLarge(w.max(0) as u32, h.max(0) as u32));
        }
        let res = unsafe { (e.f.pix_get_xres)(pix) };
        unsafe {
            (e.f.set_image2)(e.api, pix);
            if !(70..=2400).contains(&res) {
                (e.f.set_resolution)(e.api, 300);
            }
        }
        let text = take_text(e);
        unsafe { (e.f.pix_destroy)(&mut pix) };
        text
    })
}

/// Whether Tesseract can be loaded here, and why not.
pub fn available(langs: &str) -> Result<(), OcrError> {
    with_engine(langs, |_| Ok(()))
}
