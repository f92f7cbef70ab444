//! Human-friendly scalar units used in the file: durations (`30s`, `1m30s`) and sizes (`16KiB`, `1MiB`).

use serde::{Deserialize, Deserializer, de};
use std::fmt;

/// A duration written with units, such as `250ms`, `30s` or `1h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(text.trim())
            .map(Duration)
            .map_err(|e| {
                de::Error::custom(format!(
                    "invalid duration {text:?} ({e}); write e.g. 500ms, 30s, 5m"
                ))
            })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A size in bytes, written as a number or with units such as `512B`, `16KiB`, `1MiB` or `1MB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as 4096, 16KiB or 1MiB")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.trim()
                    .parse::<bytesize::ByteSize>()
                    .map(|b| ByteSize(b.as_u64()))
                    .map_err(|_| {
                        E::custom(format!("invalid size {v:?}; write e.g. 4096, 16KiB, 1MiB"))
                    })
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", bytesize::ByteSize(self.0).display().iec())
    }
}

/// A rate in bytes per second, written as a size with an optional `/s` (`1KiB`, `1KiB/s`,
/// `512`), or `off` (also `0`) for no rate at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteRate(pub u64);

impl ByteRate {
    /// The rate, or `None` when it is off.
    pub fn per_second(self) -> Option<u64> {
        (self.0 > 0).then_some(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ByteRate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate in bytes per second such as 1KiB or 1KiB/s, or off")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteRate, E> {
                Ok(ByteRate(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteRate, E> {
                u64::try_from(v)
                    .map(ByteRate)
                    .map_err(|_| E::custom("a rate cannot be negative"))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ByteRate, E> {
                // YAML 1.1 readers may turn a bare `off` into false.
                if v {
                    Err(E::custom(
                        "invalid rate true; write e.g. 1KiB (bytes per second) or off",
                    ))
                } else {
                    Ok(ByteRate(0))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteRate, E> {
                let text = v.trim();
                if text.eq_ignore_ascii_case("off") {
                    return Ok(ByteRate(0));
                }
                let size = text
                    .strip_suffix("/s")
                    .or_else(|| text.strip_suffix("/S"))
                    .unwrap_or(text)
                    .trim();
                size.parse::<bytesize::ByteSize>()
                    .map(|b| ByteRate(b.as_u64()))
                    .map_err(|_| {
                        E::custom(format!(
                            "invalid rate {v:?}; write e.g. 1KiB or 1KiB/s (bytes per second), or off"
                        ))
                    })
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl fmt::Display for ByteRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.per_second() {
            None => f.write_str("off"),
            Some(r) => write!(f, "{}/s", bytesize::ByteSize(r).display().iec()),
        }
    }
}
