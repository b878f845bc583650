//! From the query tree to a tantivy query.
//!
//! Bare words search the stemmed subject and body fields of both languages, attachment names
//! and participants; quoted phrases, wildcards and fuzzy words search the folded (accent- and
//! case-insensitive, unstemmed) fields, so that names and exact wording match exactly.

use std::ops::Bound as B;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field as TField, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use trove_index::analysis::{self, fold, fold_atom};
use trove_index::schema::Fields;

use crate::bounds::{Bounded, Budget};
use crate::parse::{Bound, Field, Node, QueryError, Span};

type Q = Box<dyn Query>;

/// Keys of the messages carrying a tag.
pub type TagLookup<'a> = &'a dyn Fn(&str) -> Vec<String>;

/// Compiles parsed queries against an index's fields.
pub struct Compiler<'a> {
    f: Fields,
    es: TextAnalyzer,
    en: TextAnalyzer,
    folded: TextAnalyzer,
    query: String,
    tags: Option<TagLookup<'a>>,
    budget: Option<Arc<Budget>>,
}

#[derive(Clone, Copy)]
enum An {
    Es,
    En,
    Folded,
}

impl<'a> Compiler<'a> {
    pub fn new(fields: Fields, query: &str) -> Self {
        let m = tantivy::tokenizer::TokenizerManager::default();
        analysis::register(&m);
        let get = |n: &str| m.get(n).unwrap_or_else(analysis::folded);
        Compiler {
            f: fields,
            es: get(analysis::ES),
            en: get(analysis::EN),
            folded: analysis::folded(),
            query: query.to_owned(),
            tags: None,
            budget: None,
        }
    }

