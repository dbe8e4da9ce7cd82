//! Scans running in `tlsaudit serve`, and what each has told so far: the events its page's
//! server-sent event stream (`GET /api/scan/{id}/events`) replays and then follows.
//!
//! A job lives from the moment its scan is admitted until its report is in the store; the
//! running jobs are at most `--max-scans`, each with a dozen events, so memory stays bounded.

use std::sync::Mutex;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::watch;

/// `event: stage`: one step of the scan finished.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StageEvent {
    /// `versions`, `suites`, `dns`, `certs`, `groups`, `sigs`, `features`, `ech`, `http`,
    /// `weaknesses`, `mail`, `grade`, `simulation`, `policy`, in the order they finish.
    pub stage: String,
    /// The report's section(s) for that step, HTML (every server-chosen string escaped).
    pub html: String,
}

/// `event: done`, the last event: the scan is over and its report stored.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DoneEvent {
    /// The result page, `/r/{id}`.
    pub link: String,
    /// One line for the page: the verdict and grade, or why the target was not scanned, with
    /// the link.
    pub html: String,
    /// Why the target could not be scanned, if it could not.
    pub error: Option<String>,
}

/// One event of a job.
#[derive(Debug, Clone)]
pub enum JobEvent {
    Stage(StageEvent),
    Done(DoneEvent),
}

/// A running scan.
#[derive(Debug)]
pub struct Job {
    /// The target as given, and when the scan started (RFC 3339).
    pub target: String,
    pub started_at: String,
    events: Mutex<Vec<JobEvent>>,
    /// How many events there are; subscribers wait for it to change.
    count: watch::Sender<usize>,
}

impl Job {
    pub fn new(target: String, started_at: String) -> Job {
        Job {
            target,
            started_at,
            events: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
        }
    }

    /// Adds an event and wakes every subscriber.
    pub fn push(&self, event: JobEvent) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.push(event);
        self.count.send_replace(events.len());
    }

    /// The events from `from` on.
    pub fn since(&self, from: usize) -> Vec<JobEvent> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events
            .get(from..)
            .map(<[JobEvent]>::to_vec)
            .unwrap_or_default()
    }

    /// The stage events so far (the running page without JavaScript shows them).
    pub fn stages(&self) -> Vec<StageEvent> {
        self.since(0)
            .into_iter()
            .filter_map(|e| match e {
                JobEvent::Stage(s) => Some(s),
                JobEvent::Done(_) => None,
            })
            .collect()
    }

    /// Whether the `done` event is in.
    pub fn is_done(&self) -> bool {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        matches!(events.last(), Some(JobEvent::Done(_)))
    }

    /// A receiver that sees the event count change.
    pub fn subscribe(&self) -> watch::Receiver<usize> {
        self.count.subscribe()
    }
}
