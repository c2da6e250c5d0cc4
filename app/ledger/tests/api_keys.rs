//! API keys: made for one account with scopes, stored as a hash, acting exactly as a user of that
//! account named "API key: <name>", refused once revoked or once the account (or one above it) is
//! suspended.

use ledger::testing::{
    actor, api_key, neighbours, operator, operator_key, transfer_request, with_worked_example,
};
use ledger::{
    AccountKind, AccountStatus, ApiKeyError, ApiKeyName, ApiKeySecret, Scope, Scopes, TransferError,
};
use sqlx::Row;

fn scopes(text: &str) -> Scopes {
    Scopes::parse(text).unwrap()
}

fn name(text: &str) -> ApiKeyName {
    ApiKeyName::parse(text).unwrap()
}

#[tokio::test]
async fn a_key_acts_for_its_account_with_its_scopes_and_is_named_in_the_ledger() {
    let (_db, ledger, example) = with_worked_example().await;
    let secret = api_key(&ledger, &example.direct, "Billing", "read,transfer").await;

    let (key_actor, key_scopes, _) = ledger.actor_for_key(&secret).await.unwrap().unwrap();
    assert_eq!(
        (key_actor.account(), key_actor.kind(), key_actor.name()),
        (
            example.direct.account(),
            AccountKind::DirectReseller,
            "API key: Billing"
        )
    );
    assert_eq!(
        key_scopes.iter().collect::<Vec<_>>(),
        [Scope::Read, Scope::Transfer]
    );
    let grant = ledger
        .grant(&key_actor, &transfer_request(example.reseller_one, 30))
        .await
        .unwrap();
    assert_eq!(grant.actor, "API key: Billing");
}

#[tokio::test]
async fn a_key_has_a_recognisable_prefix_and_only_its_hash_is_stored() {
    let (db, ledger, example) = with_worked_example().await;
    let secret = api_key(&ledger, &example.direct, "Billing", "read").await;
    let key = secret.expose();
    assert!(key.starts_with("cdk_"), "{key}");
    assert_eq!(key.len(), 4 + 64, "256 random bits in hex");

    let mut raw = db.raw_connection().await;
    let rows = sqlx::query("SELECT name, scopes, secret_hash FROM api_keys")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].get("secret_hash");
    assert_eq!(stored.len(), 64, "a SHA-256 in hex");
    assert!(
        !stored.contains(&key[4..]),
        "the secret itself is not stored"
    );
}

#[tokio::test]
async fn an_unknown_key_acts_for_no_one() {
    let (_db, ledger, example) = with_worked_example().await;
    let secret = api_key(&ledger, &example.direct, "Billing", "read").await;
    // The real key with its last hex digit changed (to another digit, whatever it was).
    let last = if secret.expose().ends_with('0') {
        '1'
    } else {
        '0'
    };
    let forged = ApiKeySecret::from_client(&format!("{}{last}", &secret.expose()[..67]));
    for unknown in [
        forged,
        ApiKeySecret::from_client(""),
        ApiKeySecret::from_client("cdk_"),
    ] {
        assert_eq!(ledger.actor_for_key(&unknown).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once_and_its_name_can_be_used_again() {
    let (_db, ledger, example) = with_worked_example().await;
    let secret = api_key(&ledger, &example.direct, "Billing", "read").await;
    let (_, _, id) = ledger.actor_for_key(&secret).await.unwrap().unwrap();

    ledger.revoke_api_key(&example.direct, id).await.unwrap();

    assert_eq!(ledger.actor_for_key(&secret).await.unwrap(), None);
    assert!(ledger.api_keys(&example.direct).await.unwrap().is_empty());
    let again = ledger
        .revoke_api_key(&example.direct, id)
        .await
        .unwrap_err();
    assert!(matches!(again, ApiKeyError::NotFound), "{again:?}");
    let fresh = api_key(&ledger, &example.direct, "Billing", "read").await;
    assert_ne!(fresh, secret);
}

#[tokio::test]
async fn the_key_of_a_suspended_account_or_of_one_below_it_is_refused_until_reactivated() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let reseller_key = api_key(&ledger, &n.reseller_one, "Shop", "read").await;
    let grandchild_key = api_key(&ledger, &n.grandchild, "App", "read").await;

    ledger
        .set_sub_account_status(
            &example.direct,
            n.reseller_one.account(),
            AccountStatus::Suspended,
        )
        .await
        .unwrap();
    assert_eq!(ledger.actor_for_key(&reseller_key).await.unwrap(), None);
    assert_eq!(
        ledger.actor_for_key(&grandchild_key).await.unwrap(),
        None,
        "a customer of a suspended reseller is cut off with it"
    );

    ledger
        .set_sub_account_status(
            &example.direct,
            n.reseller_one.account(),
            AccountStatus::Active,
        )
        .await
        .unwrap();
    assert!(
        ledger
            .actor_for_key(&grandchild_key)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn keys_are_listed_and_revoked_by_their_own_account_only() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let secret = api_key(&ledger, &example.direct, "Billing", "read,manage").await;
    api_key(&ledger, &n.stranger, "Theirs", "read").await;

    let listed = ledger.api_keys(&example.direct).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].name.as_str(),
            listed[0].scopes,
            listed[0].last_used_at
        ),
        ("Billing", scopes("read,manage"), None)
    );
    ledger.actor_for_key(&secret).await.unwrap().unwrap();
    let used = ledger.api_keys(&example.direct).await.unwrap();
    assert!(used[0].last_used_at.is_some(), "using a key records when");

    let foreign = ledger
        .revoke_api_key(&n.stranger, listed[0].id)
        .await
        .unwrap_err();
    assert!(matches!(foreign, ApiKeyError::NotFound), "{foreign:?}");
    assert!(ledger.actor_for_key(&secret).await.unwrap().is_some());
}

