//! Raw bytes parsed as an HTTP/1.1 request head by httparse (hyper's parser) and built into
//! `http` request parts as hyper does; then every request-head function of parapet-proxy:
//! hygiene `check` and `head_size`, forward `client_ip`, `request_id`, `strip_hop_by_hop`,
//! `set_forwarding`, and the access log's `Redactor`. Heads httparse or http refuse are
//! skipped (hyper answers those 400 itself).
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_fuzz::{LogRules, exercise, fixed_peers, parse_head};
use std::sync::OnceLock;

struct Fixed {
    peers: Vec<std::net::IpAddr>,
    proxies: Vec<ipnet::IpNet>,
    rules: LogRules,
}

static FIXED: OnceLock<Fixed> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(parts) = parse_head(data) else {
        return;
    };
    let fixed = FIXED.get_or_init(|| {
        let (peers, proxies) = fixed_peers();
        Fixed {
            peers,
            proxies,
            rules: LogRules::typical(),
        }
    });
    for (i, peer) in fixed.peers.iter().enumerate() {
        exercise(&parts, &fixed.rules.env(*peer, &fixed.proxies, i % 2 == 0));
    }
});
