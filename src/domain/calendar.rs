//! Dates of the programme: "today" in Europe/Paris, and months added as agreements count them.
//!
//! Europe/Paris follows the EU rule (in force since 1996): UTC+1, and UTC+2 from the last Sunday
//! of March at 01:00 UTC to the last Sunday of October at 01:00 UTC. The rule is written here
//! rather than pulling a whole time-zone database for one zone.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc, Weekday};

/// The last Sunday of `month` in `year`, at 01:00 UTC (when EU summer time starts or ends).
fn last_sunday_0100_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_of_next =
        NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
    let last_day = first_of_next.checked_sub_days(Days::new(1))?;
    let back = last_day.weekday().num_days_from_sunday();
    let sunday = last_day.checked_sub_days(Days::new(u64::from(back)))?;
    debug_assert_eq!(sunday.weekday(), Weekday::Sun);
    Utc.from_local_datetime(&sunday.and_hms_opt(1, 0, 0)?)
        .single()
}

/// The calendar date in Europe/Paris at the instant `now`.
pub fn paris_date(now: DateTime<Utc>) -> NaiveDate {
    let year = now.year();
    let summer = match (
        last_sunday_0100_utc(year, 3),
        last_sunday_0100_utc(year, 10),
    ) {
        (Some(start), Some(end)) => now >= start && now < end,
        _ => false,
    };
    let offset_hours = if summer { 2 } else { 1 };
    (now + chrono::Duration::hours(offset_hours)).date_naive()
}

/// `date` plus `months` calendar months; a day past the end of the target month clamps to its last
/// day (2021-12-31 + 2 months = 2022-02-28). `None` beyond the calendar's range.
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(months))
}

/// `date` minus `months` calendar months; a day past the end of the target month clamps to its
/// last day (2024-03-31 − 1 month = 2024-02-29). `None` beyond the calendar's range.
pub fn sub_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    date.checked_sub_months(Months::new(months))
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn instant(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn months_are_calendar_months_and_month_ends_clamp() {
        assert_eq!(add_months(date("2021-02-08"), 2), Some(date("2021-04-08")));
        assert_eq!(add_months(date("2021-12-31"), 2), Some(date("2022-02-28")));
        assert_eq!(add_months(date("2023-12-31"), 2), Some(date("2024-02-29")));
        assert_eq!(add_months(date("2021-01-31"), 1), Some(date("2021-02-28")));
        assert_eq!(add_months(date("2021-08-31"), 1), Some(date("2021-09-30")));
        assert_eq!(add_months(date("2021-11-15"), 3), Some(date("2022-02-15")));
        assert_eq!(add_months(date("2021-03-01"), 24), Some(date("2023-03-01")));
    }

    #[test]
    fn months_subtracted_are_calendar_months_and_month_ends_clamp() {
        assert_eq!(sub_months(date("2026-11-26"), 24), Some(date("2024-11-26")));
        assert_eq!(sub_months(date("2024-03-31"), 1), Some(date("2024-02-29")));
        assert_eq!(sub_months(date("2023-03-31"), 1), Some(date("2023-02-28")));
        assert_eq!(sub_months(date("2026-01-15"), 1), Some(date("2025-12-15")));
    }

    #[test]
    fn paris_date_turns_at_local_midnight_in_winter_and_summer() {
        // Winter: UTC+1.
        assert_eq!(
            paris_date(instant("2026-01-15T22:59:59Z")),
            date("2026-01-15")
        );
        assert_eq!(
            paris_date(instant("2026-01-15T23:00:00Z")),
            date("2026-01-16")
        );
        // Summer: UTC+2.
        assert_eq!(
            paris_date(instant("2026-07-14T21:59:59Z")),
            date("2026-07-14")
        );
        assert_eq!(
            paris_date(instant("2026-07-14T22:00:00Z")),
            date("2026-07-15")
        );
        // New Year's Eve, 23:30 UTC, is already the 1st of January in Paris.
        assert_eq!(
            paris_date(instant("2026-12-31T23:30:00Z")),
            date("2027-01-01")
        );
    }

    #[test]
    fn summer_time_starts_and_ends_on_the_last_sundays_at_one_utc() {
        // 2026: 29 March and 25 October.
        assert_eq!(
            last_sunday_0100_utc(2026, 3),
            Some(instant("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            last_sunday_0100_utc(2026, 10),
            Some(instant("2026-10-25T01:00:00Z"))
        );
        // 22:30 UTC the evening before the change is 23:30 CET; the evening after, 00:30 CEST.
        assert_eq!(
            paris_date(instant("2026-03-28T22:30:00Z")),
            date("2026-03-28")
        );
        assert_eq!(
            paris_date(instant("2026-03-29T22:30:00Z")),
            date("2026-03-30")
        );
        assert_eq!(
            paris_date(instant("2026-10-25T22:30:00Z")),
            date("2026-10-25")
        );
    }

    #[test]
    fn days_between_counts_whole_days() {
        assert_eq!(days_between(date("2021-03-01"), date("2021-04-08")), 38);
        assert_eq!(days_between(date("2021-04-08"), date("2021-03-01")), -38);
    }
}
