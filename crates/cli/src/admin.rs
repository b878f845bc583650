//! `trove serve`, `trove user`, `trove audit`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use trove_server::{Db, Role};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from TROVE_PASSWORD or the first line of stdin.
    Add {
        name: String,
        /// admin, reporter or viewer.
        #[arg(long, default_value = "reporter")]
        role: String,
    },
    /// Set a new password (read like `add`); ends the account's sessions.
    Passwd { name: String },
    /// Change an account's role.
    Role { name: String, role: String },
    /// Let an account see a case (by its folder name).
    Grant { name: String, case: String },
    /// Take a case away from an account.
    Revoke { name: String, case: String },
    /// Lock an account out (its sessions end).
    Disable { name: String },
    /// Let a disabled account log in again.
    Enable { name: String },
    /// Every account with its role and cases.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn password() -> Result<String> {
    if let Ok(p) = std::env::var("TROVE_PASSWORD") {
        return Ok(p);
    }
    errln!("password (at least 10 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s).with_context(|| format!("role is admin, reporter or viewer, not {s}"))
}

pub fn user(data: &Path, cmd: UserCommand) -> Result<()> {
    let db =
        Db::open(data).with_context(|| format!("opening the server data in {}", data.display()))?;
    let actor = Some("cli");
    match cmd {
        UserCommand::Add { name, role: r } => {
            db.add_user(&name, &password()?, role(&r)?)?;
            db.audit(
                actor,
                None,
                "user-create",
                serde_json::json!({ "name": name, "role": r }),
                None,
            )?;
            outln!("created {name} ({r})");
        }
        UserCommand::Passwd { name } => {
            db.set_password(&name, &password()?)?;
            db.audit(
                actor,
                None,
                "user-update",
                serde_json::json!({ "name": name, "password_changed": true }),
                None,
            )?;
            outln!("password of {name} changed");
        }
        UserCommand::Role { name, role: r } => {
            db.set_role(&name, role(&r)?)?;
            db.audit(
                actor,
                None,
                "user-update",
                serde_json::json!({ "name": name, "role": r }),
                None,
            )?;
            outln!("{name} is now {r}");
        }
        UserCommand::Grant { name, case } => {
            db.grant(&name, &case, true)?;
            db.audit(
                actor,
                Some(&case),
                "grant",
                serde_json::json!({ "name": name }),
                None,
            )?;
            outln!("{name} may now see {case}");
        }
        UserCommand::Revoke { name, case } => {
            db.grant(&name, &case, false)?;
            db.audit(
                actor,
                Some(&case),
                "revoke",
                serde_json::json!({ "name": name }),
                None,
            )?;
            outln!("{name} may no longer see {case}");
        }
        UserCommand::Disable { name } => {
            db.set_disabled(&name, true)?;
            db.audit(
                actor,
                None,
                "user-update",
                serde_json::json!({ "name": name, "disabled": true }),
                None,
            )?;
            outln!("{name} disabled");
        }
        UserCommand::Enable { name } => {
            db.set_disabled(&name, false)?;
            db.audit(
                actor,
                None,
                "user-update",
                serde_json::json!({ "name": name, "disabled": false }),
                None,
            )?;
            outln!("{name} enabled");
        }
        UserCommand::List { json } => {
            let users = db.users()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    outln!(
                        "{:<20} {:<9} {}{}",
                        u.name,
                        u.role.as_str(),
                        u.grants.join(", "),
                        if u.disabled { "  (disabled)" } else { "" }
                    );
                }
            }
        }
    }
    Ok(())
}

pub fn audit(
    data: &Path,
    user: Option<String>,
    case: Option<String>,
    limit: usize,
    json: bool,
    csv: bool,
) -> Result<()> {
    let db = Db::open(data)?;
    let rows = db.audit_log(user.as_deref(), case.as_deref(), None, limit, None)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if csv {
        outln!("{}", trove_server::db::AuditEntry::CSV_HEADER);
        for r in rows {
            outln!("{}", r.csv_row());
        }
    } else {
        for r in rows {
            outln!(
                "{}  {:<12} {:<14} {:<18} {}",
                r.at,
                r.user.unwrap_or_default(),
                r.case.unwrap_or_default(),
                r.action,
                r.detail.map(|d| d.to_string()).unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub fn serve(
    data: PathBuf,
    cases: Vec<PathBuf>,
    addr: std::net::SocketAddr,
    secure_cookies: bool,
) -> Result<()> {
    if cases.is_empty() {
        bail!("name at least one case folder to serve");
    }
    let db = Db::open(&data)?;
    if db.users()?.is_empty() {
        errln!(
            "no accounts yet: create one with `trove user add NAME --role admin --data {}`",
            data.display()
        );
    }
    drop(db);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    errln!("serving {} case(s) on http://{addr}/", cases.len());
    rt.block_on(trove_server::serve(trove_server::ServeOptions {
        data,
        cases,
        addr,
        secure_cookies,
    }))?;
    Ok(())
}
