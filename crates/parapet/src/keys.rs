//! `parapet keys`: create, list and revoke API keys in the store named by a configuration.
//! A new key's secret is printed once, on standard output, and never again.

use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

/// What to do with keys.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key for a consumer and print its secret (shown only this once).
    Create {
        /// The consumer (declared in the config or created through the admin API).
        #[arg(long)]
        consumer: String,
        /// A label to recognize the key by.
        #[arg(long)]
        label: Option<String>,
        /// Lifetime, e.g. `90d` or `12h` (no expiry by default).
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<humantime::Duration>,
    },
    /// List keys (all, or one consumer's), without their secrets.
    List {
        /// Only this consumer's keys.
        #[arg(long)]
        consumer: Option<String>,
    },
    /// Revoke a key by id; every replica sharing the store refuses it on its next request.
    Revoke {
        /// The key id (`key_…`), as listed.
        id: String,
    },
}

/// Runs a keys subcommand against the store of the configuration at `config`.
pub fn run(config: &Path, command: KeysCommand) -> ExitCode {
    match execute(config, command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn execute(config: &Path, command: KeysCommand) -> Result<(), String> {
    let config = parapet_config::load(config).map_err(|e| e.to_string())?;
    if config.identity.store.is_none() {
        return Err(
            "the configuration has no `store:` file; keys need a persistent store".to_string(),
        );
    }
    let store = parapet_identity::open_store(&config.identity)?;
    match command {
        KeysCommand::Create {
            consumer,
            label,
            expires_in,
        } => {
            let expires = expires_in.map(|d| SystemTime::now() + *d);
            let new = store
                .create_key(&consumer, label.as_deref(), expires)
                .map_err(|e| format!("consumer {consumer:?}: {e}"))?;
            eprintln!(
                "created {} for {consumer}; the secret below is shown only once:",
                new.record.id
            );
            println!("{}", new.secret);
        }
        KeysCommand::List { consumer } => {
            let keys = store.keys(consumer.as_deref()).map_err(|e| e.to_string())?;
            for k in keys {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.expires_at.is_some_and(|t| t <= SystemTime::now()) {
                    "expired"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}…\t{state}\t{}",
                    k.id,
                    k.consumer_id,
                    k.prefix,
                    k.label.unwrap_or_default()
                );
            }
        }
        KeysCommand::Revoke { id } => {
            if !store.revoke_key(&id).map_err(|e| e.to_string())? {
                return Err(format!("no active key {id}"));
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(())
}
