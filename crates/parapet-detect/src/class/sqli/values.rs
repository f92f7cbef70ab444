//! Whole values that are SQL by their name alone: a system catalogue (`information_schema`,
//! `mysql.user`, `sp_executesql`), optionally quoted, and the numbers that overflow a
//! database's or a parser's integer and float types (`4294967296`,
//! `2.2250738585072011e-308`).

use std::ops::Range;

/// How sure a whole-value name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strength {
    /// Only a database's own catalogue is called so (paranoia 1).
    Strong,
    /// A SQL name that some applications also use (`schema_name`, `varchar`) (paranoia 2).
    Loose,
}

/// The value without surrounding spaces and one pair of quotes or back-ticks around it
/// (`'msdasql'`), and where that starts in `s`.
fn unquoted(s: &[u8]) -> (&[u8], usize) {
    let t = s.trim_ascii();
    let start = s.len() - s.trim_ascii_start().len();
    match t {
        [q @ (b'\'' | b'"' | b'`'), inner @ .., last] if q == last && !inner.is_empty() => {
            (inner, start + 1)
        }
        _ => (t, start),
    }
}

/// The span and strength of a value that is one system catalogue name (optionally with a
/// table of it: `information_schema.tables`, `mysql.user`).
pub(crate) fn catalogue(s: &[u8]) -> Option<(Range<usize>, Strength)> {
    let (t, start) = unquoted(s);
    let (schema, table) = match crate::needle::byte(t, b'.') {
        Some(dot) => (t.get(..dot)?, t.get(dot + 1..)?),
        None => (t, &b""[..]),
    };
    if !table
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return None;
    }
    let strength = match schema {
        b"information_schema" | b"pg_catalog" | b"msdb" | b"tempdb" | b"sysibm" => Strength::Strong,
        b"mysql" if matches!(table, b"user" | b"db" | b"tables_priv" | b"columns_priv") => {
            Strength::Strong
        }
        b"sysobjects" | b"syscolumns" | b"sysdatabases" | b"msysobjects" | b"msysaccessobjects"
        | b"msysqueries" | b"msysrelationships" | b"pg_shadow" | b"pg_user" | b"sqlite_master"
        | b"sqlite_schema" | b"sp_executesql" | b"sp_password" | b"sp_oacreate"
        | b"sp_makewebtask" | b"utl_http" | b"utl_inaddr" | b"openrowset" | b"opendatasource"
        | b"dbms_pipe" | b"dbms_lock" | b"msdasql" | b"sqloledb"
            if table.is_empty() =>
        {
            Strength::Strong
        }
        b"all_tables" | b"dba_users" | b"schema_name" | b"northwind" | b"varchar" | b"nvarchar"
            if table.is_empty() =>
        {
            Strength::Loose
        }
        _ => return None,
    };
    Some((start..start + t.len(), strength))
}

/// The span and strength of a value that is a number known to overflow: the floats that
/// hang strtod (PHP, Java) and `1e309` (paranoia 1), the integers one past a signed or
/// unsigned 32-bit maximum (paranoia 2: `4294967296` is also 4 GiB). The value must not
/// start with a space.
pub(crate) fn overflow_number(s: &[u8]) -> Option<(Range<usize>, Strength)> {
    let t = s.trim_ascii();
    let start = s.len() - s.trim_ascii_start().len();
    let strength = match t {
        b"2.2250738585072011e-308" | b"2.2250738585072007e-308" | b"1e309" => Strength::Strong,
        b"4294967296" | b"2147483648" => Strength::Loose,
        _ => return None,
    };
    Some((start..start + t.len(), strength))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues() {
        assert_eq!(catalogue(b"pg_catalog"), Some((0..10, Strength::Strong)));
        assert_eq!(catalogue(b" 'msdasql' "), Some((2..9, Strength::Strong)));
        assert_eq!(catalogue(b"mysql.db"), Some((0..8, Strength::Strong)));
        assert_eq!(catalogue(b"schema_name"), Some((0..11, Strength::Loose)));
        for b in [
            &b"mysql"[..],
            b"mysql.com",
            b"'",
            b"''",
            b"information_schema.x-y",
        ] {
            assert_eq!(catalogue(b), None, "{b:?}");
        }
    }

    #[test]
    fn overflow_numbers() {
        assert_eq!(
            overflow_number(b"2.2250738585072011e-308"),
            Some((0..23, Strength::Strong))
        );
        assert_eq!(
            overflow_number(b"4294967296"),
            Some((0..10, Strength::Loose))
        );
        assert_eq!(overflow_number(b"42949672960"), None);
        assert_eq!(overflow_number(b"2.5e-308"), None);
    }
}