    /// Wildcards, fuzzy words and patterns count the words they expand to against `budget`
    /// (and stop the query past its bounds) instead of expanding without limit.
    pub fn with_budget(mut self, budget: Arc<Budget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Where `tag:` finds the messages carrying a tag.
    pub fn with_tags(mut self, lookup: TagLookup<'a>) -> Self {
        self.tags = Some(lookup);
        self
    }

    fn err(&self, msg: impl Into<String>, span: Span) -> QueryError {
        QueryError::new(msg, span, &self.query)
    }

    fn tokens(&mut self, an: An, text: &str) -> Vec<String> {
        let a = match an {
            An::Es => &mut self.es,
            An::En => &mut self.en,
            An::Folded => &mut self.folded,
        };
        let mut st = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = st.next() {
            out.push(t.text.clone());
        }
        out
    }

    /// Compiles a whole query.
    pub fn compile(&mut self, node: &Node) -> Result<Q, QueryError> {
        Ok(self.node(node)?.unwrap_or_else(|| Box::new(EmptyQuery)))
    }

    /// `None`: the clause has no searchable words (only stop words).
    fn node(&mut self, node: &Node) -> Result<Option<Q>, QueryError> {
        match node {
            Node::All => Ok(Some(Box::new(AllQuery))),
            Node::And { must, not } => {
                let mut clauses: Vec<(Occur, Q)> = Vec::new();
                for m in must {
                    if let Some(q) = self.node(m)? {
                        clauses.push((Occur::Must, q));
                    }
                }
                if clauses.is_empty() {
                    return Ok(None);
                }
                for n in not {
                    if let Some(q) = self.node(n)? {
                        clauses.push((Occur::MustNot, q));
                    }
                }
                Ok(Some(Box::new(BooleanQuery::new(clauses))))
            }
            Node::Or(parts) => {
                let mut clauses: Vec<(Occur, Q)> = Vec::new();
                for p in parts {
                    if let Some(q) = self.node(p)? {
                        clauses.push((Occur::Should, q));
                    }
                }
                Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Q))
            }
            Node::Not(inner) => {
                let Some(q) = self.node(inner)? else {
                    return Ok(Some(Box::new(AllQuery)));
                };
                Ok(Some(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(AllQuery)),
                    (Occur::MustNot, q),
                ]))))
            }
            Node::Term { field, text, span } => self.term(*field, text, *span),
            Node::Phrase {
                field,
                text,
                slop,
                span,
            } => self.phrase(*field, text, *slop, *span),
            Node::Wildcard {
                field,
                pattern,
                span,
            } => self.wildcard(*field, pattern, *span),
            Node::Fuzzy {
                field,
                text,
                distance,
                span,
            } => self.fuzzy(*field, text, *distance, *span),
            Node::Range {
                field,
                lower,
                upper,
                span,
            } => self.range(*field, lower, upper, *span).map(Some),
        }
    }

    /// Words of `text` as a term or phrase on one field.
    fn analyzed(&mut self, field: TField, an: An, text: &str, slop: u32) -> Option<Q> {
        let toks = self.tokens(an, text);
        words_query(field, toks, slop)
    }

    fn union(parts: Vec<Option<Q>>) -> Option<Q> {
        let mut qs: Vec<Q> = parts.into_iter().flatten().collect();
        match qs.len() {
            0 => None,
            1 => qs.pop(),
            _ => Some(Box::new(BooleanQuery::union(qs))),
        }
    }

    fn address_field(&self, f: Field) -> Option<TField> {
        Some(match f {
            Field::From => self.f.from,
            Field::To => self.f.to,
            Field::Cc => self.f.cc,
            Field::Bcc => self.f.bcc,
            Field::Participant => self.f.participant,
            _ => return None,
        })
    }

    fn term(
        &mut self,
        field: Option<Field>,
        text: &str,
        span: Span,
    ) -> Result<Option<Q>, QueryError> {
        let f = self.f;
        let Some(field) = field else {
            let parts = vec![
                self.analyzed(f.subject_es, An::Es, text, 0),
                self.analyzed(f.subject_en, An::En, text, 0),
                self.analyzed(f.body_es, An::Es, text, 0),
                self.analyzed(f.body_en, An::En, text, 0),
                self.analyzed(f.attachment, An::Folded, text, 0),
                address_term(f.participant, text),
            ];
            return Ok(Self::union(parts));
        };
        if let Some(af) = self.address_field(field) {
            return Ok(address_term(af, text));
        }
        Ok(match field {
            Field::Subject => Self::union(vec![
                self.analyzed(f.subject_es, An::Es, text, 0),
                self.analyzed(f.subject_en, An::En, text, 0),
            ]),
            Field::Body => Self::union(vec![
                self.analyzed(f.body_es, An::Es, text, 0),
                self.analyzed(f.body_en, An::En, text, 0),
            ]),
            Field::Attachment => Self::union(vec![
                self.analyzed(f.attachment, An::Folded, text, 0),
                Some(Box::new(TermQuery::new(
                    Term::from_field_text(f.attachment, &fold_atom(text)),
                    IndexRecordOption::Basic,
                )) as Q),
            ]),
            Field::Mime => {
                let v = text.to_ascii_lowercase();
                if v.contains('/') {
                    Some(exact(f.mime, &v))
                } else {
                    Some(self.regex(f.mime, &format!(".*{}.*", escape(&v)), span)?)
                }
            }
            Field::Id => Some(exact(
                f.message_id,
                text.trim_matches(|c| c == '<' || c == '>'),
            )),
            Field::Thread => Some(exact(f.thread, text)),
            Field::Source => Some(self.regex(f.source, &format!("(?i){}", escape(text)), span)?),
            Field::Folder | Field::Path => {
                let tf = if field == Field::Folder {
                    f.folder
                } else {
                    f.path
                };
                let toks = self.tokens(An::Folded, text);
                all_terms(tf, toks)
            }
            Field::Lang => Some(exact(f.lang, &text.to_ascii_lowercase())),
            Field::Has => {
                let v = text.to_ascii_lowercase();
                let v = match v.as_str() {
                    "attachments" | "attach" => "attachment",
                    "copy" | "duplicates" => "copies",
                    "problem" => "problems",
                    other => other,
                };
                Some(exact(f.has, v))
            }
            Field::Tag => match self.tags {
                Some(lookup) => {
                    let terms: Vec<Term> = lookup(text)
                        .iter()
                        .map(|k| Term::from_field_text(f.key, k))
                        .collect();
                    Some(Box::new(tantivy::query::TermSetQuery::new(terms)) as Q)
                }
                None => Some(exact(f.tag, text)),
            },
            Field::Kind => Some(exact(f.kind, &text.to_ascii_lowercase())),
            Field::Flag => {
                let v = text.to_ascii_lowercase();
                let v = match v.as_str() {
                    "macros" | "vba" => "macro",
                    "exe" | "executables" | "program" => "executable",
                    "encryption" | "password" => "encrypted",
                    "js" => "javascript",
                    "zipbomb" | "ratio" => "bomb",
                    "extension" => "mismatch",
                    other => other,
                };
                Some(exact(f.flag, v))
            }
            Field::Author => self.analyzed(f.author, An::Folded, text, 0),
            Field::Size | Field::Date => {
                return Err(self.err("a range field needs a range value", span));
            }
            Field::From | Field::To | Field::Cc | Field::Bcc | Field::Participant => None,
        })
    }

    fn phrase(
        &mut self,
        field: Option<Field>,
        text: &str,
        slop: u32,
        span: Span,
    ) -> Result<Option<Q>, QueryError> {
        let f = self.f;
        match field {
            None => Ok(Self::union(vec![
                self.analyzed(f.subject_exact, An::Folded, text, slop),
                self.analyzed(f.body_exact, An::Folded, text, slop),
                self.analyzed(f.attachment, An::Folded, text, slop),
                self.analyzed(f.participant, An::Folded, text, slop),
            ])),
            Some(Field::Subject) => Ok(self.analyzed(f.subject_exact, An::Folded, text, slop)),
            Some(Field::Body) => Ok(self.analyzed(f.body_exact, An::Folded, text, slop)),
            Some(Field::Attachment) => Ok(self.analyzed(f.attachment, An::Folded, text, slop)),
            Some(Field::Author) => Ok(self.analyzed(f.author, An::Folded, text, slop)),
            Some(af) if self.address_field(af).is_some() => {
                let tf = self.address_field(af).unwrap_or(f.participant);
                if text.contains('@') || (!text.contains(' ') && text.contains('.')) {
                    return Ok(address_term(tf, text));
                }
                Ok(self.analyzed(tf, An::Folded, text, slop))
            }
            Some(other) => self.term(Some(other), text, span),
        }
    }

    fn wildcard(
        &mut self,
        field: Option<Field>,
        pattern: &str,
        span: Span,
    ) -> Result<Option<Q>, QueryError> {
        let f = self.f;
        let folded = fold_atom(pattern);
        let mut re = String::new();
        for c in folded.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&escape(&c.to_string())),
            }
        }
        let targets: Vec<TField> = match field {
            None => vec![f.subject_exact, f.body_exact, f.attachment, f.participant],
            Some(Field::Subject) => vec![f.subject_exact],
            Some(Field::Body) => vec![f.body_exact],
            Some(Field::Attachment) => vec![f.attachment],
            Some(Field::Folder) => vec![f.folder],
            Some(Field::Path) => vec![f.path],
            Some(Field::Mime) => vec![f.mime],
            Some(Field::Tag) => vec![f.tag],
            Some(Field::Author) => vec![f.author],
            Some(Field::Source) => {
                return Ok(Some(self.regex(f.source, &format!("(?i){re}"), span)?));
            }
            Some(af) => match self.address_field(af) {
                Some(tf) => vec![tf],
                None => {
                    return Err(self.err(format!("{}: does not take wildcards", af.name()), span));
                }
            },
        };
        let mut qs = Vec::new();
        for t in targets {
            qs.push(Some(self.regex(t, &re, span)?));
        }
        Ok(Self::union(qs))
    }

    fn regex(&self, field: TField, re: &str, span: Span) -> Result<Q, QueryError> {
        let regex =
            tantivy_fst::Regex::new(re).map_err(|e| self.err(format!("bad pattern: {e}"), span))?;
        Ok(match &self.budget {
            Some(b) => Box::new(Bounded::new(field, Arc::new(regex), span, b.clone())),
            None => Box::new(RegexQuery::from_regex(regex, field)),
        })
    }

    fn fuzzy(
        &mut self,
        field: Option<Field>,
        text: &str,
        distance: u8,
        span: Span,
    ) -> Result<Option<Q>, QueryError> {
        let f = self.f;
        let word = fold(text);
        if word.is_empty() || word.contains(' ') {
            return Err(self.err("fuzzy matching works on one word", span));
        }
        let targets: Vec<TField> = match field {
            None => vec![f.subject_exact, f.body_exact, f.participant],
            Some(Field::Subject) => vec![f.subject_exact],
            Some(Field::Body) => vec![f.body_exact],
            Some(Field::Attachment) => vec![f.attachment],
            Some(af) => match self.address_field(af) {
                Some(tf) => vec![tf],
                None => {
                    return Err(
                        self.err(format!("{}: does not take fuzzy matching", af.name()), span)
                    );
                }
            },
        };
        let mut parts = Vec::with_capacity(targets.len());
        // One automaton for the word, whatever the field (building it is the costly part).
        let mut dfa = None;
        for t in targets {
            let q = FuzzyTermQuery::new(Term::from_field_text(t, &word), distance, true);
            parts.push(Some(match &self.budget {
                Some(b) => {
                    let automaton = match &dfa {
                        Some(a) => Arc::clone(a),
                        None => {
                            let a = Arc::new(
                                q.automaton()
                                    .map_err(|e| self.err(format!("fuzzy matching: {e}"), span))?,
                            );
                            dfa = Some(a.clone());
                            a
                        }
                    };
                    Box::new(Bounded::new(t, automaton, span, b.clone())) as Q
                }
                None => Box::new(q) as Q,
            }));
        }
        Ok(Self::union(parts))
    }

    fn range(
        &self,
        field: Field,
        lower: &Bound,
        upper: &Bound,
        span: Span,
    ) -> Result<Q, QueryError> {
        match field {
            Field::Date => {
                let lo = match lower {
                    Bound::Unbounded => B::Unbounded,
                    Bound::Included(v) => B::Included(self.date(v, span)?.0),
                    Bound::Excluded(v) => B::Included(self.date(v, span)?.1),
                };
                let hi = match upper {
                    Bound::Unbounded => B::Unbounded,
                    Bound::Included(v) => B::Excluded(self.date(v, span)?.1),
                    Bound::Excluded(v) => B::Excluded(self.date(v, span)?.0),
                };
                let t = |b: B<i64>| b.map(|v| Term::from_field_i64(self.f.date, v));
                Ok(Box::new(RangeQuery::new(t(lo), t(hi))))
            }
            Field::Size => {
                let lo = match lower {
                    Bound::Unbounded => B::Unbounded,
                    Bound::Included(v) => B::Included(self.size(v, span)?),
                    Bound::Excluded(v) => B::Excluded(self.size(v, span)?),
                };
                let hi = match upper {
                    Bound::Unbounded => B::Unbounded,
                    Bound::Included(v) => B::Included(self.size(v, span)?),
                    Bound::Excluded(v) => B::Excluded(self.size(v, span)?),
                };
                let t = |b: B<u64>| b.map(|v| Term::from_field_u64(self.f.size, v));
                Ok(Box::new(RangeQuery::new(t(lo), t(hi))))
            }
            other => Err(self.err(format!("{}: does not take ranges", other.name()), span)),
        }
    }

    /// A date as the interval it names, in unix seconds: `2021` is the year, `2019-08` the
    /// month, `2019-08-15` the day (UTC).
    fn date(&self, v: &str, span: Span) -> Result<(i64, i64), QueryError> {
        let bad = || {
            self.err(
                format!("'{v}' is not a date (use 2021, 2019-08 or 2019-08-15)"),
                span,
            )
        };
        let parts: Vec<&str> = v.split('-').collect();
        let num = |s: &str| s.parse::<i32>().map_err(|_| bad());
        let (start, end) = match parts.as_slice() {
            [y] if y.len() == 4 => {
                let y = num(y)?;
                (
                    NaiveDate::from_ymd_opt(y, 1, 1),
                    NaiveDate::from_ymd_opt(y + 1, 1, 1),
                )
            }
            [y, m] => {
                let (y, m) = (num(y)?, num(m)? as u32);
                let s = NaiveDate::from_ymd_opt(y, m, 1);
                let e = s.and_then(|d| {
                    if m == 12 {
                        NaiveDate::from_ymd_opt(y + 1, 1, 1)
                    } else {
                        NaiveDate::from_ymd_opt(d.year(), m + 1, 1)
                    }
                });
                (s, e)
            }
            [y, m, d] => {
                let s = NaiveDate::from_ymd_opt(num(y)?, num(m)? as u32, num(d)? as u32);
                (s, s.and_then(|d| d.succ_opt()))
            }
            _ => (None, None),
        };
        let ts = |d: Option<NaiveDate>| -> Result<i64, QueryError> {
            let d = d.ok_or_else(bad)?;
            Ok(Utc
                .from_utc_datetime(&d.and_hms_opt(0, 0, 0).ok_or_else(bad)?)
                .timestamp())
        };
        Ok((ts(start)?, ts(end)?))
    }

    /// `1024`, `10K`, `1.5M`, `2G` (binary units).
    fn size(&self, v: &str, span: Span) -> Result<u64, QueryError> {
        let t = v.trim().to_ascii_uppercase();
        let t = t.trim_end_matches('B');
        let (num, mult) = match t.chars().last() {
            Some('K') => (&t[..t.len() - 1], 1u64 << 10),
            Some('M') => (&t[..t.len() - 1], 1 << 20),
            Some('G') => (&t[..t.len() - 1], 1 << 30),
            _ => (t, 1),
        };
        let n: f64 = num
            .parse()
            .map_err(|_| self.err(format!("'{v}' is not a size (use 500, 10K, 1M, 2G)"), span))?;
        Ok((n * mult as f64) as u64)
    }
}

