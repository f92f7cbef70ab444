//! The attack classes, one module each. Every module exposes a `DETECTOR` (its rules and its
//! scan function, see [`crate::detector`]); [`DETECTORS`] lists them in the order they run.

use crate::detector::Detector;
use crate::rule::Class;

mod command;
mod crlf;
mod java;
mod ldap;
mod mail;
mod nosql;
mod path;
mod php;
mod protocol;
mod prototype;
mod session;
mod sqli;
mod ssi;
mod ssrf;
mod template;
mod xss;
mod xxe;

const _: () = assert!(Class::ALL.len() <= u32::BITS as usize);

/// Every detector, in the order they run: one per class, so that a set of them fits in a
/// `u32` bitmask.
pub(crate) static DETECTORS: [&Detector; Class::ALL.len()] = [
    &sqli::DETECTOR,
    &xss::DETECTOR,
    &command::DETECTOR,
    &php::DETECTOR,
    &path::DETECTOR,
    &ssrf::DETECTOR,
    &nosql::DETECTOR,
    &ldap::DETECTOR,
    &xxe::DETECTOR,
    &template::DETECTOR,
    &ssi::DETECTOR,
    &java::DETECTOR,
    &crlf::DETECTOR,
    &mail::DETECTOR,
    &prototype::DETECTOR,
    &session::DETECTOR,
    &protocol::DETECTOR,
];
