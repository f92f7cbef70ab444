//! Where in a request a value was found.

use std::fmt;

/// The part of a request a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// The request method.
    Method,
    /// One segment of the path (between slashes).
    Path,
    /// The name of a query parameter.
    QueryName,
    /// The value of a query parameter.
    Query,
    /// A header value; the location's name is the header name, lowercase.
    Header,
    /// The name of a cookie.
    CookieName,
    /// The value of a cookie; the location's name is the cookie name.
    Cookie,
    /// A key in a structured body (JSON member name, form or multipart field name, XML
    /// element or attribute name).
    BodyKey,
    /// A value in a body: a JSON string, a form or multipart field, XML text or attribute
    /// value, a GraphQL literal, or the whole body when it has no structure we know.
    Body,
    /// The file name of a multipart part.
    FileName,
}

impl Part {
    /// The part's name in config and events (`path`, `query`, `header`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Part::Method => "method",
            Part::Path => "path",
            Part::QueryName => "query-name",
            Part::Query => "query",
            Part::Header => "header",
            Part::CookieName => "cookie-name",
            Part::Cookie => "cookie",
            Part::BodyKey => "body-key",
            Part::Body => "body",
            Part::FileName => "filename",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a value was found: the part and, inside it, the parameter, header or cookie name,
/// or the body field's JSON pointer (`/user/name`, `/items/0`); empty for the path and a
/// body without structure.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The part of the request.
    pub part: Part,
    /// The name inside the part.
    pub name: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(self.part.name())
        } else {
            write!(f, "{}:{}", self.part.name(), self.name)
        }
    }
}
