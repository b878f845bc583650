//! The query language, parsed into a tree with byte spans so that errors can point at the
//! problem. See `docs/query-language.md` for the user's view.
//!
//! Precedence, loosest first: `OR` (`||`), `AND` (`&&`, or nothing: juxtaposed clauses must
//! all match, as in notmuch and web search), then the prefixes `NOT`/`!`/`-` (must not) and
//! `+` (must). Operators are upper case, so that Spanish `y`, `o`, `no` stay words.

use std::fmt;

/// A span of the query text, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A query that could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    pub message: String,
    pub span: Span,
    pub query: String,
}

impl QueryError {
    pub fn new(message: impl Into<String>, span: Span, query: &str) -> Self {
        QueryError {
            message: message.into(),
            span,
            query: query.to_owned(),
        }
    }

    /// The character column (0-based) where the problem starts.
    pub fn column(&self) -> usize {
        self.query
            .get(..self.span.start)
            .map_or(self.span.start, |p| p.chars().count())
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.column();
        let width = self
            .query
            .get(self.span.start..self.span.end)
            .map_or(1, |s| s.chars().count().max(1));
        write!(
            f,
            "{} (at column {})\n  {}\n  {}{}",
            self.message,
            col + 1,
            self.query,
            " ".repeat(col),
            "^".repeat(width)
        )
    }
}

/// Fields a clause can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    From,
    To,
    Cc,
    Bcc,
    Participant,
    Subject,
    Body,
    Attachment,
    Mime,
    Id,
    Thread,
    Source,
    Folder,
    Path,
    Lang,
    Has,
    Size,
    Date,
    Tag,
    Kind,
    /// Risk flags of attachments and documents.
    Flag,
    /// Authors in document metadata.
    Author,
}

impl Field {
    /// The field named in a query (`from`, `filename`, `mid`…), if any.
    pub fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "from" | "sender" => Field::From,
            "to" => Field::To,
            "cc" => Field::Cc,
            "bcc" => Field::Bcc,
            "participant" | "participants" | "contact" | "address" => Field::Participant,
            "subject" | "title" => Field::Subject,
            "body" | "text" => Field::Body,
            "attachment" | "filename" | "file" => Field::Attachment,
            "mime" | "mimetype" | "type" => Field::Mime,
            "id" | "mid" | "message-id" | "msgid" => Field::Id,
            "thread" => Field::Thread,
            "source" => Field::Source,
            "folder" | "maildir" => Field::Folder,
            "path" => Field::Path,
            "lang" | "language" => Field::Lang,
            "has" => Field::Has,
            "size" => Field::Size,
            "date" => Field::Date,
            "tag" | "is" => Field::Tag,
            "kind" => Field::Kind,
            "flag" | "flags" | "risk" => Field::Flag,
            "author" | "creator" => Field::Author,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::From => "from",
            Field::To => "to",
            Field::Cc => "cc",
            Field::Bcc => "bcc",
            Field::Participant => "participant",
            Field::Subject => "subject",
            Field::Body => "body",
            Field::Attachment => "attachment",
            Field::Mime => "mime",
            Field::Id => "id",
            Field::Thread => "thread",
            Field::Source => "source",
            Field::Folder => "folder",
            Field::Path => "path",
            Field::Lang => "lang",
            Field::Has => "has",
            Field::Size => "size",
            Field::Date => "date",
            Field::Tag => "tag",
            Field::Kind => "kind",
            Field::Flag => "flag",
            Field::Author => "author",
        }
    }

    /// Fields whose values are ranges rather than words.
    pub fn is_range(self) -> bool {
        matches!(self, Field::Size | Field::Date)
    }
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    Included(String),
    Excluded(String),
    Unbounded,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A word (stemmed in text fields).
    Term {
        field: Option<Field>,
        text: String,
        span: Span,
    },
    /// A quoted phrase (exact, folded), with an optional proximity slop.
    Phrase {
        field: Option<Field>,
        text: String,
        slop: u32,
        span: Span,
    },
    /// A word with `*` or `?` in it.
    Wildcard {
        field: Option<Field>,
        pattern: String,
        span: Span,
    },
    /// `word~N`: within N edits.
    Fuzzy {
        field: Option<Field>,
        text: String,
        distance: u8,
        span: Span,
    },
    /// `field:a..b`, `field:>a`, `field:[a TO b]`.
    Range {
        field: Field,
        lower: Bound,
        upper: Bound,
        span: Span,
    },
    /// Every clause must match (`must`), none of `not` may.
    And {
        must: Vec<Node>,
        not: Vec<Node>,
    },
    Or(Vec<Node>),
    /// A clause that must not match, on its own (`NOT a`).
    Not(Box<Node>),
    /// Everything (`*`, or an empty query).
    All,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String),
    LParen,
    RParen,
    LBracket,
    LBrace,
    And,
    Or,
    Not,
    Plus,
    Minus,
    /// `~N` after a phrase or word.
    Tilde(Option<u32>),
    /// `^N` boost: accepted and ignored.
    Caret,
    To,
    RBracket,
    RBrace,
}

