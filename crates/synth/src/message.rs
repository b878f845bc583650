//! Authoring threads of mail and rendering each logical message into its per-mailbox copies.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::attach::{self, Cell, DocText};
use crate::manifest::{AttachmentRecord, MessageRecord};
use crate::mime::{
    self, Charset, Ew, When, b64_lines, encode, encoded_words, needs_quotes, pct, qp,
};
use crate::rng::{Rand, below, chance, mix64, pick_str, range, stream};
use crate::text::{amount, curp, date_es, phone, rfc, thousands, wrap};
use crate::vocab;
use crate::world::{Client, Kind, Person, World};
use crate::{Layout, SynthError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Folder {
    Inbox,
    Sent,
    Archive(i32),
}

impl Folder {
    pub fn name(self) -> String {
        match self {
            Folder::Inbox => "Bandeja de entrada".to_string(),
            Folder::Sent => "Enviados".to_string(),
            Folder::Archive(y) => format!("Archivo/{y}"),
        }
    }
    /// Maildir++ folder directory ("" for the inbox).
    pub fn maildir_dir(self) -> String {
        match self {
            Folder::Inbox => String::new(),
            Folder::Sent => ".Enviados".to_string(),
            Folder::Archive(y) => format!(".Archivo.{y}"),
        }
    }
}

/// One stored copy, fully rendered for its mailbox's layout.
pub struct CopyOut {
    pub custodian: u32,
    pub folder: Folder,
    /// Final bytes. For mbox mailboxes this includes the envelope line, mboxrd escaping and
    /// the trailing blank line.
    pub data: Vec<u8>,
    /// Maildir: `cur`/`new` and the file name.
    pub maildir: Option<(&'static str, String)>,
    pub delivered: When,
}

pub struct Rendered {
    pub record: MessageRecord,
    pub copies: Vec<CopyOut>,
    pub nested_zip_attachments: u64,
    pub zip_in_zip: u64,
    pub rfc822: bool,
}

#[derive(Clone)]
pub struct Att {
    pub filename: String,
    pub content_type: &'static str,
    pub kind: &'static str,
    pub data: Arc<Vec<u8>>,
    pub zip_in_zip: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Topic {
    Oficio,
    Informe,
    Contrato,
    Reunion,
    Inteligencia,
    Combustible,
    Personal,
    Informal,
    EnQuote,
    EnAttache,
    EnShipment,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MsgKind {
    New,
    Reply,
    Forward,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cte {
    SevenBit,
    EightBit,
    Qp,
    B64,
}

impl Cte {
    fn label(self) -> &'static str {
        match self {
            Cte::SevenBit => "7bit",
            Cte::EightBit => "8bit",
            Cte::Qp => "quoted-printable",
            Cte::B64 => "base64",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Structure {
    Plain,
    Alternative,
    HtmlOnly,
}

struct Authored {
    from: usize,
    to: Vec<usize>,
    cc: Vec<usize>,
    subject: String,
    when: When,
    message_id: String,
    references: Vec<String>,
    body: String,
    attachments: Vec<Att>,
    core: Vec<u8>,
}

const CONTRACT_OBJECTS: &[&str] = &[
    "adquisición de vehículos blindados",
    "mantenimiento preventivo y correctivo del parque vehicular",
    "suministro de combustible diésel y gasolina",
    "adquisición de chalecos balísticos nivel IV",
    "adquisición de equipo de radiocomunicación cifrada",
    "arrendamiento de helicópteros de transporte",
    "adquisición de raciones de campaña",
    "construcción de instalaciones militares",
    "adquisición de equipo de cómputo",
    "licenciamiento de software de análisis de información",
    "adquisición de drones de vigilancia",
    "servicio de limpieza de instalaciones",
];

const REPLY_ES: &[&str] = &[
    "Enterado.",
    "Enterado, se atiende lo solicitado.",
    "De conformidad.",
    "Recibido, gracias.",
    "Se toma nota.",
    "Quedo enterado y procedo a lo conducente.",
    "Por favor, dar seguimiento.",
    "Se remite la información solicitada.",
    "Favor de atender a la brevedad.",
    "Con gusto, en breve le envío la información.",
    "Visto bueno.",
    "Mi General, se atiende su instrucción.",
];
const FWD_ES: &[&str] = &[
    "Para su conocimiento.",
    "Para su atención y trámite correspondiente.",
    "Se reenvía para los fines procedentes.",
    "Te lo reenvío, revísalo por favor.",
    "Para su superior conocimiento.",
    "FYI",
];
const REPLY_EN: &[&str] = &[
    "Thank you, noted.",
    "Received, thanks.",
    "Please see my comments below.",
    "Confirmed.",
    "Thanks for the update.",
];
const FWD_EN: &[&str] = &[
    "FYI, see below.",
    "Forwarding for your review.",
    "Please see the message below.",
];

/// Thread-size distribution (index = size - 1).
const THREAD_SIZES: &[u32] = &[500, 200, 120, 70, 40, 25, 15, 10, 7, 5, 4, 4];

pub fn thread_size(rng: &mut Rand) -> usize {
    crate::rng::weighted(rng, THREAD_SIZES) + 1
}

fn smartify(s: &str) -> String {
    // Typographic quotes/dashes as Word's autocorrect produces them.
    let mut out = String::with_capacity(s.len() + 16);
    let mut open = true;
    for c in s.chars() {
        if c == '"' {
            out.push(if open { '“' } else { '”' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out.replace(" - ", " – ").replace("...", "…")
}

fn start_time(rng: &mut Rand) -> When {
    // 2010-01-01 .. 2022-11-20 in days since the epoch.
    let mut d = range(rng, 14610, 19316) as i64;
    let wd = (d + 3).rem_euclid(7); // 0 = Monday
    if wd >= 5 && chance(rng, 0.85) {
        d -= wd - 4;
    }
    const HOURS: &[u32] = &[2, 8, 12, 13, 11, 7, 8, 10, 10, 8, 5, 3, 2, 1, 1];
    let h = 7 + crate::rng::weighted(rng, HOURS) as i64;
    let local = d * 86400 + h * 3600 + range(rng, 0, 59) as i64 * 60 + range(rng, 0, 59) as i64;
    with_local(local)
}

fn with_local(local: i64) -> When {
    let m = When {
        unix: local,
        offset: 0,
    }
    .utc()
    .month;
    let offset = if (4..=10).contains(&m) {
        -5 * 3600
    } else {
        -6 * 3600
    };
    When {
        unix: local - i64::from(offset),
        offset,
    }
}

fn advance(rng: &mut Rand, w: When) -> When {
    // Log-uniform-ish delay between 3 minutes and ~2 days, in integer arithmetic only.
    let k = range(rng, 0, 9);
    let lo = 180u64 << k;
    let d = range(rng, lo, 2 * lo - 1) as i64;
    let mut local = w.unix + i64::from(w.offset) + d;
    // Mostly working hours: replies written at night are usually sent the next morning.
    let hour = local.rem_euclid(86_400) / 3600;
    if !(7..=21).contains(&hour) && chance(rng, 0.85) {
        let day = local.div_euclid(86_400) + i64::from(hour > 21);
        local = day * 86_400 + range(rng, 8 * 3600, 11 * 3600) as i64;
    }
    let mut next = with_local(local);
    // Across the DST change the offset moves by an hour; keep UTC strictly increasing.
    if next.unix <= w.unix + 60 {
        next = with_local(local + 3600);
    }
    next
}

fn message_id(client: Client, domain: &str, uid: u64, rng: &mut Rand) -> String {
    let r: u64 = rng.random();
    match client {
        Client::Outlook2007 => format!(
            "<000001{:016x}${:08x}${:08x}@{domain}>",
            uid,
            r as u32,
            (r >> 32) as u32
        ),
        Client::Outlook2010 | Client::Outlook2016 => {
            format!("<{uid:016X}{r:016X}@EXCH0{}.{domain}>", 1 + (r % 4))
        }
        Client::Gmail => {
            let mut b = uid.to_be_bytes().to_vec();
            b.extend_from_slice(&r.to_le_bytes());
            b.extend_from_slice(&mix64(r).to_le_bytes()[..6]);
            format!("<CA{}@mail.gmail.com>", URL_SAFE_NO_PAD.encode(&b))
        }
        Client::Hotmail => format!(
            "<BLU{}-W{}{uid:016X}@phx.gbl>",
            100 + r % 900,
            10 + (r >> 20) % 90
        ),
        Client::Thunderbird => format!("<{:08X}.{:08X}@{domain}>", (uid >> 32) as u32, uid as u32),
        Client::Notes => format!(
            "<OF{uid:016X}-ON{:08X}.{:08X}@{domain}>",
            r as u32,
            (r >> 32) as u32
        ),
        Client::IPhone => {
            let h = format!("{uid:016X}{r:016X}");
            format!(
                "<{}-{}-{}-{}-{}@{domain}>",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            )
        }
    }
}

fn domain_of(email: &str) -> &str {
    email.rsplit('@').next().unwrap_or("sedena.gob.mx")
}

struct Plan {
    charset: Charset,
    cte: Cte,
    structure: Structure,
    raw: bool,
    ew_cs: Charset,
    ew_subject: Ew,
    ew_names: Ew,
    split: bool,
    client: Client,
}

/// Topic pick for a thread.
fn pick_topic(rng: &mut Rand, english: bool) -> Topic {
    if english {
        return match below(rng, 3) {
            0 => Topic::EnQuote,
            1 => Topic::EnAttache,
            _ => Topic::EnShipment,
        };
    }
    const W: &[u32] = &[22, 16, 15, 12, 12, 8, 7, 8];
    match crate::rng::weighted(rng, W) {
        0 => Topic::Oficio,
        1 => Topic::Informe,
        2 => Topic::Contrato,
        3 => Topic::Reunion,
        4 => Topic::Inteligencia,
        5 => Topic::Combustible,
        6 => Topic::Personal,
        _ => Topic::Informal,
    }
}

fn unit_code(p: &Person) -> &'static str {
    vocab::UNITS.get(p.unit).map(|u| u.1).unwrap_or("EMDN")
}

fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn root_subject(w: &World, rng: &mut Rand, topic: Topic, from: &Person, when: When) -> String {
    let l = when.local();
    let lex = &w.lex;
    match topic {
        Topic::Oficio => {
            let what = match below(rng, 4) {
                0 => format!("Solicitud de {}", lex.topic_np(rng)),
                1 => format!("Remisión de {}", lex.topic_np(rng)),
                2 => format!("Respuesta a la solicitud de {}", lex.topic_np(rng)),
                _ => cap_first(&lex.topic_np(rng)),
            };
            format!(
                "Oficio No. {}/{}/{} {what}",
                unit_code(from),
                range(rng, 100, 9999),
                l.year
            )
        }
        Topic::Informe => match below(rng, 3) {
            0 => format!(
                "Informe {} de {}",
                pick_str(rng, &["semanal", "mensual", "trimestral", "quincenal"]),
                lex.topic_np(rng)
            ),
            1 => format!(
                "Parte de novedades {} {:02}/{:02}/{}",
                unit_code(from),
                l.day,
                l.month,
                l.year
            ),
            _ => format!("Reporte de {} en {}", lex.topic_np(rng), lex.place(rng).0),
        },
        Topic::Contrato => match below(rng, 3) {
            0 => format!(
                "Contrato DGA-AD-{:03}/{} {}",
                range(rng, 1, 999),
                l.year,
                pick_str(rng, CONTRACT_OBJECTS)
            ),
            1 => format!(
                "Licitación pública LA-007000999-E{}-{} {}",
                range(rng, 1, 120),
                l.year,
                pick_str(rng, CONTRACT_OBJECTS)
            ),
            _ => format!(
                "Propuesta económica {}",
                cap_first(pick_str(rng, CONTRACT_OBJECTS))
            ),
        },
        Topic::Reunion => match below(rng, 3) {
            0 => format!("Convocatoria a reunión de trabajo {}", date_es(rng)),
            1 => format!("Reunión de coordinación sobre {}", lex.topic_np(rng)),
            _ => format!(
                "Videoconferencia {} {:02}:00 hrs.",
                vocab::DAYS_ES[below(rng, 5)],
                range(rng, 8, 18)
            ),
        },
        Topic::Inteligencia => {
            let (c, s) = lex.place(rng);
            match below(rng, 3) {
                0 => format!(
                    "Resumen de inteligencia {c}, {s} {:02}/{:02}/{}",
                    l.day, l.month, l.year
                ),
                1 => format!("Tarjeta informativa No. {}", range(rng, 10, 2999)),
                _ => format!("Nota informativa: {}", lex.topic_np(rng)),
            }
        }
        Topic::Combustible => match below(rng, 3) {
            0 => format!(
                "Suministro de combustible {} {} {}",
                unit_code(from),
                vocab::MONTHS_ES[(l.month - 1) as usize],
                l.year
            ),
            1 => "Dotación de combustible y lubricantes".to_string(),
            _ => format!(
                "Vales de gasolina {}",
                vocab::MONTHS_ES[(l.month - 1) as usize]
            ),
        },
        Topic::Personal => match below(rng, 4) {
            0 => "Solicitud de vacaciones".to_string(),
            1 => format!("Cambio de adscripción {}", from.surname),
            2 => format!("Nómina quincenal {}/{}", range(rng, 1, 24), l.year),
            _ => format!(
                "Felicitación por {}",
                pick_str(
                    rng,
                    &["ascenso", "aniversario", "cumpleaños", "su nombramiento"]
                )
            ),
        },
        Topic::Informal => pick_str(
            rng,
            &[
                "hola",
                "fotos",
                "lo que me pediste",
                "comida del viernes",
                "¿ya viste esto?",
                "urgente!!",
                "pendientes",
                "Información",
            ],
        )
        .to_string(),
        Topic::EnQuote => format!(
            "Quotation for armored vehicles - {}",
            pick_str(rng, &["Level IV", "Level V", "B6", "B7"])
        ),
        Topic::EnAttache => format!(
            "Meeting with the Defense Attaché - {}",
            crate::text::date_en(rng)
        ),
        Topic::EnShipment => format!("Shipment PO-{} delivery schedule", range(rng, 1000, 99999)),
    }
}

fn topic_sentence(w: &World, rng: &mut Rand, topic: Topic) -> String {
    let lex = &w.lex;
    match topic {
        Topic::Contrato => match below(rng, 5) {
            0 => format!(
                "El proveedor {} presentó su propuesta económica por un monto de {}, incluyendo el Impuesto al Valor Agregado.",
                pick_str(
                    rng,
                    &vocab::SUPPLIERS.iter().map(|s| s.0).collect::<Vec<_>>()
                ),
                amount(rng)
            ),
            1 => format!(
                "Se requieren {} unidades con blindaje nivel {} conforme a la ficha técnica anexa.",
                range(rng, 2, 250),
                pick_str(rng, &["III", "IV", "V", "VI"])
            ),
            2 => format!(
                "La vigencia del contrato será del {} al {}.",
                date_es(rng),
                date_es(rng)
            ),
            3 => format!(
                "Se solicita la validación del área requirente para continuar con el procedimiento de {}.",
                pick_str(
                    rng,
                    &[
                        "adjudicación directa",
                        "licitación pública",
                        "invitación a cuando menos tres personas"
                    ]
                )
            ),
            _ => format!(
                "El pago se realizará con cargo a la partida presupuestal {} del ejercicio fiscal {}.",
                range(rng, 20000, 59999),
                range(rng, 2010, 2022)
            ),
        },
        Topic::Inteligencia => {
            let (c, s) = lex.place(rng);
            match below(rng, 5) {
                0 => {
                    let name = format!(
                        "{} {} {}",
                        pick_str(rng, vocab::GIVEN_M),
                        pick_str(rng, vocab::SURNAMES),
                        pick_str(rng, vocab::SURNAMES)
                    );
                    format!(
                        "Se tiene conocimiento de que {name} (a) \"{}\", presunto {} de {}, se encuentra en {c}, {s}.",
                        pick_str(rng, vocab::ALIASES),
                        pick_str(
                            rng,
                            &[
                                "líder",
                                "operador",
                                "integrante",
                                "jefe de plaza",
                                "financiero"
                            ]
                        ),
                        pick_str(rng, vocab::ORGS)
                    )
                }
                1 => {
                    format!(
                        "Dicho sujeto utiliza el número telefónico {} y cuenta con CURP {} y RFC {}.",
                        phone(rng),
                        curp(rng),
                        rfc(rng)
                    )
                }
                2 => format!(
                    "Se ubicó un inmueble en {} No. {}, col. {}, {c}, {s}, donde se observó el arribo de {} vehículos.",
                    pick_str(rng, vocab::STREETS),
                    range(rng, 1, 999),
                    pick_str(rng, vocab::COLONIAS),
                    range(rng, 2, 12)
                ),
                3 => format!(
                    "Fuentes abiertas reportan {} en el municipio de {c}.",
                    w.lex.topic_np(rng)
                ),
                _ => format!(
                    "Se recomienda reforzar el patrullaje en {c} y en la carretera {c} - {}.",
                    lex.place(rng).0
                ),
            }
        }
        Topic::Reunion => match below(rng, 3) {
            0 => format!(
                "Se convoca a usted a la reunión de trabajo que se llevará a cabo el día {} a las {:02}:{:02} horas en {}.",
                date_es(rng),
                range(rng, 8, 18),
                if chance(rng, 0.5) { 0 } else { 30 },
                pick_str(rng, vocab::MEETING_PLACES)
            ),
            1 => format!(
                "Se solicita confirmar su asistencia a la extensión {}.",
                range(rng, 1000, 9999)
            ),
            _ => {
                format!(
                    "Orden del día: 1. {}. 2. {}. 3. Asuntos generales.",
                    cap_first(&lex.topic_np(rng)),
                    cap_first(&lex.topic_np(rng))
                )
            }
        },
        Topic::Combustible => match below(rng, 2) {
            0 => format!(
                "Se autorizan {} litros de diésel y {} litros de gasolina para {} durante el mes de {}.",
                thousands(range(rng, 500, 90000)),
                thousands(range(rng, 500, 40000)),
                crate::text::unit_with_article(rng),
                vocab::MONTHS_ES[below(rng, 12)]
            ),
            _ => format!(
                "El consumo registrado en el periodo asciende a {} litros, equivalente a {}.",
                thousands(range(rng, 1000, 200000)),
                amount(rng)
            ),
        },
        Topic::Informe => match below(rng, 3) {
            0 => format!(
                "Durante el periodo que se informa se realizaron {} patrullajes de reconocimiento en {}.",
                range(rng, 3, 300),
                lex.place(rng).0
            ),
            1 => "Sin novedad en el personal, armamento, municiones y vehículos.".to_string(),
            _ => format!(
                "Se aseguraron {} armas de fuego, {} cartuchos y {} vehículos.",
                range(rng, 1, 60),
                thousands(range(rng, 10, 20000)),
                range(rng, 1, 30)
            ),
        },
        Topic::Personal => match below(rng, 4) {
            0 => format!(
                "Solicito me sean autorizados {} días de vacaciones correspondientes al {} periodo del {}.",
                range(rng, 3, 20),
                pick_str(rng, &["primer", "segundo"]),
                range(rng, 2010, 2022)
            ),
            1 => format!(
                "Se le comunica que a partir del {} causará alta en {}.",
                date_es(rng),
                crate::text::unit_with_article(rng)
            ),
            2 => format!(
                "El descuento por concepto de {} asciende a {}.",
                pick_str(
                    rng,
                    &[
                        "préstamo hipotecario",
                        "seguro de vida",
                        "fondo de ahorro",
                        "pensión alimenticia"
                    ]
                ),
                amount(rng)
            ),
            _ => format!(
                "Se anexa el comprobante de percepciones de la quincena {} del {}.",
                range(rng, 1, 24),
                range(rng, 2010, 2022)
            ),
        },
        _ => lex.sentence_es(rng),
    }
}

fn salutation(rng: &mut Rand, to: &Person) -> String {
    if to.rank.starts_with("Gral") && chance(rng, 0.5) {
        return "Mi General:".to_string();
    }
    let first_surname = to.surname.split(' ').next().unwrap_or("");
    match below(rng, 4) {
        0 if !to.rank.is_empty() => format!(
            "C. {} {}\n{}\nPresente.",
            to.rank,
            to.name.to_uppercase(),
            to.cargo
        ),
        1 => format!(
            "{} {} {}:",
            pick_str(rng, vocab::SALUTATIONS_ES),
            to.rank,
            first_surname
        )
        .replace("  ", " "),
        2 => format!("Estimado {}:", to.first),
        _ => "Buen día,".to_string(),
    }
}

fn signature(rng: &mut Rand, p: &Person, formal: bool) -> String {
    let mut s = String::new();
    if formal && chance(rng, 0.4) {
        s.push_str("Atentamente\n\"Sufragio Efectivo. No Reelección.\"\n");
    } else {
        s.push_str("Atentamente,\n");
    }
    if p.rank.is_empty() {
        s.push_str(&p.name);
    } else {
        s.push_str(&format!("{} {}", p.rank, p.name));
    }
    if !p.cargo.is_empty() {
        s.push('\n');
        s.push_str(p.cargo);
    }
    if !p.org.is_empty() {
        s.push('\n');
        s.push_str(&p.org);
    }
    if p.kind == Kind::Internal {
        s.push_str(&format!(
            "\nTel. {} - Red SEDENA {}",
            p.phone,
            range(rng, 1000, 9999)
        ));
    } else {
        s.push_str(&format!("\nTel. {}", p.phone));
    }
    s
}

fn wrap_body(text: &str) -> String {
    // Wrap each paragraph line at 76 columns, keeping blank lines and short lines.
    let mut out = String::with_capacity(text.len() + text.len() / 60);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.chars().count() > 76 {
            wrap(line, 76, &mut out);
        } else {
            out.push_str(line);
        }
    }
    out
}

fn body_new(w: &World, rng: &mut Rand, topic: Topic, from: &Person, to: &Person) -> String {
    let lex = &w.lex;
    let mut b = String::with_capacity(1500);
    match topic {
        Topic::Informal => {
            b.push_str(&format!("Hola {},\n\n", to.first));
            b.push_str(&cap_first(pick_str(rng, vocab::INFORMAL_ES)));
            b.push('.');
            if chance(rng, 0.5) {
                b.push(' ');
                b.push_str(&lex.sentence_es(rng));
            }
            b.push_str(&format!("\n\nSaludos\n{}", from.first));
            if from.client == Client::IPhone || chance(rng, 0.2) {
                b.push_str("\n\nEnviado desde mi iPhone");
            }
        }
        Topic::EnQuote | Topic::EnAttache | Topic::EnShipment => {
            let title = if to.rank.is_empty() { "Mr." } else { to.rank };
            let last = to.surname.split(' ').next().unwrap_or("");
            b.push_str(&format!(
                "Dear {title} {last},\n\n{}\n\n",
                pick_str(rng, vocab::EN_OPENINGS)
            ));
            let k = 1 + below(rng, 3);
            for _ in 0..k {
                let k = 2 + below(rng, 3);
                b.push_str(&lex.paragraph_en(rng, k));
                b.push_str("\n\n");
            }
            if chance(rng, 0.6) {
                b.push_str(&format!(
                    "From the attached report you will see that the {} was completed on schedule.\n\n",
                    w.lex.en_topic(rng)
                ));
            }
            if chance(rng, 0.15) {
                b.push_str(">From our records, the previous order was delivered in full.\n\n");
            }
            b.push_str(&format!(
                "{}\n{}\n{}\n{}",
                pick_str(rng, vocab::EN_CLOSINGS),
                from.name,
                from.cargo,
                from.org
            ));
            if !from.phone.is_empty() {
                b.push_str(&format!("\nPhone: {}", from.phone));
            }
        }
        _ => {
            b.push_str(&salutation(rng, to));
            b.push_str("\n\n");
            b.push_str(pick_str(rng, vocab::OPENINGS_ES));
            b.push_str(", ");
            let first = lex.sentence_es(rng);
            let mut fc = first.chars();
            if let Some(c) = fc.next() {
                b.extend(c.to_lowercase());
                b.push_str(fc.as_str());
            }
            b.push(' ');
            b.push_str(&topic_sentence(w, rng, topic));
            b.push_str("\n\n");
            let paras = 1 + below(rng, 3);
            for _ in 0..paras {
                let k = 1 + below(rng, 4);
                for j in 0..k {
                    if j > 0 {
                        b.push(' ');
                    }
                    if chance(rng, 0.22) {
                        b.push_str(&topic_sentence(w, rng, topic));
                    } else {
                        b.push_str(&lex.sentence_es(rng));
                    }
                }
                b.push_str("\n\n");
            }
            b.push_str(pick_str(rng, vocab::CLOSINGS_ES));
            b.push_str("\n\n");
            b.push_str(&signature(rng, from, topic == Topic::Oficio));
            if from.kind == Kind::Internal && chance(rng, 0.25) {
                b.push_str("\n\n");
                b.push_str(vocab::CONFIDENTIALITY_ES);
            }
        }
    }
    wrap_body(&b)
}

fn names_list(w: &World, ids: &[usize]) -> String {
    ids.iter()
        .map(|&i| {
            let p = w.person(i);
            if p.display.is_empty() {
                p.email.clone()
            } else {
                p.display.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn truncate_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    match s[..cut].rfind('\n') {
        Some(p) => &s[..p],
        None => &s[..cut],
    }
}

fn quote_block(
    w: &World,
    rng: &mut Rand,
    client: Client,
    english: bool,
    parent: &Authored,
    forward: bool,
) -> String {
    let pf = w.person(parent.from);
    let body = truncate_chars(&parent.body, 3000);
    let mut q = String::with_capacity(body.len() + 400);
    match client {
        Client::Gmail | Client::IPhone | Client::Thunderbird | Client::Notes if !forward => {
            let when = if english {
                parent.when.rfc5322()
            } else {
                parent.when.gmail_es()
            };
            if english {
                q.push_str(&format!("On {when}, {} <{}> wrote:\n", pf.name, pf.email));
            } else {
                q.push_str(&format!(
                    "El {when}, {} <{}> escribió:\n",
                    pf.name, pf.email
                ));
            }
            // Notes / old clients quote with a bare '>' (creates '>From ' lines).
            let bare =
                client == Client::Notes || (client == Client::Thunderbird && chance(rng, 0.5));
            for line in body.split('\n') {
                if line.is_empty() {
                    q.push_str(">\n");
                } else if bare || line.starts_with('>') {
                    q.push('>');
                    q.push_str(line);
                    q.push('\n');
                } else {
                    q.push_str("> ");
                    q.push_str(line);
                    q.push('\n');
                }
            }
        }
        Client::Gmail | Client::IPhone | Client::Thunderbird | Client::Notes => {
            q.push_str(if english {
                "---------- Forwarded message ---------\n"
            } else {
                "---------- Mensaje reenviado ---------\n"
            });
            q.push_str(&format!(
                "De: {} <{}>\nDate: {}\nSubject: {}\nTo: {}\n\n",
                pf.name,
                pf.email,
                parent.when.gmail_es(),
                parent.subject,
                names_list(w, &parent.to)
            ));
            q.push_str(body);
        }
        _ => {
            if english {
                q.push_str("-----Original Message-----\n");
                q.push_str(&format!(
                    "From: {} [mailto:{}]\nSent: {}\nTo: {}\n",
                    pf.name,
                    pf.email,
                    parent.when.outlook_en(),
                    names_list(w, &parent.to)
                ));
                if !parent.cc.is_empty() {
                    q.push_str(&format!("Cc: {}\n", names_list(w, &parent.cc)));
                }
                q.push_str(&format!("Subject: {}\n\n", parent.subject));
            } else {
                q.push_str(if forward {
                    "_____________________________________________\n"
                } else {
                    "-----Mensaje original-----\n"
                });
                q.push_str(&format!(
                    "De: {} [mailto:{}]\nEnviado el: {}\nPara: {}\n",
                    if pf.display.is_empty() {
                        &pf.email
                    } else {
                        &pf.display
                    },
                    pf.email,
                    parent.when.outlook_es(),
                    names_list(w, &parent.to)
                ));
                if !parent.cc.is_empty() {
                    q.push_str(&format!("CC: {}\n", names_list(w, &parent.cc)));
                }
                q.push_str(&format!("Asunto: {}\n\n", parent.subject));
            }
            q.push_str(body);
        }
    }
    q
}

fn prefix_for(client: Client, english: bool, forward: bool) -> &'static str {
    match (client.is_outlook(), english, forward) {
        (true, false, false) => "RE: ",
        (true, false, true) => "RV: ",
        (true, true, false) => "RE: ",
        (true, true, true) => "FW: ",
        (false, _, false) => "Re: ",
        (false, _, true) => "Fwd: ",
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn is_ascii(s: &str) -> bool {
    s.is_ascii()
}

fn addr_bytes(p: &Person, plan: &Plan) -> Vec<u8> {
    if p.display.is_empty() {
        return p.email.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(p.display.len() + p.email.len() + 8);
    if is_ascii(&p.display) {
        if needs_quotes(&p.display) {
            out.extend_from_slice(format!("\"{}\"", p.display).as_bytes());
        } else {
            out.extend_from_slice(p.display.as_bytes());
        }
    } else if plan.raw {
        out.push(b'"');
        out.extend_from_slice(&encode(&p.display, Charset::Cp1252));
        out.push(b'"');
    } else {
        let (ew, _) = encoded_words(&p.display, plan.ew_cs, plan.ew_names, false);
        out.extend_from_slice(ew.as_bytes());
    }
    out.extend_from_slice(format!(" <{}>", p.email).as_bytes());
    out
}

fn addr_header(out: &mut Vec<u8>, name: &str, w: &World, ids: &[usize], plan: &Plan) {
    if ids.is_empty() {
        return;
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    let mut col = name.len() + 2;
    for (i, &id) in ids.iter().enumerate() {
        let a = addr_bytes(w.person(id), plan);
        if i > 0 {
            if col + a.len() + 2 > 76 {
                out.extend_from_slice(b",\n\t");
                col = 1;
            } else {
                out.extend_from_slice(b", ");
                col += 2;
            }
        }
        col += a.len();
        out.extend_from_slice(&a);
    }
    out.push(b'\n');
}

fn text_header(out: &mut Vec<u8>, name: &str, value: &str, plan: &Plan, split: bool) -> bool {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    let mut did = false;
    if is_ascii(value) {
        // Fold long ASCII values at a space.
        let mut col = name.len() + 2;
        for (i, word) in value.split(' ').enumerate() {
            if i > 0 {
                if col + word.len() + 1 > 78 {
                    out.extend_from_slice(b"\n ");
                    col = 1;
                } else {
                    out.push(b' ');
                    col += 1;
                }
            }
            out.extend_from_slice(word.as_bytes());
            col += word.len();
        }
    } else if plan.raw {
        out.extend_from_slice(&encode(value, Charset::Cp1252));
    } else {
        let (ew, s) = encoded_words(value, plan.ew_cs, plan.ew_subject, split);
        did = s;
        out.extend_from_slice(ew.as_bytes());
    }
    out.push(b'\n');
    did
}

fn header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

fn refs_header(out: &mut Vec<u8>, refs: &[String]) {
    if refs.is_empty() {
        return;
    }
    out.extend_from_slice(b"References: ");
    for (i, r) in refs.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\n ");
        }
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b'\n');
}

enum Node {
    Leaf {
        head: Vec<u8>,
        body: Vec<u8>,
    },
    Multi {
        subtype: &'static str,
        boundary: String,
        parts: Vec<Node>,
        preamble: bool,
    },
}

fn write_node(n: &Node, out: &mut Vec<u8>) {
    match n {
        Node::Leaf { head, body } => {
            out.extend_from_slice(head);
            out.push(b'\n');
            out.extend_from_slice(body);
        }
        Node::Multi {
            subtype,
            boundary,
            parts,
            preamble,
        } => {
            out.extend_from_slice(
                format!("Content-Type: multipart/{subtype};\n\tboundary=\"{boundary}\"\n\n")
                    .as_bytes(),
            );
            if *preamble {
                out.extend_from_slice(b"This is a multi-part message in MIME format.\n\n");
            }
            for p in parts {
                out.extend_from_slice(b"--");
                out.extend_from_slice(boundary.as_bytes());
                out.push(b'\n');
                write_node(p, out);
                if out.last() != Some(&b'\n') {
                    out.push(b'\n');
                }
                out.push(b'\n');
            }
            out.extend_from_slice(b"--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"--\n");
        }
    }
}

fn encode_body(bytes: Vec<u8>, cte: Cte) -> Vec<u8> {
    match cte {
        Cte::Qp => {
            let mut v = qp(&bytes);
            v.push(b'\n');
            v
        }
        Cte::B64 => b64_lines(&bytes),
        Cte::SevenBit | Cte::EightBit => {
            let mut v = bytes;
            if v.last() != Some(&b'\n') {
                v.push(b'\n');
            }
            v
        }
    }
}

fn text_leaf(
    mime: &str,
    charset: Option<Charset>,
    cte: Cte,
    content: &str,
    client: Client,
) -> Node {
    let cs_for_encoding = charset.unwrap_or(Charset::Cp1252);
    let bytes = encode(content, cs_for_encoding);
    let mut head = Vec::with_capacity(120);
    match charset {
        Some(cs) => {
            let label = if client == Client::Gmail && cs == Charset::Utf8 {
                "UTF-8"
            } else {
                cs.label()
            };
            if client == Client::Thunderbird && mime == "text/plain" {
                head.extend_from_slice(
                    format!("Content-Type: {mime}; charset={label}; format=flowed\n").as_bytes(),
                );
            } else {
                head.extend_from_slice(
                    format!("Content-Type: {mime}; charset=\"{label}\"\n").as_bytes(),
                );
            }
        }
        None => head.extend_from_slice(format!("Content-Type: {mime}\n").as_bytes()),
    }
    head.extend_from_slice(format!("Content-Transfer-Encoding: {}\n", cte.label()).as_bytes());
    Node::Leaf {
        head,
        body: encode_body(bytes, cte),
    }
}

fn html_escape_line(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

fn html_of(text: &str, client: Client, meta_charset: &str) -> String {
    let mut h = String::with_capacity(text.len() * 2 + 600);
    let outlook = client.is_outlook() || client == Client::Notes;
    if outlook {
        h.push_str(
            "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\">\n<head>\n",
        );
        h.push_str(&format!(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset={meta_charset}\">\n"
        ));
        h.push_str("<meta name=\"Generator\" content=\"Microsoft Word 14 (filtered medium)\">\n<style><!--\np.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",\"sans-serif\";}\n--></style>\n</head>\n<body lang=\"ES-MX\" link=\"blue\" vlink=\"purple\">\n<div class=\"WordSection1\">\n");
    } else {
        h.push_str(&format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={meta_charset}\"></head>\n<body><div dir=\"ltr\">\n"
        ));
    }
    for block in text.split("\n\n") {
        h.push_str(if outlook {
            "<p class=\"MsoNormal\">"
        } else {
            "<div>"
        });
        for (i, line) in block.split('\n').enumerate() {
            if i > 0 {
                h.push_str("<br>\n");
            }
            let mut esc = String::with_capacity(line.len() + 8);
            html_escape_line(line, &mut esc);
            if esc.len() > 76 {
                wrap(&esc, 76, &mut h);
            } else {
                h.push_str(&esc);
            }
        }
        h.push_str(if outlook {
            "<o:p></o:p></p>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n"
        } else {
            "</div><div><br></div>\n"
        });
    }
    h.push_str(if outlook {
        "</div>\n</body>\n</html>"
    } else {
        "</div></body></html>"
    });
    h
}

fn boundary(client: Client, rng: &mut Rand, uid: u64, level: u8) -> String {
    let r: u64 = rng.random();
    let u = mix64(uid ^ 0xB0B0);
    match client {
        Client::Outlook2007 | Client::Hotmail => {
            format!(
                "----=_NextPart_00{level}_{:04X}_{:08X}.{:08X}",
                (r & 0xFFFF) as u16,
                u as u32,
                (u >> 32) as u32
            )
        }
        Client::Outlook2010 | Client::Outlook2016 => {
            format!("_00{level}_{u:016X}{:08X}EXCH01sedenagobmx_", r as u32)
        }
        Client::Gmail | Client::IPhone => format!("0000000000{:016x}{level}", u ^ r.rotate_left(7)),
        Client::Thunderbird => format!("------------{:016X}{:08X}{level}", u, r as u32),
        Client::Notes => format!("=_alternative {:016X}{level}_=", u),
    }
}

fn filename_params(name: &str, plan: &Plan, rng: &mut Rand) -> (Vec<u8>, Vec<u8>) {
    let q = |s: &[u8]| -> Vec<u8> {
        let mut v = b"\"".to_vec();
        v.extend_from_slice(s);
        v.push(b'"');
        v
    };
    if is_ascii(name) {
        let v = q(name.as_bytes());
        let mut a = b"name=".to_vec();
        a.extend_from_slice(&v);
        let mut b = b"filename=".to_vec();
        b.extend_from_slice(&v);
        return (a, b);
    }
    if plan.raw {
        let raw = q(&encode(name, Charset::Cp1252));
        let mut a = b"name=".to_vec();
        a.extend_from_slice(&raw);
        let mut b = b"filename=".to_vec();
        b.extend_from_slice(&raw);
        return (a, b);
    }
    let cs = if plan.client == Client::Gmail {
        Charset::Utf8
    } else {
        plan.ew_cs
    };
    let (ew, _) = encoded_words(
        name,
        cs,
        if chance(rng, 0.5) { Ew::Q } else { Ew::B },
        false,
    );
    let ew = ew.replace("\n ", " ");
    match below(rng, 5) {
        0 | 1 => {
            // RFC 2231 (continuations for long names) with an RFC 2047 name= for old readers.
            let p = pct(name);
            let disp = if p.len() > 60 && chance(rng, 0.6) {
                let mut parts = Vec::new();
                let mut rest = p.as_str();
                while !rest.is_empty() {
                    let mut cut = rest.len().min(40);
                    // never split inside a %XX escape
                    while cut < rest.len()
                        && rest.as_bytes().get(cut.saturating_sub(1)) == Some(&b'%')
                        || cut < rest.len()
                            && rest.as_bytes().get(cut.saturating_sub(2)) == Some(&b'%')
                    {
                        cut += 1;
                    }
                    parts.push(&rest[..cut]);
                    rest = &rest[cut..];
                }
                parts
                    .iter()
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            format!("filename*0*=utf-8''{part}")
                        } else {
                            format!("filename*{i}*={part}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(";\n\t")
            } else {
                format!("filename*=utf-8''{p}")
            };
            (format!("name=\"{ew}\"").into_bytes(), disp.into_bytes())
        }
        2 => (
            format!("name*=utf-8''{}", pct(name)).into_bytes(),
            format!("filename*=utf-8''{}", pct(name)).into_bytes(),
        ),
        _ => (
            format!("name=\"{ew}\"").into_bytes(),
            format!("filename=\"{ew}\"").into_bytes(),
        ),
    }
}

fn attachment_leaf(att: &Att, plan: &Plan, rng: &mut Rand, when: When) -> Node {
    let (np, fp) = filename_params(&att.filename, plan, rng);
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(format!("Content-Type: {};\n\t", att.content_type).as_bytes());
    head.extend_from_slice(&np);
    head.push(b'\n');
    if plan.client.is_outlook() && is_ascii(&att.filename) {
        head.extend_from_slice(format!("Content-Description: {}\n", att.filename).as_bytes());
    }
    head.extend_from_slice(b"Content-Disposition: attachment;\n\t");
    head.extend_from_slice(&fp);
    if plan.client.is_outlook() {
        let d = when.rfc5322();
        head.extend_from_slice(
            format!(
                ";\n\tsize={};\n\tcreation-date=\"{d}\";\n\tmodification-date=\"{d}\"",
                att.data.len()
            )
            .as_bytes(),
        );
    }
    head.push(b'\n');
    head.extend_from_slice(b"Content-Transfer-Encoding: base64\n");
    Node::Leaf {
        head,
        body: b64_lines(&att.data),
    }
}

// ---------------------------------------------------------------------------------------------
// Attachments

struct AttCtx<'a> {
    topic: Topic,
    from: &'a Person,
    when: When,
    subject: &'a str,
    english: bool,
}

fn doc_text(w: &World, rng: &mut Rand, ctx: &AttCtx<'_>, title: &str) -> DocText {
    let lex = &w.lex;
    let l = ctx.when.local();
    let mut lines: Vec<(bool, String)> = Vec::new();
    if ctx.english {
        lines.push((true, title.to_string()));
        lines.push((false, ctx.from.org.clone()));
        lines.push((false, String::new()));
        for _ in 0..(2 + below(rng, 4)) {
            let k = 2 + below(rng, 4);
            lines.push((false, lex.paragraph_en(rng, k)));
            lines.push((false, String::new()));
        }
        lines.push((false, ctx.from.name.clone()));
    } else {
        let (c, s) = lex.place(rng);
        lines.push((true, "SECRETARÍA DE LA DEFENSA NACIONAL".to_string()));
        lines.push((
            true,
            vocab::UNITS
                .get(ctx.from.unit)
                .map(|u| u.0)
                .unwrap_or("Estado Mayor de la Defensa Nacional")
                .to_uppercase(),
        ));
        lines.push((
            false,
            format!(
                "Oficio No. {}/{}/{}",
                unit_code(ctx.from),
                range(rng, 100, 9999),
                l.year
            ),
        ));
        lines.push((false, format!("ASUNTO: {}", ctx.subject)));
        lines.push((
            false,
            format!(
                "{c}, {s}, a {} de {} de {}.",
                l.day,
                vocab::MONTHS_ES[(l.month - 1) as usize],
                l.year
            ),
        ));
        lines.push((false, String::new()));
        lines.push((false, title.to_string()));
        lines.push((false, String::new()));
        for _ in 0..(2 + below(rng, 5)) {
            let mut p = String::new();
            for j in 0..(2 + below(rng, 4)) {
                if j > 0 {
                    p.push(' ');
                }
                if chance(rng, 0.4) {
                    p.push_str(&topic_sentence(w, rng, ctx.topic));
                } else {
                    p.push_str(&lex.sentence_es(rng));
                }
            }
            lines.push((false, p));
            lines.push((false, String::new()));
        }
        lines.push((true, "ATENTAMENTE".to_string()));
        lines.push((false, "SUFRAGIO EFECTIVO. NO REELECCIÓN.".to_string()));
        lines.push((
            false,
            format!("{} {}", ctx.from.rank, ctx.from.name)
                .trim()
                .to_string(),
        ));
    }
    DocText {
        title: title.to_string(),
        author: ctx.from.name.clone(),
        lines,
    }
}

fn sheet_rows(w: &World, rng: &mut Rand, ctx: &AttCtx<'_>) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    if ctx.english {
        rows.push(vec![
            Cell::Text("Item".into()),
            Cell::Text("Description".into()),
            Cell::Text("Qty".into()),
            Cell::Text("Unit price (USD)".into()),
        ]);
        for i in 0..(3 + below(rng, 10)) {
            rows.push(vec![
                Cell::Num(i as i64 + 1),
                Cell::Text(w.lex.en_topic(rng)),
                Cell::Num(range(rng, 1, 200) as i64),
                Cell::Money(range(rng, 10_000, 50_000_000) as i64),
            ]);
        }
        return rows;
    }
    match ctx.topic {
        Topic::Combustible => {
            rows.push(vec![
                Cell::Text("Unidad".into()),
                Cell::Text("Mes".into()),
                Cell::Text("Diésel (litros)".into()),
                Cell::Text("Gasolina (litros)".into()),
                Cell::Text("Importe".into()),
            ]);
            for _ in 0..(4 + below(rng, 12)) {
                rows.push(vec![
                    Cell::Text(crate::text::unit_name(rng).to_string()),
                    Cell::Text(vocab::MONTHS_ES[below(rng, 12)].to_string()),
                    Cell::Num(range(rng, 500, 90_000) as i64),
                    Cell::Num(range(rng, 500, 40_000) as i64),
                    Cell::Money(range(rng, 100_000, 900_000_000) as i64),
                ]);
            }
        }
        Topic::Inteligencia | Topic::Informe => {
            rows.push(vec![
                Cell::Text("Estado".into()),
                Cell::Text("Municipio".into()),
                Cell::Text("Armas aseguradas".into()),
                Cell::Text("Cartuchos".into()),
                Cell::Text("Vehículos".into()),
            ]);
            for _ in 0..(4 + below(rng, 12)) {
                let (c, s) = w.lex.place(rng);
                rows.push(vec![
                    Cell::Text(s.into()),
                    Cell::Text(c.into()),
                    Cell::Num(range(rng, 0, 60) as i64),
                    Cell::Num(range(rng, 0, 20_000) as i64),
                    Cell::Num(range(rng, 0, 30) as i64),
                ]);
            }
        }
        _ => {
            rows.push(vec![
                Cell::Text("No.".into()),
                Cell::Text("Concepto".into()),
                Cell::Text("Cantidad".into()),
                Cell::Text("Precio unitario".into()),
                Cell::Text("Importe".into()),
            ]);
            let mut total = 0i64;
            for i in 0..(3 + below(rng, 12)) {
                let qn = range(rng, 1, 300) as i64;
                let pu = range(rng, 10_000, 500_000_000) as i64;
                total += qn * pu;
                let concept = if chance(rng, 0.5) {
                    cap_first(pick_str(rng, CONTRACT_OBJECTS))
                } else {
                    cap_first(&w.lex.topic_np(rng))
                };
                rows.push(vec![
                    Cell::Num(i as i64 + 1),
                    Cell::Text(concept),
                    Cell::Num(qn),
                    Cell::Money(pu),
                    Cell::Money(qn * pu),
                ]);
            }
            rows.push(vec![
                Cell::Text(String::new()),
                Cell::Text("Total".into()),
                Cell::Text(String::new()),
                Cell::Text(String::new()),
                Cell::Money(total),
            ]);
        }
    }
    rows
}

fn pdf_name(rng: &mut Rand, ctx: &AttCtx<'_>) -> String {
    let l = ctx.when.local();
    if ctx.english {
        return format!(
            "{}_{}.pdf",
            pick_str(
                rng,
                &[
                    "Quotation",
                    "Technical_Proposal",
                    "Report",
                    "Meeting_Minutes"
                ]
            ),
            range(rng, 100, 9999)
        );
    }
    match below(rng, 6) {
        0 => format!("Memorándum {}-{}.pdf", range(rng, 100, 9999), l.year),
        1 => format!("Oficio {}-{}.pdf", range(rng, 100, 9999), l.year),
        2 => "Información solicitada.pdf".to_string(),
        3 => format!(
            "Resumen de inteligencia {:02}-{:02}-{}.pdf",
            l.day, l.month, l.year
        ),
        4 => "Acta de la reunión.pdf".to_string(),
        _ => format!("Propuesta económica {}.pdf", range(rng, 1, 99)),
    }
}

fn make_attachment(
    w: &World,
    rng: &mut Rand,
    ctx: &AttCtx<'_>,
    depth: u8,
) -> Result<Att, SynthError> {
    let k = crate::rng::weighted(
        rng,
        if depth == 0 {
            &[35, 22, 15, 16, 8]
        } else {
            &[50, 30, 20, 0, 0]
        },
    );
    let l = ctx.when.local();
    match k {
        0 => {
            let name = pdf_name(rng, ctx);
            let title = name.trim_end_matches(".pdf").to_string();
            let doc = doc_text(w, rng, ctx, &title);
            Ok(Att {
                filename: name,
                content_type: "application/pdf",
                kind: "pdf",
                data: Arc::new(attach::pdf(&doc, ctx.when)),
                zip_in_zip: 0,
            })
        }
        1 => {
            let name = if ctx.english {
                "Technical_Specifications.docx".to_string()
            } else {
                match below(rng, 4) {
                    0 => format!(
                        "Oficio {} ({}).docx",
                        range(rng, 100, 9999),
                        unit_code(ctx.from).replace('/', "-")
                    ),
                    1 => format!("Tarjeta informativa {}.docx", range(rng, 10, 2999)),
                    2 => "Memorándum.docx".to_string(),
                    _ => format!(
                        "Minuta de reunión {:02}-{:02}-{}.docx",
                        l.day, l.month, l.year
                    ),
                }
            };
            let title = name.trim_end_matches(".docx").to_string();
            let doc = doc_text(w, rng, ctx, &title);
            Ok(Att {
                filename: name,
                content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                kind: "docx",
                data: Arc::new(attach::docx(&doc, ctx.when)?),
                zip_in_zip: 0,
            })
        }
        2 => {
            let name = if ctx.english {
                format!("Price_List_{}.xlsx", l.year)
            } else {
                match below(rng, 4) {
                    0 => "Relación de vehículos.xlsx".to_string(),
                    1 => format!(
                        "Consumo de combustible {} {}.xlsx",
                        vocab::MONTHS_ES[(l.month - 1) as usize],
                        l.year
                    ),
                    2 => format!("Cotización {}.xlsx", range(rng, 100, 9999)),
                    _ => format!("Información presupuestal {}.xlsx", l.year),
                }
            };
            let rows = sheet_rows(w, rng, ctx);
            let title = name.trim_end_matches(".xlsx").to_string();
            Ok(Att {
                filename: name,
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                kind: "xlsx",
                data: Arc::new(attach::xlsx(&title, &ctx.from.name, &rows, ctx.when)?),
                zip_in_zip: 0,
            })
        }
        3 => {
            let (c, s) = w.lex.place(rng);
            let name = match below(rng, 3) {
                0 => format!("IMG_{:04}.JPG", range(rng, 1, 9999)),
                1 => format!("Fotografía {}.jpg", range(rng, 1, 40)),
                _ => format!("foto aseguramiento {}.jpg", c),
            };
            let dims = [(64u16, 48u16), (80, 60), (96, 72)];
            let (wd, ht) = dims[below(rng, dims.len())];
            let mut colors = [0u8; 6];
            rng.fill(&mut colors);
            let desc = format!("Fotografía del aseguramiento en {c}, {s}");
            Ok(Att {
                filename: name,
                content_type: "image/jpeg",
                kind: "jpeg",
                data: Arc::new(attach::jpeg(
                    wd,
                    ht,
                    colors,
                    &desc,
                    &ctx.from.name,
                    ctx.when,
                )?),
                zip_in_zip: 0,
            })
        }
        _ => {
            let n = range(rng, 100, 9999);
            let name = if chance(rng, 0.5) {
                format!("Documentación soporte {n}.zip")
            } else {
                format!("Anexos oficio {n}.zip")
            };
            let mut files: Vec<(String, Vec<u8>)> = Vec::new();
            let doc = doc_text(w, rng, ctx, &format!("Oficio {n}"));
            files.push((format!("Oficio {n}.docx"), attach::docx(&doc, ctx.when)?));
            let doc2 = doc_text(w, rng, ctx, "Anexo técnico");
            files.push((
                "Anexo técnico.pdf".to_string(),
                attach::pdf(&doc2, ctx.when),
            ));
            let mut zip_in_zip = 0;
            if chance(rng, 0.3) {
                let a = make_attachment(w, rng, ctx, 1)?;
                let b = make_attachment(w, rng, ctx, 1)?;
                let inner = attach::zip_of(
                    &[(a.filename, a.data.to_vec()), (b.filename, b.data.to_vec())],
                    ctx.when,
                )?;
                files.push(("Anexos/Anexos adicionales.zip".to_string(), inner));
                zip_in_zip = 1;
            }
            Ok(Att {
                filename: name,
                content_type: "application/zip",
                kind: "zip",
                data: Arc::new(attach::zip_of(&files, ctx.when)?),
                zip_in_zip,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

fn ensure_custodian(
    w: &World,
    rng: &mut Rand,
    from: usize,
    to: &mut Vec<usize>,
    cc: &mut Vec<usize>,
    bcc: &[usize],
) {
    let any = std::iter::once(&from)
        .chain(to.iter())
        .chain(cc.iter())
        .chain(bcc.iter())
        .any(|&p| w.person(p).custodian.is_some());
    if !any {
        for _ in 0..8 {
            let c = w.custodian_person(rng);
            if c != from {
                if to.is_empty() {
                    to.push(c);
                } else {
                    cc.push(c);
                }
                return;
            }
        }
    }
}

fn dedup(v: &mut Vec<usize>, exclude: &[usize]) {
    let mut seen: Vec<usize> = exclude.to_vec();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(*x);
            true
        }
    });
}

fn some_people(w: &World, rng: &mut Rand, n: usize) -> Vec<usize> {
    (0..n).map(|_| w.internal_person(rng)).collect()
}

fn cc_count(rng: &mut Rand) -> usize {
    crate::rng::weighted(rng, &[45, 25, 15, 10, 5])
}

/// Author and render one thread.
pub fn gen_thread(
    w: &World,
    attachments_on: bool,
    thread: u64,
    first_index: u64,
    size: usize,
) -> Result<Vec<Rendered>, SynthError> {
    let mut rng = stream(w.seed, 1, thread);
    let rng = &mut rng;
    let english = chance(rng, 0.05);
    let topic = pick_topic(rng, english);
    let mut msgs: Vec<Authored> = Vec::with_capacity(size);
    let mut out = Vec::with_capacity(size);
    let mut when = start_time(rng);

    for k in 0..size {
        let index = first_index + k as u64;
        let uid = mix64(index ^ mix64(w.seed ^ 0x5EED));
        let (kind, parent_i) = if k == 0 {
            (MsgKind::New, None)
        } else {
            let p = if chance(rng, 0.7) {
                k - 1
            } else {
                below(rng, k)
            };
            (
                if chance(rng, 0.8) {
                    MsgKind::Reply
                } else {
                    MsgKind::Forward
                },
                Some(p),
            )
        };
        if k > 0 {
            when = advance(rng, when);
        }
        let parent = parent_i.and_then(|i| msgs.get(i));

        // Participants.
        let (from, mut to, mut cc, mut bcc) = match parent {
            None => {
                let from;
                let mut to;
                if english {
                    let foreigner = *crate::rng::pick(rng, &w.foreign, &0);
                    if chance(rng, 0.5) {
                        from = foreigner;
                        to = vec![w.custodian_person(rng)];
                    } else {
                        from = w.custodian_person(rng);
                        to = vec![foreigner];
                    }
                } else if topic == Topic::Informal && chance(rng, 0.5) {
                    from = *crate::rng::pick(rng, &w.webmail, &0);
                    to = vec![w.internal_person(rng)];
                } else if topic == Topic::Contrato && chance(rng, 0.3) {
                    from = *crate::rng::pick(rng, &w.suppliers, &0);
                    to = vec![w.custodian_person(rng)];
                } else {
                    from = if chance(rng, 0.6) {
                        w.custodian_person(rng)
                    } else {
                        w.internal_person(rng)
                    };
                    let n = 1 + crate::rng::weighted(rng, &[60, 25, 15]);
                    to = some_people(w, rng, n);
                }
                let n = cc_count(rng);
                let cc = some_people(w, rng, n);
                let bcc = if chance(rng, 0.08) {
                    vec![if chance(rng, 0.3) {
                        *crate::rng::pick(rng, &w.webmail, &0)
                    } else {
                        w.internal_person(rng)
                    }]
                } else {
                    Vec::new()
                };
                (from, std::mem::take(&mut to), cc, bcc)
            }
            Some(p) => {
                let mut cands: Vec<usize> =
                    p.to.iter()
                        .chain(p.cc.iter())
                        .copied()
                        .filter(|&x| x != p.from)
                        .collect();
                if cands.is_empty() {
                    cands.push(w.custodian_person(rng));
                }
                let cust: Vec<usize> = cands
                    .iter()
                    .copied()
                    .filter(|&x| w.person(x).custodian.is_some())
                    .collect();
                let from = if !cust.is_empty() && chance(rng, 0.6) {
                    *crate::rng::pick(rng, &cust, &0)
                } else {
                    *crate::rng::pick(rng, &cands, &0)
                };
                if kind == MsgKind::Reply {
                    let to = vec![p.from];
                    let cc = if chance(rng, 0.4) {
                        p.to.iter().chain(p.cc.iter()).copied().collect()
                    } else {
                        Vec::new()
                    };
                    (from, to, cc, Vec::new())
                } else {
                    let n = 1 + below(rng, 2);
                    let to = some_people(w, rng, n);
                    let cc = if chance(rng, 0.3) {
                        some_people(w, rng, 1)
                    } else {
                        Vec::new()
                    };
                    (from, to, cc, Vec::new())
                }
            }
        };
        dedup(&mut to, &[from]);
        let mut excl = vec![from];
        excl.extend_from_slice(&to);
        dedup(&mut cc, &excl);
        excl.extend_from_slice(&cc);
        dedup(&mut bcc, &excl);
        if to.is_empty() {
            let c = w.custodian_person(rng);
            to.push(if c == from {
                *crate::rng::pick(rng, &w.internal, &0)
            } else {
                c
            });
        }
        ensure_custodian(w, rng, from, &mut to, &mut cc, &bcc);

        let fp = w.person(from);
        let client = fp.client;
        let msg_english = english || (fp.english && parent.is_none());

        // Subject.
        let subject = match parent {
            None => root_subject(w, rng, topic, fp, when),
            Some(p) => {
                let prefix = prefix_for(client, msg_english, kind == MsgKind::Forward);
                if p.subject.starts_with(prefix) && chance(rng, 0.6) {
                    p.subject.clone()
                } else {
                    format!("{prefix}{}", p.subject)
                }
            }
        };

        // Threading headers.
        let header_poor = parent.is_some() && chance(rng, 0.10);
        let (in_reply_to, references) = match parent {
            Some(p) if !header_poor => {
                let mut refs = p.references.clone();
                refs.push(p.message_id.clone());
                if refs.len() > 10 {
                    let cut = refs.len() - 10;
                    refs.drain(1..=cut.min(refs.len() - 1));
                }
                (Some(p.message_id.clone()), refs)
            }
            _ => (None, Vec::new()),
        };
        let mid = message_id(client, domain_of(&fp.email), uid, rng);

        let rfc822 = attachments_on && kind == MsgKind::Forward && chance(rng, 0.25);

        // Body.
        let to0 = w.person(to.first().copied().unwrap_or(0));
        let mut body = match parent {
            None => body_new(w, rng, topic, fp, to0),
            Some(p) => {
                let mut b = String::new();
                let intro = if msg_english {
                    pick_str(
                        rng,
                        if kind == MsgKind::Reply {
                            REPLY_EN
                        } else {
                            FWD_EN
                        },
                    )
                    .to_string()
                } else {
                    pick_str(
                        rng,
                        if kind == MsgKind::Reply {
                            REPLY_ES
                        } else {
                            FWD_ES
                        },
                    )
                    .to_string()
                };
                b.push_str(&intro);
                if chance(rng, 0.5) {
                    b.push(' ');
                    b.push_str(&if msg_english {
                        w.lex.sentence_en(rng)
                    } else {
                        w.lex.sentence_es(rng)
                    });
                }
                b.push_str("\n\n");
                b.push_str(&if msg_english {
                    fp.name.clone()
                } else {
                    format!("{} {}", fp.rank, fp.name).trim().to_string()
                });
                b = wrap_body(&b);
                if !rfc822 {
                    b.push_str("\n\n");
                    b.push_str(&quote_block(
                        w,
                        rng,
                        client,
                        msg_english,
                        p,
                        kind == MsgKind::Forward,
                    ));
                }
                b
            }
        };

        // Encoding plan.
        let raw =
            !msg_english && fp.kind == Kind::Internal && client.is_outlook() && chance(rng, 0.07);
        let charset = if raw {
            Charset::Cp1252
        } else if msg_english {
            if body.is_ascii() && chance(rng, 0.7) {
                Charset::Ascii
            } else {
                Charset::Utf8
            }
        } else if matches!(client, Client::Gmail | Client::IPhone) {
            Charset::Utf8
        } else {
            match below(rng, 20) {
                0..=8 => Charset::Utf8,
                9..=13 => Charset::Latin1,
                _ => Charset::Cp1252,
            }
        };
        if charset == Charset::Cp1252
            || (charset == Charset::Utf8 && client.is_outlook() && chance(rng, 0.5))
        {
            body = smartify(&body);
        }
        let cte = match charset {
            Charset::Ascii => {
                if chance(rng, 0.75) {
                    Cte::SevenBit
                } else {
                    Cte::Qp
                }
            }
            Charset::Utf8 => match below(rng, 20) {
                0..=7 => Cte::Qp,
                8..=14 => Cte::B64,
                _ => Cte::EightBit,
            },
            _ => match below(rng, 20) {
                0..=8 => Cte::Qp,
                9..=15 => Cte::EightBit,
                _ => Cte::B64,
            },
        };
        let structure = match client {
            Client::Gmail => Structure::Alternative,
            Client::IPhone | Client::Thunderbird => Structure::Plain,
            _ => match below(rng, 20) {
                0 if !msg_english => Structure::HtmlOnly,
                1..=7 => Structure::Alternative,
                _ => Structure::Plain,
            },
        };
        let ew_cs = match (client, charset) {
            (Client::Gmail | Client::IPhone, _) => Charset::Utf8,
            (_, Charset::Ascii) => Charset::Utf8,
            (_, cs) => cs,
        };
        let split = ew_cs == Charset::Utf8 && chance(rng, 0.25);
        let plan = Plan {
            charset,
            cte,
            structure,
            raw,
            ew_cs,
            ew_subject: if chance(rng, 0.5) { Ew::Q } else { Ew::B },
            ew_names: if chance(rng, 0.7) { Ew::Q } else { Ew::B },
            split,
            client,
        };

        // Attachments.
        let mut atts: Vec<Att> = Vec::new();
        if attachments_on {
            if let Some(p) = parent
                && kind == MsgKind::Forward
                && !rfc822
            {
                atts.extend(p.attachments.iter().cloned());
            }
            let p_new = match (kind, topic) {
                (
                    MsgKind::New,
                    Topic::Contrato | Topic::Informe | Topic::Inteligencia | Topic::Oficio,
                ) => 0.30,
                (MsgKind::New, Topic::Informal) => 0.12,
                (MsgKind::New, _) => 0.22,
                (MsgKind::Reply, _) => 0.08,
                (MsgKind::Forward, _) => 0.05,
            };
            if chance(rng, p_new) {
                let n = 1 + crate::rng::weighted(rng, &[70, 22, 8]);
                let ctx = AttCtx {
                    topic,
                    from: fp,
                    when,
                    subject: &subject,
                    english: msg_english,
                };
                for _ in 0..n {
                    atts.push(make_attachment(w, rng, &ctx, 0)?);
                }
            }
        }

        // Render the shared part of the message.
        let mut pre = Vec::with_capacity(512);
        let mut post = Vec::with_capacity(body.len() * 2 + 1024);
        let did_split: bool;
        let date = when.rfc5322();
        let has_att = !atts.is_empty() || rfc822;
        let mut mime_head: Vec<u8> = Vec::new();
        header(&mut mime_head, "MIME-Version", "1.0");
        match client {
            Client::Gmail | Client::IPhone => {
                if client == Client::Gmail {
                    pre.extend_from_slice(&mime_head);
                }
                if let Some(irt) = &in_reply_to {
                    refs_header(&mut pre, &references);
                    header(&mut pre, "In-Reply-To", irt);
                }
                let mut f = b"From: ".to_vec();
                f.extend_from_slice(&addr_bytes(fp, &plan));
                f.push(b'\n');
                pre.extend_from_slice(&f);
                header(&mut pre, "Date", &date);
                header(&mut pre, "Message-ID", &mid);
                did_split = text_header(&mut pre, "Subject", &subject, &plan, plan.split);
                addr_header(&mut pre, "To", w, &to, &plan);
                addr_header(&mut pre, "Cc", w, &cc, &plan);
                if client == Client::IPhone {
                    header(&mut post, "X-Mailer", "iPhone Mail (12H321)");
                    post.extend_from_slice(&mime_head);
                }
            }
            Client::Thunderbird => {
                header(&mut pre, "Message-ID", &mid);
                header(&mut pre, "Date", &date);
                let mut f = b"From: ".to_vec();
                f.extend_from_slice(&addr_bytes(fp, &plan));
                f.push(b'\n');
                pre.extend_from_slice(&f);
                header(
                    &mut pre,
                    "User-Agent",
                    "Mozilla/5.0 (Windows NT 6.1; rv:31.0) Gecko/20100101 Thunderbird/31.2.0",
                );
                pre.extend_from_slice(&mime_head);
                addr_header(&mut pre, "To", w, &to, &plan);
                addr_header(&mut pre, "CC", w, &cc, &plan);
                did_split = text_header(&mut post, "Subject", &subject, &plan, plan.split);
                if let Some(irt) = &in_reply_to {
                    refs_header(&mut post, &references);
                    header(&mut post, "In-Reply-To", irt);
                }
            }
            _ => {
                let mut f = b"From: ".to_vec();
                f.extend_from_slice(&addr_bytes(fp, &plan));
                f.push(b'\n');
                pre.extend_from_slice(&f);
                addr_header(&mut pre, "To", w, &to, &plan);
                addr_header(
                    &mut pre,
                    if client == Client::Outlook2007 {
                        "Cc"
                    } else {
                        "CC"
                    },
                    w,
                    &cc,
                    &plan,
                );
                did_split = text_header(&mut post, "Subject", &subject, &plan, plan.split);
                if client != Client::Notes {
                    let topic_str = subject
                        .trim_start_matches("RE: ")
                        .trim_start_matches("RV: ")
                        .trim_start_matches("FW: ")
                        .to_string();
                    text_header(&mut post, "Thread-Topic", &topic_str, &plan, false);
                    let mut ti = [0u8; 22];
                    rng.fill(&mut ti);
                    header(
                        &mut post,
                        "Thread-Index",
                        &base64::engine::general_purpose::STANDARD.encode(ti),
                    );
                }
                header(&mut post, "Date", &date);
                header(&mut post, "Message-ID", &mid);
                if let Some(irt) = &in_reply_to {
                    refs_header(&mut post, &references);
                    header(&mut post, "In-Reply-To", irt);
                }
                match client {
                    Client::Notes => header(
                        &mut post,
                        "X-Mailer",
                        "Lotus Notes Release 8.5.2 August 10, 2010",
                    ),
                    Client::Outlook2007 => {
                        header(&mut post, "X-Mailer", "Microsoft Office Outlook 12.0")
                    }
                    Client::Hotmail => header(
                        &mut post,
                        "X-Originating-IP",
                        &format!("[198.51.100.{}]", range(rng, 1, 254)),
                    ),
                    _ => {
                        header(
                            &mut post,
                            "Accept-Language",
                            if msg_english { "en-US" } else { "es-MX, en-US" },
                        );
                        header(
                            &mut post,
                            "Content-Language",
                            if msg_english { "en-US" } else { "es-MX" },
                        );
                        header(
                            &mut post,
                            "X-MS-Has-Attach",
                            if has_att { "yes" } else { "" },
                        );
                        header(&mut post, "X-MS-TNEF-Correlator", "");
                    }
                }
                post.extend_from_slice(&mime_head);
            }
        }

        // Body tree.
        let text_cs = Some(plan.charset);
        let body_node = match plan.structure {
            Structure::Plain => text_leaf("text/plain", text_cs, plan.cte, &body, client),
            Structure::Alternative => {
                let html = html_of(&body, client, plan.charset.label());
                Node::Multi {
                    subtype: "alternative",
                    boundary: boundary(client, rng, uid, 1),
                    parts: vec![
                        text_leaf("text/plain", text_cs, plan.cte, &body, client),
                        text_leaf("text/html", text_cs, plan.cte, &html, client),
                    ],
                    preamble: false,
                }
            }
            Structure::HtmlOnly => {
                let html = html_of(&body, client, plan.charset.label());
                let cte = if plan.cte == Cte::B64 {
                    Cte::Qp
                } else {
                    plan.cte
                };
                // charset only in the <meta> tag
                let mut n = text_leaf("text/html", None, cte, &html, client);
                if let Node::Leaf { body, .. } = &mut n {
                    let bytes = encode(&html, plan.charset);
                    *body = encode_body(bytes, cte);
                }
                n
            }
        };
        let mut nested_zip_attachments = 0u64;
        let mut zip_in_zip = 0u64;
        let mut att_records = Vec::with_capacity(atts.len() + usize::from(rfc822));
        let root = if has_att {
            let mut parts = vec![body_node];
            for a in &atts {
                parts.push(attachment_leaf(a, &plan, rng, when));
                if a.kind == "zip" {
                    nested_zip_attachments += 1;
                    zip_in_zip += a.zip_in_zip;
                }
                let digest = Sha256::digest(a.data.as_slice());
                att_records.push(AttachmentRecord {
                    filename: a.filename.clone(),
                    content_type: a.content_type.to_string(),
                    kind: a.kind.to_string(),
                    size: a.data.len() as u64,
                    sha256: hex::encode(digest),
                });
            }
            if rfc822 && let Some(p) = parent {
                let fname = format!(
                    "{}.eml",
                    mime::ascii_fold(&p.subject).replace(['/', ':', '\\', '"', '?', '*'], "_")
                );
                let mut head = Vec::new();
                head.extend_from_slice(b"Content-Type: message/rfc822\n");
                head.extend_from_slice(if p.core.is_ascii() {
                    b"Content-Transfer-Encoding: 7bit\n"
                } else {
                    b"Content-Transfer-Encoding: 8bit\n"
                });
                head.extend_from_slice(
                    format!("Content-Disposition: attachment;\n\tfilename=\"{fname}\"\n")
                        .as_bytes(),
                );
                parts.push(Node::Leaf {
                    head,
                    body: p.core.clone(),
                });
                let digest = Sha256::digest(&p.core);
                att_records.push(AttachmentRecord {
                    filename: fname,
                    content_type: "message/rfc822".to_string(),
                    kind: "rfc822".to_string(),
                    size: p.core.len() as u64,
                    sha256: hex::encode(digest),
                });
            }
            Node::Multi {
                subtype: "mixed",
                boundary: boundary(client, rng, uid, 0),
                parts,
                preamble: client.is_outlook() || client == Client::Thunderbird,
            }
        } else {
            body_node
        };
        write_node(&root, &mut post);
        if post.last() != Some(&b'\n') {
            post.push(b'\n');
        }
        let mut core = Vec::with_capacity(pre.len() + post.len());
        core.extend_from_slice(&pre);
        core.extend_from_slice(&post);

        // Copies.
        let mut copies = Vec::new();
        let fcust = fp.custodian;
        if let Some(c) = fcust {
            let mut data = Vec::with_capacity(core.len() + 200);
            data.extend_from_slice(&pre);
            addr_header(&mut data, "Bcc", w, &bcc, &plan);
            data.extend_from_slice(&post);
            copies.push(finish_copy(w, rng, c, Folder::Sent, data, when, fp, index));
        }
        let mut recips: Vec<usize> = to
            .iter()
            .chain(cc.iter())
            .chain(bcc.iter())
            .copied()
            .collect();
        dedup(&mut recips, &[from]);
        for r in recips {
            let rp = w.person(r);
            let Some(c) = rp.custodian else { continue };
            let Some(cust) = w.custodians.get(c as usize) else {
                continue;
            };
            let delay = range(rng, 2, 240) as i64;
            let delivered = When {
                unix: when.unix + delay,
                offset: when.offset,
            };
            let l = when.local();
            let folder = if cust.archive_years.contains(&l.year) && chance(rng, 0.8) {
                Folder::Archive(l.year)
            } else {
                Folder::Inbox
            };
            let mut data = Vec::with_capacity(core.len() + 900);
            delivery_headers(&mut data, rng, fp, rp, delivered);
            data.extend_from_slice(&core);
            copies.push(finish_copy(w, rng, c, folder, data, delivered, fp, index));
        }

        let record = MessageRecord {
            index,
            thread,
            message_id: mid.clone(),
            date: date.clone(),
            unix: when.unix,
            subject: subject.clone(),
            from: fp.email.clone(),
            to: to.iter().map(|&i| w.person(i).email.clone()).collect(),
            cc: cc.iter().map(|&i| w.person(i).email.clone()).collect(),
            bcc: bcc.iter().map(|&i| w.person(i).email.clone()).collect(),
            in_reply_to: in_reply_to.clone(),
            kind: match kind {
                MsgKind::New => "new",
                MsgKind::Reply => "reply",
                MsgKind::Forward => "forward",
            }
            .to_string(),
            lang: if msg_english { "en" } else { "es" }.to_string(),
            charset: plan.charset.label().to_string(),
            transfer_encoding: plan.cte.label().to_string(),
            structure: format!(
                "{}{}",
                match plan.structure {
                    Structure::Plain => "plain",
                    Structure::Alternative => "alternative",
                    Structure::HtmlOnly => "html-only",
                },
                if has_att { "+mixed" } else { "" }
            ),
            header_poor,
            raw_8bit: raw
                && (!subject.is_ascii()
                    || !fp.display.is_ascii()
                    || atts.iter().any(|a| !a.filename.is_ascii())),
            split_encoded_word: did_split,
            attachments: att_records,
            copies: copies.len() as u32,
            locations: Vec::new(),
        };
        out.push(Rendered {
            record,
            copies,
            nested_zip_attachments,
            zip_in_zip,
            rfc822,
        });
        msgs.push(Authored {
            from,
            to,
            cc,
            subject,
            when,
            message_id: mid,
            references,
            body,
            attachments: atts,
            core,
        });
    }
    Ok(out)
}

fn delivery_headers(
    out: &mut Vec<u8>,
    rng: &mut Rand,
    from: &Person,
    to: &Person,
    delivered: When,
) {
    let d = delivered.rfc5322();
    header(out, "Return-Path", &format!("<{}>", from.email));
    header(out, "Delivered-To", &to.email);
    let mx = format!("EXCH0{}.sedena.gob.mx", range(rng, 1, 4));
    match from.kind {
        Kind::Internal => {
            out.extend_from_slice(
                format!(
                    "Received: from EXCH0{}.sedena.gob.mx (10.16.{}.{}) by {mx}\n (10.16.2.11) with Microsoft SMTP Server (TLS) id 14.3.{}.0; {d}\n",
                    range(rng, 1, 4),
                    range(rng, 0, 9),
                    range(rng, 2, 250),
                    range(rng, 100, 400)
                )
                .as_bytes(),
            );
            header(out, "X-MS-Exchange-Organization-AuthSource", &mx);
            header(out, "X-MS-Exchange-Organization-AuthAs", "Internal");
        }
        _ => {
            let host = format!("mail-out{}.{}", range(rng, 1, 40), domain_of(&from.email));
            let ip = format!("203.0.113.{}", range(rng, 1, 254));
            out.extend_from_slice(
                format!(
                    "Received: from mx1.sedena.gob.mx (192.0.2.25) by {mx}\n (10.16.2.11) with Microsoft SMTP Server id 14.3.{}.0; {d}\n",
                    range(rng, 100, 400)
                )
                .as_bytes(),
            );
            out.extend_from_slice(
                format!(
                    "Received: from {host} ({host} [{ip}])\n\tby mx1.sedena.gob.mx (Postfix) with ESMTPS id {:X}\n\tfor <{}>; {d}\n",
                    rng.random::<u32>(),
                    to.email
                )
                .as_bytes(),
            );
            header(out, "X-Virus-Scanned", "amavisd-new at sedena.gob.mx");
            header(
                out,
                "X-Spam-Score",
                &format!("{}.{}", range(rng, 0, 4), range(rng, 0, 9)),
            );
            header(
                out,
                "X-MS-Exchange-Organization-SCL",
                &format!("{}", range(rng, 0, 4)),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finish_copy(
    w: &World,
    rng: &mut Rand,
    c: u32,
    folder: Folder,
    data: Vec<u8>,
    delivered: When,
    from: &Person,
    index: u64,
) -> CopyOut {
    let Some(cust) = w.custodians.get(c as usize) else {
        return CopyOut {
            custodian: c,
            folder,
            data,
            maildir: None,
            delivered,
        };
    };
    let mut data = data;
    if cust.layout == Layout::Mbox && !cust.dovecot_names {
        let mut v = Vec::with_capacity(data.len() + 60);
        v.extend_from_slice(b"X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\n");
        v.extend_from_slice(&data);
        data = v;
    }
    if cust.crlf {
        data = mime::to_crlf(&data);
    }
    let mut maildir = None;
    match cust.layout {
        Layout::Mbox => {
            let nl: &[u8] = if cust.crlf { b"\r\n" } else { b"\n" };
            let mut v = Vec::with_capacity(data.len() + 100);
            v.extend_from_slice(format!("From {} {}", from.email, delivered.asctime()).as_bytes());
            v.extend_from_slice(nl);
            mime::mboxrd_escape(&data, &mut v);
            v.extend_from_slice(nl);
            data = v;
        }
        Layout::Maildir => {
            let usec = range(rng, 0, 999_999);
            let pid = range(rng, 1000, 32000);
            let mut name = format!("{}.M{usec}P{pid}Q{index}.{}", delivered.unix, cust.host);
            if cust.dovecot_names {
                name.push_str(&format!(",S={}", data.len()));
            }
            let sub = if folder == Folder::Inbox && chance(rng, 0.1) {
                "new"
            } else {
                let flags = if folder == Folder::Sent {
                    "S"
                } else {
                    match below(rng, 25) {
                        0..=14 => "S",
                        15..=19 => "RS",
                        20 | 21 => "FS",
                        _ => "",
                    }
                };
                name.push_str(":2,");
                name.push_str(flags);
                "cur"
            };
            maildir = Some((sub, name));
        }
        Layout::Eml | Layout::Zip => {}
    }
    CopyOut {
        custodian: c,
        folder,
        data,
        maildir,
        delivered,
    }
}
