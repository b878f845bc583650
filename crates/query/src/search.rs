//! Running queries: ranked or dated pages, facets, snippets, and every hit streamed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::{Collector, Count, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_index::SearchIndex;
use trove_store::{Case, Catalog, CatalogRead};

use crate::SearchError;
use crate::bounds::{Bounds, Budget, collect, weight};
use crate::compile::Compiler;
use crate::page::{Cursor, DIRECT, Page, PageFruit, select};
use crate::parse::parse;

pub use crate::page::Sort;

/// The most results one page may hold.
pub const MAX_PAGE: usize = 1000;

/// A search.
#[derive(Debug, Clone)]
pub struct Request {
    pub query: String,
    pub sort: Sort,
    /// Results to skip. Any depth costs memory for one page only (see [`crate::page`]).
    pub offset: usize,
    /// Results on the page, 1 to [`MAX_PAGE`].
    pub limit: usize,
    /// The page after the one whose [`Response::next`] this is (instead of an offset).
    pub after: Option<String>,
    pub facets: bool,
    pub snippets: bool,
    /// List every copy (location) of each message instead of the message once.
    pub copies: bool,
    /// What the query may cost.
    pub bounds: Bounds,
}

impl Request {
    pub fn new(query: impl Into<String>) -> Self {
        Request {
            query: query.into(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
            after: None,
            facets: false,
            snippets: true,
            copies: false,
            bounds: Bounds::STANDARD,
        }
    }
}

/// One location of a message: where a copy of it sits.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub item: i64,
    pub source: String,
    pub locator: String,
    pub folder: Option<String>,
    pub outcome: String,
    pub sha256: Option<String>,
    pub offset: Option<u64>,
    pub length: Option<u64>,
}

/// A result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Index key: the content key of a message, the SHA-256 of a document.
    pub key: String,
    pub kind: String,
    pub score: f32,
    pub date: Option<i64>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    /// An item to open (the canonical copy).
    pub item: Option<i64>,
    pub thread: Option<String>,
    pub attachments: u64,
    /// Copies of the message and the folders (mailboxes) they are in.
    pub copies: usize,
    pub folders: Vec<String>,
    pub sources: Vec<String>,
    /// Text around the matches.
    pub snippet: Option<Snippet>,
    /// Every location (with `copies` requested).
    pub locations: Vec<Location>,
    /// Attachments of this message that matched the query (a hit inside an attachment is
    /// shown under its message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_attachments: Vec<AttachmentHit>,
}

/// An attachment that matched, shown under its message.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentHit {
    /// SHA-256 of the attachment.
    pub key: String,
    pub name: Option<String>,
    /// Risk flags (executable, macro, encrypted…).
    pub flags: Vec<String>,
    /// Text around the matches in the attachment's extracted text.
    pub snippet: Option<Snippet>,
}

/// Text around the matches, with the matched words' byte ranges in it.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The snippet as HTML: text escaped, matches in `<b>`.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(s, e) in &self.highlights {
            if s < at
                || e > self.text.len()
                || !self.text.is_char_boundary(s)
                || !self.text.is_char_boundary(e)
            {
                continue;
            }
            out.push_str(&html_escape(&self.text[at..s]));
            out.push_str("<b>");
            out.push_str(&html_escape(&self.text[s..e]));
            out.push_str("</b>");
            at = e;
        }
        out.push_str(&html_escape(&self.text[at..]));
        out
    }
}

/// A facet value and how many results have it.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub value: String,
    pub count: u64,
}

/// Counts over all results (not just the page).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub source: Vec<Bucket>,
    pub sender_domain: Vec<Bucket>,
    pub sender: Vec<Bucket>,
    pub recipient: Vec<Bucket>,
    pub month: Vec<Bucket>,
    pub year: Vec<Bucket>,
    pub mime: Vec<Bucket>,
    pub lang: Vec<Bucket>,
    pub has: Vec<Bucket>,
    pub kind: Vec<Bucket>,
    /// Risk flags of attachments and documents.
    pub flag: Vec<Bucket>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub query: String,
    pub total: u64,
    /// Results before this page (also for a page asked for with `after`).
    pub offset: usize,
    pub hits: Vec<Hit>,
    /// The `after` value of the next page, when there is one.
    pub next: Option<String>,
    pub facets: Option<Facets>,
    pub took_ms: f64,
}

