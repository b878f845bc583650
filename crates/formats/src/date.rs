//! Dates from headers, Received lines and mbox envelopes.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// Where a message's date came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The Date header.
    Header,
    /// The topmost Received header (the last hop).
    Received,
    /// The mbox envelope line.
    Envelope,
    /// The container's own record (file mtime, archive member time, store property).
    Container,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Header => "header",
            DateSource::Received => "received",
            DateSource::Envelope => "envelope",
            DateSource::Container => "container",
        }
    }
}

/// Earliest and latest dates believed: anything outside is a broken clock, not a date.
const MIN_PLAUSIBLE: i64 = 315_532_800; // 1980-01-01
const MAX_PLAUSIBLE: i64 = 4_102_444_800; // 2100-01-01

fn plausible(d: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    let t = d.timestamp();
    (MIN_PLAUSIBLE..MAX_PLAUSIBLE).contains(&t).then_some(d)
}

/// Parses an RFC 5322 date as real mail writes it (lenient: missing weekday, two-digit
/// years, named zones, extra comments).
pub fn parse_rfc5322(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return plausible(d);
    }
    if let Some(d) = mail_parser::DateTime::parse_rfc822(s).filter(|d| d.is_valid()) {
        let offset_secs = (d.tz_hour as i32 * 3600 + d.tz_minute as i32 * 60)
            * if d.tz_before_gmt { -1 } else { 1 };
        let offset = FixedOffset::east_opt(offset_secs)?;
        let utc = Utc.timestamp_opt(d.to_timestamp(), 0).single()?;
        return plausible(utc.with_timezone(&offset));
    }
    parse_asctime(s).or_else(|| DateTime::parse_from_rfc3339(s).ok().and_then(plausible))
}

/// Parses the asctime form of mbox envelopes: `Mon Jan  3 10:00:00 2005`, optionally with a
/// zone after the time or the year. Taken as UTC when no zone is given.
pub fn parse_asctime(s: &str) -> Option<DateTime<FixedOffset>> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    // Find month name, then day, time, year in any of the common orders.
    let mi = parts.iter().position(|p| month(p).is_some())?;
    let rest = &parts[mi..];
    if rest.len() < 4 {
        return None;
    }
    let mon = month(rest[0])?;
    let day: u32 = rest[1].trim_end_matches(',').parse().ok()?;
    let (time, year, zone) = if rest[2].contains(':') {
        // Mon Jan 3 10:00:00 [ZONE] 2005
        let year_idx = rest
            .iter()
            .skip(3)
            .position(|p| p.len() == 4 && p.parse::<i32>().is_ok())?
            + 3;
        let zone = rest
            .get(3)
            .filter(|_| year_idx == 4)
            .copied()
            .or_else(|| rest.get(year_idx + 1).copied());
        (rest[2], rest[year_idx].parse::<i32>().ok()?, zone)
    } else {
        // Mon Jan 3 2005 10:00:00 [ZONE]
        (
            rest.get(3)?.to_owned(),
            rest[2].parse::<i32>().ok()?,
            rest.get(4).copied(),
        )
    };
    let mut tp = time.split(':');
    let h: u32 = tp.next()?.parse().ok()?;
    let m: u32 = tp.next()?.parse().ok()?;
    let sec: u32 = tp.next().map(|x| x.parse().ok()).unwrap_or(Some(0))?;
    let naive = NaiveDateTime::new(
        chrono::NaiveDate::from_ymd_opt(year, mon, day)?,
        chrono::NaiveTime::from_hms_opt(h, m, sec.min(59))?,
    );
    let offset = zone
        .and_then(zone_offset)
        .unwrap_or(FixedOffset::east_opt(0)?);
    plausible(offset.from_local_datetime(&naive).single()?)
}

fn zone_offset(z: &str) -> Option<FixedOffset> {
    let b = z.as_bytes();
    if b.len() == 5 && (b[0] == b'+' || b[0] == b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let h: i32 = z[1..3].parse().ok()?;
        let m: i32 = z[3..5].parse().ok()?;
        let secs = (h * 3600 + m * 60) * if b[0] == b'-' { -1 } else { 1 };
        return FixedOffset::east_opt(secs);
    }
    let hours = match z.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

fn month(s: &str) -> Option<u32> {
    let s = s.get(..3)?.to_ascii_lowercase();
    let m = match s.as_str() {
        "jan" | "ene" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" | "abr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" | "ago" => 8,
        "sep" | "set" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" | "dic" => 12,
        _ => return None,
    };
    Some(m)
}

/// The date stamped on a Received header: the part after its last `;`.
pub fn received_date(value: &str) -> Option<DateTime<FixedOffset>> {
    let (_, date) = value.rsplit_once(';')?;
    parse_rfc5322(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(d: Option<DateTime<FixedOffset>>) -> String {
        d.map(|d| {
            d.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
    }

    #[test]
    fn rfc5322_variants() {
        assert_eq!(
            utc(parse_rfc5322("Mon, 3 Jan 2005 10:00:00 -0600")),
            "2005-01-03 16:00:00"
        );
        assert_eq!(
            utc(parse_rfc5322("3 Jan 2005 10:00:00 GMT")),
            "2005-01-03 10:00:00"
        );
        assert_eq!(
            utc(parse_rfc5322("Mon, 03 Jan 05 10:00 -0600 (CST)")),
            "2005-01-03 16:00:00"
        );
        assert_eq!(utc(parse_rfc5322("Thu, 1 Jan 1970 00:00:00 +0000")), "");
        assert_eq!(utc(parse_rfc5322("garbage")), "");
    }

    #[test]
    fn asctime() {
        assert_eq!(
            utc(parse_asctime("Mon Jan  3 10:00:00 2005")),
            "2005-01-03 10:00:00"
        );
        assert_eq!(
            utc(parse_asctime("Tue Mar 15 09:30:01 -0600 2016")),
            "2016-03-15 15:30:01"
        );
        assert_eq!(
            utc(parse_asctime("Tue Mar 15 09:30:01 2016 -0600")),
            "2016-03-15 15:30:01"
        );
        assert_eq!(utc(parse_asctime("nothing here")), "");
    }

    #[test]
    fn received() {
        let r = "from mx.sedena.gob.mx (10.1.1.1) by exch01 with ESMTP; Tue, 15 Mar 2016 09:30:01 -0600";
        assert_eq!(utc(received_date(r)), "2016-03-15 15:30:01");
    }
}
