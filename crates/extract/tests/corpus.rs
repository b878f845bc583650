//! Extraction on the shared corpora (`../shared/corpora/docs`), through the bounded worker
//! processes as ingest runs it: word recall against the truth files, reading order, OCR,
//! EXIF GPS, and the sandbox's failure handling.

use std::path::{Path, PathBuf};
use std::time::Duration;

use trove_extract::pool::{Pool, PoolConfig};
use trove_extract::{
    Extraction, Flag, Hint, OcrMode, Options, Status, normalize, word_recall, words,
};

fn docs(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/docs")
        .join(rel);
    assert!(
        p.exists(),
        "test corpus missing: {} (../shared/corpora beside the checkout)",
        p.display()
    );
    p
}

fn config() -> PoolConfig {
    let mut cfg = PoolConfig::discover().expect("worker");
    cfg.program = PathBuf::from(env!("CARGO_BIN_EXE_trove-extract-worker"));
    cfg.args = Vec::new();
    cfg.workers = 2;
    cfg
}

fn pool() -> Pool {
    Pool::new(config()).expect("pool")
}

fn run(pool: &Pool, rel: &str, ocr: OcrMode) -> Extraction {
    let path = docs(rel);
    let bytes = std::fs::read(&path).expect("read");
    let hint = Hint {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        mime: None,
    };
    let opts = Options {
        ocr,
        ..Options::default()
    };
    let e = pool.extract_ocr_pages(
        &bytes,
        &hint,
        &opts,
        if ocr == OcrMode::Now { 3 } else { 0 },
    );
    assert!(
        matches!(e.status, Status::Extracted | Status::OcrPending),
        "{rel}: {:?} {:?}",
        e.status,
        e.reason
    );
    e
}

fn truth() -> String {
    normalize::clean(&std::fs::read_to_string(docs("generated/truth.txt")).expect("truth"))
}

#[test]
fn office_formats_recall() {
    let p = pool();
    let truth = truth();
    for f in [
        "memo.doc",
        "memo.docx",
        "memo.odt",
        "memo.rtf",
        "big.doc",
        "big.docx",
    ] {
        let e = run(&p, &format!("office-es/{f}"), OcrMode::Defer);
        let r = word_recall(&truth, &e.text);
        assert!(r >= 0.99, "{f}: recall {r:.4}");
        if f.starts_with("memo") {
            assert_eq!(e.meta.title.as_deref(), Some("Oficio 2314"), "{f}");
            assert_eq!(e.meta.author.as_deref(), Some("Cnel. Óscar Muñoz"), "{f}");
        }
        if f.starts_with("big") {
            // ~300 copies of the text: every one of them, not just the first.
            let copies = words(&e.text).iter().filter(|w| *w == "pingüino").count();
            assert!(copies >= 290, "{f}: {copies} copies");
        }
    }
    // Spreadsheets: every one of the 5,000 rows.
    let xlsx = run(&p, "office-es/contratos.xlsx", OcrMode::Defer).text;
    let xls = run(&p, "office-es/contratos.xls", OcrMode::Defer).text;
    for i in [0, 1234, 4999] {
        assert!(
            xlsx.contains(&format!(
                "Tecnologías Aeroespaciales del Pacífico {i}\t{}",
                48_750_000 + i
            )),
            "xlsx row {i}"
        );
        assert!(
            xls.contains(&format!(
                "Compañía Ñandú {i}\t{}.5\tDirección de Logística\tSeñor García",
                1000 + i
            )),
            "xls row {i}"
        );
    }
    assert!(
        xlsx.lines()
            .filter(|l| l.starts_with("Tecnologías Aeroespaciales del Pacífico "))
            .count()
            == 5000
    );
    assert!(
        xls.lines()
            .filter(|l| l.starts_with("Compañía Ñandú "))
            .count()
            == 5000
    );
    // Presentations: legacy and OOXML carry the same slides.
    let pptx = run(&p, "office-es/informe.pptx", OcrMode::Defer).text;
    let ppt = run(&p, "office-es/informe.ppt", OcrMode::Defer).text;
    let r = word_recall(&pptx, &ppt);
    assert!(r >= 0.99, "ppt against pptx: {r:.4}");
    assert!(word_recall(&truth, &pptx) > 0.3 && pptx.contains("Operación Cóndor"));
}