struct Lexed {
    tok: Tok,
    span: Span,
    /// No whitespace between this token and the previous one.
    glued: bool,
}

fn lex(q: &str) -> Result<Vec<Lexed>, QueryError> {
    let mut out = Vec::new();
    let b = q.as_bytes();
    let mut i = 0;
    let mut prev_end = usize::MAX;
    while i < b.len() {
        let c = q[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let glued = prev_end == start;
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '[' => {
                i += 1;
                Tok::LBracket
            }
            ']' => {
                i += 1;
                Tok::RBracket
            }
            '{' => {
                i += 1;
                Tok::LBrace
            }
            '}' => {
                i += 1;
                Tok::RBrace
            }
            '"' | '\u{201c}' | '\u{201d}' => {
                i += c.len_utf8();
                let mut text = String::new();
                let mut closed = false;
                while i < b.len() {
                    let ch = q[i..].chars().next().unwrap_or('"');
                    i += ch.len_utf8();
                    match ch {
                        '\\' if i < b.len() => {
                            let n = q[i..].chars().next().unwrap_or(' ');
                            text.push(n);
                            i += n.len_utf8();
                        }
                        '"' | '\u{201c}' | '\u{201d}' => {
                            closed = true;
                            break;
                        }
                        ch => text.push(ch),
                    }
                }
                if !closed {
                    return Err(QueryError::new(
                        "unclosed quote",
                        Span {
                            start,
                            end: start + c.len_utf8(),
                        },
                        q,
                    ));
                }
                Tok::Phrase(text)
            }
            '~' if glued => {
                i += 1;
                let ds = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = if i > ds {
                    Some(q[ds..i].parse::<u32>().map_err(|_| {
                        QueryError::new("number too large", Span { start: ds, end: i }, q)
                    })?)
                } else {
                    None
                };
                Tok::Tilde(n)
            }
            '^' if glued => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                Tok::Caret
            }
            '+' if !glued => {
                i += 1;
                Tok::Plus
            }
            '-' if !glued => {
                i += 1;
                Tok::Minus
            }
            '!' if !glued => {
                i += 1;
                Tok::Not
            }
            '&' if q[i..].starts_with("&&") => {
                i += 2;
                Tok::And
            }
            '|' if q[i..].starts_with("||") => {
                i += 2;
                Tok::Or
            }
            _ => {
                let mut text = String::new();
                while i < b.len() {
                    let ch = q[i..].chars().next().unwrap_or(' ');
                    if ch.is_whitespace()
                        || matches!(
                            ch,
                            '(' | ')' | '"' | '[' | ']' | '{' | '}' | '\u{201c}' | '\u{201d}'
                        )
                    {
                        break;
                    }
                    if (ch == '~' || ch == '^') && !text.is_empty() {
                        break;
                    }
                    if ch == '\\' {
                        i += 1;
                        if let Some(n) = q[i..].chars().next() {
                            text.push(n);
                            i += n.len_utf8();
                        }
                        continue;
                    }
                    text.push(ch);
                    i += ch.len_utf8();
                    // A field prefix ends at its colon: `subject:"…"`, `from:(…)`.
                    if ch == ':' && Field::parse(&text[..text.len() - 1]).is_some() {
                        break;
                    }
                }
                match text.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    "TO" => Tok::To,
                    _ => Tok::Word(text),
                }
            }
        };
        prev_end = i;
        out.push(Lexed {
            tok,
            span: Span { start, end: i },
            glued,
        });
    }
    Ok(out)
}

