//! A bounded, non-blocking line writer to stdout, stderr or a file.

use parapet_config::LogTarget;
use std::io::Write;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

/// Lines a queue holds before new ones are dropped.
const QUEUE: usize = 16 * 1024;

/// Where lines of one log go. Cloning shares the queue.
#[derive(Clone, Debug)]
pub struct LogSink {
    target: LogTarget,
    tx: Option<SyncSender<Vec<u8>>>,
}

impl LogSink {
    /// Opens `target` and starts its writer thread. Files are opened for append.
    pub fn open(target: &LogTarget) -> std::io::Result<Self> {
        let mut out: Box<dyn Write + Send> = match target {
            LogTarget::Off => {
                return Ok(LogSink {
                    target: target.clone(),
                    tx: None,
                });
            }
            LogTarget::Stdout => Box::new(std::io::stdout()),
            LogTarget::Stderr => Box::new(std::io::stderr()),
            LogTarget::File(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
        };
        let (tx, rx) = sync_channel::<Vec<u8>>(QUEUE);
        std::thread::Builder::new()
            .name("parapet-log".into())
            .spawn(move || {
                while let Ok(line) = rx.recv() {
                    let _ = out.write_all(&line);
                    // Write what is queued before flushing, so bursts cost one flush.
                    while let Ok(more) = rx.try_recv() {
                        let _ = out.write_all(&more);
                    }
                    let _ = out.flush();
                }
            })?;
        Ok(LogSink {
            target: target.clone(),
            tx: Some(tx),
        })
    }

    /// The target it writes to.
    pub fn target(&self) -> &LogTarget {
        &self.target
    }

    /// Whether lines are written at all.
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues one JSON value as a line; returns false when the line was dropped.
    pub fn write_json<T: serde::Serialize>(&self, value: &T) -> bool {
        let Some(tx) = &self.tx else { return true };
        let Ok(mut line) = serde_json::to_vec(value) else {
            return false;
        };
        line.push(b'\n');
        !matches!(
            tx.try_send(line),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_))
        )
    }
}
