//! `trove bench search`: warm search latency (p50/p99, mean) of a fixed query mix (`MIX`:
//! terms, phrases, fields, ranges, wildcards, faceted searches) through the library and the
//! `trove search` process, beside `notmuch search` and `mu find`, on the databases
//! `trove bench ingest` built in the same work folder; and the index's size against the mail's.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::ingest::{have, walk};
use crate::{Context, Result};

/// One query of the search mix, in each tool's syntax.
pub(crate) struct MixQuery {
    kind: &'static str,
    pub(crate) trove: &'static str,
    notmuch: &'static str,
    mu: &'static str,
    facets: bool,
}

/// The fixed query mix: terms, phrases, fields, ranges, wildcards, and faceted searches.
pub(crate) const MIX: &[MixQuery] = &[
    MixQuery {
        kind: "term",
        trove: "contrato",
        notmuch: "contrato",
        mu: "contrato",
        facets: false,
    },
    MixQuery {
        kind: "term",
        trove: "blindados",
        notmuch: "blindados",
        mu: "blindados",
        facets: false,
    },
    MixQuery {
        kind: "term",
        trove: "combustible",
        notmuch: "combustible",
        mu: "combustible",
        facets: false,
    },
    MixQuery {
        kind: "phrase",
        trove: "\"zona militar\"",
        notmuch: "\"zona militar\"",
        mu: "\"zona militar\"",
        facets: false,
    },
    MixQuery {
        kind: "phrase",
        trove: "\"sin otro particular\"",
        notmuch: "\"sin otro particular\"",
        mu: "\"sin otro particular\"",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "from:defensa.gob.mx",
        notmuch: "from:defensa.gob.mx",
        mu: "from:defensa.gob.mx",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "subject:informe",
        notmuch: "subject:informe",
        mu: "subject:informe",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "to:sedena.gob.mx AND subject:solicitud",
        notmuch: "to:sedena.gob.mx and subject:solicitud",
        mu: "to:sedena.gob.mx and subject:solicitud",
        facets: false,
    },
    MixQuery {
        kind: "range",
        trove: "date:2015..2016",
        notmuch: "date:2015..2016",
        mu: "date:2015..2016",
        facets: false,
    },
    MixQuery {
        kind: "range",
        trove: "blindados AND date:2019-08..2019-12",
        notmuch: "blindados and date:2019-08..2019-12",
        mu: "blindados and date:20190801..20191231",
        facets: false,
    },
    MixQuery {
        kind: "wildcard",
        trove: "adquisic*",
        notmuch: "adquisic*",
        mu: "adquisic*",
        facets: false,
    },
    MixQuery {
        kind: "wildcard",
        trove: "contrat* AND from:sedena.gob.mx",
        notmuch: "contrat* and from:sedena.gob.mx",
        mu: "contrat* and from:sedena.gob.mx",
        facets: false,
    },
    MixQuery {
        kind: "faceted",
        trove: "vehiculos",
        notmuch: "vehiculos",
        mu: "vehiculos",
        facets: true,
    },
    MixQuery {
        kind: "faceted",
        trove: "mantenimiento AND date:2018",
        notmuch: "mantenimiento and date:2018",
        mu: "mantenimiento and date:2018..2018",
        facets: true,
    },
];

