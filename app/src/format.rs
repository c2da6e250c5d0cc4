//! How numbers and times read on screen. Used by the pages and by `AppError`'s messages, so the
//! server and the browser print them identically (hydration compares the two).

use std::fmt;

/// A number of credits as people read it: grouped thousands, singular for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditCount(pub i64);

impl fmt::Display for CreditCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.0.abs() == 1 {
            "credit"
        } else {
            "credits"
        };
        write!(f, "{} {unit}", Grouped(self.0))
    }
}

/// A whole number with thousands separators: 1,250,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grouped(pub i64);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

/// A moment as `2026-11-25 19:40 UTC`: the same text on the server and in the browser, so hydration
/// never disagrees about time zones.
pub fn format_utc(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (second_of_day / 3600, second_of_day % 3600 / 60);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// The day of a moment, `2026-11-25` (UTC): how date inputs and the grid write days.
pub fn utc_date(millis: i64) -> String {
    let (year, month, day) = civil_from_days(millis.div_euclid(86_400_000));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A moment as ISO 8601 in UTC with milliseconds: `2026-11-25T19:40:00.000Z`.
pub fn iso_8601_utc(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
    let milli = millis.rem_euclid(1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z")
}

/// A day as a date input gives it (`2026-11-25`), as its first millisecond (UTC); `None` unless it
/// is a real date.
pub fn start_of_day(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let mut number = |digits: usize| {
        parts
            .next()
            .filter(|part| part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|part| part.parse::<i64>().ok())
    };
    let (year, month, day) = (number(4)?, number(2)?, number(2)?);
    if parts.next().is_some() || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // A 31st of a 30-day month reads back as another day.
    (civil_from_days(days) == (year, month, day)).then_some(days * 86_400_000)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_read_naturally() {
        assert_eq!(CreditCount(1).to_string(), "1 credit");
        assert_eq!(CreditCount(10).to_string(), "10 credits");
        assert_eq!(CreditCount(1_250_000).to_string(), "1,250,000 credits");
        assert_eq!(CreditCount(-1000).to_string(), "-1,000 credits");
    }

    #[test]
    fn downloads_carry_iso_8601_utc_times() {
        assert_eq!(iso_8601_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_8601_utc(1_795_635_600_123), "2026-11-25T19:40:00.123Z");
        assert_eq!(iso_8601_utc(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn a_date_is_the_first_millisecond_of_that_day_in_utc() {
        assert_eq!(start_of_day("1970-01-01"), Some(0));
        assert_eq!(start_of_day("2026-11-25"), Some(1_795_564_800_000));
        assert_eq!(start_of_day("2000-02-29"), Some(951_782_400_000));
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01x",
            "2026-01-00",
            "x",
        ] {
            assert_eq!(start_of_day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_795_635_600_000), "2026-11-25 19:40 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn api_times_are_rfc3339_in_utc() {
        assert_eq!(iso_8601_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_8601_utc(1_795_635_600_123), "2026-11-25T19:40:00.123Z");
    }
}