#[tokio::test]
async fn a_live_key_name_is_unique_per_account() {
    let (_db, ledger, example) = with_worked_example().await;
    api_key(&ledger, &example.direct, "Billing", "read").await;
    let taken = ledger
        .create_api_key(&example.direct, &name("Billing"), scopes("transfer"))
        .await
        .unwrap_err();
    assert!(matches!(taken, ApiKeyError::NameTaken), "{taken:?}");
    // Another account may use the same name.
    let reseller_one = actor(&ledger, "reseller1").await;
    api_key(&ledger, &reseller_one, "Billing", "read").await;
}

#[tokio::test]
async fn usage_belongs_to_operator_keys_and_operator_keys_have_nothing_else() {
    let (_db, ledger, example) = with_worked_example().await;
    let platform = ledger.platform_actor(&operator());
    for (holder, requested, refused) in [
        (&example.direct, "read,usage", Scope::Usage),
        (&platform, "usage,read", Scope::Read),
        (&platform, "transfer", Scope::Transfer),
    ] {
        let error = ledger
            .create_api_key(holder, &name("Key"), scopes(requested))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ApiKeyError::ScopeNotAllowed(scope) if scope == refused),
            "{requested}: {error:?}"
        );
    }
    let none = ledger
        .create_api_key(&example.direct, &name("Key"), Scopes::default())
        .await
        .unwrap_err();
    assert!(matches!(none, ApiKeyError::NoScopes), "{none:?}");

    let gateway = operator_key(&ledger, "sms-gateway").await;
    let (key_actor, key_scopes, _) = ledger.actor_for_key(&gateway).await.unwrap().unwrap();
    assert_eq!(key_actor.account(), ledger.platform_id());
    assert_eq!(key_actor.name(), "API key: sms-gateway");
    assert_eq!(key_scopes, scopes("usage"));
}

#[tokio::test]
async fn a_key_can_do_no_more_than_a_user_of_its_account() {
    let (_db, ledger, example) = with_worked_example().await;
    let n = neighbours(&ledger).await;
    let secret = api_key(&ledger, &n.reseller_one, "Shop", "read,transfer,manage").await;
    let (key_actor, _, _) = ledger.actor_for_key(&secret).await.unwrap().unwrap();

    // Its parent's other children and other trees are out of reach, as for its users.
    for target in [example.reseller_two, n.strangers_customer.account()] {
        let error = ledger
            .grant(&key_actor, &transfer_request(target, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(error, TransferError::SubAccountNotFound),
            "{error:?}"
        );
    }
}

#[test]
fn scopes_read_and_print_as_a_comma_separated_list() {
    assert_eq!(scopes("transfer, read").to_string(), "read,transfer");
    assert!(Scopes::parse("read,admin").is_err());
    assert!(scopes("").is_empty());
}
