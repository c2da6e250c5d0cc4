//! The REST API under `/v1` through the real router over HTTP, with keys made by the ledger: the
//! worked example, every error and status, replays and reused keys, scopes, suspended and revoked
//! keys, other trees' ids, usage debits (50 at once), the rate limit and the OpenAPI document.

mod support;

use app::error::AppError;
use app::model::{ApiScope, NewApiKey};
use app::server_fns::{ApiKeys, CreateApiKey, RevokeApiKey, TransferCredits};
use ledger::testing::{api_key, assert_verified, balance, neighbours, operator, operator_key};
use ledger::{AccountId, ApiKeySecret};
use serde_json::{Value, json};
use server::web::WebConfig;
use support::{TestApp, credit_request};

/// An API client holding one key.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base_url: String,
    key: String,
}

/// An answer: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts that this is a problem document of `status` and `slug`, and returns its detail.
    fn problem(&self, status: u16, slug: &str) -> &str {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(
            self.body["type"],
            format!("https://creditdesk.example/problems/{slug}"),
            "{self:?}"
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].is_string());
        self.body["detail"].as_str().expect("a detail")
    }
}

impl Api {
    fn new(app: &TestApp, key: &ApiKeySecret) -> Self {
        Self::with_key(app, key.expose())
    }

    fn with_key(app: &TestApp, key: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: app.base_url.clone(),
            key: key.to_owned(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(self.http.get(self.url(path))).await
    }

    async fn post(&self, path: &str, body: Value, idempotency_key: Option<&str>) -> Answer {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        self.send(request).await
    }

    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(self.http.patch(self.url(path)).json(&body)).await
    }

    /// Gives (or with negative credits takes back) credits, with a fresh idempotency key.
    async fn transfer(&self, sub_account: AccountId, credits: i64, note: &str) -> Answer {
        let body = json!({"sub_account_id": sub_account.0, "credits": credits, "note": note});
        self.post("/v1/transfers", body, Some(&fresh_key())).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("{status}: not JSON: {bytes:?}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The direct reseller's key with every scope an account key can have.
async fn billing(app: &TestApp) -> Api {
    let key = api_key(
        &app.ledger,
        &app.example.direct,
        "Billing",
        "read,transfer,manage",
    )
    .await;
    Api::new(app, &key)
}

async fn gateway(app: &TestApp) -> Api {
    Api::new(app, &operator_key(&app.ledger, "sms-gateway").await)
}

#[tokio::test]
async fn the_worked_example_through_the_api() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;

    let me = api.get("/v1/account").await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(
        (&me.body["name"], &me.body["kind"], &me.body["balance"]),
        (
            &json!("Direct Reseller"),
            &json!("direct_reseller"),
            &json!(100)
        )
    );
    let listed = api.get("/v1/subaccounts").await;
    let names: Vec<_> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap(),
                item["balance"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Customer One", 0),
            ("Reseller One", 0),
            ("Reseller Two", 0)
        ]
    );

    let mut own_after = Vec::new();
    for sub_account in app.example.sub_accounts() {
        let made = api.transfer(sub_account, 30, "June order").await;
        assert_eq!(made.status, 201, "{made:?}");
        assert_eq!(made.body["kind"], "grant");
        assert_eq!(made.body["to_balance_after"], 30);
        assert_eq!(made.body["actor"], "API key: Billing");
        assert_eq!(
            made.header("location"),
            Some(format!("/v1/transfers/{}", made.body["id"]).as_str())
        );
        own_after.push(made.body["from_balance_after"].as_i64().unwrap());
    }
    assert_eq!(own_after, [70, 40, 10]);

    assert_eq!(api.get("/v1/account").await.body["balance"], 10);
    let lines = api.get("/v1/transfers").await;
    assert_eq!(lines.body["items"].as_array().unwrap().len(), 4);
    assert_eq!(lines.body["items"][0]["change"], -30);
    assert_eq!(lines.body["items"][0]["note"], "June order");
    assert_verified(&app.ledger).await;
}

#[tokio::test]
async fn a_negative_number_takes_credits_back() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let customer = app.example.customer_one;
    api.transfer(customer, 30, "Trial credits").await;

    let back = api.transfer(customer, -5, "Unused trial credits").await;