#[test]
fn generated_pdfs_recall_and_order() {
    let p = pool();
    let truth = truth();
    for f in ["simple.pdf", "simple_helv.pdf", "twocol.pdf", "long.pdf"] {
        let e = run(&p, &format!("generated/{f}"), OcrMode::Defer);
        let r = word_recall(&truth, &e.text);
        assert!(r >= 0.99, "{f}: recall {r:.4}\n{}", e.text);
        assert!(e.ocr_pending.is_empty(), "{f}: has a text layer");
    }
    let long = run(&p, "generated/long.pdf", OcrMode::Defer);
    assert_eq!(long.pages, 112);
    assert_eq!(
        long.text.matches('\x0c').count(),
        111,
        "pages separated by form feeds"
    );
    // Reading order: the scrambled page's words in the right order, as consecutive pairs.
    let e = run(&p, "generated/scrambled.pdf", OcrMode::Defer);
    let want = words(&normalize::clean(
        &std::fs::read_to_string(docs("generated/scrambled_truth.txt")).unwrap(),
    ));
    let got = words(&e.text);
    let r = word_recall(&want.join(" "), &e.text);
    assert!(r >= 0.99, "scrambled.pdf: recall {r:.4}");
    let pairs = |w: &[String]| {
        w.windows(2)
            .map(|p| format!("{} {}", p[0], p[1]))
            .collect::<Vec<_>>()
    };
    let have: std::collections::HashSet<String> = pairs(&got).into_iter().collect();
    let want_pairs = pairs(&want);
    let in_order =
        want_pairs.iter().filter(|p| have.contains(*p)).count() as f64 / want_pairs.len() as f64;
    assert!(
        in_order >= 0.98,
        "word pairs in reading order: {in_order:.3}\n{}",
        e.text
    );
    // The left column ends before the right one starts.
    let left_end = e.text.find("Servicios Públicos.").expect("left column");
    let right_start = e.text.find("El monto total").expect("right column");
    assert!(left_end < right_start, "{}", e.text);
    // A text page and a scanned page: the scan waits for OCR, the text is there.
    let mixed = run(&p, "generated/mixed.pdf", OcrMode::Defer);
    assert_eq!(mixed.status, Status::OcrPending);
    assert_eq!(mixed.ocr_pending, vec![1]);
    assert!(word_recall(&truth, &mixed.text) >= 0.99);
}

#[test]
fn tex_pdfs_compose_accents() {
    let p = pool();
    let e = run(&p, "pdf-es/essay.es.pdf", OcrMode::Defer);
    assert!(e.pages >= 40);
    let w = words(&e.text);
    assert!(w.iter().any(|x| x == "música"), "música");
    assert!(
        !e.text.contains("m´usica") && !e.text.contains('\u{131}'),
        "separated accents left"
    );
    assert!(w.iter().filter(|x| x.as_str() == "capítulo").count() >= 5);
}

/// (found, total) reference words as a multiset; the same for accented words only; and
/// (kept, found) for accented words found when accents are ignored, and of those how many
/// still carry an accent (what `-l eng` loses: it reads `Capítulo` as `Capitulo`).
fn counts(reference: &str, got: &str) -> [(usize, usize); 3] {
    let all = words(reference);
    let acc: Vec<String> = all.iter().filter(|w| !w.is_ascii()).cloned().collect();
    let n = |w: &[String]| {
        let r = word_recall(&w.join(" "), got);
        ((r * w.len() as f64).round() as usize, w.len())
    };
    let fold = |w: &str| -> String {
        use unicode_normalization::UnicodeNormalization;
        w.nfd().filter(|c| c.is_ascii()).collect()
    };
    let got_words = words(got);
    let (mut kept, mut found) = (0, 0);
    for w in &acc {
        if let Some(g) = got_words.iter().find(|g| fold(g) == fold(w)) {
            found += 1;
            if !g.is_ascii() {
                kept += 1;
            }
        }
    }
    [n(&all), n(&acc), (kept, found)]
}

