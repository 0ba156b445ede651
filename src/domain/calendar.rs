//! Dates of the programme: "today" in Europe/Paris, months added as agreements count them, and
//! the effective date of an action (never after today, never before the previous step).
//!
//! Europe/Paris follows the EU rule (in force since 1996): UTC+1, and UTC+2 from the last Sunday
//! of March at 01:00 UTC to the last Sunday of October at 01:00 UTC. The rule is written here
//! rather than pulling a whole time-zone database for one zone.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc, Weekday};

use super::refusal::{FieldError, Refusal, RefusalCode, RefusalKind};

/// 422: an effective date after today (Europe/Paris).
pub const DATE_FUTURE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "date_future",
    title: "Date dans le futur",
    example: "date_signature (2031-02-08) est postérieure à aujourd'hui (2026-11-26).",
};

/// 422: an effective date before the date of an earlier step of the life cycle.
pub const DATE_ANTERIEURE: RefusalCode = RefusalCode {
    kind: RefusalKind::Unprocessable,
    code: "date_anterieure",
    title: "Date antérieure à l'étape précédente",
    example: "date_validation (2021-03-01) précède date_depot (2021-03-15).",
};

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

/// The effective date of an action (`field` in its body): the one given or today; never after
/// today, never before the date of the previous step (`previous`: its field name and date).
pub fn effective_date(
    field: &str,
    given: Option<NaiveDate>,
    today: NaiveDate,
    previous: Option<(&str, NaiveDate)>,
) -> Result<NaiveDate, Refusal> {
    let date = given.unwrap_or(today);
    if date > today {
        let detail = format!("{field} ({date}) est postérieure à aujourd'hui ({today}).");
        return Err(Refusal::new(&DATE_FUTURE, detail.clone())
            .with_error(FieldError::pointer(format!("/{field}"), detail)));
    }
    if let Some((previous_field, previous_date)) = previous
        && date < previous_date
    {
        let detail = format!("{field} ({date}) précède {previous_field} ({previous_date}).");
        return Err(Refusal::new(&DATE_ANTERIEURE, detail.clone())
            .with_error(FieldError::pointer(format!("/{field}"), detail)));
    }
    Ok(date)
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
    fn months_added_or_subtracted_are_calendar_months_and_month_ends_clamp() {
        // (from, months, expected): a positive count adds, a negative one subtracts.
        for (from, months, expected) in [
            ("2021-02-08", 2, "2021-04-08"),
            ("2021-12-31", 2, "2022-02-28"),
            ("2023-12-31", 2, "2024-02-29"),
            ("2021-01-31", 1, "2021-02-28"),
            ("2021-08-31", 1, "2021-09-30"),
            ("2021-11-15", 3, "2022-02-15"),
            ("2021-03-01", 24, "2023-03-01"),
            ("2026-11-26", -24, "2024-11-26"),
            ("2024-03-31", -1, "2024-02-29"),
            ("2023-03-31", -1, "2023-02-28"),
            ("2026-01-15", -1, "2025-12-15"),
        ] {
            let count = u32::try_from(i32::abs(months)).unwrap();
            let moved = if months >= 0 {
                add_months(date(from), count)
            } else {
                sub_months(date(from), count)
            };
            assert_eq!(moved, Some(date(expected)), "{from} {months:+} months");
        }
    }

    #[test]
    fn paris_date_turns_at_local_midnight_in_winter_and_summer() {
        for (instant_utc, paris) in [
            // Winter: UTC+1.
            ("2026-01-15T22:59:59Z", "2026-01-15"),
            ("2026-01-15T23:00:00Z", "2026-01-16"),
            // Summer: UTC+2.
            ("2026-07-14T21:59:59Z", "2026-07-14"),
            ("2026-07-14T22:00:00Z", "2026-07-15"),
            // New Year's Eve, 23:30 UTC, is already the 1st of January in Paris.
            ("2026-12-31T23:30:00Z", "2027-01-01"),
            // 22:30 UTC the evening before the change to summer time is 23:30 CET; the evening
            // after, 00:30 CEST; the evening of the change back, 23:30 CET again.
            ("2026-03-28T22:30:00Z", "2026-03-28"),
            ("2026-03-29T22:30:00Z", "2026-03-30"),
            ("2026-10-25T22:30:00Z", "2026-10-25"),
        ] {
            assert_eq!(
                paris_date(instant(instant_utc)),
                date(paris),
                "{instant_utc}"
            );
        }
    }

    #[test]
    fn summer_time_starts_and_ends_on_the_last_sundays_at_one_utc() {
        // 2026: 29 March and 25 October.
        for (month, change) in [(3, "2026-03-29T01:00:00Z"), (10, "2026-10-25T01:00:00Z")] {
            assert_eq!(last_sunday_0100_utc(2026, month), Some(instant(change)));
        }
    }

    #[test]
    fn days_between_counts_whole_days() {
        assert_eq!(days_between(date("2021-03-01"), date("2021-04-08")), 38);
        assert_eq!(days_between(date("2021-04-08"), date("2021-03-01")), -38);
    }
    #[test]
    fn effective_dates_default_to_today_and_follow_the_life_cycle() {
        let today = date("2026-11-26");
        assert_eq!(
            effective_date("date_signature", None, today, None),
            Ok(today)
        );
        assert_eq!(
            effective_date("date_signature", Some(date("2021-02-08")), today, None),
            Ok(date("2021-02-08"))
        );
        let future =
            effective_date("date_signature", Some(date("2026-11-27")), today, None).unwrap_err();
        assert_eq!(future.code_at(), ("date_future", Some("/date_signature")));
        let before = effective_date(
            "date_validation",
            Some(date("2021-03-01")),
            today,
            Some(("date_depot", date("2021-03-15"))),
        )
        .unwrap_err();
        assert_eq!(
            before.code_at(),
            ("date_anterieure", Some("/date_validation"))
        );
        // The same day as the previous step is allowed.
        assert!(
            effective_date(
                "date_depot",
                Some(date("2021-03-15")),
                today,
                Some(("date_signature", date("2021-03-15")))
            )
            .is_ok()
        );
    }
}
