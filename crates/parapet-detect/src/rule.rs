//! What a detection rule is: an id, the attack class it belongs to, the paranoia level from
//! which it runs, and how much it adds to a request's anomaly score.

use std::fmt;

/// The attack classes the engine knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// OS command injection.
    Command,
    /// PHP code injection.
    Php,
    /// Path traversal and local file inclusion.
    PathTraversal,
    /// Remote file inclusion and server-side request forgery.
    Ssrf,
    /// NoSQL operator injection.
    Nosql,
    /// LDAP injection.
    Ldap,
    /// XML external entities and XML injection.
    Xxe,
    /// Server-side template injection.
    Template,
    /// Server-side includes.
    Ssi,
    /// Java: JNDI/Log4Shell, deserialization gadgets, expression languages.
    Java,
    /// CRLF and HTTP header injection, response splitting.
    Crlf,
    /// E-mail header injection.
    MailHeader,
    /// JavaScript prototype pollution.
    PrototypePollution,
    /// Session fixation.
    SessionFixation,
    /// Protocol anomalies: malformed or smuggling-prone requests, scanners.
    Protocol,
}

impl Class {
    /// Every class, in a stable order.
    pub const ALL: [Class; 17] = [
        Class::Sqli,
        Class::Xss,
        Class::Command,
        Class::Php,
        Class::PathTraversal,
        Class::Ssrf,
        Class::Nosql,
        Class::Ldap,
        Class::Xxe,
        Class::Template,
        Class::Ssi,
        Class::Java,
        Class::Crlf,
        Class::MailHeader,
        Class::PrototypePollution,
        Class::SessionFixation,
        Class::Protocol,
    ];

    /// The class's name in config, events and rule ids (`sqli`, `xss`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Class::Sqli => "sqli",
            Class::Xss => "xss",
            Class::Command => "command",
            Class::Php => "php",
            Class::PathTraversal => "path-traversal",
            Class::Ssrf => "ssrf",
            Class::Nosql => "nosql",
            Class::Ldap => "ldap",
            Class::Xxe => "xxe",
            Class::Template => "template",
            Class::Ssi => "ssi",
            Class::Java => "java",
            Class::Crlf => "crlf",
            Class::MailHeader => "mail-header",
            Class::PrototypePollution => "prototype-pollution",
            Class::SessionFixation => "session-fixation",
            Class::Protocol => "protocol",
        }
    }

    /// The class called `name`, if any.
    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much a rule's match adds to the anomaly score (the OWASP CRS scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// 2 points: weak evidence, only meaningful together with other matches.
    Notice,
    /// 3 points.
    Warning,
    /// 4 points.
    Error,
    /// 5 points: enough alone to block at the default threshold.
    Critical,
}

impl Severity {
    /// The points a match adds.
    pub const fn score(self) -> u32 {
        match self {
            Severity::Notice => 2,
            Severity::Warning => 3,
            Severity::Error => 4,
            Severity::Critical => 5,
        }
    }
}

/// One detection rule.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `class.what` (`sqli.tautology`, `xss.event-handler`, …); exclusions and
    /// events name rules by it.
    pub id: &'static str,
    /// The attack class.
    pub class: Class,
    /// The lowest paranoia level (1–4) at which the rule runs.
    pub paranoia: u8,
    /// What a match adds to the anomaly score.
    pub severity: Severity,
    /// One line for humans: what the rule detects.
    pub description: &'static str,
}
