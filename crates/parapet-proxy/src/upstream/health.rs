//! Active health checks: a GET to the configured path on every target at each interval.

use super::{Group, Target};
use crate::body::full;
use std::sync::Weak;

/// Probes every target until the group is dropped.
pub(super) async fn run(group: Weak<Group>) {
    let mut streaks: Vec<(u32, u32)> = Vec::new();
    loop {
        let Some(g) = group.upgrade() else { return };
        let Some(health) = g.config.health.clone() else {
            return;
        };
        streaks.resize(g.targets.len(), (0, 0));
        for (i, t) in g.targets.iter().enumerate() {
            let ok = probe(&g, t, &health.path, health.timeout).await;
            let (good, bad) = &mut streaks[i];
            if ok {
                *good += 1;
                *bad = 0;
                if *good >= health.healthy_after {
                    g.set_active(t, true);
                }
            } else {
                *bad += 1;
                *good = 0;
                if *bad >= health.unhealthy_after {
                    g.set_active(t, false);
                }
            }
        }
        let interval = health.interval;
        drop(g);
        tokio::time::sleep(interval).await;
    }
}

async fn probe(g: &Group, target: &Target, path: &str, timeout: std::time::Duration) -> bool {
    let Ok(uri) = path.parse::<http::uri::PathAndQuery>() else {
        return false;
    };
    let Ok(req) = http::Request::get(uri)
        .header(http::header::USER_AGENT, "parapet-health")
        .body(full(""))
    else {
        return false;
    };
    matches!(tokio::time::timeout(timeout, g.send(target, req)).await, Ok(Ok(resp)) if resp.status().is_success())
}
