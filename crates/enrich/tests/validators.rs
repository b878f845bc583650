//! Every validator against published valid examples (source named) or values whose check
//! digit is worked out in the comment, and against invalid ones.

use trove_enrich::ident::{self, Region};
use trove_enrich::{Kind, Persona, Problem};

#[test]
fn curp_published_examples() {
    // RENAPO's own example in its CURP documentation.
    let v = ident::curp("HEGG560427MVZRRL04");
    assert!(v.format_valid && v.checksum == Some(true), "{v:?}");
    assert_eq!(v.facts.birth_date.as_deref(), Some("1956-04-27"));
    assert_eq!(v.facts.sex, Some('M'));
    assert_eq!(v.facts.state.as_deref(), Some("VZ Veracruz"));
    assert!(v.is_exposure());
    // A born-abroad example: differentiator '0' → 1900s; state NE.
    let v = ident::curp("boxw310820hnerxn09");
    assert_eq!(v.normalized, "BOXW310820HNERXN09");
    assert_eq!(v.checksum, Some(true));
    assert_eq!(v.facts.state.as_deref(), Some("NE Nacido en el extranjero"));
    assert_eq!(v.facts.birth_date.as_deref(), Some("1931-08-20"));
}

#[test]
fn curp_invalid() {
    // Wrong check digit: format valid, checksum false, not an exposure.
    let v = ident::curp("HEGG560427MVZRRL05");
    assert!(v.format_valid);
    assert_eq!(v.checksum, Some(false));
    assert!(!v.is_exposure());
    // 31 February.
    assert_eq!(
        ident::curp("HEGG560231MVZRRL04").problem,
        Some(Problem::Date)
    );
    // Unknown state "ZZ".
    assert_eq!(
        ident::curp("HEGG560427MZZRRL04").problem,
        Some(Problem::Region)
    );
    assert_eq!(
        ident::curp("HEGG560427MVZRRL0").problem,
        Some(Problem::Length)
    );
    // Second letter must be a vowel or X.
    assert_eq!(
        ident::curp("HBGG560427MVZRRL04").problem,
        Some(Problem::Characters)
    );
}

#[test]
fn rfc_fisica_and_moral() {
    let v = ident::rfc("GODE561231GR8");
    assert!(v.format_valid && v.checksum == Some(true), "{v:?}");
    assert_eq!(v.facts.persona, Some(Persona::Fisica));
    assert_eq!(v.facts.date_yymmdd.as_deref(), Some("561231"));
    let v = ident::rfc("MAB-930714-8T4");
    assert!(v.format_valid && v.checksum == Some(true), "{v:?}");
    assert_eq!(v.facts.persona, Some(Persona::Moral));
    assert_eq!(v.normalized, "MAB9307148T4");
    // CUPU80082556?: the values weighted 13..2 sum to 1191 ≡ 3 (mod 11), 11 - 3 = 8.
    assert_eq!(ident::rfc("CUPU800825568").checksum, Some(true));
    assert_eq!(ident::rfc("CUPU800825569").checksum, Some(false));
}

#[test]
fn rfc_wrong_check_digit_stays_format_valid() {
    let v = ident::rfc("GODE561231GR9");
    assert!(v.format_valid);
    assert_eq!(v.checksum, Some(false));
    assert!(!v.is_exposure());
    assert_eq!(ident::rfc("GODE561331GR8").problem, Some(Problem::Date));
    assert_eq!(
        ident::rfc("GODE561231GR").problem,
        Some(Problem::Characters)
    );
    // The SAT's generic RFC of "público en general" is nobody's.
    let v = ident::rfc("XAXX010101000");
    assert!(
        v.format_valid && v.facts.generic && !v.is_exposure(),
        "{v:?}"
    );
}

#[test]
fn clabe_example() {
    // The CLABE of Banxico's and Wikipedia's description.
    let v = ident::clabe("032180000118359719");
    assert!(v.format_valid && v.checksum == Some(true));
    assert_eq!(v.facts.issuer.as_deref(), Some("032"));
    assert_eq!(ident::clabe("032 180 00011835971 9").checksum, Some(true));
    assert_eq!(ident::clabe("032180000118359718").checksum, Some(false));
    assert_eq!(
        ident::clabe("03218000011835971").problem,
        Some(Problem::Length)
    );
}

#[test]
fn nss_luhn() {
    // 1234567890 + Luhn digit 3 (the well-known Luhn example 12345678903).
    assert_eq!(ident::nss("12345678903").checksum, Some(true));
    assert_eq!(ident::nss("12345678904").checksum, Some(false));
    assert_eq!(ident::nss("1234567890").problem, Some(Problem::Length));
}

#[test]
fn ine_clave_structure() {
    let v = ident::ine_clave("GMVLMR80070501M100");
    assert!(v.format_valid && v.checksum.is_none(), "{v:?}");
    assert_eq!(v.facts.state.as_deref(), Some("01"));
    assert_eq!(v.facts.sex, Some('M'));
    // State 33 does not exist; 13th month neither.
    assert_eq!(
        ident::ine_clave("GMVLMR80070533M100").problem,
        Some(Problem::Region)
    );
    assert_eq!(
        ident::ine_clave("GMVLMR80130501M100").problem,
        Some(Problem::Date)
    );
}