#[derive(Debug, Serialize)]
pub struct Latency {
    pub tool: String,
    pub kind: String,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct SearchBench {
    pub corpus: String,
    pub files: u64,
    pub bytes: u64,
    pub index_bytes: u64,
    pub catalog_bytes: u64,
    pub blob_bytes: u64,
    pub index_ratio: f64,
    pub iterations: usize,
    pub latencies: Vec<Latency>,
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn summarise(tool: &str, kind: &str, mut times: Vec<f64>) -> Latency {
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    Latency {
        tool: tool.into(),
        kind: kind.into(),
        queries: times.len(),
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        mean_ms: mean,
    }
}

fn dir_size(p: &Path) -> u64 {
    walk(p)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn timed(mut cmd: Command) -> Result<f64> {
    let t = Instant::now();
    let out = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if !out.success() {
        bail!("{cmd:?} failed");
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// Search latency beside notmuch and mu, on databases built by `bench ingest` in `work`.
pub fn search(work: &Path, iterations: usize, peers: bool) -> Result<SearchBench> {
    let work = work.canonicalize().with_context(|| {
        format!(
            "{} (run `trove bench ingest` with the same --work first)",
            work.display()
        )
    })?;
    let view = work.join("maildir");
    let case_dir = work.join("case");
    let case = trove_store::Case::open(&case_dir)?;
    let s = trove_query::Searchable::open(&case)?;
    let files = walk(&view)?;
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let index_bytes = dir_size(&case.index_dir());
    let catalog_bytes = dir_size(&case_dir)
        .saturating_sub(index_bytes)
        .saturating_sub(dir_size(&case_dir.join("blobs")));
    let blob_bytes = dir_size(&case_dir.join("blobs"));
    let mut latencies = Vec::new();
    let mut by_kind: std::collections::BTreeMap<(&str, &str), Vec<f64>> = Default::default();
    let exe = std::env::current_exe()?;
    let mu_home = work.join("mu-home");
    let nm_cfg = work.join("notmuch-config");
    let use_mu = peers && have("mu") && mu_home.exists();
    let use_nm = peers && have("notmuch") && nm_cfg.exists();
    for q in MIX {
        let req = trove_query::Request {
            facets: q.facets,
            ..trove_query::Request::new(q.trove)
        };
        // Warm up every tool on this query.
        for _ in 0..2 {
            s.search(&req)?;
        }
        for _ in 0..iterations {
            let t = Instant::now();
            s.search(&req)?;
            by_kind
                .entry(("trove (library)", q.kind))
                .or_default()
                .push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let cli = || {
            let mut c = Command::new(&exe);
            c.args(["search", "--limit", "20"])
                .arg(&case_dir)
                .arg(q.trove);
            if q.facets {
                c.arg("--facets");
            }
            c
        };
        let nm = || {
            let mut c = Command::new("notmuch");
            c.env("NOTMUCH_CONFIG", &nm_cfg)
                .args(["search", "--limit=20", q.notmuch]);
            c
        };
        let mu = || {
            let mut c = Command::new("mu");
            c.arg("find")
                .arg(format!("--muhome={}", mu_home.display()))
                .args(["--maxnum=20", q.mu]);
            c
        };
        timed(cli())?;
        let peers: Vec<(&str, Box<dyn Fn() -> Command>)> = {
            let mut v: Vec<(&str, Box<dyn Fn() -> Command>)> =
                vec![("trove search (process)", Box::new(cli))];
            if use_nm {
                v.push(("notmuch search", Box::new(nm)));
            }
            if use_mu {
                v.push(("mu find", Box::new(mu)));
            }
            v
        };
        for (name, make) in &peers {
            // mu find exits 4 on no match; count it as a query all the same.
            let _ = make()
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            for _ in 0..iterations.min(10) {
                let t = Instant::now();
                let _ = make()
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()?;
                by_kind
                    .entry((name, q.kind))
                    .or_default()
                    .push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let mut all: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for ((tool, kind), times) in by_kind {
        all.entry(tool).or_default().extend(&times);
        latencies.push(summarise(tool, kind, times));
    }
    for (tool, times) in all {
        latencies.push(summarise(tool, "all", times));
    }
    Ok(SearchBench {
        corpus: view.display().to_string(),
        files: files.len() as u64,
        bytes,
        index_bytes,
        catalog_bytes,
        blob_bytes,
        index_ratio: index_bytes as f64 / bytes.max(1) as f64,
        iterations,
        latencies,
    })
}

impl std::fmt::Display for SearchBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(
            f,
            "corpus: {} ({} files, {:.1} MB)",
            b.corpus,
            b.files,
            b.bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "index {:.1} MB = {:.2}× the mail; catalog {:.1} MB; blobs {:.1} MB",
            b.index_bytes as f64 / 1e6,
            b.index_ratio,
            b.catalog_bytes as f64 / 1e6,
            b.blob_bytes as f64 / 1e6
        )?;
        writeln!(f, "| tool | queries | p50 ms | p99 ms | mean ms |")?;
        writeln!(f, "|---|---|---:|---:|---:|")?;
        for l in &b.latencies {
            writeln!(
                f,
                "| {} | {} ({}) | {:.1} | {:.1} | {:.1} |",
                l.tool, l.kind, l.queries, l.p50_ms, l.p99_ms, l.mean_ms
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_of_the_sorted_times() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v, 1.0), 100.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert!(percentile(&[], 0.5).is_nan());
        let l = summarise("t", "term", vec![3.0, 1.0, 2.0]);
        assert_eq!(
            (l.queries, l.p50_ms, l.p99_ms, l.mean_ms),
            (3, 2.0, 3.0, 2.0)
        );
    }

    #[test]
    fn every_query_of_the_mix_is_valid_trove_syntax() {
        for q in MIX {
            if let Err(e) = trove_query::parse(q.trove) {
                panic!("{} ({}): {e}", q.trove, q.kind);
            }
        }
        assert!(MIX.iter().any(|q| q.facets));
    }
}
