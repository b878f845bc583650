//! Plain text and CSV in any charset; iCalendar and vCard reduced to readable lines.

use encoding_rs::{UTF_16BE, UTF_16LE};
use trove_formats::decode::{decode_text, html_meta_charset};

/// Decodes text bytes: a BOM decides (UTF-8, UTF-16), then a declared charset, then an HTML
/// `<meta charset>`, then UTF-16 without BOM (NULs in every other byte), then UTF-8 when
/// valid, else Windows-1252 (what Spanish-language Windows wrote). Returns the text and
/// whether some bytes could not be decoded.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> (String, bool) {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            std::str::from_utf8(rest).is_err(),
        );
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        let (s, bad) = UTF_16LE.decode_without_bom_handling(rest);
        return (s.into_owned(), bad);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        let (s, bad) = UTF_16BE.decode_without_bom_handling(rest);
        return (s.into_owned(), bad);
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        let (s, bad) = enc.decode_without_bom_handling(bytes);
        return (s.into_owned(), bad);
    }
    let declared = declared
        .map(str::to_owned)
        .or_else(|| html_meta_charset(bytes));
    let (s, note) = decode_text(bytes, declared.as_deref());
    (s, note.lossy)
}

/// UTF-16 text without a BOM: most of the NULs on one side of the byte pairs.
fn utf16_without_bom(b: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &b[..b.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even = sample.iter().step_by(2).filter(|&&x| x == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&x| x == 0)
        .count();
    if odd * 10 > pairs * 7 && even * 10 < pairs {
        Some(UTF_16LE)
    } else if even * 10 > pairs * 7 && odd * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// iCalendar and vCard: unfolded content lines, escapes undone, property names that matter
/// turned into labels (`SUMMARY:` → `Asunto:`…); other properties kept as they are.
pub fn calendar_text(s: &str) -> String {
    // Unfold: a line starting with a space or tab continues the previous one.
    let mut lines: Vec<String> = Vec::new();
    for raw in s.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.push_str(rest);
            continue;
        }
        lines.push(raw.to_owned());
    }
    let mut out = String::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let prop = name.split(';').next().unwrap_or("").to_ascii_uppercase();
        let params = name.to_ascii_uppercase();
        let value = if params.contains("ENCODING=QUOTED-PRINTABLE") {
            let bytes = qp(value.as_bytes());
            decode(&bytes, charset_param(&params).as_deref()).0
        } else {
            value.to_owned()
        };
        let value = value
            .replace("\\n", "\n")
            .replace("\\N", "\n")
            .replace("\\,", ",")
            .replace("\\;", ";")
            .replace("\\\\", "\\");
        let label = match prop.as_str() {
            "BEGIN" | "END" | "VERSION" | "PRODID" | "CALSCALE" | "METHOD" | "UID" | "SEQUENCE"
            | "DTSTAMP" | "X-WR-CALNAME" | "TZID" | "TZOFFSETFROM" | "TZOFFSETTO" | "RRULE"
            | "TRANSP" | "STATUS" | "CLASS" | "PRIORITY" | "REV" | "PHOTO" | "KEY" => continue,
            "SUMMARY" => "Asunto",
            "DESCRIPTION" => "Descripción",
            "LOCATION" => "Lugar",
            "DTSTART" => "Inicio",
            "DTEND" => "Fin",
            "ORGANIZER" => "Organizador",
            "ATTENDEE" => "Asistente",
            "FN" => "Nombre",
            "N" => "Nombre completo",
            "ORG" => "Organización",
            "TITLE" => "Cargo",
            "TEL" => "Teléfono",
            "EMAIL" => "Correo",
            "ADR" => "Dirección",
            "NOTE" => "Nota",
            "URL" => "URL",
            other => other,
        };
        let value = value
            .trim_start_matches("mailto:")
            .trim_start_matches("MAILTO:");
        let value = if prop == "N" || prop == "ADR" {
            value
                .split(';')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            value.to_owned()
        };
        if value.trim().is_empty() {
            continue;
        }
        out.push_str(label);
        out.push_str(": ");
        out.push_str(value.trim());
        out.push('\n');
    }
    out
}

fn charset_param(params: &str) -> Option<String> {
    params
        .split(';')
        .find_map(|p| p.strip_prefix("CHARSET=").map(|c| c.to_ascii_lowercase()))
}

fn qp(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() + 1 {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(decode(b"Informaci\xf3n", None).0, "Información");
        assert_eq!(decode("Información".as_bytes(), None).0, "Información");
        let utf16: Vec<u8> = "Año fiscal"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&utf16, None).0, "Año fiscal");
        let mut bom = vec![0xff, 0xfe];
        bom.extend(&utf16);
        assert_eq!(decode(&bom, None).0, "Año fiscal");
    }

    #[test]
    fn calendars() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Reuni\\, de seguimiento\r\nLOCATION:Ciudad de M\r\n éxico\r\nDTSTART:20190814T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let t = calendar_text(ics);
        assert!(t.contains("Asunto: Reuni, de seguimiento"), "{t}");
        assert!(t.contains("Lugar: Ciudad de México"), "{t}");
        let vcf = "BEGIN:VCARD\nVERSION:2.1\nN:Núñez;José;;Gral.\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Jos=E9 N=FA=F1ez\nTEL;WORK:+52 55 5626 5400\nEND:VCARD\n";
        let t = calendar_text(vcf);
        assert!(t.contains("Nombre: José Núñez"), "{t}");
        assert!(t.contains("Teléfono: +52 55 5626 5400"), "{t}");
    }
}