    assert_eq!(back.status, 201, "{back:?}");
    assert_eq!(back.body["kind"], "revoke");
    assert_eq!(
        (
            &back.body["from_balance_after"],
            &back.body["to_balance_after"]
        ),
        (&json!(25), &json!(75))
    );
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_answers_the_first_transfer_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let body = json!({"sub_account_id": app.example.reseller_one.0, "credits": 30, "note": "June"});

    let first = api
        .post("/v1/transfers", body.clone(), Some("order-0001"))
        .await;
    let again = api.post("/v1/transfers", body, Some("order-0001")).await;

    assert_eq!((first.status, again.status), (201, 200));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body, again.body);
    assert_eq!(balance(&app.ledger, app.example.reseller_one).await, 30);

    // The same key for anything else is refused, whatever the difference.
    for different in [
        json!({"sub_account_id": app.example.reseller_one.0, "credits": 31, "note": "June"}),
        json!({"sub_account_id": app.example.reseller_one.0, "credits": -30, "note": "June"}),
        json!({"sub_account_id": app.example.reseller_two.0, "credits": 30, "note": "June"}),
        json!({"sub_account_id": app.example.reseller_one.0, "credits": 30, "note": "July"}),
    ] {
        let reused = api
            .post("/v1/transfers", different, Some("order-0001"))
            .await;
        reused.problem(409, "idempotency-key-reused");
    }
    assert_eq!(balance(&app.ledger, app.example.direct.account()).await, 70);
    assert_verified(&app.ledger).await;
}

#[tokio::test]
async fn a_transfer_needs_a_well_formed_idempotency_key() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let body = json!({"sub_account_id": app.example.reseller_one.0, "credits": 30, "note": "June"});
    for key in [
        None,
        Some("short"),
        Some("has spaces in it"),
        Some(&"x".repeat(65)[..]),
    ] {
        let refused = api.post("/v1/transfers", body.clone(), key).await;
        let detail = refused.problem(400, "idempotency-key-required");
        assert!(detail.contains("Idempotency-Key"), "{detail}");
    }
    assert_eq!(balance(&app.ledger, app.example.reseller_one).await, 0);
}

#[tokio::test]
async fn refusals_are_problem_documents_with_the_sentence_the_page_shows() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let (one, two) = (app.example.reseller_one, app.example.reseller_two);

    let broke = api.transfer(one, 101, "Too much").await;
    assert_eq!(
        broke.problem(409, "not-enough-credits"),
        "You have 100 credits; you cannot give 101"
    );
    let short = api.transfer(two, -1, "Nothing to take").await;
    assert_eq!(
        short.problem(409, "sub-account-short"),
        "Reseller Two has 0 credits; you cannot revoke 1"
    );
    let too_many = api.transfer(one, 1_000_000_001, "Huge").await;
    too_many.problem(422, "invalid-request");

    // Every invalid field at once, each with its own sentence.
    let body = json!({"sub_account_id": one.0, "credits": 0, "note": "  "});
    let invalid = api.post("/v1/transfers", body, Some(&fresh_key())).await;
    invalid.problem(422, "invalid-request");
    assert_eq!(
        invalid.body["errors"],
        json!([
            {"field": "credits", "detail": "Enter a number of credits other than 0, e.g. 30 to give or -5 to take back"},
            {"field": "note", "detail": "Add a note so you can track this transfer"},
        ])
    );

    let not_json = api
        .send(
            api.http
                .post(api.url("/v1/transfers"))
                .header("idempotency-key", fresh_key())
                .header("content-type", "application/json")
                .body("{\"sub_account_id\": 1,"),
        )
        .await;
    not_json.problem(400, "bad-request");
    let wrong_type = api
        .post(
            "/v1/transfers",
            json!({"sub_account_id": one.0, "credits": "30", "note": "x"}),
            Some(&fresh_key()),
        )
        .await;
    wrong_type.problem(400, "bad-request");
    api.get("/v1/subaccounts/abc")
        .await
        .problem(400, "bad-request");
    api.get("/v1/nothing-here").await.problem(404, "not-found");
    assert_eq!(
        balance(&app.ledger, app.example.direct.account()).await,
        100
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413_as_a_problem_document() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let one = app.example.reseller_one.0;
    let note_of =
        |bytes: usize| json!({"sub_account_id": one, "credits": 30, "note": "n".repeat(bytes)});

    let within = api
        .post("/v1/transfers", note_of(60 * 1024), Some(&fresh_key()))
        .await;
    assert_eq!(within.body["errors"][0]["field"], "note", "{within:?}");
    within.problem(422, "invalid-request");
    let over = api
        .post("/v1/transfers", note_of(80 * 1024), Some(&fresh_key()))
        .await;
    let detail = over.problem(413, "request-too-large");
    assert_eq!(
        detail,
        "That request is too large; shorten what you typed and try again"
    );
    let opening = json!({"kind": "customer", "name": "n".repeat(80 * 1024), "login": "big", "password": "a long secret"});
    api.post("/v1/subaccounts", opening, None)
        .await
        .problem(413, "request-too-large");
    assert_eq!(balance(&app.ledger, app.example.reseller_one).await, 0);
}

