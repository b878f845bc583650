//! An Outlook item as the readers hand it over: properties, recipients, attachments.

use crate::props::{PropBag, tag};

/// One Outlook item (a message, contact, appointment…), from a PST, an MSG or a TNEF stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub props: PropBag,
    pub recipients: Vec<PropBag>,
    pub attachments: Vec<Attachment>,
    /// What could not be read of this item (kept with the item, never dropped).
    pub problems: Vec<String>,
}

/// An attachment of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub props: PropBag,
    pub content: AttachContent,
}

/// What an attachment holds.
#[derive(Debug, Clone, PartialEq)]
pub enum AttachContent {
    /// File bytes (attach by value).
    Bytes(Vec<u8>),
    /// An embedded message.
    Message(Box<Item>),
    /// Nothing readable here (a reference to a file elsewhere, an OLE object), or why not.
    Missing(String),
}

/// What kind of Outlook item, from its message class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// Mail, meeting requests and responses, reports, posts.
    Mail,
    Appointment,
    Contact,
    DistList,
    Task,
    Note,
    Journal,
}

impl ItemKind {
    pub fn from_class(class: &str) -> ItemKind {
        let c = class.to_ascii_lowercase();
        let is = |p: &str| c == p || c.starts_with(&format!("{p}."));
        if is("ipm.appointment") {
            ItemKind::Appointment
        } else if is("ipm.contact") {
            ItemKind::Contact
        } else if is("ipm.distlist") {
            ItemKind::DistList
        } else if is("ipm.task") {
            ItemKind::Task
        } else if is("ipm.stickynote") {
            ItemKind::Note
        } else if is("ipm.activity") {
            ItemKind::Journal
        } else {
            ItemKind::Mail
        }
    }

    /// The catalog format name of items of this kind.
    pub fn format(self) -> &'static str {
        match self {
            ItemKind::Mail => "eml",
            ItemKind::Appointment => "outlook-appointment",
            ItemKind::Contact => "outlook-contact",
            ItemKind::DistList => "outlook-distlist",
            ItemKind::Task => "outlook-task",
            ItemKind::Note => "outlook-note",
            ItemKind::Journal => "outlook-journal",
        }
    }
}

impl Item {
    pub fn message_class(&self) -> &str {
        self.props.str(tag::MESSAGE_CLASS).unwrap_or("IPM.Note")
    }

    pub fn kind(&self) -> ItemKind {
        ItemKind::from_class(self.message_class())
    }

    /// PidTagSubject, without the prefix-length marker (`\u{1}` + a length) some writers put first.
    pub fn subject(&self) -> Option<&str> {
        let s = self.props.str(tag::SUBJECT)?;
        let mut c = s.chars();
        if c.next() == Some('\u{1}') {
            c.next();
            return Some(c.as_str()).filter(|s| !s.is_empty());
        }
        Some(s)
    }

    /// Attachments, embedded messages included, counted through every level.
    pub fn attachment_count(&self) -> usize {
        self.attachments
            .iter()
            .map(|a| {
                1 + if let AttachContent::Message(m) = &a.content {
                    m.attachment_count()
                } else {
                    0
                }
            })
            .sum()
    }
}

impl Attachment {
    /// The attachment's name: long file name, then short, then display name.
    pub fn name(&self) -> Option<&str> {
        self.props
            .str(tag::ATTACH_LONG_FILENAME)
            .or_else(|| self.props.str(tag::ATTACH_FILENAME))
            .or_else(|| self.props.str(tag::DISPLAY_NAME))
    }
}