#[test]
fn rut_chile() {
    // 76.086.428-5 is the example of SII-based validators; 12.345.678-5 worked out:
    // 8·2+7·3+6·4+5·5+4·6+3·7+2·2+1·3 = 138, 138 mod 11 = 6, 11-6 = 5.
    for ok in ["76.086.428-5", "76086428-5", "12.345.678-5", "7654321-6"] {
        let v = ident::rut(ok);
        assert!(v.format_valid && v.checksum == Some(true), "{ok}: {v:?}");
    }
    assert_eq!(ident::rut("12.345.678-5").normalized, "12345678-5");
    assert_eq!(ident::rut("12.345.678-K").checksum, Some(false));
    assert_eq!(
        ident::rut("12.345.678-X").problem,
        Some(Problem::Characters)
    );
    // A body whose check is 10 → K: 10000013? compute: 3·2+1·3+0+0+0+0+0+1·3=12 → 11-1=10 → K.
    assert_eq!(ident::rut("10000013-K").checksum, Some(true));
}

#[test]
fn el_salvador() {
    // 00016297-5: 0·9+0·8+0·7+1·6+6·5+2·4+9·3+7·2 = 85 → (10-5) mod 10 = 5.
    let v = ident::dui("00016297-5");
    assert!(v.format_valid && v.checksum == Some(true));
    assert_eq!(v.normalized, "00016297-5");
    assert_eq!(ident::dui("00016297-4").checksum, Some(false));
    // NIT with sequence 112 (> 100): the second algorithm.
    let v = ident::nit_sv("0614-280390-112-1");
    assert!(v.format_valid && v.checksum == Some(true), "{v:?}");
    assert_eq!(ident::nit_sv("0614-280390-112-2").checksum, Some(false));
    // NIT with sequence 101 → second; 0614-010190-101-5 worked out by the 2,7,6,5,4,3 weights.
    assert_eq!(ident::nit_sv("06140101901015").checksum, Some(true));
    assert_eq!(
        ident::nit_sv("0614-320190-101-5").problem,
        Some(Problem::Date)
    );
}

#[test]
fn peru() {
    // SUNAT companies' RUCs: 20512333797; prefix 10 embeds the DNI.
    assert_eq!(ident::ruc("20512333797").checksum, Some(true));
    let v = ident::ruc("10095508711");
    assert_eq!(v.checksum, Some(true));
    assert_eq!(v.facts.dni.as_deref(), Some("09550871"));
    assert_eq!(ident::ruc("20512333798").checksum, Some(false));
    assert_eq!(ident::ruc("30512333797").problem, Some(Problem::Prefix));
    // DNI: no check written → checksum None.
    let v = ident::dni_pe("45678912");
    assert!(v.format_valid && v.checksum.is_none());
    // With its check character: 1·3+2·2+3·7+4·6+5·5+6·4+7·3+8·2 = 138, 138 mod 11 = 6 →
    // digit "65432110987"[6] = '1', letter "KJIHGFEDCBA"[6] = 'E'.
    assert_eq!(ident::dni_pe("12345678-1").checksum, Some(true));
    assert_eq!(ident::dni_pe("12345678E").checksum, Some(true));
    assert_eq!(ident::dni_pe("12345678-2").checksum, Some(false));
}

#[test]
fn colombia() {
    // Published NITs: Bancolombia 890.903.938-8, DIAN 800.197.268-4.
    for ok in ["890.903.938-8", "800197268-4", "860034313-7"] {
        let v = ident::nit_co(ok);
        assert!(v.format_valid && v.checksum == Some(true), "{ok}: {v:?}");
    }
    assert_eq!(ident::nit_co("890.903.938-8").normalized, "890903938-8");
    assert_eq!(ident::nit_co("890.903.938-9").checksum, Some(false));
    let v = ident::cedula_co("1.023.456.789");
    assert!(v.format_valid && v.checksum.is_none());
    assert_eq!(v.normalized, "1023456789");
    assert_eq!(ident::cedula_co("12345").problem, Some(Problem::Length));
}

#[test]
fn email_addresses() {
    let v = ident::email("Juan.Perez@Sedena.GOB.MX");
    assert!(v.format_valid);
    assert_eq!(v.normalized, "Juan.Perez@sedena.gob.mx");
    assert!(!ident::email("juan..perez@x.mx").format_valid);
    assert!(!ident::email("juan@localhost").format_valid);
    assert!(!ident::email("@x.mx").format_valid);
}

