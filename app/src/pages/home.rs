//! `/`: sends the signed-in user to where their kind of account starts.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::own_account::OwnAccount;

#[component]
pub fn Home() -> impl IntoView {
    let own = OwnAccount::expect();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                own.account.await.ok().map(|account| view! { <Redirect path=account.kind.landing_path() /> })
            })}
        </Suspense>
    }
}
