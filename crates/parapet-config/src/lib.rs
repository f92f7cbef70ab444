//! Parapet's configuration: one YAML file, parsed strictly and validated as a whole.
//!
//! [`load`] reads a file and returns either a validated [`Config`] or every problem found,
//! each as `file:line:col: reason`. The serde structs of the file format live in [`file`];
//! the engine only ever sees the validated types of [`model`]. See `docs/config.md` for the
//! reference of every key.

pub mod error;
pub mod file;
pub mod model;
pub mod units;
mod validate;

pub use error::{ConfigError, ConfigErrors};
pub use model::*;

use std::path::Path;

/// Reads, parses and validates the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            reason: format!("cannot read the file: {e}"),
        }])
    })?;
    parse(path, &text)
}

/// Parses and validates `text` as if read from `path` (relative file names resolve against
/// its folder).
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    let mut checker = validate::Checker::new(path);
    let file: file::File = match serde_saphyr::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            checker.error_at(line, column, first_line(&e.to_string()));
            return Err(ConfigErrors(checker.errors));
        }
    };
    match validate::validate(file, &mut checker) {
        Some(config) => Ok(config),
        None => {
            checker.errors.sort_by_key(|e| (e.line, e.column));
            Err(ConfigErrors(checker.errors))
        }
    }
}

/// The YAML library renders a code frame after its message; keep the message alone, without
/// the `error: line L column C:` prefix that our own `file:line:col` replaces.
fn first_line(rendered: &str) -> String {
    let line = rendered.lines().next().unwrap_or(rendered);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("line ") => rest.to_string(),
        _ => line.to_string(),
    }
}
