//! Raw-byte request smuggling and desync cases from `tests/data/smuggling.txt`: each must be
//! refused with 400 (405 for tunnels), the connection closed, and nothing forwarded.

use crate::common::*;

struct Case {
    name: String,
    expect: u16,
    bytes: Vec<u8>,
}

/// Parses the case file: `### name: …`, `### expect: N`, then the request with `\r`, `\n`,
/// `\t`, `\xNN` escapes; real line breaks in the file are ignored.
fn cases() -> Vec<Case> {
    let text = include_str!("../data/smuggling.txt");
    let mut out: Vec<Case> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("### name: ") {
            out.push(Case {
                name: name.to_string(),
                expect: 0,
                bytes: Vec::new(),
            });
        } else if let Some(code) = line.strip_prefix("### expect: ") {
            out.last_mut().unwrap().expect = code.trim().parse().unwrap();
        } else if !line.starts_with('#')
            && let Some(case) = out.last_mut()
        {
            case.bytes.extend(unescape(line));
        }
    }
    out
}

fn unescape(line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    out.push(u8::from_str_radix(&line[i + 2..i + 4], 16).unwrap());
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else if line[i..].starts_with("{REPEAT ") {
            // {REPEAT N c} expands to N copies of c.
            let end = line[i..].find('}').unwrap() + i;
            let spec: Vec<&str> = line[i + 8..end].split(' ').collect();
            out.extend(std::iter::repeat_n(
                spec[1].as_bytes()[0],
                spec[0].parse().unwrap(),
            ));
            i = end + 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn every_smuggling_case_is_refused_closed_and_not_forwarded() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let cases = cases();
    assert!(cases.len() >= 30, "case file not read");
    let mut failures = Vec::new();
    for case in &cases {
        let (reply, closed) = raw(gw.addr, &case.bytes).await;
        // A case may start with clean requests; the last response is the one that counts.
        let status = status_of(&reply[reply.rfind("HTTP/1.1 ").unwrap_or(0)..]);
        let clean = reply.matches("HTTP/1.1 200").count();
        let refused = reply.matches("HTTP/1.1 ").count() - clean;
        let ok = if case.expect == 200 {
            refused == 1 && clean == 1
        } else {
            refused == 1 && clean == 0 && status == case.expect
        };
        if !ok || !closed {
            failures.push(format!(
                "{}: got {status} closed={closed} refused={refused} clean={clean}\n{reply}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    let clean_prefixes = cases.iter().filter(|c| c.expect == 200).count();
    assert_eq!(
        up.hits(),
        clean_prefixes,
        "a smuggling case reached the upstream"
    );
}

#[tokio::test]
async fn clean_pipelined_requests_with_both_framings_are_served() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let pipeline = concat!(
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
        "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nGET \r\n2\r\n/c\r\n0\r\nX-Trailer: 1\r\n\r\n",
        "\r\nGET /d HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
        "abcGET /e HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    );
    let (reply, _) = raw(gw.addr, pipeline.as_bytes()).await;
    assert_eq!(reply.matches("HTTP/1.1 200").count(), 4, "{reply}");
    assert_eq!(up.hits(), 4);
}
