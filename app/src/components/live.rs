//! Live balances in the browser: the server's event stream (`/events`) read with gloo-net's
//! `EventSource`, kept as the newest balance seen per account. The top bar, the grid and a
//! customer's home read it; the receipts of transfers made here go into it too, so that whichever
//! of a receipt and an event is newer (by transfer id) wins, in whatever order they arrive.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::model::LiveBalances;
use crate::model::TransferReceipt;

#[derive(Clone, Copy)]
pub struct Live {
    /// Whether the stream is open now.
    connected: RwSignal<bool>,
    /// The newest (account id, transfer id, balance) seen per account, sorted by account id (a
    /// sorted list rather than a map: less code in the wasm every page downloads).
    balances: RwSignal<Vec<(i64, i64, i64)>>,
    /// The signed-in user's unread alerts, as of the last event.
    unread_alerts: RwSignal<Option<i64>>,
}

impl Live {
    /// Provides the live balances to the page and, in the browser, opens the stream.
    pub fn provide() -> Self {
        let live = Self {
            connected: RwSignal::new(false),
            balances: RwSignal::new(Vec::new()),
            unread_alerts: RwSignal::new(None),
        };
        provide_context(live);
        // Effects run in the browser only, once the page has hydrated.
        Effect::new(move |_| {
            #[cfg(feature = "hydrate")]
            stream::connect(live, None);
        });
        live
    }

    pub fn expect() -> Self {
        expect_context()
    }

    pub fn connected(&self) -> bool {
        self.connected.get()
    }

    /// The newest balance seen for `account`, if it moved since the page loaded.
    pub fn balance(&self, account: i64) -> Option<i64> {
        self.balances.with(|known| {
            let found = known.binary_search_by_key(&account, |&(id, _, _)| id);
            found.ok().map(|at| known[at].2)
        })
    }

    pub fn unread_alerts(&self) -> Option<i64> {
        self.unread_alerts.get()
    }

    /// Takes in the balances a transfer made here left.
    pub fn record(&self, own_account: i64, receipt: &TransferReceipt) {
        self.keep_newest([
            (own_account, receipt.transfer_id, receipt.own_balance),
            (
                receipt.sub_account_id,
                receipt.transfer_id,
                receipt.sub_account_balance,
            ),
        ]);
    }

    #[cfg(feature = "hydrate")]
    fn apply(&self, event: LiveBalances) {
        self.keep_newest(
            event
                .changes
                .iter()
                .map(|change| (change.account_id, change.transfer_id, change.balance)),
        );
        self.unread_alerts.set(Some(event.unread_alerts));
    }

    /// Keeps each (account, transfer id, balance) newer than what is known of that account.
    fn keep_newest(&self, changes: impl IntoIterator<Item = (i64, i64, i64)>) {
        let newer: Vec<_> = self.balances.with_untracked(|known| {
            changes
                .into_iter()
                .filter(|&(account, transfer, _)| {
                    match known.binary_search_by_key(&account, |&(id, _, _)| id) {
                        Ok(at) => transfer > known[at].1,
                        Err(_) => true,
                    }
                })
                .collect()
        });
        if !newer.is_empty() {
            self.balances.update(|known| {
                for change in newer {
                    match known.binary_search_by_key(&change.0, |&(id, _, _)| id) {
                        Ok(at) => known[at] = change,
                        Err(at) => known.insert(at, change),
                    }
                }
            });
        }
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::{EventSource, EventSourceSubscription};
    use leptos::prelude::*;
    use leptos::task::spawn_local;

    use super::Live;
    use crate::model::{LIVE_EVENTS_PATH, LiveBalances};
    use crate::wire::from_text;

    /// How long to wait before opening the stream again after the server refused or ended it.
    const RETRY: Duration = Duration::from_secs(5);

    /// Opens the stream (from the event after `after`, when reopening) and follows it. The browser
    /// itself reconnects a dropped connection, with the last event id; a stream the server refused
    /// is opened again here after [`RETRY`], and one the server ended (the session did) stays shut.
    pub(super) fn connect(live: Live, after: Option<String>) {
        let url = match &after {
            Some(id) => format!("{LIVE_EVENTS_PATH}?after={id}"),
            None => LIVE_EVENTS_PATH.to_owned(),
        };
        let Ok(mut source) = EventSource::new(&url) else {
            return;
        };
        let (Ok(opened), Ok(dropped), Ok(mut balances), Ok(end)) = (
            source.subscribe("open"),
            source.subscribe("error"),
            source.subscribe("balances"),
            source.subscribe("end"),
        ) else {
            return;
        };
        // One small task per kind of event: simpler (and less wasm) than merging the streams.
        follow(opened, move || live.connected.set(true));
        // The browser is reconnecting.
        follow(dropped, move || live.connected.set(false));
        // The server ended the stream: the session is over, so it is not opened again.
        let ended = Rc::new(Cell::new(false));
        follow(end, {
            let ended = Rc::clone(&ended);
            move || {
                ended.set(true);
                live.connected.set(false);
            }
        });
        spawn_local(async move {
            let mut last_id = after;
            while let Some(Ok((_, message))) = balances.next().await {
                live.connected.set(true);
                last_id = Some(message.last_event_id()).filter(|id| !id.is_empty());
                let data = message.data().as_string().unwrap_or_default();
                if let Some(update) = from_text::<LiveBalances>(&data) {
                    live.apply(update);
                }
            }
            // Closed: by the server's `end` (the session is over), or a refusal to try again.
            drop(source);
            live.connected.set(false);
            if !ended.get() {
                set_timeout(move || connect(live, last_id), RETRY);
            }
        });
    }

    /// Runs `on_event` for every event of one kind, until the stream closes.
    fn follow(mut events: EventSourceSubscription, on_event: impl Fn() + 'static) {
        spawn_local(async move {
            while let Some(Ok(_)) = events.next().await {
                on_event();
            }
        });
    }
}