/// Parses a query.
pub fn parse(q: &str) -> Result<Node, QueryError> {
    let toks = lex(q)?;
    let mut p = Parser {
        q,
        toks,
        pos: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Ok(Node::All);
    }
    let node = p.or_expr(None)?;
    if let Some(t) = p.toks.get(p.pos) {
        let what = match t.tok {
            Tok::RParen => "unbalanced ')'",
            _ => "unexpected token",
        };
        return Err(p.err(what, t.span));
    }
    Ok(node)
}

const MAX_DEPTH: usize = 64;

struct Parser<'q> {
    q: &'q str,
    toks: Vec<Lexed>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>, span: Span) -> QueryError {
        QueryError::new(msg, span, self.q)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn end_span(&self) -> Span {
        Span {
            start: self.q.len(),
            end: self.q.len(),
        }
    }

    fn or_expr(&mut self, field: Option<Field>) -> Result<Node, QueryError> {
        let mut parts = vec![self.and_expr(field)?];
        while self.peek() == Some(&Tok::Or) {
            let span = self.toks[self.pos].span;
            self.pos += 1;
            if matches!(
                self.peek(),
                None | Some(Tok::RParen) | Some(Tok::Or) | Some(Tok::And)
            ) {
                return Err(self.err("OR needs something after it", span));
            }
            parts.push(self.and_expr(field)?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Node::All)
        } else {
            Node::Or(parts)
        })
    }

    fn and_expr(&mut self, field: Option<Field>) -> Result<Node, QueryError> {
        let mut must = Vec::new();
        let mut not = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::RParen) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    let span = self.toks[self.pos].span;
                    self.pos += 1;
                    if must.is_empty() && not.is_empty() {
                        return Err(self.err("AND needs something before it", span));
                    }
                    if matches!(
                        self.peek(),
                        None | Some(Tok::RParen) | Some(Tok::Or) | Some(Tok::And)
                    ) {
                        return Err(self.err("AND needs something after it", span));
                    }
                }
                _ => {}
            }
            match self.peek() {
                Some(Tok::Not) | Some(Tok::Minus) => {
                    let span = self.toks[self.pos].span;
                    self.pos += 1;
                    if matches!(
                        self.peek(),
                        None | Some(Tok::RParen) | Some(Tok::Or) | Some(Tok::And)
                    ) {
                        return Err(self.err("NOT needs something after it", span));
                    }
                    not.push(self.clause(field)?);
                }
                Some(Tok::Plus) => {
                    self.pos += 1;
                    must.push(self.clause(field)?);
                }
                None | Some(Tok::RParen) | Some(Tok::Or) => break,
                _ => must.push(self.clause(field)?),
            }
        }
        if must.is_empty() && !not.is_empty() {
            // Only exclusions: everything but them.
            if not.len() == 1 {
                return Ok(Node::Not(Box::new(not.remove(0))));
            }
            return Ok(Node::Not(Box::new(Node::Or(not))));
        }
        if must.len() == 1 && not.is_empty() {
            return Ok(must.remove(0));
        }
        if must.is_empty() {
            let span = self.toks.get(self.pos).map_or(self.end_span(), |t| t.span);
            return Err(self.err("empty clause", span));
        }
        Ok(Node::And { must, not })
    }

    fn clause(&mut self, field: Option<Field>) -> Result<Node, QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.toks.get(self.pos).map_or(self.end_span(), |t| t.span);
            return Err(self.err("query nested too deeply", span));
        }
        let r = self.clause_inner(field);
        self.depth -= 1;
        r
    }

    fn clause_inner(&mut self, field: Option<Field>) -> Result<Node, QueryError> {
        let Some(t) = self.toks.get(self.pos) else {
            return Err(self.err("the query ends too early", self.end_span()));
        };
        let span = t.span;
        match &t.tok {
            Tok::Not | Tok::Minus => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.clause(field)?)))
            }
            Tok::Plus => {
                self.pos += 1;
                self.clause(field)
            }
            Tok::LParen => {
                self.pos += 1;
                let inner = if self.peek() == Some(&Tok::RParen) {
                    Node::All
                } else {
                    self.or_expr(field)?
                };
                match self.peek() {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.err("unclosed '('", span)),
                }
            }
            Tok::LBracket | Tok::LBrace => match field {
                Some(f) if f.is_range() => self.bracket_range(f),
                _ => Err(self.err(
                    "a [a TO b] range needs a date: or size: field in front",
                    span,
                )),
            },
            Tok::Phrase(text) => {
                let text = text.clone();
                self.pos += 1;
                let slop = self.tilde()?.unwrap_or(0);
                self.caret();
                if let Some(f) = field.filter(|f| f.is_range()) {
                    return self.range_value(f, &text, span);
                }
                Ok(Node::Phrase {
                    field,
                    text,
                    slop,
                    span,
                })
            }
            Tok::Word(w) => {
                let w = w.clone();
                self.pos += 1;
                self.word(field, w, span)
            }
            Tok::RParen => Err(self.err("unbalanced ')'", span)),
            Tok::And | Tok::Or => Err(self.err("operator without a clause before it", span)),
            Tok::To | Tok::RBracket | Tok::RBrace | Tok::Tilde(_) | Tok::Caret => {
                Err(self.err("unexpected token", span))
            }
        }
    }

    fn tilde(&mut self) -> Result<Option<u32>, QueryError> {
        if let Some(Lexed {
            tok: Tok::Tilde(n),
            glued: true,
            ..
        }) = self.toks.get(self.pos)
        {
            let n = *n;
            self.pos += 1;
            return Ok(Some(n.unwrap_or(2)));
        }
        Ok(None)
    }

    fn caret(&mut self) {
        if let Some(Lexed {
            tok: Tok::Caret,
            glued: true,
            ..
        }) = self.toks.get(self.pos)
        {
            self.pos += 1;
        }
    }

    fn word(&mut self, field: Option<Field>, w: String, span: Span) -> Result<Node, QueryError> {
        // field:value
        if field.is_none()
            && let Some(colon) = w.find(':')
        {
            let (name, rest) = (&w[..colon], &w[colon + 1..]);
            match Field::parse(name) {
                Some(f) => {
                    if rest.is_empty() {
                        // The value is the next token, glued: field:"…", field:(…), field:[…].
                        let next_glued = self.toks.get(self.pos).is_some_and(|t| t.glued);
                        if !next_glued {
                            return Err(self.err(format!("{name}: needs a value"), span));
                        }
                        return self.clause(Some(f));
                    }
                    let vspan = Span {
                        start: span.start + colon + 1,
                        end: span.end,
                    };
                    return self.value(f, rest.to_owned(), vspan);
                }
                None if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                    && !rest.starts_with("//") =>
                {
                    let known = "from, to, cc, bcc, participant, subject, body, attachment, filename, mime, id, thread, source, folder, path, lang, has, size, date, tag, kind";
                    return Err(self.err(
                        format!("unknown field '{name}' (fields: {known})"),
                        Span {
                            start: span.start,
                            end: span.start + colon,
                        },
                    ));
                }
                None => {}
            }
        }
        match field {
            Some(f) => self.value(f, w, span),
            None => self.plain(None, w, span),
        }
    }

    fn value(&mut self, f: Field, v: String, span: Span) -> Result<Node, QueryError> {
        if f.is_range() {
            return self.range_value(f, &v, span);
        }
        self.plain(Some(f), v, span)
    }

    fn plain(&mut self, field: Option<Field>, w: String, span: Span) -> Result<Node, QueryError> {
        if w == "*" && field.is_none() {
            return Ok(Node::All);
        }
        if let Some(d) = self.tilde()? {
            self.caret();
            if d > 2 {
                return Err(self.err("fuzzy distance is at most 2", span));
            }
            return Ok(Node::Fuzzy {
                field,
                text: w,
                distance: d as u8,
                span,
            });
        }
        self.caret();
        if w.contains(['*', '?']) {
            if w.chars().all(|c| c == '*' || c == '?') {
                return Err(self.err("a wildcard needs at least one letter", span));
            }
            return Ok(Node::Wildcard {
                field,
                pattern: w,
                span,
            });
        }
        Ok(Node::Term {
            field,
            text: w,
            span,
        })
    }

    /// `a..b`, `a..`, `..b`, `>a`, `>=a`, `<a`, `<=a`, `a`.
    fn range_value(&mut self, f: Field, v: &str, span: Span) -> Result<Node, QueryError> {
        let (lower, upper) = if let Some((a, b)) = v.split_once("..") {
            (
                if a.is_empty() {
                    Bound::Unbounded
                } else {
                    Bound::Included(a.into())
                },
                if b.is_empty() {
                    Bound::Unbounded
                } else {
                    Bound::Included(b.into())
                },
            )
        } else if let Some(a) = v.strip_prefix(">=") {
            (Bound::Included(a.into()), Bound::Unbounded)
        } else if let Some(a) = v.strip_prefix('>') {
            (Bound::Excluded(a.into()), Bound::Unbounded)
        } else if let Some(b) = v.strip_prefix("<=") {
            (Bound::Unbounded, Bound::Included(b.into()))
        } else if let Some(b) = v.strip_prefix('<') {
            (Bound::Unbounded, Bound::Excluded(b.into()))
        } else {
            (Bound::Included(v.into()), Bound::Included(v.into()))
        };
        if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) || v.is_empty() {
            return Err(self.err(format!("{}: needs a value", f.name()), span));
        }
        Ok(Node::Range {
            field: f,
            lower,
            upper,
            span,
        })
    }

    /// `[a TO b]`, `{a TO b}`, mixed, `*` for open ends.
    fn bracket_range(&mut self, f: Field) -> Result<Node, QueryError> {
        let open = &self.toks[self.pos];
        let start = open.span.start;
        let incl_lower = open.tok == Tok::LBracket;
        self.pos += 1;
        let value = |p: &mut Self| -> Result<String, QueryError> {
            match p.toks.get(p.pos) {
                Some(Lexed {
                    tok: Tok::Word(w), ..
                }) => {
                    let w = w.clone();
                    p.pos += 1;
                    Ok(w)
                }
                Some(Lexed {
                    tok: Tok::Phrase(w),
                    ..
                }) => {
                    let w = w.clone();
                    p.pos += 1;
                    Ok(w)
                }
                Some(t) => Err(p.err("expected a range value", t.span)),
                None => Err(p.err(
                    "unclosed range",
                    Span {
                        start,
                        end: start + 1,
                    },
                )),
            }
        };
        let a = value(self)?;
        match self.toks.get(self.pos) {
            Some(Lexed { tok: Tok::To, .. }) => self.pos += 1,
            Some(t) => return Err(self.err("expected TO", t.span)),
            None => {
                return Err(self.err(
                    "unclosed range",
                    Span {
                        start,
                        end: start + 1,
                    },
                ));
            }
        }
        let b = value(self)?;
        let incl_upper = match self.toks.get(self.pos) {
            Some(Lexed {
                tok: Tok::RBracket, ..
            }) => true,
            Some(Lexed {
                tok: Tok::RBrace, ..
            }) => false,
            Some(t) => return Err(self.err("expected ] or }", t.span)),
            None => {
                return Err(self.err(
                    "unclosed range",
                    Span {
                        start,
                        end: start + 1,
                    },
                ));
            }
        };
        let end = self.toks[self.pos].span.end;
        self.pos += 1;
        let bound = |v: String, incl: bool| match (v.as_str(), incl) {
            ("*", _) => Bound::Unbounded,
            (_, true) => Bound::Included(v),
            (_, false) => Bound::Excluded(v),
        };
        Ok(Node::Range {
            field: f,
            lower: bound(a, incl_lower),
            upper: bound(b, incl_upper),
            span: Span { start, end },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Node {
        parse(q).unwrap_or_else(|e| panic!("{e}"))
    }

    fn term(field: Option<Field>, text: &str, start: usize) -> Node {
        Node::Term {
            field,
            text: text.into(),
            span: Span {
                start,
                end: start + text.len(),
            },
        }
    }

    #[test]
    fn terms_and_operators() {
        assert_eq!(p(""), Node::All);
        assert_eq!(p("armas"), term(None, "armas", 0));
        assert_eq!(
            p("compra armas"),
            Node::And {
                must: vec![term(None, "compra", 0), term(None, "armas", 7)],
                not: vec![]
            }
        );
        assert!(matches!(p("a OR b c"), Node::Or(v) if v.len() == 2));
        assert!(
            matches!(p("a AND NOT b"), Node::And { must, not } if must.len() == 1 && not.len() == 1)
        );
        assert!(matches!(p("+a -b"), Node::And { must, not } if must.len() == 1 && not.len() == 1));
        assert!(matches!(p("-b"), Node::Not(_)));
        assert!(
            matches!(p("(a OR b) AND c"), Node::And { must, .. } if matches!(must[0], Node::Or(_)))
        );
        // Spanish words that look like operators are words.
        assert!(matches!(p("compra y venta o renta"), Node::And { must, .. } if must.len() == 5));
    }

    #[test]
    fn fields_phrases_fuzzy_wildcards() {
        assert_eq!(
            p("from:nunez"),
            Node::Term {
                field: Some(Field::From),
                text: "nunez".into(),
                span: Span { start: 5, end: 10 }
            }
        );
        assert!(
            matches!(p("from:\"José Núñez\""), Node::Phrase { field: Some(Field::From), ref text, slop: 0, .. } if text == "José Núñez")
        );
        assert!(matches!(
            p("\"compra armas\"~5"),
            Node::Phrase {
                field: None,
                slop: 5,
                ..
            }
        ));
        assert!(matches!(p("blindados~1"), Node::Fuzzy { distance: 1, .. }));
        assert!(matches!(p("blindados~"), Node::Fuzzy { distance: 2, .. }));
        assert!(
            matches!(p("contrat*"), Node::Wildcard { ref pattern, .. } if pattern == "contrat*")
        );
        assert!(
            matches!(p("from:(juan OR ana)"), Node::Or(ref v) if matches!(v[0], Node::Term { field: Some(Field::From), .. }))
        );
        assert!(matches!(
            p("filename:informe.pdf"),
            Node::Term {
                field: Some(Field::Attachment),
                ..
            }
        ));
        assert!(matches!(
            p("has:attachment"),
            Node::Term {
                field: Some(Field::Has),
                ..
            }
        ));
        // A colon inside a word that is not a field stays in the word.
        assert!(matches!(p("10:30"), Node::Term { field: None, ref text, .. } if text == "10:30"));
        assert!(matches!(p("http://x.mx/a"), Node::Term { field: None, .. }));
    }

    #[test]
    fn ranges() {
        let r = |q: &str| match p(q) {
            Node::Range {
                field,
                lower,
                upper,
                ..
            } => (field, lower, upper),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            r("date:2019-08..2019-12"),
            (
                Field::Date,
                Bound::Included("2019-08".into()),
                Bound::Included("2019-12".into())
            )
        );
        assert_eq!(
            r("date:2021"),
            (
                Field::Date,
                Bound::Included("2021".into()),
                Bound::Included("2021".into())
            )
        );
        assert_eq!(
            r("size:>1M"),
            (Field::Size, Bound::Excluded("1M".into()), Bound::Unbounded)
        );
        assert_eq!(
            r("date:..2019"),
            (
                Field::Date,
                Bound::Unbounded,
                Bound::Included("2019".into())
            )
        );
        assert_eq!(
            r("date:[2019-01-01 TO 2019-06-30]"),
            (
                Field::Date,
                Bound::Included("2019-01-01".into()),
                Bound::Included("2019-06-30".into())
            )
        );
        assert_eq!(
            r("date:{2019 TO *]"),
            (
                Field::Date,
                Bound::Excluded("2019".into()),
                Bound::Unbounded
            )
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("armas AND").unwrap_err();
        assert_eq!(e.span.start, 6);
        assert!(e.message.contains("AND"));
        let e = parse("(compra armas").unwrap_err();
        assert_eq!((e.span.start, e.message.as_str()), (0, "unclosed '('"));
        let e = parse("compra \"armas").unwrap_err();
        assert_eq!((e.span.start, e.message.as_str()), (7, "unclosed quote"));
        let e = parse("frm:juan").unwrap_err();
        assert_eq!(e.span, Span { start: 0, end: 3 });
        assert!(e.message.contains("unknown field 'frm'"));
        let e = parse("a )").unwrap_err();
        assert_eq!(e.span.start, 2);
        let e = parse("subject:").unwrap_err();
        assert!(e.message.contains("needs a value"));
        let e = parse("contraseña date:[2019 TO").unwrap_err();
        assert_eq!(e.column(), 16);
        assert!(e.to_string().contains("^"));
        assert!(parse("***").is_err());
        assert!(parse("x~3").is_err());
        assert!(parse(&"(".repeat(200)).is_err());
    }
}
