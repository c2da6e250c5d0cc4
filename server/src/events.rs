//! `GET /events`: the signed-in user's live balances as server-sent events.
//!
//! Each `balances` event carries the balances of the user's own account and direct sub-accounts
//! that moved since the last one (each as of the transfer that last moved it) and the unread alert
//! count; its id is the newest transfer id seen, which the browser sends back as `Last-Event-ID`
//! when it reconnects, so nothing is missed across a reconnect. The stream wakes on every commit
//! the ledger hears of (this server's, and on PostgreSQL every server's through `LISTEN`), and ends
//! when the session does (an `end` event) or the server shuts down.
//!
//! On PostgreSQL two servers' transfers may commit out of id order, so each read looks back to
//! where the stream stood [`SETTLE`] ago; what it already sent is not sent again.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::OnceLock;
use std::time::Duration;

use app::model::{LiveBalance, LiveBalances};
use app::session::SessionCookie;
use app::state::AppState;
use app::wire::to_text;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use ledger::{Actor, Ledger, SessionToken, SignedIn};
use tokio::sync::watch;
use tokio::time::Instant;

/// How far back a new stream starts: what committed while the page was on its way is sent too.
const LOOKBACK: Duration = Duration::from_secs(10);
/// How long a commit may take to become visible after a later transfer id already is.
const SETTLE: Duration = Duration::from_secs(2);
/// How often the session is checked, and a comment keeps proxies from closing an idle stream.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// The least time between two reads of the balances: a burst of commits makes one read, one event.
const COALESCE: Duration = Duration::from_millis(200);

/// Where a stream picks up: `?after=<event id>` from a browser that opens it anew after a refusal
/// (a reconnect by the browser itself sends `Last-Event-ID` instead).
#[derive(Debug, serde::Deserialize)]
pub struct Resume {
    after: Option<i64>,
}

pub async fn live_events(
    State(state): State<AppState>,
    signed_in: Option<Extension<SignedIn>>,
    cookie: Option<Extension<SessionCookie>>,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
) -> Response {
    let token = cookie.and_then(|Extension(cookie)| cookie.token(&headers));
    let (Some(Extension(signed_in)), Some(token)) = (signed_in, token) else {
        // EventSource gives up on a 401 instead of reconnecting.
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let ledger = state.ledger.clone();
    let start = match ledger.transfer_id_before(LOOKBACK).await {
        Ok(start) => start,
        Err(error) => {
            tracing::error!(%error, "could not start a live stream");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let last_seen = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i64>().ok())
        .or(resume.after);
    let start = last_seen.map_or(start, |seen| seen.min(start));
    let live = LiveStream {
        commits: ledger.commits(),
        stopping: stopping(),
        actor: Actor::from(&signed_in),
        ledger,
        token,
        start,
        cursor: start,
        marks: VecDeque::new(),
        sent: HashMap::new(),
        next_check: Instant::now() + CHECK_EVERY,
        read_now: true,
        more_after: None,
        ended: false,
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let event = live.next().await?;
        Some((Ok::<_, Infallible>(event), live))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(CHECK_EVERY))
        .into_response()
}

struct LiveStream {
    ledger: Ledger,
    commits: watch::Receiver<u64>,
    stopping: watch::Receiver<bool>,
    actor: Actor,
    token: SessionToken,
    /// Where the stream began: the browser's last event id, or a little before now.
    start: i64,
    /// The newest transfer id read so far.
    cursor: i64,
    /// Where the cursor stood after each read, to look back [`SETTLE`].
    marks: VecDeque<(Instant, i64)>,
    /// The newest transfer id sent for each account.
    sent: HashMap<i64, i64>,
    next_check: Instant,
    /// Read without waiting: the first read, and after a read that filled a whole batch.
    read_now: bool,
    /// After a read that filled a whole batch: the transfer id the next read continues after.
    more_after: Option<i64>,
    ended: bool,
}

impl LiveStream {
    async fn next(&mut self) -> Option<Event> {
        let first = self.marks.is_empty();
        loop {
            if self.ended || *self.stopping.borrow() {
                return None;
            }
            if !self.read_now {
                tokio::select! {
                    changed = self.commits.changed() => changed.ok()?,
                    () = tokio::time::sleep_until(self.next_check) => {}
                    _ = self.stopping.changed() => return None,
                }
                // Under load commits come hundreds of times a second: one read covers them all.
                if let Some(&(last_read, _)) = self.marks.back() {
                    tokio::time::sleep_until(last_read + COALESCE).await;
                }
            }
            if Instant::now() >= self.next_check {
                self.next_check = Instant::now() + CHECK_EVERY;
                if !self
                    .ledger
                    .session_is_valid(&self.token)
                    .await
                    .unwrap_or(true)
                {
                    self.ended = true;
                    return Some(Event::default().event("end").data("signed out"));
                }
            }
            match self.read().await {
                // The first event goes out even with nothing in it: the browser then knows it is
                // connected, and how many alerts are unread.
                Ok(fresh) if !fresh.is_empty() || first => {
                    let unread = self.ledger.unread_alerts(&self.actor).await.ok()?;
                    return Some(self.event(fresh, unread));
                }
                Ok(_) => {}
                Err(error) => {
                    // The browser reconnects with the last id it got, and nothing is lost.
                    tracing::warn!(%error, "a live stream failed to read");
                    return None;
                }
            }
        }
    }

    /// The balances moved since where the cursor stood [`SETTLE`] ago that were not sent yet.
    async fn read(&mut self) -> Result<Vec<LiveBalance>, ledger::StoreError> {
        let now = Instant::now();
        // Keeps the newest mark that is old enough, and every one after it.
        while self.marks.len() >= 2 && now - self.marks[1].0 >= SETTLE {
            self.marks.pop_front();
        }
        let settled = match self.marks.front() {
            Some(&(at, cursor)) if now - at >= SETTLE => cursor,
            Some(_) | None => self.start,
        };
        let after = self.more_after.take().unwrap_or(settled);
        let changes = self.ledger.balance_changes(&self.actor, after).await?;
        self.read_now = changes.len() >= ledger::live::MAX_CHANGES;
        if self.read_now {
            // Oldest change first: the rest lie after the last one read.
            self.more_after = changes.last().map(|change| change.transfer_id);
        }
        let mut fresh = Vec::new();
        for change in changes {
            self.cursor = self.cursor.max(change.transfer_id);
            let sent = self.sent.entry(change.account.0).or_default();
            if change.transfer_id > *sent {
                *sent = change.transfer_id;
                fresh.push(LiveBalance {
                    account_id: change.account.0,
                    balance: change.balance,
                    transfer_id: change.transfer_id,
                });
            }
        }
        self.marks.push_back((now, self.cursor));
        Ok(fresh)
    }

    fn event(&self, changes: Vec<LiveBalance>, unread_alerts: i64) -> Event {
        let message = LiveBalances {
            changes,
            unread_alerts,
        };
        let event = Event::default()
            .event("balances")
            .id(self.cursor.to_string());
        match to_text(&message) {
            Ok(data) => event.data(data),
            Err(_) => Event::default().comment("unencodable"),
        }
    }
}

fn shutdown() -> &'static watch::Sender<bool> {
    static SHUTDOWN: OnceLock<watch::Sender<bool>> = OnceLock::new();
    SHUTDOWN.get_or_init(|| watch::Sender::new(false))
}

fn stopping() -> watch::Receiver<bool> {
    shutdown().subscribe()
}

/// Ends every live stream of this process: a graceful shutdown waits for open requests, and a
/// stream would keep one open for ever.
pub fn stop_streams() {
    shutdown().send_replace(true);
}
