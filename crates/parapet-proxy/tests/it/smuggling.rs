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
        let status = status_of(&reply);
        let responses = reply.matches("HTTP/1.1 ").count();
        if status != case.expect || !closed || responses != 1 {
            failures.push(format!(
                "{}: got {status} closed={closed} responses={responses}\n{reply}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    assert_eq!(up.hits(), 0, "a smuggling case reached the upstream");
}

#[tokio::test]
async fn a_clean_pipelined_pair_is_still_served() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    let two = b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let (reply, _) = raw(gw.addr, two).await;
    assert_eq!(reply.matches("HTTP/1.1 200").count(), 2, "{reply}");
    assert_eq!(up.hits(), 2);
}

/// hyper resolves CL+TE by Transfer-Encoding alone, drops the Content-Length and closes the
/// connection after the response (RFC 9112 §6.1), and merges identical repeated
/// Content-Lengths. What reaches the upstream is one unambiguous message, and the bytes
/// smuggled after the chunked body are never read as a request.
#[tokio::test]
async fn content_length_beside_transfer_encoding_cannot_smuggle() {
    let up = Upstream::start("a").await;
    let gw = start_gateway(&one_api(&up.url(), "{}")).await;
    for cl_first in [true, false] {
        let (first, second) = ("Content-Length: 6\r\n", "Transfer-Encoding: chunked\r\n");
        let (a, b) = if cl_first {
            (first, second)
        } else {
            (second, first)
        };
        let req = format!(
            "POST / HTTP/1.1\r\nHost: a\r\n{a}{b}\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
        );
        let (reply, closed) = raw(gw.addr, req.as_bytes()).await;
        assert_eq!(reply.matches("HTTP/1.1 ").count(), 1, "{reply}");
        assert!(closed, "the connection must close after a CL+TE request");
        let body = reply.split("\r\n\r\n").nth(1).unwrap();
        let seen: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(seen["target"], "/");
        assert!(
            seen["headers"].get("transfer-encoding").is_none() && seen["body_len"] == 0,
            "{seen}"
        );
    }
    let (reply, _) = raw(gw.addr, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc").await;
    let seen: serde_json::Value =
        serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(seen["body_len"], 3);
    assert_eq!(
        up.hits(),
        3,
        "only the three outer requests reached the upstream"
    );
}
