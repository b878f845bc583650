//! Reading order of a PDF page from glyph positions, whatever order the content stream draws
//! them in.
//!
//! 1. Glyphs become *runs*: stretches on one baseline without a gap wider than a column
//!    gutter could be.
//! 2. Runs become *lines* by baseline, top to bottom.
//! 3. Lines become *blocks* of one column layout: a line whose wide gaps (gutters) a block
//!    shares, or that fits inside one of its columns, joins it; a line that crosses a gutter
//!    starts a new block. A title over two columns, the columns, and a footer under them are
//!    three blocks.
//! 4. A block is read column by column, each column line by line.
//!
//! No recursion, and pages with absurd glyph counts fall back to plain line order.

/// One glyph: its character, box (PDF points, y up), baseline origin and font size.
#[derive(Debug, Clone, Copy)]
pub struct Glyph {
    pub c: char,
    pub x0: f32,
    pub x1: f32,
    pub y0: f32,
    pub y1: f32,
    /// Baseline y.
    pub base: f32,
    pub size: f32,
}

#[derive(Debug, Clone)]
struct Run {
    text: String,
    x0: f32,
    x1: f32,
    base: f32,
    size: f32,
    pending_space: bool,
    /// Left edge of the last glyph (ligatures give their letters one shared box).
    last_x0: f32,
}

/// Runs on one page above this are ordered by lines only.
const MAX_RUNS: usize = 20_000;

