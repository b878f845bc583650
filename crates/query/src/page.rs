//! Pages of results in memory proportional to the page, however deep.
//!
//! Every matching document has a [`Rank`]: the sort value (score descending, or date newest
//! or oldest first, undated last), then the segment (by its id) and the document number in it
//! to break ties. A page is the `limit` smallest ranks past a bound, kept in a heap of the
//! page's size ([`Page`]). The bound is either a cursor (the rank of the last hit of the page
//! before, opaque to clients: [`Cursor`]) or, for a page asked for by its offset, the rank of
//! the result at that offset, found by counting rather than by keeping the results before it
//! ([`select`]: a radix selection over the ranks, a few passes of 65,536 counters each).

use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::SearchError;
use crate::bounds::{Budget, collect, segment_number};

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "relevance" | "score" => Ok(Sort::Relevance),
            "newest" | "date" | "date-desc" => Ok(Sort::Newest),
            "oldest" | "date-asc" => Ok(Sort::Oldest),
            other => Err(format!(
                "unknown sort '{other}' (relevance, newest, oldest)"
            )),
        }
    }
}

/// Pages whose end is at most this deep are cut from one heap of `offset + limit` results;
/// deeper ones are found by [`select`].
pub(crate) const DIRECT: usize = 5_000;

/// A bucket holding at most this many results is read whole by [`select`].
const GATHER: u64 = 4_096;

/// Where a result sorts: smaller first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rank {
    pub primary: u64,
    /// The segment's id (its UUID as a number).
    pub segment: u128,
    pub doc: DocId,
}

/// The sort value of a result, as a number that orders the results first to last.
fn primary(sort: Sort, score: Score, date: Option<i64>) -> u64 {
    match sort {
        Sort::Relevance => {
            // Order-preserving bits of the float, then reversed: higher scores first.
            let bits = score.to_bits();
            let ordered = if bits & 0x8000_0000 != 0 {
                !bits
            } else {
                bits | 0x8000_0000
            };
            u64::from(!ordered)
        }
        Sort::Newest | Sort::Oldest => match date {
            // Undated results last, whichever the direction (as tantivy orders them).
            None => u64::MAX,
            Some(d) => {
                let ordered = (d as u64) ^ (1 << 63);
                let v = if sort == Sort::Newest {
                    !ordered
                } else {
                    ordered
                };
                v.min(u64::MAX - 1)
            }
        },
    }
}

/// A page's position in the results, handed to the client as an opaque `after` value: the
/// rank of the last result of a page. Bound to the sort it was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub sort: Sort,
    pub rank: Rank,
}

impl Cursor {
    fn letter(sort: Sort) -> char {
        match sort {
            Sort::Relevance => 'r',
            Sort::Newest => 'n',
            Sort::Oldest => 'o',
        }
    }

    pub fn encode(&self) -> String {
        format!(
            "{}{:016x}{:032x}{:08x}",
            Self::letter(self.sort),
            self.rank.primary,
            self.rank.segment,
            self.rank.doc
        )
    }

    /// Reads a cursor given back by a client, for a search sorted by `sort`.
    pub fn parse(s: &str, sort: Sort) -> Result<Cursor, SearchError> {
        let bad = || {
            SearchError::Invalid(format!(
                "after: '{}' is not a cursor this search returned",
                s.chars().take(80).collect::<String>()
            ))
        };
        if s.len() != 57 || !s.is_ascii() {
            return Err(bad());
        }
        let (l, rest) = s.split_at(1);
        let made_for = match l {
            "r" => Sort::Relevance,
            "n" => Sort::Newest,
            "o" => Sort::Oldest,
            _ => return Err(bad()),
        };
        if made_for != sort {
            return Err(SearchError::Invalid(format!(
                "after: the cursor is for results sorted by {made_for:?}, not {sort:?}; start again from the first page"
            )));
        }
        let hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
        let (p, rest) = rest.split_at(16);
        let (g, d) = rest.split_at(32);
        if !(hex(p) && hex(g) && hex(d)) {
            return Err(bad());
        }
        Ok(Cursor {
            sort,
            rank: Rank {
                primary: u64::from_str_radix(p, 16).map_err(|_| bad())?,
                segment: u128::from_str_radix(g, 16).map_err(|_| bad())?,
                doc: u32::from_str_radix(d, 16).map_err(|_| bad())?,
            },
        })
    }
}