/// A case opened for searching: the index (shareable between threads), a catalog connection
/// and the blobs.
pub struct Searchable {
    pub case: Case,
    pub index: Arc<SearchIndex>,
    pub catalog: Catalog,
    facet_cache: Arc<FacetCache>,
}

/// What the searcher sees: its segments and their deletes. (Tantivy's generation id changes
/// on every reload, and the index is reloaded for every search.)
fn index_state(searcher: &Searcher) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (segment, deletes) in searcher.generation().segments() {
        segment.hash(&mut h);
        deletes.hash(&mut h);
    }
    h.finish()
}

/// Facets of recent queries, shared by the handles on one index, so that paging through the
/// results of a query (or a colleague running the same one) does not count every match again.
/// Keyed by the query and the index's segments, so a commit makes them stale; queries with
/// `tag:` are never kept, since tags change without the index.
#[derive(Debug, Default)]
pub struct FacetCache {
    recent: std::sync::Mutex<std::collections::VecDeque<(String, u64, Facets)>>,
    hits: std::sync::atomic::AtomicU64,
}

impl FacetCache {
    /// Queries whose facets are kept.
    const KEEP: usize = 32;

    fn get(&self, query: &str, generation: u64) -> Option<Facets> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let found = recent
            .iter()
            .find(|(q, g, _)| q == query && *g == generation)
            .map(|(_, _, f)| f.clone());
        if found.is_some() {
            self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        found
    }

    fn put(&self, query: &str, generation: u64, facets: &Facets) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|(q, _, _)| q != query);
        if recent.len() == Self::KEEP {
            recent.pop_back();
        }
        recent.push_front((query.to_owned(), generation, facets.clone()));
    }

    /// How many searches took their facets from here.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a query's facets may be kept: not when it reads tags.
    fn keeps(query: &str) -> bool {
        !query.to_ascii_lowercase().contains("tag:")
    }
}

impl Searchable {
    pub fn open(case: &Case) -> Result<Self, SearchError> {
        Ok(Searchable {
            case: case.clone(),
            index: Arc::new(SearchIndex::for_case(case)?),
            catalog: case.reader()?,
            facet_cache: Arc::default(),
        })
    }

    /// Another handle on an open index, with a catalog connection of its own, sharing the
    /// index's facet cache with the other handles.
    pub fn with_index(
        case: &Case,
        index: Arc<SearchIndex>,
        facet_cache: Arc<FacetCache>,
    ) -> Result<Self, SearchError> {
        Ok(Searchable {
            case: case.clone(),
            index,
            catalog: case.reader()?,
            facet_cache,
        })
    }

    /// The facet cache this handle uses.
    pub fn facet_cache(&self) -> &FacetCache {
        &self.facet_cache
    }

    /// Parses and compiles a query. `tag:` is looked up in the catalog (tags are set in the
    /// web app and are not in the index).
    pub fn query(&self, q: &str) -> Result<Box<dyn Query>, SearchError> {
        self.query_within(q, &Budget::new(Bounds::STANDARD.without_time(), q))
    }

    /// [`Searchable::query`] held to a budget.
    pub fn query_within(
        &self,
        q: &str,
        budget: &std::sync::Arc<Budget>,
    ) -> Result<Box<dyn Query>, SearchError> {
        let node = parse(q)?;
        budget.check_shape(&node)?;
        let tags = |tag: &str| self.tagged(tag);
        Ok(Compiler::new(self.index.fields, q)
            .with_tags(&tags)
            .with_budget(budget.clone())
            .compile(&node)?)
    }

    /// Keys of the messages tagged `tag` (none when the catalog cannot be read).
    fn tagged(&self, tag: &str) -> Vec<String> {
        match self.catalog.tagged_keys(tag) {
            Ok(keys) => keys.into_iter().map(hex::encode).collect(),
            Err(e) => {
                tracing::debug!(tag, error = %e, "tag lookup");
                Vec::new()
            }
        }
    }

