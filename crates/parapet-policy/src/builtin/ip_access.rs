//! IP access: allow and deny lists of networks, IPv4 and IPv6.
//!
//! Deny wins over allow; a non-empty allow list refuses every address outside it. On a
//! listener it runs in the connection phase on the TCP peer; on a route it runs in the
//! request-headers phase on the client address resolved through trusted proxies.

use crate::{Decision, Mode, Part, Policy, RequestContext, Step};
use std::net::IpAddr;

crate::reasons! {
    /// Refusal reason of this policy.
    DENIED = (FORBIDDEN, "ip-denied", "Client address not allowed");
}

/// The IP access policy.
#[derive(Debug)]
pub struct IpAccess {
    config: parapet_config::IpAccess,
}

impl IpAccess {
    /// A policy from its validated config.
    pub fn new(config: parapet_config::IpAccess) -> Self {
        IpAccess { config }
    }

    /// Whether `ip` may pass. IPv4-mapped IPv6 addresses are checked as IPv4.
    pub fn admits(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        if self.config.deny.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        self.config.allow.is_empty() || self.config.allow.iter().any(|n| n.contains(&ip))
    }

    fn decide(&self, ip: IpAddr, part: Part) -> Decision {
        if self.admits(ip) {
            Decision::Continue
        } else {
            Decision::refuse(DENIED, part, Some(ip.to_string()))
        }
    }
}

impl Policy for IpAccess {
    fn name(&self) -> &'static str {
        "ip_access"
    }
    fn order(&self) -> u16 {
        100
    }
    fn mode(&self) -> Mode {
        self.config.mode
    }
    fn on_connection(&self, peer: IpAddr) -> Decision {
        self.decide(peer, Part::Connection)
    }
    fn on_request_headers<'a>(
        &'a self,
        ctx: &'a mut RequestContext,
        _req: &'a mut http::request::Parts,
    ) -> Step<'a> {
        self.decide(ctx.client_ip, Part::Connection).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow: &[&str], deny: &[&str]) -> IpAccess {
        let nets = |v: &[&str]| v.iter().map(|s| s.parse().unwrap()).collect();
        IpAccess::new(parapet_config::IpAccess {
            allow: nets(allow),
            deny: nets(deny),
            mode: Mode::Enforce,
        })
    }

    #[test]
    fn deny_wins_over_allow() {
        let p = policy(&["10.0.0.0/8"], &["10.1.0.0/16"]);
        assert!(p.admits("10.2.3.4".parse().unwrap()));
        assert!(!p.admits("10.1.3.4".parse().unwrap()));
        assert!(!p.admits("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn ipv6_and_mapped_addresses() {
        let p = policy(&[], &["2001:db8::/32", "203.0.113.0/24"]);
        assert!(!p.admits("2001:db8::1".parse().unwrap()));
        assert!(p.admits("2001:db9::1".parse().unwrap()));
        assert!(!p.admits("::ffff:203.0.113.9".parse().unwrap()));
    }
}
