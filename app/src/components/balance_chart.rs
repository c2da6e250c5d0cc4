//! An account's balance over time as an inline SVG step line, drawn by the app itself: no chart
//! library, nothing to download. The line stretches to any width (a phone's 375 px included) while
//! its stroke keeps its thickness; the dates and amounts are HTML text beside it, so they stay
//! readable at any size, and the whole chart is one image with a sentence for screen readers.

use leptos::prelude::*;

use crate::format::{Grouped, utc_date};
use crate::model::BalancePoint;

/// The drawing's own units: the SVG scales them to the box it is given.
const WIDTH: i64 = 600;
const HEIGHT: i64 = 160;

/// A coordinate in tenths of a unit, written `12.3`: whole-number arithmetic, so that the browser
/// carries no float formatting and the server and the browser draw the same path.
struct Tenths(i64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

#[component]
pub fn BalanceChart(points: Vec<BalancePoint>) -> impl IntoView {
    let (Some(first), Some(latest)) = (points.first().copied(), points.last().copied()) else {
        return view! { <p class="empty">"No balance to chart yet."</p> }.into_any();
    };
    let lowest = points.iter().map(|p| p.balance).min().unwrap_or(0).min(0);
    let highest = points
        .iter()
        .map(|p| p.balance)
        .max()
        .unwrap_or(0)
        .max(lowest + 1);
    let label = format!(
        "Balance from {} to {}: {} credits at the end, between {} and {}",
        utc_date(first.at),
        utc_date(latest.at),
        Grouped(latest.balance),
        Grouped(points.iter().map(|p| p.balance).min().unwrap_or(0)),
        Grouped(points.iter().map(|p| p.balance).max().unwrap_or(0)),
    );
    // In i128: a balance range times 1,600 tenths could pass i64 for the largest balances.
    let scale = |offset: i64, range: i64, size: i64| {
        let tenths = (i128::from(offset) * i128::from(size * 10) + i128::from(range) / 2)
            / i128::from(range);
        Tenths(i64::try_from(tenths).unwrap_or(size * 10))
    };
    let span = (latest.at - first.at).max(1);
    let x = |at: i64| scale(at - first.at, span, WIDTH);
    let y = |balance: i64| {
        let Tenths(up) = scale(balance - lowest, highest - lowest, HEIGHT);
        Tenths(HEIGHT * 10 - up)
    };
    // A step line: each balance holds until the next point.
    let mut path = format!("M0 {}", y(first.balance));
    for point in &points[1..] {
        path += &format!(" H{} V{}", x(point.at), y(point.balance));
    }
    let area = format!("{path} V{HEIGHT} H0 Z");

    view! {
        <figure class="chart">
            <svg
                role="img"
                aria-label=label
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                data-testid="balance-chart"
            >
                <path class="chart-area" d=area />
                <path class="chart-line" d=path vector-effect="non-scaling-stroke" />
            </svg>
            <figcaption class="chart-axis">
                <span>{utc_date(first.at)}</span>
                <span class="chart-latest">{Grouped(latest.balance).to_string()} " credits at the end"</span>
                <span>{utc_date(latest.at)}</span>
            </figcaption>
        </figure>
    }
    .into_any()
}
