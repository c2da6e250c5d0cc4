//! `server bench-reads`: how fast the read paths answer through HTTP, measured against a running
//! server (build it with `--release`, seed its database with `server seed`), one request at a time.
//!
//! For each query: p50 and p99 of the wall time from sending the request to reading the whole
//! answer; for the download: rows per second over the whole CSV of the direct reseller, as sent
//! uncompressed and as a browser receives it (compressed).

use std::time::{Duration, Instant};

use app::model::{
    SortDirection, SubAccountList, SubAccountSort, SubAccountView, TransferKind, TransferView,
};
use app::server_fns::{BalanceHistory, SubAccountPage, TransferPage};
use clap::Args;
use ledger::{DEMO_PASSWORD, Ledger, Login, SubAccountQuery};
use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::{Decodes, ServerFn};
use serde::Serialize;

use crate::operator::operator;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The server to measure.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub base_url: String,
    /// Who to sign in as (with the demo password): the seeded direct reseller.
    #[arg(long, default_value = "direct")]
    pub login: String,
    /// Requests per query.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// The page the deep-page query reads (walked to once, through every page before it).
    #[arg(long, default_value_t = 500)]
    pub deep_page: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0} answered {1}")]
    Refused(String, reqwest::StatusCode),
    #[error("a page of sub-accounts could not be read: {0}")]
    Unreadable(String),
    #[error("the dataset has fewer than {0} pages of sub-accounts")]
    TooFewPages(usize),
    #[error(transparent)]
    Store(#[from] ledger::StoreError),
    #[error(transparent)]
    Read(#[from] ledger::ReadError),
    #[error("no user has the login {0}")]
    UnknownLogin(String),
}

/// Signs in, measures every query in turn, prints a table (Markdown, for the README).
pub async fn run(ledger: &Ledger, args: &BenchArgs) -> Result<(), BenchError> {
    let login =
        Login::parse(&args.login).map_err(|_| BenchError::UnknownLogin(args.login.clone()))?;
    let reader = ledger
        .actor_for(&operator(), &login)
        .await?
        .ok_or_else(|| BenchError::UnknownLogin(args.login.clone()))?;
    let sub_accounts = ledger
        .sub_account_page(&reader, &SubAccountQuery::by_name(1))
        .await?
        .matching;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let bench = Bench {
        client,
        base_url: args.base_url.trim_end_matches('/').to_owned(),
    };
    bench
        .call(&app::server_fns::SignIn {
            login: args.login.clone(),
            password: DEMO_PASSWORD.to_owned(),
        })
        .await?;

    println!(
        "{:?}, {sub_accounts} sub-accounts of {}, {} requests per query, one at a time",
        ledger.backend(),
        args.login,
        args.requests
    );
    println!("| query | p50 | p99 |");
    println!("| --- | --- | --- |");
    let by_balance = SubAccountView {
        sort: SubAccountSort::Balance,
        direction: SortDirection::Descending,
        ..SubAccountView::default()
    };
    let deep = bench.walk_to(args.deep_page).await?;
    let filtered = TransferView {
        from: "2000-01-01".into(),
        to: app::format::utc_date(ledger::Clock::default().now()),
        kind: Some(TransferKind::Grant),
        note: "invoice".into(),
        ..TransferView::default()
    };
    let bench = &bench;
    let grid = |view: SubAccountView| SubAccountPage { view };
    let list = |view: TransferView| TransferPage { view };
    let queries: Vec<(String, Box<dyn Fn() -> reqwest::RequestBuilder + '_>)> = vec![
        (
            "first grid page".into(),
            Box::new(move || bench.request(&grid(SubAccountView::default()))),
        ),
        (
            "first grid page, whole HTML (SSR)".into(),
            Box::new(move || bench.get("/reseller/customers")),
        ),
        (
            "a search (\"acme t\")".into(),
            Box::new(move || {
                bench.request(&grid(SubAccountView {
                    q: "acme t".into(),
                    ..SubAccountView::default()
                }))
            }),
        ),
        (
            "sort by balance".into(),
            Box::new(move || bench.request(&grid(by_balance.clone()))),
        ),
        (
            format!("page {}", args.deep_page),
            Box::new(move || bench.request(&grid(deep.clone()))),
        ),
        (
            "a transfers page".into(),
            Box::new(move || bench.request(&list(TransferView::default()))),
        ),
        (
            "a filtered transfers page (dates, grants, \"invoice\")".into(),
            Box::new(move || bench.request(&list(filtered.clone()))),
        ),
        (
            "the balance chart (the transfers page's, whole history)".into(),
            Box::new(move || {
                bench.request(&BalanceHistory {
                    view: TransferView::default(),
                })
            }),
        ),
    ];
    for (name, request) in &queries {
        let mut times = Vec::with_capacity(args.requests);
        for _ in 0..args.requests {
            let started = Instant::now();
            let response = request().send().await?;
            let status = response.status();
            response.bytes().await?;
            times.push(started.elapsed());
            if !status.is_success() {
                return Err(BenchError::Refused(name.clone(), status));
            }
        }
        times.sort_unstable();
        println!(
            "| {name} | {} | {} |",
            millis(percentile(&times, 50)),
            millis(percentile(&times, 99))
        );
    }

    let plain = bench.download("identity").await?;
    // Counted in the uncompressed copy: a browser's copy holds the same rows.
    let rows = plain
        .body
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        .saturating_sub(1);
    let compressed = bench.download(CHROMIUM_ACCEPT_ENCODING).await?;
    println!(
        "{}",
        plain.line(&format!("whole CSV of {}", args.login), rows)
    );
    println!(
        "{}",
        compressed.line("the same as Chromium asks for it", rows)
    );
    Ok(())
}

/// The `Accept-Encoding` Chromium sends.
const CHROMIUM_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// One timed download.
struct Download {
    /// As the server chose it (`Content-Encoding`); the body is left as it came.
    encoding: String,
    body: axum::body::Bytes,
    seconds: f64,
}

impl Download {
    /// Its row of the table: what was sent, how long it took, and the rows per second.
    fn line(&self, what: &str, rows: usize) -> String {
        format!(
            "| {what} ({rows} rows; {}, {:.1} MB) | {:.2} s | {:.0} rows/s |",
            self.encoding,
            self.body.len() as f64 / 1e6,
            self.seconds,
            rows as f64 / self.seconds
        )
    }
}

struct Bench {
    client: reqwest::Client,
    base_url: String,
}

impl Bench {
    fn request<F: ServerFn + Serialize>(&self, args: &F) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{}", self.base_url, F::PATH))
            .json(args)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base_url))
    }

    /// The whole CSV download with this `Accept-Encoding`, timed to its last byte.
    async fn download(&self, accept: &'static str) -> Result<Download, BenchError> {
        let started = Instant::now();
        let response = self
            .get("/transfers.csv")
            .header(reqwest::header::ACCEPT_ENCODING, accept)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(BenchError::Refused(
                "the download".into(),
                response.status(),
            ));
        }
        let encoding = response
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        let body = response.bytes().await?;
        Ok(Download {
            encoding,
            body,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    async fn call<F: ServerFn + Serialize>(&self, args: &F) -> Result<(), BenchError> {
        let response = self.request(args).send().await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(BenchError::Refused(F::PATH.to_owned(), response.status()))
        }
    }

    /// The view of page `page` by name, reached through "Next page" from the first.
    async fn walk_to(&self, page: usize) -> Result<SubAccountView, BenchError> {
        let mut view = SubAccountView::default();
        for _ in 1..page {
            let answer = self
                .request(&SubAccountPage { view: view.clone() })
                .send()
                .await?
                .bytes()
                .await?;
            let list: SubAccountList = PostcardEncoding::decode(answer)
                .map_err(|error| BenchError::Unreadable(error.to_string()))?;
            view = view.at(Some(list.next.ok_or(BenchError::TooFewPages(page))?));
        }
        Ok(view)
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let index = (sorted.len() * percent).div_ceil(100).saturating_sub(1);
    sorted.get(index).copied().unwrap_or_default()
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