#[test]
fn phones_to_e164() {
    let cases = [
        ("+52 55 5128 0000", None, "+525551280000"),
        // The mobile "1" after +52, dropped in 2019-2020.
        ("+52 1 55 1234 5678", None, "+525512345678"),
        // 044 and 01 prefixes of old Mexican mail.
        ("044 55 1234 5678", Some(Region::Mx), "+525512345678"),
        ("01 33 3612 3456", Some(Region::Mx), "+523336123456"),
        ("(55) 5128-0000", Some(Region::Mx), "+525551280000"),
        ("+56 9 8765 4321", None, "+56987654321"),
        ("2222-3333", Some(Region::Sv), "+50322223333"),
        ("7123 4567", Some(Region::Sv), "+50371234567"),
        ("987 654 321", Some(Region::Pe), "+51987654321"),
        ("(601) 381 4000", Some(Region::Co), "+576013814000"),
        ("310 555 1234", Some(Region::Co), "+573105551234"),
    ];
    for (written, region, e164) in cases {
        let v = ident::phone(written, region);
        assert!(v.format_valid, "{written}: {v:?}");
        assert_eq!(v.normalized, e164, "{written}");
    }
    let v = ident::phone("+56 9 8765 4321", None);
    assert_eq!(v.facts.country.as_deref(), Some("CL"));
    assert!(!ident::phone("123", None).format_valid);
    assert!(!ident::phone("+52 00 0000 0000", None).format_valid);
}

#[test]
fn cards() {
    // Test numbers the networks publish for integrations.
    for (n, issuer) in [
        ("4111 1111 1111 1111", "visa"),
        ("5555-5555-5555-4444", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
    ] {
        let v = ident::card(n);
        assert!(v.format_valid && v.checksum == Some(true), "{n}: {v:?}");
        assert_eq!(v.facts.issuer.as_deref(), Some(issuer));
    }
    assert_eq!(ident::card("4111111111111112").checksum, Some(false));
    assert_eq!(
        ident::card("9111111111111111").problem,
        Some(Problem::Prefix)
    );
    assert_eq!(ident::card("411111111111").problem, Some(Problem::Length));
}

#[test]
fn ibans() {
    // ISO 13616's and the registry's examples.
    for ok in [
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "ES91 2100 0418 4502 0005 1332",
    ] {
        let v = ident::iban(ok);
        assert!(v.format_valid && v.checksum == Some(true), "{ok}: {v:?}");
    }
    assert_eq!(ident::iban("GB82WEST12345698765433").checksum, Some(false));
    assert_eq!(
        ident::iban("GB82WEST1234569876543").problem,
        Some(Problem::Length)
    );
    assert_eq!(
        ident::iban("QQ82WEST12345698765432").problem,
        Some(Problem::Region)
    );
}

#[test]
fn passports() {
    assert!(ident::passport("G12345678").format_valid);
    assert!(ident::passport("AB1234567").format_valid);
    assert!(!ident::passport("ABCD12345").format_valid);
    assert!(!ident::passport("G123").format_valid);
}

#[test]
fn validate_dispatches_every_kind() {
    for k in Kind::ALL {
        assert_eq!(ident::validate(k, "x").kind, k);
        assert!(!ident::validate(k, "x").format_valid, "{k:?}");
    }
}

/// Changing any one digit of a valid value to any other digit makes the check fail, for the
/// algorithms that guarantee it: CLABE (weights 3,7,1 are prime to 10), Luhn (NSS, cards),
/// mod 97 (IBAN) and mod 11 with weights 2..7 (RUT).
#[test]
fn one_digit_changed_fails_the_check() {
    let cases: [(Kind, &str); 6] = [
        (Kind::Clabe, "032180000118359719"),
        (Kind::Nss, "12345678903"),
        (Kind::Card, "4111111111111111"),
        (Kind::Card, "5555555555554444"),
        (Kind::Iban, "DE89370400440532013000"),
        (Kind::Rut, "76086428-5"),
    ];
    for (kind, valid) in cases {
        assert_eq!(ident::validate(kind, valid).checksum, Some(true), "{valid}");
        let chars: Vec<char> = valid.chars().collect();
        let mut tried = 0;
        for (i, c) in chars.iter().enumerate() {
            if !c.is_ascii_digit() {
                continue;
            }
            for d in '0'..='9' {
                if d == *c {
                    continue;
                }
                let mut m = chars.clone();
                m[i] = d;
                let m: String = m.into_iter().collect();
                let v = ident::validate(kind, &m);
                // A changed card prefix may leave the issuer ranges: not valid either way.
                assert!(!v.is_exposure(), "{kind:?} {m} still valid: {v:?}");
                tried += 1;
            }
        }
        assert!(tried >= 9 * 8, "{valid}: only {tried} mutations");
    }
}

/// Non-ASCII input of every length near the kinds' lengths: a typed invalid result, no panic.
#[test]
fn non_ascii_values_are_invalid_not_a_panic() {
    for k in Kind::ALL {
        for base in [
            "1234567é",
            "12345678é",
            "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑ",
            "HEGG560427MVZRRLÑ4",
            "GODÑ561231GR8",
            "é@é.mx",
            "+52 ５５",
        ] {
            let v = ident::validate(k, base);
            assert_eq!(v.kind, k);
            // A phone ignores what is not a digit (decoration); the rest must reject it.
            if k != Kind::Rfc && k != Kind::Phone {
                assert!(!v.is_exposure(), "{k:?} {base}: {v:?}");
            }
        }
    }
}