#[test]
fn ocr_scans() {
    let p = pool();
    // Recall over each set's pages together (micro-averaged): the scanned book pages hold a
    // few words each, so one page number more or less would swing a per-page figure by 10%.
    let sets: [(&str, f64, &[(&str, &str)]); 2] = [
        (
            "clean",
            0.9,
            &[
                ("scans-es/essay.es_p5-05.png", "scans-es/essay.es_p5.gt.txt"),
                (
                    "scans-es/learning.es_p15-015.png",
                    "scans-es/learning.es_p15.gt.txt",
                ),
                ("generated/scan_page.jpg", "generated/truth.txt"),
            ],
        ),
        (
            "degraded",
            0.75,
            &[
                (
                    "scans-es/essay.es_p5-05.degraded.jpg",
                    "scans-es/essay.es_p5.gt.txt",
                ),
                (
                    "scans-es/learning.es_p15-015.degraded.jpg",
                    "scans-es/learning.es_p15.gt.txt",
                ),
            ],
        ),
    ];
    for (set, min, pages) in sets {
        let mut sum = [(0usize, 0usize); 3];
        for (img, gt) in pages {
            let truth = normalize::clean(&std::fs::read_to_string(docs(gt)).unwrap());
            let deferred = run(&p, img, OcrMode::Defer);
            assert_eq!(deferred.status, Status::OcrPending, "{img}");
            let e = run(&p, img, OcrMode::Now);
            assert_eq!(e.status, Status::Extracted, "{img}");
            assert_eq!(e.ocr_pages, vec![0]);
            let c = counts(&truth, &e.text);
            eprintln!(
                "{set} {img}: words {}/{}, accented {}/{}, accents kept {}/{}",
                c[0].0, c[0].1, c[1].0, c[1].1, c[2].0, c[2].1
            );
            assert!(
                c[0].0 as f64 >= 0.6 * c[0].1 as f64,
                "{img}: {c:?}\n{}",
                e.text
            );
            for k in 0..3 {
                sum[k].0 += c[k].0;
                sum[k].1 += c[k].1;
            }
        }
        let ratio = |k: usize| sum[k].0 as f64 / sum[k].1.max(1) as f64;
        let (r, a, kept) = (ratio(0), ratio(1), ratio(2));
        eprintln!("{set}: word recall {r:.3}, accented words exact {a:.3}, accents kept {kept:.3}");
        assert!(r >= min, "{set} scans: word recall {r:.3} < {min}");
        assert!(
            kept >= 0.9,
            "{set} scans: accents kept on {kept:.3} of the accented words read"
        );
        if set == "clean" {
            assert!(a >= 0.9, "clean scans: accented words read exactly {a:.3}");
        }
    }
    // A scanned PDF (image only) read by OCR.
    let e = run(&p, "generated/scanned.pdf", OcrMode::Now);
    let r = word_recall(&truth(), &e.text);
    assert!(r >= 0.9, "scanned.pdf: recall {r:.3}\n{}", e.text);
    assert_eq!(e.ocr_pages, vec![0]);
}