    /// The query with attachments folded into their messages (see [`crate::fold`]), held to
    /// a budget.
    pub(crate) fn plan(
        &self,
        searcher: &Searcher,
        q: &str,
        budget: &std::sync::Arc<Budget>,
    ) -> Result<crate::fold::Plan, SearchError> {
        let tags = |tag: &str| self.tagged(tag);
        crate::fold::plan(self.index.fields, Some(&tags), searcher, q, budget)
    }

    /// How many results (messages and loose documents) a query has.
    pub fn count(&self, q: &str) -> Result<u64, SearchError> {
        self.count_within(q, Bounds::STANDARD)
    }

    /// [`Searchable::count`] held to other bounds.
    pub fn count_within(&self, q: &str, bounds: Bounds) -> Result<u64, SearchError> {
        let budget = Budget::new(bounds, q);
        let searcher = self.index.searcher()?;
        let query = self.plan(&searcher, q, &budget)?.query;
        let w = weight(&searcher, &*query, false, &budget)?;
        Ok(collect(&searcher, &*w, &Count, &budget)? as u64)
    }

    /// One page of results.
    pub fn search(&self, req: &Request) -> Result<Response, SearchError> {
        let started = Instant::now();
        if req.limit > MAX_PAGE {
            return Err(SearchError::Invalid(format!(
                "limit: {} is more than the {MAX_PAGE} results a page may hold",
                req.limit
            )));
        }
        let limit = req.limit.max(1);
        let after = match req.after.as_deref() {
            Some(_) if req.offset > 0 => {
                return Err(SearchError::Invalid(
                    "after: give either an offset or an after cursor, not both".into(),
                ));
            }
            Some(c) => Some(Cursor::parse(c, req.sort)?),
            None => None,
        };
        let budget = Budget::new(req.bounds, &req.query);
        let searcher = self.index.searcher()?;
        let plan = self.plan(&searcher, &req.query, &budget)?;
        let query = plan.query;
        let scoring = req.sort == Sort::Relevance;
        let w = weight(&searcher, &*query, scoring, &budget)?;
        // Facets from the cache, else counted in the same pass over the matches as the page.
        let generation = index_state(&searcher);
        let keep = req.facets && FacetCache::keeps(&req.query);
        let cached = if keep {
            self.facet_cache.get(&req.query, generation)
        } else {
            None
        };
        let count_facets = (req.facets && cached.is_none()).then_some(FacetCollector);
        // A page near the top is cut from one heap of offset + limit results; a deeper one
        // is found by selecting the rank at its offset first (memory for one page either way).
        let deep = after.is_none() && req.offset.saturating_add(limit) > DIRECT;
        let page = (!deep).then(|| Page {
            sort: req.sort,
            k: if after.is_some() {
                limit
            } else {
                req.offset + limit
            },
            after: after.map(|c| (c.rank, false)),
        });
        let (total, counted, found): (usize, Option<Facets>, Option<PageFruit>) =
            collect(&searcher, &*w, &(Count, count_facets, page), &budget)?;
        if let (true, Some(f)) = (keep, &counted) {
            self.facet_cache.put(&req.query, generation, f);
        }
        let facets = cached.or(counted);
        let total_u = total as u64;
        let (offset, entries) = match (found, after) {
            (Some(f), Some(_)) => (total_u.saturating_sub(f.past) as usize, f.entries),
            (Some(f), None) => (req.offset, f.entries.into_iter().skip(req.offset).collect()),
            (None, _) if (req.offset as u64) >= total_u => (req.offset, Vec::new()),
            (None, _) => {
                let from = select(
                    &searcher,
                    &*w,
                    &budget,
                    req.sort,
                    req.offset as u64,
                    total_u,
                )?;
                let entries = match from {
                    Some(rank) => {
                        collect(
                            &searcher,
                            &*w,
                            &Page {
                                sort: req.sort,
                                k: limit,
                                after: Some((rank, true)),
                            },
                            &budget,
                        )?
                        .entries
                    }
                    None => Vec::new(),
                };
                (req.offset, entries)
            }
        };
        let next = match entries.last() {
            Some(last) if (offset + entries.len()) < total => Some(
                Cursor {
                    sort: req.sort,
                    rank: last.rank,
                }
                .encode(),
            ),
            _ => None,
        };
        let mut snippets = Snippets::new(&searcher, &*query, &self.index)?;
        let mut hits: Vec<Hit> = Vec::with_capacity(entries.len());
        for e in entries {
            let (score, addr) = (if scoring { e.score } else { 0.0 }, e.addr);
            let Some(key) = key_of(&searcher, addr)? else {
                continue;
            };
            let mut hit = self.describe(&key, score, req.copies)?;
            if let Some(atts) = msg_no_of(&searcher, addr).and_then(|n| plan.via.get(&n)) {
                for &a in atts.iter().take(10) {
                    let Some(akey) = key_of(&searcher, a)? else {
                        continue;
                    };
                    if !hit.in_attachments.iter().any(|x| x.key == akey) {
                        hit.in_attachments.push(self.attachment_of(&key, &akey)?);
                    }
                }
            }
            if req.snippets {
                for a in &mut hit.in_attachments {
                    a.snippet = self.attachment_snippet(&a.key, &mut snippets);
                }
            }
            // Every index document is one hit, so that pages and totals agree: with
            // `kind:attachment`, two attachments of one message are two hits under it.
            if req.snippets {
                hit.snippet = self.snippet(&hit, &mut snippets);
            }
            hits.push(hit);
        }
        Ok(Response {
            query: req.query.clone(),
            total: total_u,
            offset,
            hits,
            next,
            facets,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Calls `f` with the key of every result, in index order, holding no more than one
    /// segment's matches at a time: for exports with no cap (and no time limit; the other
    /// bounds of [`Bounds::STANDARD`] hold).
    pub fn for_each_key(
        &self,
        q: &str,
        f: &mut dyn FnMut(&str) -> Result<(), SearchError>,
    ) -> Result<u64, SearchError> {
        let budget = Budget::new(Bounds::STANDARD.without_time(), q);
        let searcher = self.index.searcher()?;
        let query = self.plan(&searcher, q, &budget)?.query;
        let weight = weight(&searcher, &*query, false, &budget)?;
        let mut n = 0u64;
        for segment in searcher.segment_readers() {
            let keys = segment.fast_fields().str("key")?;
            let mut docs: Vec<DocId> = Vec::new();
            crate::bounds::each_match(&*weight, segment, &budget, &mut |batch: &[DocId]| {
                docs.extend_from_slice(batch)
            })?;
            let mut buf = String::new();
            for d in docs {
                if let Some(col) = &keys
                    && let Some(ord) = col.term_ords(d).next()
                {
                    buf.clear();
                    col.ord_to_str(ord, &mut buf)?;
                    f(&buf)?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// A hit's fields from the catalog.
    pub fn describe(&self, key: &str, score: f32, copies: bool) -> Result<Hit, SearchError> {
        let bytes = hex::decode(key).map_err(|_| SearchError::Corrupt(format!("bad key {key}")))?;
        let cat: &dyn CatalogRead = &self.catalog;
        // An attachment is shown as the (earliest) message carrying it.
        let is_message = cat.is_message_key(&bytes)?;
        if !is_message {
            // A file inside an archive attached to a message: shown under that message.
            let carrier = match cat.first_carrier(&bytes)? {
                Some(c) => Some(c),
                None => cat.nested_carrier(&bytes)?,
            };
            if let Some(trove_store::read::HitCarrier {
                content_key: parent,
                name,
            }) = carrier
            {
                let mut hit = self.describe(&hex::encode(parent), score, copies)?;
                let flags = cat.extraction_flags(&bytes)?;
                hit.in_attachments.push(AttachmentHit {
                    key: key.to_owned(),
                    name,
                    flags: flags
                        .map(|f| f.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    snippet: None,
                });
                return Ok(hit);
            }
        }
        let mut hit = Hit {
            key: key.to_owned(),
            kind: "message".into(),
            score,
            date: None,
            subject: None,
            from: None,
            from_name: None,
            to: Vec::new(),
            item: None,
            thread: None,
            attachments: 0,
            copies: 0,
            folders: Vec::new(),
            sources: Vec::new(),
            snippet: None,
            locations: Vec::new(),
            in_attachments: Vec::new(),
        };
        let row = cat.first_copy(&bytes)?;
        let locations = if let Some(m) = row {
            hit.date = m.date;
            hit.subject = m.subject;
            hit.from = m.from_addr;
            hit.from_name = m.from_name;
            hit.item = Some(m.item_id);
            hit.thread = m.thread;
            hit.attachments = m.attachments;
            hit.to = cat.recipients(m.id)?;
            cat.message_hit_locations(&bytes)?
        } else {
            hit.kind = "document".into();
            cat.document_hit_locations(&bytes)?
        };
        let locations: Vec<(Location, String)> = locations
            .into_iter()
            .map(|l| {
                (
                    Location {
                        item: l.item,
                        source: l.source,
                        locator: l.locator,
                        folder: l.folder,
                        outcome: l.outcome,
                        sha256: l.sha256.map(hex::encode),
                        offset: l.offset,
                        length: l.length,
                    },
                    l.name,
                )
            })
            .collect();
        hit.copies = locations.len();
        let mut folders: Vec<String> = locations
            .iter()
            .filter_map(|(l, _)| l.folder.clone())
            .collect();
        folders.sort();
        folders.dedup();
        hit.folders = folders;
        let mut sources: Vec<String> = locations.iter().map(|(l, _)| l.source.clone()).collect();
        sources.sort();
        sources.dedup();
        hit.sources = sources;
        if hit.kind == "document" {
            hit.item = locations.first().map(|(l, _)| l.item);
            let title = cat.extraction_title(&bytes)?;
            hit.subject = title.or_else(|| locations.first().map(|(_, n)| n.clone()));
        }
        if copies {
            hit.locations = locations.into_iter().map(|(l, _)| l).collect();
        }
        Ok(hit)
    }

    /// An attachment of a message, as shown under it.
    fn attachment_of(
        &self,
        message_key: &str,
        sha256_hex: &str,
    ) -> Result<AttachmentHit, SearchError> {
        let sha = hex::decode(sha256_hex)
            .map_err(|_| SearchError::Corrupt(format!("bad key {sha256_hex}")))?;
        let mk = hex::decode(message_key)
            .map_err(|_| SearchError::Corrupt(format!("bad key {message_key}")))?;
        let name = self.catalog.attachment_name(&sha, &mk)?;
        let flags = self.catalog.extraction_flags(&sha)?;
        Ok(AttachmentHit {
            key: sha256_hex.to_owned(),
            name,
            flags: flags
                .map(|f| f.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            snippet: None,
        })
    }

    /// The extracted text of a document (attachment or loose file), if any.
    pub fn document_text(&self, sha256_hex: &str) -> Option<String> {
        let key = hex::decode(sha256_hex).ok()?;
        let text_sha: Vec<u8> = self.catalog.extraction_text(&key).ok().flatten()?;
        let k: [u8; 32] = text_sha.try_into().ok()?;
        let bytes = self.case.read_blob(&self.catalog, &k).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn attachment_snippet(&self, sha256_hex: &str, snippets: &mut Snippets) -> Option<Snippet> {
        snippets.best(&self.document_text(sha256_hex)?)
    }

    fn snippet(&self, hit: &Hit, snippets: &mut Snippets) -> Option<Snippet> {
        if hit.kind == "document" {
            return snippets.best(&self.document_text(&hit.key)?);
        }
        if hit.kind != "message" {
            return None;
        }
        let item = hit.item?;
        let sha: Vec<u8> = self.catalog.item_sha256(item).ok().flatten()?;
        let key: [u8; 32] = sha.try_into().ok()?;
        let (bytes, whole) = self.case.read_message(&self.catalog, &key).ok()?;
        let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
        snippets.best(&parsed.text)
    }
}

/// The message number (`msg_no`) of a message document.
fn msg_no_of(searcher: &Searcher, addr: DocAddress) -> Option<u64> {
    let col = searcher
        .segment_reader(addr.segment_ord)
        .fast_fields()
        .column_opt::<u64>("msg_no")
        .ok()??;
    col.first(addr.doc_id)
}

fn key_of(searcher: &Searcher, addr: DocAddress) -> Result<Option<String>, SearchError> {
    let seg = searcher.segment_reader(addr.segment_ord);
    let Some(col) = seg.fast_fields().str("key")? else {
        return Ok(None);
    };
    let Some(ord) = col.term_ords(addr.doc_id).next() else {
        return Ok(None);
    };
    let mut s = String::new();
    col.ord_to_str(ord, &mut s)?;
    Ok(Some(s))
}

/// Snippet generators for the body fields the query touches.
struct Snippets {
    gens: Vec<SnippetGenerator>,
}

impl Snippets {
    fn new(
        searcher: &Searcher,
        query: &dyn Query,
        index: &SearchIndex,
    ) -> Result<Self, SearchError> {
        let f = index.fields;
        let mut gens = Vec::new();
        for field in [f.body_es, f.body_en, f.body_exact] {
            let mut g = SnippetGenerator::create(searcher, query, field)?;
            g.set_max_num_chars(240);
            gens.push(g);
        }
        Ok(Snippets { gens })
    }

    /// The snippet with the most highlighted words; the start of the text when none match.
    fn best(&mut self, text: &str) -> Option<Snippet> {
        let mut best: Option<tantivy::snippet::Snippet> = None;
        for g in &self.gens {
            let s = g.snippet(text);
            if best
                .as_ref()
                .is_none_or(|b| s.highlighted().len() > b.highlighted().len())
            {
                best = Some(s);
            }
        }
        let s = best?;
        if s.highlighted().is_empty() {
            let start: String = text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(200)
                .collect();
            return (!start.is_empty()).then_some(Snippet {
                text: start,
                highlights: Vec::new(),
            });
        }
        // One line: newlines to spaces keeps byte offsets.
        let text = s.fragment().replace(['\n', '\r', '\t'], " ");
        let highlights = s.highlighted().iter().map(|r| (r.start, r.end)).collect();
        Some(Snippet { text, highlights })
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Counts facet values over every result, from the fast fields.
struct FacetCollector;

const FACET_TOP: usize = 20;

/// Months from 1970 to 2100: the histogram is an array, not a map.
const FIRST_MONTH: i32 = 1970 * 12;
const MONTHS: usize = (2100 - 1970) * 12;

struct SegFacets {
    /// Per str column: counts by term ordinal.
    cols: Vec<(usize, Option<StrColumn>, Vec<u32>)>,
    months: Vec<u32>,
    /// Dates outside 1970–2100 (broken clocks), counted apart.
    odd_dates: u32,
    date: Option<tantivy::columnar::Column<i64>>,
    dates: Vec<Option<i64>>,
}

const FACET_FIELDS: [&str; 9] = [
    "source",
    "from_domain",
    "from_addr",
    "rcpt_addr",
    "mime",
    "lang",
    "has",
    "kind",
    "flag",
];

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegFacets;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<SegFacets> {
        let ff = seg.fast_fields();
        let mut cols = Vec::new();
        for (i, name) in FACET_FIELDS.iter().enumerate() {
            let col = ff.str(name)?;
            let n = col.as_ref().map_or(0, |c| c.num_terms());
            cols.push((i, col, vec![0u32; n]));
        }
        let date = ff.i64("date").ok();
        Ok(SegFacets {
            cols,
            months: vec![0; MONTHS],
            odd_dates: 0,
            date,
            dates: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut sums: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); FACET_FIELDS.len() + 2];
        for f in fruits {
            for (i, list) in [
                &f.source,
                &f.sender_domain,
                &f.sender,
                &f.recipient,
                &f.mime,
                &f.lang,
                &f.has,
                &f.kind,
                &f.flag,
                &f.month,
                &f.year,
            ]
            .into_iter()
            .enumerate()
            {
                for b in list {
                    *sums[i].entry(b.value.clone()).or_default() += b.count;
                }
            }
        }
        let top = |m: &BTreeMap<String, u64>, n: usize| {
            let mut v: Vec<Bucket> = m
                .iter()
                .map(|(k, c)| Bucket {
                    value: k.clone(),
                    count: *c,
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v.truncate(n);
            v
        };
        let chrono_order = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, c)| Bucket {
                    value: k.clone(),
                    count: *c,
                })
                .collect::<Vec<_>>()
        };
        Ok(Facets {
            source: top(&sums[0], FACET_TOP),
            sender_domain: top(&sums[1], FACET_TOP),
            sender: top(&sums[2], FACET_TOP),
            recipient: top(&sums[3], FACET_TOP),
            mime: top(&sums[4], FACET_TOP),
            lang: top(&sums[5], FACET_TOP),
            has: top(&sums[6], FACET_TOP),
            kind: top(&sums[7], FACET_TOP),
            flag: top(&sums[8], FACET_TOP),
            month: chrono_order(&sums[9]),
            year: chrono_order(&sums[10]),
        })
    }
}

impl SegFacets {
    fn count_month(&mut self, t: i64) {
        let m = month_index(t) - FIRST_MONTH;
        match self.months.get_mut(m.max(-1) as usize) {
            Some(slot) if m >= 0 => *slot += 1,
            _ => self.odd_dates += 1,
        }
    }
}

impl SegmentCollector for SegFacets {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.collect_block(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for (_, col, counts) in &mut self.cols {
            if let Some(c) = col {
                let ords = c.ords();
                for &doc in docs {
                    for ord in ords.values_for_doc(doc) {
                        if let Some(slot) = counts.get_mut(ord as usize) {
                            *slot += 1;
                        }
                    }
                }
            }
        }
        if let Some(d) = &self.date {
            self.dates.clear();
            self.dates.resize(docs.len(), None);
            d.first_vals(docs, &mut self.dates);
            let dates = std::mem::take(&mut self.dates);
            for t in dates.iter().flatten() {
                self.count_month(*t);
            }
            self.dates = dates;
        }
    }

    fn harvest(self) -> Facets {
        let mut lists: Vec<Vec<Bucket>> = vec![Vec::new(); FACET_FIELDS.len()];
        for (i, col, counts) in self.cols {
            let Some(c) = col else { continue };
            // One pass over the dictionary for every value seen, in ordinal order.
            let ords: Vec<u64> = counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(o, _)| o as u64)
                .collect();
            let mut ns = ords.iter().map(|&o| counts[o as usize]);
            let list = &mut lists[i];
            let _ = c.dictionary().sorted_ords_to_term_cb(&ords, |term| {
                let n = ns.next().unwrap_or(0);
                list.push(Bucket {
                    value: String::from_utf8_lossy(term).into_owned(),
                    count: n as u64,
                });
            });
        }
        let mut month = Vec::new();
        let mut years: BTreeMap<i32, u64> = BTreeMap::new();
        for (i, &n) in self.months.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let m = i as i32 + FIRST_MONTH;
            let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
            month.push(Bucket {
                value: format!("{y:04}-{mo:02}"),
                count: n as u64,
            });
            *years.entry(y).or_default() += n as u64;
        }
        let mut year: Vec<Bucket> = years
            .into_iter()
            .map(|(y, n)| Bucket {
                value: format!("{y:04}"),
                count: n,
            })
            .collect();
        if self.odd_dates > 0 {
            year.push(Bucket {
                value: "other".into(),
                count: self.odd_dates as u64,
            });
        }
        let mut it = lists.into_iter();
        let mut next = || it.next().unwrap_or_default();
        Facets {
            source: next(),
            sender_domain: next(),
            sender: next(),
            recipient: next(),
            mime: next(),
            lang: next(),
            has: next(),
            kind: next(),
            flag: next(),
            month,
            year,
        }
    }
}

/// Months since year 0 of a unix time (UTC), without a calendar library in the hot loop.
fn month_index(t: i64) -> i32 {
    let days = t.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y * 12 + m - 1) as i32
}

#[cfg(test)]
mod tests {
    use super::month_index;

    #[test]
    fn months() {
        assert_eq!(month_index(0), 1970 * 12);
        assert_eq!(month_index(1_458_055_801), 2016 * 12 + 2); // 2016-03-15
        assert_eq!(month_index(-1), 1969 * 12 + 11);
    }
}
