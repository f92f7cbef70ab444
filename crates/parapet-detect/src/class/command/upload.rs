//! Uploads named as a file that configures the server, a shell or a tool (`.htaccess`,
//! `.user.ini`, `wp-config.php`, `.bashrc`, `.boto`) or as a kernel file under `/proc`
//! (`mtrr`, `kallsyms`): written in place, such a file runs code or leaks secrets.
//! Application configuration files (`config.yml`, `settings.php`) are legitimate uploads
//! more often, and count at a higher paranoia level.

use std::ops::Range;

/// Server, shell and tool configuration files, and `/proc` files, by exact name.
const RESTRICTED: &[&[u8]] = &[
    b".htaccess",
    b".htpasswd",
    b".htdigest",
    b".user.ini",
    b"web.config",
    b"php.ini",
    b".boto",
    b".bashrc",
    b".bash_profile",
    b".bash_login",
    b".bash_logout",
    b".profile",
    b".zshrc",
    b".zprofile",
    b".cshrc",
    b".tcshrc",
    b".kshrc",
    b".rhosts",
    b".forward",
    b".netrc",
    b".pgpass",
    b".my.cnf",
    b".gitconfig",
    b".pearrc",
    b".procmailrc",
    b".xauthority",
    b".google_authenticator",
    b"authorized_keys",
    b"acpi",
    b"mtrr",
    b"cpuinfo",
    b"meminfo",
    b"kcore",
    b"kallsyms",
    b"kmsg",
    b"iomem",
    b"ioports",
    b"buddyinfo",
    b"diskstats",
    b"mdstat",
    b"slabinfo",
    b"softirqs",
    b"pagetypeinfo",
    b"schedstat",
    b"sched_debug",
    b"timer_list",
    b"timer_stats",
    b"vmallocinfo",
    b"vmstat",
    b"zoneinfo",
    b"kpagecount",
    b"kpageflags",
    b"kpagecgroup",
    b"execdomains",
    b"sysrq-trigger",
    b"version_signature",
];

/// Application configuration files (PHP frameworks, Rails, Symfony, Magento, WebLogic).
const APP_CONFIG: &[&[u8]] = &[
    b"config.yml",
    b"config.php",
    b"config_dev.yml",
    b"config_prod.yml",
    b"config_test.yml",
    b"settings.php",
    b"settings.local.php",
    b"settings.inc.php",
    b"default.settings.php",
    b"parameters.yml",
    b"parameters.php",
    b"database.yml",
    b"security.yml",
    b"services.yml",
    b"routing.yml",
    b"local.xml",
    b"weblogic.xml",
    b"soapconfig.xml",
    b"sftp-config.json",
];

/// What an upload's name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Upload {
    /// A server, shell or tool configuration file, or a `/proc` file.
    Restricted,
    /// An application configuration file.
    AppConfig,
}

/// The kind of restricted file the upload name `lower` is, and where its base name is.
pub(super) fn find(lower: &[u8]) -> Option<(Upload, Range<usize>)> {
    let start = lower
        .iter()
        .rposition(|&c| c == b'/' || c == b'\\')
        .map_or(0, |p| p + 1);
    let base = &lower[start..];
    // Blanks are dropped (`wp-config. php`, `config.yml `), as are trailing dots (Windows).
    let mut name = [0u8; 32];
    let mut len = 0;
    for &c in base {
        if c.is_ascii_whitespace() {
            continue;
        }
        if len == name.len() {
            return None;
        }
        name[len] = c;
        len += 1;
    }
    while len > 0 && name[len - 1] == b'.' {
        len -= 1;
    }
    let name = &name[..len];
    let span = start..lower.len();
    // `wp-config.php` and its copies: `wp-config.php.bak`, `wp-config-php.bak`, `wp-config.old`.
    let wp_config = name
        .strip_prefix(b"wp-config")
        .is_some_and(|rest| matches!(rest.first(), Some(b'.' | b'-' | b'_')));
    if wp_config || RESTRICTED.contains(&name) {
        return Some((Upload::Restricted, span));
    }
    APP_CONFIG
        .contains(&name)
        .then_some((Upload::AppConfig, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for name in [
            ".htaccess",
            ".boto",
            "mtrr",
            "ACPI",
            "wp-config-php.bak",
            "wp-config_php.txt",
            "wp-config. php",
            "uploads/.user.ini",
            "web.config.",
        ] {
            let lower = name.to_ascii_lowercase();
            assert_eq!(
                find(lower.as_bytes()).map(|f| f.0),
                Some(Upload::Restricted),
                "{name}"
            );
        }
        for name in ["config.yml ", "settings. php", "app\\config.php"] {
            assert_eq!(
                find(name.as_bytes()).map(|f| f.0),
                Some(Upload::AppConfig),
                "{name}"
            );
        }
        for name in [
            "abc.botox.jpg",
            "amtrra.jpg",
            "jacpic.jpg",
            "settings.json",
            "readme.md",
            "wp-configurator.zip",
            "my .htaccess notes.txt",
            "customers (1).csv",
            "a-very-long-file-name-that-goes-on-and-on.txt",
        ] {
            assert_eq!(find(name.as_bytes()), None, "{name}");
        }
    }
}
