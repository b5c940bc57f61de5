//! How long the app took to show its map: the UI reports its first map frame with driveways on
//! it, and the app logs the time since it started, once. People see it in the log; the
//! start-up benchmark reads it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When the app started, and whether its first map frame has been reported.
#[derive(Debug)]
pub struct Startup {
    started: Instant,
    reported: AtomicBool,
}

impl Startup {
    /// Starts the clock; call it first thing.
    pub fn now() -> Self {
        Startup { started: Instant::now(), reported: AtomicBool::new(false) }
    }

    /// The time from start to the first map frame, the first time it is asked; `None` after
    /// (a reload or a second map is not a start).
    pub fn map_drawn(&self) -> Option<Duration> {
        (!self.reported.swap(true, Ordering::Relaxed)).then(|| self.started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_map_frame_counts() {
        let startup = Startup::now();
        assert!(startup.map_drawn().is_some());
        assert_eq!(startup.map_drawn(), None);
    }
}