fn exact(field: TField, v: &str) -> Q {
    Box::new(TermQuery::new(
        Term::from_field_text(field, v),
        IndexRecordOption::Basic,
    ))
}

fn words_query(field: TField, toks: Vec<String>, slop: u32) -> Option<Q> {
    match toks.len() {
        0 => None,
        1 => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, &toks[0]),
            IndexRecordOption::WithFreqs,
        ))),
        _ => {
            let terms: Vec<(usize, Term)> = toks
                .iter()
                .enumerate()
                .map(|(i, t)| (i, Term::from_field_text(field, t)))
                .collect();
            Some(Box::new(PhraseQuery::new_with_offset_and_slop(terms, slop)))
        }
    }
}

fn all_terms(field: TField, toks: Vec<String>) -> Option<Q> {
    let mut qs: Vec<Q> = toks.iter().map(|t| exact(field, t)).collect();
    match qs.len() {
        0 => None,
        1 => qs.pop(),
        _ => Some(Box::new(BooleanQuery::intersection(qs))),
    }
}

/// `from:` and friends: a whole address or domain (`x@y.mx`, `defensa.gob.mx`) as one term,
/// otherwise the words (name words, local part).
fn address_term(field: TField, text: &str) -> Option<Q> {
    let t = text.trim();
    if t.contains('@') || (t.contains('.') && !t.contains(' ')) {
        return Some(exact(
            field,
            &fold_atom(t.trim_matches(|c| c == '<' || c == '>')),
        ));
    }
    let toks: Vec<String> = fold(t)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words_query(field, toks, 0)
}

/// Escapes regex metacharacters.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