#[tokio::test]
async fn a_missing_unknown_or_revoked_key_is_answered_401() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    assert_eq!(api.get("/v1/account").await.status, 200);

    let no_header = reqwest::get(format!("{}/v1/account", app.base_url))
        .await
        .unwrap();
    assert_eq!(no_header.status(), 401);
    let basic = reqwest::Client::new()
        .get(format!("{}/v1/account", app.base_url))
        .basic_auth("direct", Some(ledger::DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let unknown = Api::with_key(&app, &format!("cdk_{}", "0".repeat(64)));
    let detail = unknown
        .get("/v1/account")
        .await
        .problem(401, "invalid-api-key")
        .to_owned();
    assert!(detail.contains("Bearer"), "{detail}");

    let keys = app.ledger.api_keys(&app.example.direct).await.unwrap();
    app.ledger
        .revoke_api_key(&app.example.direct, keys[0].id)
        .await
        .unwrap();
    api.get("/v1/account").await.problem(401, "invalid-api-key");
    api.transfer(app.example.reseller_one, 1, "after revoking")
        .await
        .problem(401, "invalid-api-key");
}

#[tokio::test]
async fn a_suspended_accounts_keys_and_those_below_it_are_refused_until_it_is_reactivated() {
    let app = TestApp::spawn().await;
    let n = neighbours(&app.ledger).await;
    let direct = billing(&app).await;
    let reseller = Api::new(
        &app,
        &api_key(&app.ledger, &n.reseller_one, "Shop", "read").await,
    );
    let grandchild = Api::new(
        &app,
        &api_key(&app.ledger, &n.grandchild, "App", "read").await,
    );
    let path = format!("/v1/subaccounts/{}", n.reseller_one.account());

    let suspended = direct.patch(&path, json!({"status": "suspended"})).await;
    assert_eq!(suspended.body["status"], "suspended", "{suspended:?}");
    reseller
        .get("/v1/account")
        .await
        .problem(401, "invalid-api-key");
    grandchild
        .get("/v1/account")
        .await
        .problem(401, "invalid-api-key");

    direct.patch(&path, json!({"status": "active"})).await;
    assert_eq!(reseller.get("/v1/account").await.status, 200);
    assert_eq!(grandchild.get("/v1/account").await.status, 200);
}

#[tokio::test]
async fn each_operation_needs_its_scope() {
    let app = TestApp::spawn().await;
    let direct = &app.example.direct;
    let read = Api::new(&app, &api_key(&app.ledger, direct, "Reader", "read").await);
    let transfer = Api::new(
        &app,
        &api_key(&app.ledger, direct, "Mover", "transfer").await,
    );
    let one = app.example.reseller_one;
    let opening =
        json!({"kind": "customer", "name": "Acme", "login": "acme", "password": "a long secret"});
    let usage = json!({"account_id": one.0, "credits": 1, "reference": "batch 1"});

    for (answer, scope) in [
        (read.transfer(one, 1, "x").await, "transfer"),
        (
            read.post("/v1/subaccounts", opening.clone(), None).await,
            "manage",
        ),
        (
            read.patch(&format!("/v1/subaccounts/{one}"), json!({"name": "X"}))
                .await,
            "manage",
        ),
        (
            read.post("/v1/usage", usage.clone(), Some(&fresh_key()))
                .await,
            "usage",
        ),
        (transfer.get("/v1/account").await, "read"),
        (transfer.get("/v1/subaccounts").await, "read"),
        (transfer.get("/v1/transfers").await, "read"),
    ] {
        let detail = answer.problem(403, "missing-scope");
        assert_eq!(
            detail,
            format!("This API key does not have the {scope} scope")
        );
    }
    assert_eq!(transfer.transfer(one, 1, "allowed").await.status, 201);

    // An operator key charges usage and does nothing else.
    let gateway = gateway(&app).await;
    gateway
        .get("/v1/account")
        .await
        .problem(403, "missing-scope");
    gateway
        .transfer(one, 1, "x")
        .await
        .problem(403, "missing-scope");
}

#[tokio::test]
async fn ids_outside_the_keys_reach_are_answered_404_whether_or_not_they_exist() {
    let app = TestApp::spawn().await;
    let n = neighbours(&app.ledger).await;
    let api = billing(&app).await;
    let theirs = Api::new(
        &app,
        &api_key(&app.ledger, &n.stranger, "Theirs", "read,transfer").await,
    );
    let own_grant = api.transfer(app.example.reseller_one, 30, "June").await;

    let outside = [
        n.strangers_customer.account(),
        n.stranger.account(),
        n.grandchild.account(),
        AccountId(999_999),
    ];
    let mut details = Vec::new();
    for id in outside {
        details.push(
            api.get(&format!("/v1/subaccounts/{id}"))
                .await
                .problem(404, "sub-account-not-found")
                .to_owned(),
        );
        api.transfer(id, 1, "probe")
            .await
            .problem(404, "sub-account-not-found");
        api.patch(
            &format!("/v1/subaccounts/{id}"),
            json!({"name": "Mine now"}),
        )
        .await
        .problem(404, "sub-account-not-found");
    }
    details.dedup();
    assert_eq!(details, ["That account is not one of your sub-accounts"]);
    for id in [n.stranger.account(), AccountId(999_999)] {
        api.get(&format!("/v1/transfers?account_id={id}"))
            .await
            .problem(404, "sub-account-not-found");
    }
    // A transfer of another tree reads like a missing one.
    let id = &own_grant.body["id"];
    theirs
        .get(&format!("/v1/transfers/{id}"))
        .await
        .problem(404, "sub-account-not-found");
    theirs
        .get("/v1/transfers/999999")
        .await
        .problem(404, "sub-account-not-found");
    assert_eq!(api.get(&format!("/v1/transfers/{id}")).await.status, 200);
    assert_verified(&app.ledger).await;
}

#[tokio::test]
async fn sub_accounts_are_opened_changed_searched_and_paged() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let opening =
        json!({"kind": "customer", "name": "Acme", "login": "acme", "password": "a long secret"});

    let opened = api.post("/v1/subaccounts", opening.clone(), None).await;
    assert_eq!(opened.status, 201, "{opened:?}");
    assert_eq!(
        (
            &opened.body["kind"],
            &opened.body["login"],
            &opened.body["balance"]
        ),
        (&json!("customer"), &json!("acme"), &json!(0))
    );
    api.post("/v1/subaccounts", opening, None)
        .await
        .problem(409, "login-taken");
    let invalid = api
        .post(
            "/v1/subaccounts",
            json!({"kind": "reseller", "name": " ", "login": "x", "password": "short"}),
            None,
        )
        .await;
    invalid.problem(422, "invalid-request");
    let fields: Vec<_> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "login", "password"]);
    api.post(
        "/v1/subaccounts",
        json!({"kind": "direct_reseller", "name": "X", "login": "xyz", "password": "a long secret"}),
        None,
    )
    .await
    .problem(400, "bad-request");

    let path = format!("/v1/subaccounts/{}", opened.body["id"]);
    let changed = api
        .patch(&path, json!({"name": "Acme Ltd", "status": "suspended"}))
        .await;
    assert_eq!(
        (&changed.body["name"], &changed.body["status"]),
        (&json!("Acme Ltd"), &json!("suspended"))
    );
    assert_eq!(api.get(&path).await.body["name"], "Acme Ltd");

    let page = async |query: &str| api.get(&format!("/v1/subaccounts?{query}")).await;
    let first = page("limit=2").await;
    assert_eq!(names(&first), ["Acme Ltd", "Customer One"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = page(&format!("limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second), ["Reseller One", "Reseller Two"]);
    assert_eq!(
        second.body["next_cursor"],
        Value::Null,
        "the last page says so"
    );
    let back = second.body["previous_cursor"].as_str().unwrap();
    assert_eq!(
        names(&page(&format!("limit=2&cursor={back}")).await),
        ["Acme Ltd", "Customer One"]
    );
    assert_eq!(names(&page("q=ACME").await), ["Acme Ltd"]);
    assert_eq!(names(&page("q=reseller1").await), ["Reseller One"]);
    assert_eq!(names(&page("status=suspended").await), ["Acme Ltd"]);
    assert_eq!(
        names(&page("kind=customer&status=active").await),
        ["Customer One"]
    );
    assert_eq!(names(&page("q=cust").await), ["Customer One"], "a prefix");
    assert!(names(&page("q=one").await).is_empty(), "not the middle");
}

fn names(answer: &Answer) -> Vec<String> {
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The fields of a 400 `invalid-parameters` problem, in the order they were refused.
fn refused_parameters(answer: &Answer) -> Vec<String> {
    answer.problem(400, "invalid-parameters");
    answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn sub_accounts_are_sorted_and_paged_both_ways_as_in_the_grid() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let example = &app.example;
    // Balances 35, 30 and 20: each sort gives its own order.
    for (sub_account, credits) in [
        (example.reseller_one, 35),
        (example.reseller_two, 30),
        (example.customer_one, 20),
    ] {
        assert_eq!(
            api.transfer(sub_account, credits, "Order").await.status,
            201
        );
    }
    let page = async |query: &str| api.get(&format!("/v1/subaccounts?{query}")).await;

    let (one, two, customer) = ("Reseller One", "Reseller Two", "Customer One");
    assert_eq!(
        names(&page("sort=balance&dir=desc").await),
        [one, two, customer]
    );
    assert_eq!(names(&page("sort=balance").await), [customer, two, one]);
    assert_eq!(
        names(&page("sort=name&dir=desc").await),
        [two, one, customer]
    );
    assert_eq!(names(&page("dir=asc").await), [customer, one, two]);
    let ids = |answer: &Answer| -> Vec<i64> {
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect()
    };
    let oldest_first = ids(&page("sort=created").await);
    let mut opened = example.sub_accounts().map(|id| id.0).to_vec();
    opened.sort_unstable();
    assert_eq!(oldest_first, opened, "opened together: by id");
    let newest_first = ids(&page("sort=created&dir=desc").await);
    assert_eq!(newest_first, opened.into_iter().rev().collect::<Vec<_>>());

    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let answer = page(&format!("sort=balance&dir=desc&limit=1{cursor}")).await;
        walked.extend(names(&answer));
        assert_eq!(answer.body["matching"], 3);
        assert_eq!(answer.body["matching_credits"], 85);
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => {
                let back = answer.body["previous_cursor"].as_str().unwrap();
                let before = page(&format!("sort=balance&dir=desc&limit=2&cursor={back}")).await;
                assert_eq!(names(&before), [one, two], "back from the last page");
                break;
            }
        }
    }
    assert_eq!(walked, [one, two, customer]);
    let first = page("sort=balance&dir=desc&limit=1").await;
    assert_eq!(first.body["previous_cursor"], Value::Null);
    let by_balance = first.body["next_cursor"].as_str().unwrap();
    assert_eq!(
        names(&page(&format!("sort=name&cursor={by_balance}")).await),
        [two, customer],
        "a cursor goes on in its own walk's order, not from the first page"
    );

    assert_eq!(names(&page("limit=200").await).len(), 3);
    assert_eq!(
        refused_parameters(&page("sort=size&dir=up&limit=201&kind=platform&status=x").await),
        ["kind", "status", "sort", "dir", "limit"]
    );
    for refused in ["cursor=nonsense", "cursor=586e61302e352e78", "limit=x"] {
        let answer = page(refused).await;
        let field = refused.split('=').next().unwrap();
        assert_eq!(refused_parameters(&answer), [field], "{refused}");
    }
}

#[tokio::test]
async fn transfers_are_listed_by_account_kind_date_and_note() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let one = app.example.reseller_one;
    api.transfer(one, 30, "June order").await;
    api.transfer(one, 20, "July ORDER").await;
    api.transfer(one, -5, "Correction").await;

    let list = async |query: &str| -> Vec<i64> {
        let answer = api
            .get(&format!("/v1/transfers?account_id={one}&{query}"))
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["change"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(list("").await, [-5, 20, 30]);
    assert_eq!(list("q=order").await, [20, 30]);
    assert_eq!(list("kind=revoke").await, [-5]);
    assert_eq!(list("from=2000-01-01&to=2999-12-31").await, [-5, 20, 30]);
    assert!(list("to=2000-01-01").await.is_empty());
    let first = api
        .get(&format!("/v1/transfers?account_id={one}&limit=2"))
        .await;
    assert_eq!(first.body["previous_cursor"], Value::Null);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = api
        .get(&format!(
            "/v1/transfers?account_id={one}&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(second.body["items"][0]["change"], 30);
    assert_eq!(second.body["next_cursor"], Value::Null);
    let newer = second.body["previous_cursor"].as_str().unwrap();
    assert_eq!(list(&format!("limit=2&cursor={newer}")).await, [-5, 20]);
    let direct = app.example.direct.account();
    assert_eq!(
        list(&format!("counterparty_id={direct}")).await,
        [-5, 20, 30]
    );
    assert!(list("counterparty_id=999999").await.is_empty());
    let bad = api
        .get("/v1/transfers?from=26-11-01&to=yesterday&kind=bonus&limit=0&cursor=zz&account_id=x")
        .await;
    assert_eq!(
        refused_parameters(&bad),
        ["account_id", "from", "to", "kind", "limit", "cursor"]
    );
}

#[tokio::test]
async fn usage_is_charged_once_never_below_zero_and_shows_in_the_parents_grid() {
    let app = TestApp::spawn().await;
    let api = billing(&app).await;
    let gateway = gateway(&app).await;
    let customer = app.example.customer_one;
    api.transfer(customer, 5, "Trial").await;
    let charge = |credits: i64| json!({"account_id": customer.0, "credits": credits, "reference": "batch 42"});

    let first = gateway
        .post("/v1/usage", charge(3), Some("batch-0042"))
        .await;
    let again = gateway
        .post("/v1/usage", charge(3), Some("batch-0042"))
        .await;
    assert_eq!((first.status, again.status), (201, 200), "{first:?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body["kind"], "usage");
    assert_eq!(first.body["actor"], "API key: sms-gateway");
    gateway
        .post("/v1/usage", charge(4), Some("batch-0042"))
        .await
        .problem(409, "idempotency-key-reused");

    let short = gateway
        .post("/v1/usage", charge(8), Some(&fresh_key()))
        .await;
    assert_eq!(
        short.problem(409, "usage-short"),
        "Customer One has 2 credits; 8 cannot be used"
    );
    let missing = json!({"account_id": 999_999, "credits": 1, "reference": "x"});
    gateway
        .post("/v1/usage", missing, Some(&fresh_key()))
        .await
        .problem(404, "account-not-found");
    let zero = gateway
        .post("/v1/usage", charge(0), Some(&fresh_key()))
        .await;
    zero.problem(422, "invalid-request");
    gateway
        .post("/v1/usage", charge(1), None)
        .await
        .problem(400, "idempotency-key-required");

    let grid = api.get("/v1/subaccounts?kind=customer").await;
    assert_eq!(grid.body["items"][0]["balance"], 2);
    let lines = api
        .get(&format!("/v1/transfers?account_id={customer}&kind=usage"))
        .await;
    assert_eq!(lines.body["items"][0]["change"], -3);
    assert_eq!(lines.body["items"][0]["counterparty"], "Platform");
    let report = app.ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 97);
}

#[tokio::test]
async fn fifty_concurrent_usage_debits_against_one_balance_never_overdraw() {
    let app = TestApp::spawn().await;
    billing(&app)
        .await
        .transfer(app.example.customer_one, 30, "For messages")
        .await;
    let gateway = gateway(&app).await;

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let gateway = gateway.clone();
            let body = json!({"account_id": app.example.customer_one.0, "credits": 1, "reference": "one message"});
            tokio::spawn(async move { gateway.post("/v1/usage", body, Some(&fresh_key())).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().status);
    }

    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        30,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(balance(&app.ledger, app.example.customer_one).await, 0);
    let report = app.ledger.verify(&operator()).await.unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.in_circulation, 70, "30 used, 70 still out");
}

#[tokio::test]
async fn past_its_rate_limit_a_key_is_answered_429_with_retry_after() {
    let app = TestApp::spawn_with(
        WebConfig {
            api_rate_limit_per_minute: 3,
            ..WebConfig::default()
        },
        "target/site",
    )
    .await;
    let api = billing(&app).await;
    let other = Api::new(
        &app,
        &api_key(&app.ledger, &app.example.direct, "Other", "read").await,
    );
    for _ in 0..3 {
        assert_eq!(api.get("/v1/account").await.status, 200);
    }

    let limited = api.get("/v1/account").await;
    let detail = limited.problem(429, "rate-limited");
    assert!(
        detail.starts_with("Too many requests with this API key"),
        "{detail}"
    );
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(
        other.get("/v1/account").await.status,
        200,
        "keys are limited apart"
    );
}

/// The value of the sample of `metric` whose labels include every one of `labels`.
fn sample(scraped: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    scraped
        .lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn api_and_page_traffic_show_in_the_same_metrics_on_their_own_listener() {
    let app = TestApp::spawn().await;
    let registry = server::metrics::registry().expect("the metrics registry");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", listener.local_addr().unwrap());
    tokio::spawn(server::metrics::serve(listener, registry));
    let api = billing(&app).await;
    let example = &app.example;

    let browser = app.signed_in("direct").await;
    let request = credit_request(example.reseller_one.0, "30", "June order");
    browser.call(TransferCredits { request }).await.unwrap();
    let key = fresh_key();
    let body =
        json!({"sub_account_id": example.reseller_two.0, "credits": 30, "note": "June order"});
    for _ in 0..2 {
        api.post("/v1/transfers", body.clone(), Some(&key)).await;
    }
    api.transfer(example.customer_one, 500, "Too much")
        .await
        .problem(409, "not-enough-credits");
    assert_eq!(
        api.get(&format!("/v1/subaccounts/{}", example.customer_one))
            .await
            .status,
        200
    );

    let scraped = reqwest::get(&metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let movements = "creditdesk_credit_movements_total";
    for (channel, outcome, reason) in [
        ("ui", "applied", "none"),
        ("api", "applied", "none"),
        ("api", "replayed", "none"),
        ("api", "refused", "not_enough_credits"),
    ] {
        let labels = [
            r#"kind="grant""#,
            &format!(r#"channel="{channel}""#),
            &format!(r#"outcome="{outcome}""#),
            &format!(r#"reason="{reason}""#),
        ];
        let count = sample(&scraped, movements, &labels);
        assert!(count >= Some(1.0), "{labels:?} in\n{scraped}");
    }
    let requests = "creditdesk_http_requests_total";
    for labels in [
        [
            r#"route="/v1/transfers""#,
            r#"method="POST""#,
            r#"status="201""#,
        ],
        [
            r#"route="/v1/transfers""#,
            r#"method="POST""#,
            r#"status="200""#,
        ],
        [
            r#"route="/v1/subaccounts/{id}""#,
            r#"method="GET""#,
            r#"status="200""#,
        ],
        [
            r#"route="/api/transfer_credits""#,
            r#"method="POST""#,
            r#"status="200""#,
        ],
    ] {
        assert!(
            sample(&scraped, requests, &labels) >= Some(1.0),
            "{labels:?} in\n{scraped}"
        );
    }
    let latency = "creditdesk_http_request_duration_seconds_bucket";
    let all = sample(
        &scraped,
        latency,
        &[
            r#"route="/v1/transfers""#,
            r#"method="POST""#,
            r#"le="+Inf""#,
        ],
    );
    assert!(all >= Some(3.0), "{scraped}");
    let raw_id = format!(r#"route="/v1/subaccounts/{}""#, example.customer_one);
    assert!(
        !scraped.contains(&raw_id),
        "a route is its template, never the raw path"
    );

    let on_app_port = reqwest::get(format!("{}/metrics", app.base_url))
        .await
        .unwrap();
    assert!(
        !on_app_port.text().await.unwrap().contains(requests),
        "not public"
    );
}

#[tokio::test]
async fn the_openapi_document_covers_every_operation_with_the_bearer_scheme() {
    let app = TestApp::spawn().await;
    let document: Value = reqwest::get(format!("{}/v1/openapi.json", app.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(document["openapi"], "3.1.0");
    let scheme = &document["components"]["securitySchemes"]["api_key"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push(format!("{} {path}", method.to_uppercase()));
            for status in ["401", "403", "429"] {
                let problem =
                    &operation["responses"][status]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{method} {path} documents {status}");
            }
            assert!(operation["security"].is_array(), "{method} {path}");
        }
    }
    let get_subaccounts = &document["paths"]["/v1/subaccounts"]["get"];
    for (name, values) in [
        ("sort", &["name", "balance", "created"][..]),
        ("dir", &["asc", "desc"]),
        ("kind", &["reseller", "customer"]),
        ("status", &["active", "suspended"]),
    ] {
        let parameter = get_subaccounts["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("{name} is documented"));
        assert_eq!(
            enum_values(&document, &parameter["schema"]),
            values,
            "{name}: {parameter}"
        );
    }
    let bad_parameters = &get_subaccounts["responses"]["400"]["description"];
    assert!(
        bad_parameters.as_str().unwrap().contains("sort"),
        "{bad_parameters}"
    );
    for (method, path) in [
        ("post", "/v1/transfers"),
        ("post", "/v1/subaccounts"),
        ("patch", "/v1/subaccounts/{id}"),
        ("post", "/v1/usage"),
    ] {
        let too_large = &document["paths"][path][method]["responses"]["413"];
        assert!(
            too_large["content"]["application/problem+json"].is_object(),
            "{method} {path}"
        );
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "GET /v1/account",
            "GET /v1/subaccounts",
            "GET /v1/subaccounts/{id}",
            "GET /v1/transfers",
            "GET /v1/transfers/{id}",
            "PATCH /v1/subaccounts/{id}",
            "POST /v1/subaccounts",
            "POST /v1/transfers",
            "POST /v1/usage",
        ]
    );
}

/// The values an enum schema allows, through `$ref`s and `oneOf`s.
fn enum_values(document: &Value, schema: &Value) -> Vec<String> {
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect();
    }
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return enum_values(document, &document["components"]["schemas"][name]);
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|key| schema[*key].as_array())
        .flatten()
        .flat_map(|item| enum_values(document, item))
        .collect()
}

fn new_key(name: &str, scopes: &[ApiScope]) -> CreateApiKey {
    CreateApiKey {
        key: NewApiKey {
            name: name.to_owned(),
            scopes: scopes.to_vec(),
        },
    }
}

#[tokio::test]
async fn a_key_made_on_the_api_keys_page_is_shown_once_works_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;

    let made = direct
        .call(new_key("Billing", &[ApiScope::Read, ApiScope::Transfer]))
        .await
        .unwrap();
    assert!(made.secret.starts_with("cdk_"), "{}", made.secret);
    assert_eq!(made.name, "Billing");
    let listed = direct.call(ApiKeys {}).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Billing");
    assert_eq!(listed[0].scopes, [ApiScope::Read, ApiScope::Transfer]);
    assert_eq!(listed[0].last_used_at, None);

    let api = Api::with_key(&app, &made.secret);
    let grant = api
        .transfer(app.example.reseller_one, 30, "From billing")
        .await;
    assert_eq!(grant.body["actor"], "API key: Billing");
    let used = direct.call(ApiKeys {}).await.unwrap();
    assert!(used[0].last_used_at.is_some());

    direct
        .call(RevokeApiKey { id: listed[0].id })
        .await
        .unwrap();
    api.get("/v1/account").await.problem(401, "invalid-api-key");
    assert!(direct.call(ApiKeys {}).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_api_keys_page_refuses_what_the_ledger_refuses_with_its_reasons() {
    let app = TestApp::spawn().await;
    let direct = app.signed_in("direct").await;
    let reseller = app.signed_in("reseller1").await;
    let made = direct
        .call(new_key("Billing", &[ApiScope::Read]))
        .await
        .unwrap();

    let anonymous = app.browser().call(ApiKeys {}).await.unwrap_err();
    assert_eq!(
        (anonymous.status, anonymous.error),
        (401, AppError::Unauthenticated)
    );
    for (request, status, error) in [
        (new_key("Other", &[]), 422, AppError::ScopeRequired),
        (
            new_key("  ", &[ApiScope::Read]),
            422,
            AppError::NameRequired,
        ),
        (
            new_key("Billing", &[ApiScope::Manage]),
            409,
            AppError::KeyNameTaken,
        ),
    ] {
        let refused = direct.call(request).await.unwrap_err();
        assert_eq!((refused.status, refused.error), (status, error));
    }
    let id = direct.call(ApiKeys {}).await.unwrap()[0].id;
    let foreign = reseller.call(RevokeApiKey { id }).await.unwrap_err();
    assert_eq!(
        (foreign.status, foreign.error),
        (404, AppError::KeyNotFound)
    );
    assert_eq!(
        Api::with_key(&app, &made.secret)
            .get("/v1/account")
            .await
            .status,
        200
    );
    assert!(reseller.call(ApiKeys {}).await.unwrap().is_empty());
}