/// Reads the rank of a segment's documents.
struct Ranker {
    sort: Sort,
    segment: u128,
    date: Option<Column<i64>>,
}

impl Ranker {
    fn new(sort: Sort, reader: &SegmentReader) -> Ranker {
        let date = match sort {
            Sort::Relevance => None,
            Sort::Newest | Sort::Oldest => reader.fast_fields().i64("date").ok(),
        };
        Ranker {
            sort,
            segment: segment_number(reader),
            date,
        }
    }

    fn rank(&self, doc: DocId, score: Score) -> Rank {
        let date = self.date.as_ref().and_then(|c| c.first(doc));
        Rank {
            primary: primary(self.sort, score, date),
            segment: self.segment,
            doc,
        }
    }
}

/// A result kept for a page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub rank: Rank,
    pub score: Score,
    pub addr: DocAddress,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.rank == o.rank
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&o.rank)
    }
}

/// The first `k` results past a bound (a cursor, exclusive, or a selected rank, inclusive),
/// and how many results there are past it.
pub(crate) struct Page {
    pub sort: Sort,
    pub k: usize,
    pub after: Option<(Rank, bool)>,
}

/// What a [`Page`] found.
#[derive(Debug, Default)]
pub(crate) struct PageFruit {
    /// In order, first to last.
    pub entries: Vec<Entry>,
    /// Results past the bound (all of them without one).
    pub past: u64,
}

pub(crate) struct PageSegment {
    ranker: Ranker,
    ord: SegmentOrdinal,
    k: usize,
    after: Option<(Rank, bool)>,
    heap: BinaryHeap<Entry>,
    past: u64,
}

impl Collector for Page {
    type Fruit = PageFruit;
    type Child = PageSegment;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(PageSegment {
            ranker: Ranker::new(self.sort, reader),
            ord,
            k: self.k,
            after: self.after,
            heap: BinaryHeap::with_capacity(self.k.min(DIRECT + 1) + 1),
            past: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<PageFruit>) -> tantivy::Result<PageFruit> {
        let mut out = PageFruit::default();
        for f in fruits {
            out.past += f.past;
            out.entries.extend(f.entries);
            // Keep at most 2k while merging, so that many segments do not add up.
            if out.entries.len() > 2 * self.k.max(1) {
                out.entries.sort_unstable();
                out.entries.truncate(self.k);
            }
        }
        out.entries.sort_unstable();
        out.entries.truncate(self.k);
        Ok(out)
    }
}

impl SegmentCollector for PageSegment {
    type Fruit = PageFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let rank = self.ranker.rank(doc, score);
        if let Some((bound, inclusive)) = self.after {
            let keep = if inclusive {
                rank >= bound
            } else {
                rank > bound
            };
            if !keep {
                return;
            }
        }
        self.past += 1;
        if self.k == 0 {
            return;
        }
        let e = Entry {
            rank,
            score,
            addr: DocAddress::new(self.ord, doc),
        };
        if self.heap.len() < self.k {
            self.heap.push(e);
        } else if self.heap.peek().is_some_and(|top| e.rank < top.rank) {
            self.heap.pop();
            self.heap.push(e);
        }
    }

    fn harvest(self) -> PageFruit {
        PageFruit {
            entries: self.heap.into_sorted_vec(),
            past: self.past,
        }
    }
}

/// The segments of a searcher in rank order (by id), for numbering ranks densely.
pub(crate) struct Segments {
    /// Segment ids, sorted.
    ids: Vec<u128>,
}

impl Segments {
    pub fn of(searcher: &Searcher) -> Segments {
        let mut ids: Vec<u128> = searcher
            .segment_readers()
            .iter()
            .map(segment_number)
            .collect();
        ids.sort_unstable();
        Segments { ids }
    }

    fn index(&self, id: u128) -> u32 {
        self.ids.binary_search(&id).unwrap_or_else(|i| i) as u32
    }

