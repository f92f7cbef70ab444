//! Request limits: method, request-target length, query parameter count, header count and
//! size, body size and media type. All are checked on the request head, before the upstream
//! is contacted; the body size is also enforced while a chunked body streams.

use crate::{Decision, Mode, Part, Policy, Reason, RequestContext, Step, redact_snippet};

crate::reasons! {
    /// Method not in the allowed list.
    METHOD_NOT_ALLOWED = (METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed");
    /// Request target longer than allowed.
    URL_TOO_LONG = (URI_TOO_LONG, "url-too-long", "Request URL too long");
    /// Too many query parameters.
    TOO_MANY_PARAMS = (BAD_REQUEST, "too-many-query-params", "Too many query parameters");
    /// Too many header fields.
    TOO_MANY_HEADERS = (REQUEST_HEADER_FIELDS_TOO_LARGE, "too-many-headers", "Too many request header fields");
    /// One header field too large.
    HEADER_TOO_LARGE = (REQUEST_HEADER_FIELDS_TOO_LARGE, "header-too-large", "Request header field too large");
    /// Body larger than allowed.
    BODY_TOO_LARGE = (PAYLOAD_TOO_LARGE, "body-too-large", "Request body too large");
    /// Body media type not allowed.
    UNSUPPORTED_MEDIA_TYPE = (UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type");
}

/// The request limits policy.
#[derive(Debug)]
pub struct Limits {
    config: parapet_config::Limits,
}

impl Limits {
    /// A policy from its validated config.
    pub fn new(config: parapet_config::Limits) -> Self {
        Limits { config }
    }

    fn check(&self, req: &http::request::Parts) -> Option<(Reason, Part, Option<String>)> {
        let c = &self.config;
        if let Some(methods) = &c.methods
            && !methods.contains(&req.method)
        {
            return Some((
                METHOD_NOT_ALLOWED,
                Part::Method,
                Some(redact_snippet(req.method.as_str())),
            ));
        }
        if let Some(max) = c.max_url_length {
            let len = req.uri.path_and_query().map_or(1, |pq| pq.as_str().len());
            if len > max {
                return Some((URL_TOO_LONG, Part::Path, Some(format!("{len} bytes"))));
            }
        }
        if let Some(max) = c.max_query_params {
            let count = req
                .uri
                .query()
                .map_or(0, |q| q.split('&').filter(|p| !p.is_empty()).count());
            if count > max {
                return Some((
                    TOO_MANY_PARAMS,
                    Part::Query(None),
                    Some(format!("{count} parameters")),
                ));
            }
        }
        if let Some(max) = c.max_headers
            && req.headers.len() > max
        {
            return Some((
                TOO_MANY_HEADERS,
                Part::Header(None),
                Some(format!("{} fields", req.headers.len())),
            ));
        }
        if let Some(max) = c.max_header_size
            && let Some((name, _)) = req
                .headers
                .iter()
                .find(|(n, v)| n.as_str().len() + v.len() > max)
        {
            return Some((HEADER_TOO_LARGE, Part::Header(Some(name.to_string())), None));
        }
        // Looked up once, for both checks that need it.
        let length = std::cell::OnceCell::new();
        let length = || *length.get_or_init(|| content_length(req));
        if let Some(max) = c.max_body
            && let Some(len) = length()
            && len > max
        {
            return Some((BODY_TOO_LARGE, Part::Body, Some(format!("{len} bytes"))));
        }
        if let Some(types) = &c.content_types
            && (length().is_some_and(|n| n > 0)
                || req.headers.contains_key(http::header::TRANSFER_ENCODING))
        {
            let ct = req
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let essence = ct.split(';').next().unwrap_or("").trim();
            // `types.contains(&essence.to_ascii_lowercase())`, without the copy.
            let listed = |t: &String| {
                t.len() == essence.len()
                    && t.bytes()
                        .zip(essence.bytes())
                        .all(|(t, e)| t == e.to_ascii_lowercase())
            };
            if !types.iter().any(listed) {
                return Some((
                    UNSUPPORTED_MEDIA_TYPE,
                    Part::Header(Some("content-type".into())),
                    Some(redact_snippet(ct)),
                ));
            }
        }
        None
    }
}

/// The declared Content-Length, when there is exactly one valid value.
fn content_length(req: &http::request::Parts) -> Option<u64> {
    req.headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

impl Policy for Limits {
    fn name(&self) -> &'static str {
        "limits"
    }
    fn order(&self) -> u16 {
        200
    }
    fn mode(&self) -> Mode {
        self.config.mode
    }
    fn on_request_headers<'a>(
        &'a self,
        _ctx: &'a mut RequestContext,
        req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        match self.check(req) {
            Some((reason, part, snippet)) => Decision::refuse(reason, part, snippet).into(),
            None => Decision::Continue.into(),
        }
    }
    fn max_request_body(&self) -> Option<u64> {
        self.config.max_body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> parapet_config::Limits {
        parapet_config::Limits {
            max_body: None,
            max_url_length: None,
            max_query_params: None,
            max_headers: None,
            max_header_size: None,
            content_types: None,
            methods: None,
            mode: Mode::Enforce,
        }
    }

    fn parts(req: http::Request<()>) -> http::request::Parts {
        req.into_parts().0
    }

    fn reason(c: parapet_config::Limits, req: http::Request<()>) -> Option<&'static str> {
        Limits::new(c).check(&parts(req)).map(|(r, _, _)| r.code)
    }

    #[test]
    fn each_limit_refuses_with_its_reason() {
        let get = |uri: &str| http::Request::get(uri).body(()).unwrap();
        assert_eq!(
            reason(
                parapet_config::Limits {
                    max_url_length: Some(10),
                    ..limits()
                },
                get("/abcdefghijk")
            ),
            Some("url-too-long")
        );
        assert_eq!(
            reason(
                parapet_config::Limits {
                    max_url_length: Some(10),
                    ..limits()
                },
                get("/abc")
            ),
            None
        );
        assert_eq!(
            reason(
                parapet_config::Limits {
                    max_query_params: Some(2),
                    ..limits()
                },
                get("/?a=1&b=2&c=3")
            ),
            Some("too-many-query-params")
        );
        assert_eq!(
            reason(
                parapet_config::Limits {
                    max_query_params: Some(3),
                    ..limits()
                },
                get("/?a=1&b=2&c=3")
            ),
            None
        );
        let methods = Some(vec![http::Method::GET]);
        let post = http::Request::post("/").body(()).unwrap();
        assert_eq!(
            reason(
                parapet_config::Limits {
                    methods,
                    ..limits()
                },
                post
            ),
            Some("method-not-allowed")
        );
    }

    #[test]
    fn content_type_is_compared_without_parameters() {
        let c = parapet_config::Limits {
            content_types: Some(vec!["application/json".into()]),
            ..limits()
        };
        let req = |ct: &str| {
            http::Request::post("/")
                .header("content-type", ct)
                .header("content-length", "2")
                .body(())
                .unwrap()
        };
        assert_eq!(
            reason(c.clone(), req("application/json; charset=utf-8")),
            None
        );
        assert_eq!(reason(c.clone(), req("Application/JSON")), None);
        assert_eq!(
            reason(c.clone(), req("text/xml")),
            Some("unsupported-media-type")
        );
        for near in [
            "application/jso",
            "application/jsonx",
            "application/jsön",
            "",
        ] {
            assert_eq!(
                reason(c.clone(), req(near)),
                Some("unsupported-media-type"),
                "{near}"
            );
        }
        // A listed type is matched as written (the config lowercases what it lists).
        let upper = parapet_config::Limits {
            content_types: Some(vec!["Application/JSON".into()]),
            ..limits()
        };
        assert_eq!(
            reason(upper, req("application/json")),
            Some("unsupported-media-type")
        );
        let no_body = http::Request::get("/").body(()).unwrap();
        assert_eq!(reason(c, no_body), None);
    }

    #[test]
    fn declared_body_length_over_the_limit_is_refused() {
        let c = parapet_config::Limits {
            max_body: Some(100),
            ..limits()
        };
        let req = |n: u32| {
            http::Request::post("/")
                .header("content-length", n.to_string())
                .body(())
                .unwrap()
        };
        assert_eq!(reason(c.clone(), req(101)), Some("body-too-large"));
        assert_eq!(reason(c, req(100)), None);
    }
}