/// The text of a page, in reading order.
pub fn page_text(glyphs: &[Glyph]) -> String {
    let runs = runs(glyphs);
    if runs.is_empty() {
        return String::new();
    }
    let lines = lines(runs);
    if lines.iter().map(Vec::len).sum::<usize>() > MAX_RUNS {
        return lines.iter().map(|l| join(l)).collect::<Vec<_>>().join("\n");
    }
    let mut out = String::new();
    for block in blocks(&lines) {
        for col in 0..=block.gutters.len() {
            for line in &block.lines {
                let in_col: Vec<&Run> = line
                    .iter()
                    .filter(|r| column_of(&block.gutters, r) == col)
                    .collect();
                if in_col.is_empty() {
                    continue;
                }
                let owned: Vec<Run> = in_col.into_iter().cloned().collect();
                out.push_str(&join(&owned));
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out.trim_end().to_owned()
}

fn size_of(g: &Glyph) -> f32 {
    let h = (g.y1 - g.y0).abs();
    let s = if g.size.is_finite() && g.size >= 2.0 && g.size < 500.0 {
        g.size
    } else {
        (h * 1.4).max(1.0)
    };
    s.clamp(1.0, 500.0)
}

fn runs(glyphs: &[Glyph]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut cur: Option<Run> = None;
    for g in glyphs {
        if !(g.x0.is_finite() && g.x1.is_finite() && g.base.is_finite()) {
            continue;
        }
        if g.c == '\n' || g.c == '\r' {
            if let Some(r) = cur.take() {
                out.push(r);
            }
            continue;
        }
        if g.c.is_whitespace() {
            if let Some(r) = cur.as_mut() {
                r.pending_space = true;
            }
            continue;
        }
        let size = size_of(g);
        let continues = cur.as_ref().is_some_and(|r| {
            let s = r.size.max(size);
            let gap = g.x0 - r.x1;
            (g.base - r.base).abs() < 0.4 * s
                && (gap > -0.6 * s || g.x0 >= r.last_x0 - 0.1 * s)
                && gap < 1.1 * s
        });
        if !continues && let Some(r) = cur.take() {
            out.push(r);
        }
        match cur.as_mut() {
            Some(r) => {
                let gap = g.x0 - r.x1;
                if (r.pending_space || gap > 0.22 * r.size.max(size)) && !r.text.ends_with(' ') {
                    r.text.push(' ');
                }
                r.pending_space = false;
                r.text.push(g.c);
                r.x1 = r.x1.max(g.x1);
                r.x0 = r.x0.min(g.x0);
                r.size = r.size.max(size);
                r.last_x0 = g.x0;
            }
            None => {
                cur = Some(Run {
                    text: g.c.to_string(),
                    x0: g.x0,
                    x1: g.x1,
                    base: g.base,
                    size,
                    pending_space: false,
                    last_x0: g.x0,
                })
            }
        }
    }
    if let Some(r) = cur {
        out.push(r);
    }
    out
}

/// Runs grouped into lines by baseline, top to bottom, each sorted left to right.
fn lines(mut runs: Vec<Run>) -> Vec<Vec<Run>> {
    runs.sort_by(|a, b| b.base.total_cmp(&a.base).then(a.x0.total_cmp(&b.x0)));
    let mut out: Vec<Vec<Run>> = Vec::new();
    let mut line_base = f32::NAN;
    for r in runs {
        let same = out.last().is_some_and(|l: &Vec<Run>| {
            let s = l.iter().map(|x| x.size).fold(r.size, f32::max);
            (line_base - r.base).abs() < 0.35 * s
        });
        if same {
            if let Some(l) = out.last_mut() {
                l.push(r);
            }
        } else {
            line_base = r.base;
            out.push(vec![r]);
        }
    }
    for l in &mut out {
        l.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    out
}

/// The wide gaps of a line: x-intervals between runs wider than a gutter.
fn gaps(line: &[Run]) -> Vec<(f32, f32)> {
    let mut out = Vec::new();
    let mut right = f32::NEG_INFINITY;
    for (i, r) in line.iter().enumerate() {
        if i > 0 {
            let s = r.size.max(line[i - 1].size);
            if r.x0 - right >= 1.0 * s {
                out.push((right, r.x0));
            }
        }
        right = right.max(r.x1);
    }
    out
}

struct Block<'a> {
    gutters: Vec<(f32, f32)>,
    lines: Vec<&'a [Run]>,
}

/// A run crosses a gutter when it spans the gutter's middle.
fn crosses(r: &Run, g: (f32, f32)) -> bool {
    let mid = (g.0 + g.1) / 2.0;
    r.x0 < mid && r.x1 > mid
}

fn column_of(gutters: &[(f32, f32)], r: &Run) -> usize {
    let mid = (r.x0 + r.x1) / 2.0;
    gutters.iter().filter(|g| mid > (g.0 + g.1) / 2.0).count()
}

fn blocks(lines: &[Vec<Run>]) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    for line in lines {
        let line_gaps = gaps(line);
        let base = line.first().map_or(0.0, |r| r.base);
        let size = line.iter().map(|r| r.size).fold(1.0, f32::max);
        if let Some(b) = out.last_mut() {
            // A wide vertical gap ends a block of columns (a footer under them is not a column).
            let near = b
                .lines
                .last()
                .and_then(|l| l.first())
                .is_none_or(|prev| prev.base - base < 3.0 * size);
            if near
                && !b.gutters.is_empty()
                && line
                    .iter()
                    .all(|r| b.gutters.iter().all(|&g| !crosses(r, g)))
            {
                // Fits the block's columns; narrow the gutters to what this line leaves free.
                let mut narrowed = b.gutters.clone();
                for g in &mut narrowed {
                    let left = line
                        .iter()
                        .filter(|r| r.x1 <= (g.0 + g.1) / 2.0)
                        .map(|r| r.x1)
                        .fold(g.0, f32::max);
                    let right = line
                        .iter()
                        .filter(|r| r.x0 >= (g.0 + g.1) / 2.0)
                        .map(|r| r.x0)
                        .fold(g.1, f32::min);
                    *g = (left, right);
                }
                if narrowed.iter().all(|g| g.1 - g.0 > 1.0) {
                    b.gutters = narrowed;
                    b.lines.push(line);
                    continue;
                }
            }
            if b.gutters.is_empty() && line_gaps.is_empty() {
                b.lines.push(line);
                continue;
            }
        }
        out.push(Block {
            gutters: line_gaps,
            lines: vec![line],
        });
    }
    out
}

fn join(runs: &[Run]) -> String {
    let mut s = String::new();
    for (i, r) in runs.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(r.text.trim_end());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &str, x: f32, base: f32, size: f32) -> Vec<Glyph> {
        let w = size * 0.5;
        s.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                c,
                x0: x + i as f32 * w,
                x1: x + (i as f32 + 1.0) * w,
                y0: base,
                y1: base + size * 0.7,
                base,
                size,
            })
            .collect()
    }

    #[test]
    fn two_columns_drawn_out_of_order() {
        let mut g = Vec::new();
        // Right column first, bottom up; then the title; then the left column.
        g.extend(word("cuatro", 300.0, 680.0, 10.0));
        g.extend(word("tres", 300.0, 692.0, 10.0));
        g.extend(word("TITULO GENERAL DEL OFICIO", 50.0, 720.0, 10.0));
        g.extend(word("uno", 50.0, 692.0, 10.0));
        g.extend(word("dos", 50.0, 680.0, 10.0));
        g.extend(word("pie", 50.0, 600.0, 10.0));
        assert_eq!(
            page_text(&g),
            "TITULO GENERAL DEL OFICIO\n\nuno\ndos\ntres\ncuatro\n\npie"
        );
    }

    #[test]
    fn spaces_from_gaps() {
        let mut g = word("hola", 0.0, 0.0, 10.0);
        g.extend(word("mundo", 23.0, 0.0, 10.0));
        assert_eq!(page_text(&g), "hola mundo");
    }
}