    fn rank(&self, v: u128) -> Option<Rank> {
        let seg = ((v >> 32) & 0xFFFF_FFFF) as usize;
        Some(Rank {
            primary: (v >> 64) as u64,
            segment: *self.ids.get(seg)?,
            doc: v as u32,
        })
    }
}

/// What one pass of [`select`] does with the dense ranks in `[lo, hi]`.
#[derive(Clone, Copy)]
enum Pass {
    /// The smallest and largest.
    Span,
    /// How many fall in each bucket of `2^shift` values from `lo`.
    Count { shift: u32 },
    /// All of them (at most [`GATHER`]).
    Gather,
}

struct Select<'a> {
    sort: Sort,
    segments: &'a Segments,
    lo: u128,
    hi: u128,
    pass: Pass,
}

#[derive(Default)]
enum SelectFruit {
    #[default]
    Nothing,
    Span(u128, u128),
    /// (bucket, count), buckets in order.
    Count(Vec<(u32, u64)>),
    Gather(Vec<u128>),
}

struct SelectSegment {
    ranker: Ranker,
    seg_index: u128,
    lo: u128,
    hi: u128,
    pass: Pass,
    span: Option<(u128, u128)>,
    counts: Vec<u32>,
    gathered: Vec<u128>,
}

impl Collector for Select<'_> {
    type Fruit = SelectFruit;
    type Child = SelectSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SelectSegment> {
        let ranker = Ranker::new(self.sort, reader);
        let seg_index = u128::from(self.segments.index(ranker.segment)) << 32;
        let counts = match self.pass {
            Pass::Count { shift } => vec![0u32; (((self.hi - self.lo) >> shift) + 1) as usize],
            _ => Vec::new(),
        };
        Ok(SelectSegment {
            ranker,
            seg_index,
            lo: self.lo,
            hi: self.hi,
            pass: self.pass,
            span: None,
            counts,
            gathered: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<SelectFruit>) -> tantivy::Result<SelectFruit> {
        Ok(match self.pass {
            Pass::Span => fruits
                .into_iter()
                .fold(SelectFruit::Nothing, |acc, f| match (acc, f) {
                    (SelectFruit::Span(a, b), SelectFruit::Span(c, d)) => {
                        SelectFruit::Span(a.min(c), b.max(d))
                    }
                    (SelectFruit::Nothing, f) | (f, SelectFruit::Nothing) => f,
                    (a, _) => a,
                }),
            Pass::Count { .. } => {
                let mut all: Vec<(u32, u64)> = fruits
                    .into_iter()
                    .flat_map(|f| match f {
                        SelectFruit::Count(v) => v,
                        _ => Vec::new(),
                    })
                    .collect();
                all.sort_unstable_by_key(|(b, _)| *b);
                let mut merged: Vec<(u32, u64)> = Vec::new();
                for (b, n) in all {
                    match merged.last_mut() {
                        Some((lb, ln)) if *lb == b => *ln += n,
                        _ => merged.push((b, n)),
                    }
                }
                SelectFruit::Count(merged)
            }
            Pass::Gather => {
                let mut all: Vec<u128> = fruits
                    .into_iter()
                    .flat_map(|f| match f {
                        SelectFruit::Gather(v) => v,
                        _ => Vec::new(),
                    })
                    .collect();
                all.sort_unstable();
                SelectFruit::Gather(all)
            }
        })
    }
}

impl SegmentCollector for SelectSegment {
    type Fruit = SelectFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let r = self.ranker.rank(doc, score);
        let v = (u128::from(r.primary) << 64) | self.seg_index | u128::from(doc);
        if v < self.lo || v > self.hi {
            return;
        }
        match self.pass {
            Pass::Span => {
                self.span = Some(match self.span {
                    None => (v, v),
                    Some((a, b)) => (a.min(v), b.max(v)),
                });
            }
            Pass::Count { shift } => {
                if let Some(c) = self.counts.get_mut(((v - self.lo) >> shift) as usize) {
                    *c += 1;
                }
            }
            Pass::Gather => {
                if (self.gathered.len() as u64) < GATHER {
                    self.gathered.push(v);
                }
            }
        }
    }

    fn harvest(self) -> SelectFruit {
        match self.pass {
            Pass::Span => match self.span {
                Some((a, b)) => SelectFruit::Span(a, b),
                None => SelectFruit::Nothing,
            },
            Pass::Count { .. } => SelectFruit::Count(
                self.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(b, n)| (b as u32, u64::from(*n)))
                    .collect(),
            ),
            Pass::Gather => SelectFruit::Gather(self.gathered),
        }
    }
}