#[test]
fn images_exif_gps() {
    let p = pool();
    let e = run(&p, "images/photo_gps.jpg", OcrMode::Defer);
    let gps = e.meta.gps.expect("gps");
    assert!(
        (gps.lat - 19.432608).abs() < 1e-5 && (gps.lon + 99.133208).abs() < 1e-5,
        "{gps:?}"
    );
    assert!((gps.alt.unwrap_or(0.0) - 2240.0).abs() < 1.0);
    assert_eq!(e.meta.camera.as_deref(), Some("Apple iPhone 8"));
    assert_eq!(e.meta.taken.as_deref(), Some("2019:08:13 18:02:11"));
    for f in [
        "kexif.jpg",
        "kexif.png",
        "kexif.tif",
        "kexif.webp",
        "kexif.heic",
    ] {
        let e = run(&p, &format!("images/{f}"), OcrMode::Defer);
        assert!(!e.meta.is_empty(), "{f}: no metadata");
        assert_eq!(e.status, Status::Extracted, "{f}: too small to OCR");
    }
    let html = run(&p, "html/outlook.html", OcrMode::Defer);
    assert!(
        html.text
            .contains("Tecnologías Aeroespaciales del Pacífico")
            && html.text.contains("Blindados")
    );
    assert!(
        !html.text.contains("MsoNormal")
            && !html.text.contains("function")
            && !html.text.contains("{"),
        "{}",
        html.text
    );
}

#[test]
fn hostile_bytes_fail_alone() {
    // A worker stopped by its deadline fails that document only; the next one is read.
    let mut cfg = config();
    cfg.workers = 1;
    cfg.timeout_base = Duration::from_millis(1);
    cfg.timeout_per_mib = Duration::ZERO;
    let slow = Pool::new(cfg).unwrap();
    let e = run_raw(
        &slow,
        &std::fs::read(docs("pdf-es/learning.es.pdf")).unwrap(),
        "x.pdf",
    );
    assert_eq!(e.status, Status::Failed);
    assert!(
        e.reason.as_deref().unwrap_or("").contains("timed out"),
        "{:?}",
        e.reason
    );
    assert_eq!(slow.stats().timed_out, 1);
    // Out of memory: a 64 MiB address space cannot hold pdfium and a page.
    let mut cfg = config();
    cfg.workers = 1;
    cfg.memory = 48 << 20;
    let tight = Pool::new(cfg).unwrap();
    let e = run_raw(
        &tight,
        &std::fs::read(docs("pdf-es/learning.es.pdf")).unwrap(),
        "x.pdf",
    );
    assert_eq!(e.status, Status::Failed, "{:?}", e.reason);
    // Garbage, truncated and lying files: outcomes with reasons, never a dead pool.
    let p = pool();
    let pdf = std::fs::read(docs("generated/simple.pdf")).unwrap();
    let docx = std::fs::read(docs("office-es/memo.docx")).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (pdf[..pdf.len() / 2].to_vec(), "half.pdf"),
        (docx[..docx.len() / 3].to_vec(), "third.docx"),
        (
            b"%PDF-1.7\n1 0 obj<</Length 999999999>>stream\nxx".to_vec(),
            "liar.pdf",
        ),
        (b"MZ\x90\x00garbage-program".repeat(8), "factura.pdf"),
        (vec![0u8; 10_000], "zeros.doc"),
        (
            b"{\\rtf1{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
                .repeat(500)
                .to_vec(),
            "deep.rtf",
        ),
    ];
    for (bytes, name) in &cases {
        let e = run_raw(&p, bytes, name);
        assert!(
            e.status != Status::Extracted || e.text.len() < bytes.len() * 4,
            "{name}"
        );
        if e.status == Status::Failed || e.status == Status::Skipped {
            assert!(e.reason.is_some(), "{name}: a reason");
        }
    }
    let exe = run_raw(&p, &cases[3].0, "factura.pdf");
    assert_eq!(exe.status, Status::Skipped);
    assert!(
        exe.flags.contains(&Flag::Executable) && exe.flags.contains(&Flag::Mismatch),
        "{:?}",
        exe.flags
    );
    let after = run(&p, "generated/simple.pdf", OcrMode::Defer);
    assert!(word_recall(&truth(), &after.text) >= 0.99);
}

fn run_raw(pool: &Pool, bytes: &[u8], name: &str) -> Extraction {
    pool.extract(
        bytes,
        &Hint {
            name: Some(name.into()),
            mime: None,
        },
        &Options::default(),
    )
}