/// The rank of the result at `offset` (0-based), found in passes over the matches that each
/// keep 65,536 counters, never the results before it. `None` past the last result.
pub(crate) fn select(
    searcher: &Searcher,
    weight: &dyn Weight,
    budget: &Budget,
    sort: Sort,
    offset: u64,
    total: u64,
) -> Result<Option<Rank>, SearchError> {
    let segments = Segments::of(searcher);
    let run = |lo: u128, hi: u128, pass: Pass| {
        collect(
            searcher,
            weight,
            &Select {
                sort,
                segments: &segments,
                lo,
                hi,
                pass,
            },
            budget,
        )
    };
    let (mut lo, mut hi) = match run(0, u128::MAX, Pass::Span)? {
        SelectFruit::Span(a, b) => (a, b),
        _ => return Ok(None),
    };
    let mut target = offset;
    let mut inside = total;
    loop {
        if inside <= GATHER || lo == hi {
            let SelectFruit::Gather(all) = run(lo, hi, Pass::Gather)? else {
                return Ok(None);
            };
            return Ok(usize::try_from(target)
                .ok()
                .and_then(|t| all.get(t))
                .and_then(|&v| segments.rank(v)));
        }
        let width = hi - lo;
        let bits = 128 - width.leading_zeros();
        let shift = bits.saturating_sub(16);
        let SelectFruit::Count(buckets) = run(lo, hi, Pass::Count { shift })? else {
            return Ok(None);
        };
        let mut before = 0u64;
        let mut found = None;
        for (b, n) in buckets {
            if target < before + n {
                found = Some((b, n));
                break;
            }
            before += n;
        }
        let Some((b, n)) = found else {
            return Ok(None);
        };
        target -= before;
        inside = n;
        lo += u128::from(b) << shift;
        hi = hi.min(lo.saturating_add((1u128 << shift) - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_orders_scores_and_dates() {
        let r = |s: f32| primary(Sort::Relevance, s, None);
        assert!(r(3.5) < r(1.0));
        assert!(r(1.0) < r(0.0));
        assert!(r(0.0) < r(-1.0));
        let n = |d: Option<i64>| primary(Sort::Newest, 0.0, d);
        let o = |d: Option<i64>| primary(Sort::Oldest, 0.0, d);
        assert!(n(Some(2000)) < n(Some(1000)));
        assert!(n(Some(-5)) < n(None));
        assert!(n(Some(i64::MIN)) < n(None));
        assert!(o(Some(1000)) < o(Some(2000)));
        assert!(o(Some(-5)) < o(Some(5)));
        assert!(o(Some(i64::MAX)) < o(None));
    }

    #[test]
    fn cursors_round_trip_and_refuse_what_they_are_not() {
        let c = Cursor {
            sort: Sort::Newest,
            rank: Rank {
                primary: 0x0123_4567_89ab_cdef,
                segment: 0xa5c4_dfcb_dfe6_4508_9129_e308_e26d_5523,
                doc: 42,
            },
        };
        let s = c.encode();
        assert_eq!(Cursor::parse(&s, Sort::Newest).unwrap(), c);
        assert!(matches!(
            Cursor::parse(&s, Sort::Relevance),
            Err(SearchError::Invalid(_))
        ));
        for bad in [
            "",
            "x",
            &s[1..],
            &format!("{s}0"),
            &s.replace('a', "g"),
            &s.replacen('n', "ñ", 1),
        ] {
            assert!(
                matches!(
                    Cursor::parse(bad, Sort::Newest),
                    Err(SearchError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    /// An index of three segments (and some deleted documents) with many tied scores and
    /// dates: the rank `select` finds at an offset is the one a full sort puts there, and the
    /// page from it equals the full sort's slice, for every sort.
    #[test]
    fn selection_finds_the_rank_a_full_sort_puts_at_an_offset() {
        use tantivy::query::{AllQuery, Query, TermQuery};
        use tantivy::schema::{FAST, INDEXED, IndexRecordOption, STRING, Schema, TEXT};
        use tantivy::{Index, IndexWriter, TantivyDocument, Term, doc};

        let mut sb = Schema::builder();
        let key = sb.add_text_field("key", STRING | FAST);
        let date = sb.add_i64_field("date", INDEXED | FAST);
        let body = sb.add_text_field("body", TEXT);
        let index = Index::create_in_ram(sb.build());
        let mut w: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 50_000_000).unwrap();
        w.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        let mut n = 0u64;
        for seg in 0..3 {
            for _ in 0..(4_000 + seg * 700) {
                // Scores tie in groups (term frequency 1–4, two lengths); dates tie in
                // groups of 7; every 11th document has no date.
                let words = "x ".repeat((n % 4 + 1) as usize)
                    + if n.is_multiple_of(3) { "y y y" } else { "" };
                let mut d = doc!(key => format!("k{n:06}"), body => words);
                if !n.is_multiple_of(11) {
                    d.add_i64(
                        date,
                        1_000_000 + (n / 7) as i64 * if n.is_multiple_of(2) { 1 } else { -1 },
                    );
                }
                w.add_document(d).unwrap();
                n += 1;
            }
            w.commit().unwrap();
        }
        for k in (0..n).step_by(97) {
            w.delete_term(Term::from_field_text(key, &format!("k{k:06}")));
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let budget = Budget::new(crate::Bounds::STANDARD, "test");
        let term: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(body, "x"),
            IndexRecordOption::WithFreqs,
        ));
        for (query, sort) in [
            (&term, Sort::Relevance),
            (&(Box::new(AllQuery) as Box<dyn Query>), Sort::Relevance),
            (&term, Sort::Newest),
            (&term, Sort::Oldest),
        ] {
            let scoring = sort == Sort::Relevance;
            let w = crate::bounds::weight(&searcher, &**query, scoring, &budget).unwrap();
            let full = collect(
                &searcher,
                &*w,
                &Page {
                    sort,
                    k: n as usize,
                    after: None,
                },
                &budget,
            )
            .unwrap();
            let total = full.past;
            assert_eq!(full.entries.len() as u64, total);
            assert!(total > 12_000, "{total}");
            // Ranks are all distinct and in order.
            assert!(full.entries.windows(2).all(|p| p[0].rank < p[1].rank));
            for offset in [0u64, 1, 4_095, 4_096, 5_001, 7_777, total - 20, total - 1] {
                let rank = select(&searcher, &*w, &budget, sort, offset, total).unwrap();
                assert_eq!(
                    rank,
                    Some(full.entries[offset as usize].rank),
                    "{sort:?} at {offset}"
                );
                let page = collect(
                    &searcher,
                    &*w,
                    &Page {
                        sort,
                        k: 20,
                        after: rank.map(|r| (r, true)),
                    },
                    &budget,
                )
                .unwrap();
                let want: Vec<Rank> = full
                    .entries
                    .iter()
                    .skip(offset as usize)
                    .take(20)
                    .map(|e| e.rank)
                    .collect();
                let got: Vec<Rank> = page.entries.iter().map(|e| e.rank).collect();
                assert_eq!(got, want, "{sort:?} page at {offset}");
                assert_eq!(page.past, total - offset);
            }
            assert_eq!(
                select(&searcher, &*w, &budget, sort, total, total).unwrap(),
                None
            );
            // Paging by cursor visits every result once, in order.
            let mut after = None;
            let mut seen = Vec::new();
            loop {
                let p = collect(
                    &searcher,
                    &*w,
                    &Page {
                        sort,
                        k: 1000,
                        after,
                    },
                    &budget,
                )
                .unwrap();
                let Some(last) = p.entries.last() else { break };
                after = Some((last.rank, false));
                seen.extend(p.entries.iter().map(|e| e.rank));
            }
            let all: Vec<Rank> = full.entries.iter().map(|e| e.rank).collect();
            assert_eq!(seen, all, "{sort:?} by cursor");
        }
    }
}
