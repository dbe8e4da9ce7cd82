//! Rules on a certificate's own dates, from the documents that set them. Pure functions of the
//! `notBefore`/`notAfter` the certificate carries (Unix seconds): the same certificate gets the
//! same answer on any day.
//!
//! - CA/Browser Forum Baseline Requirements (TLS BRs) §6.3.2, as amended by ballot SC-081
//!   (read at cabforum/servercert `docs/BR.md`, version dated 2026-03-31): the maximum Validity
//!   Period of a Subscriber Certificate by the date it was issued. The BRs' table starts at
//!   "issued before 2026-03-15: 398 days"; the 398-day limit itself dates from 2020-09-01 (when
//!   Apple, Google and Mozilla began enforcing it), so older certificates are not judged.
//! - BRs §1.6.1 "Validity Period": notBefore through notAfter *inclusive*; §6.3.2 "a day is
//!   measured as 86,400 seconds. Any amount of time greater than this … shall represent an
//!   additional day".
//! - Chrome Root Program Policy 1.6 (2025-02-15) §3.2.2 item 2: subscriber certificates issued
//!   on or after 2026-06-15 chaining to the Chrome Root Store "only assert an extendedKeyUsage
//!   purpose of id-kp-serverAuth".
//!
//! The issue date is taken to be `notBefore`: the BRs allow back-dating notBefore by at most 48
//! hours, which moves no certificate across these limits by more than that.

/// (issued on or after, Unix seconds; maximum Validity Period in days), latest last.
pub const MAX_VALIDITY: [(i64, u32); 4] = [
    (1_598_918_400, 398), // 2020-09-01
    (1_773_532_800, 200), // 2026-03-15 (SC-081)
    (1_805_068_800, 100), // 2027-03-15 (SC-081)
    (1_868_227_200, 47),  // 2029-03-15 (SC-081)
];

/// From this issue date (2026-06-15) a publicly trusted leaf must assert serverAuth only.
pub const SERVER_AUTH_ONLY_FROM: i64 = 1_781_481_600;

/// A certificate valid for at most this long (10 days) is short-lived: it is replaced before it
/// could be revoked usefully, and being near its end is its normal state, not a warning. (The
/// BRs' own "Short-lived Subscriber Certificate" is ≤ 10 days for certificates issued before
/// 2026-03-15 and ≤ 7 days from then on; Let's Encrypt's 6-day certificates are both.)
pub const SHORT_LIVED_SECONDS: i64 = 864_000;

/// The Validity Period in whole days as the BRs count it (inclusive; a started day counts).
pub fn validity_days(not_before: i64, not_after: i64) -> i64 {
    let seconds = not_after.saturating_sub(not_before).saturating_add(1);
    seconds.max(0).div_euclid(86_400) + i64::from(seconds.rem_euclid(86_400) != 0)
}

/// The maximum Validity Period for a certificate issued at `not_before`, with the date the
/// limit applies from (`YYYY-MM-DD`); `None` before 2020-09-01.
pub fn max_validity_days(not_before: i64) -> Option<(u32, &'static str)> {
    const FROM: [&str; 4] = ["2020-09-01", "2026-03-15", "2027-03-15", "2029-03-15"];
    MAX_VALIDITY
        .iter()
        .zip(FROM)
        .rev()
        .find(|((from, _), _)| not_before >= *from)
        .map(|((_, days), from)| (*days, from))
}

/// Whether the certificate is short-lived (≤ 10 days of validity).
pub fn short_lived(not_before: i64, not_after: i64) -> bool {
    not_after.saturating_sub(not_before).saturating_add(1) <= SHORT_LIVED_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn validity_is_inclusive_and_a_started_day_counts() {
        // notAfter = notBefore + 90 days - 1 s: exactly 90 days.
        assert_eq!(validity_days(0, 90 * DAY - 1), 90);
        assert_eq!(validity_days(0, 90 * DAY), 91);
        assert_eq!(validity_days(0, 0), 1);
    }

    #[test]
    fn each_limit_starts_on_its_date() {
        let [(d2020, _), (d2026, _), (d2027, _), (d2029, _)] = MAX_VALIDITY;
        assert_eq!(max_validity_days(d2020 - 1), None);
        assert_eq!(max_validity_days(d2020), Some((398, "2020-09-01")));
        assert_eq!(max_validity_days(d2026 - 1), Some((398, "2020-09-01")));
        assert_eq!(max_validity_days(d2026), Some((200, "2026-03-15")));
        assert_eq!(max_validity_days(d2027 - 1), Some((200, "2026-03-15")));
        assert_eq!(max_validity_days(d2027), Some((100, "2027-03-15")));
        assert_eq!(max_validity_days(d2029), Some((47, "2029-03-15")));
        assert_eq!(
            max_validity_days(d2029 + 3650 * DAY),
            Some((47, "2029-03-15"))
        );
    }

    #[test]
    fn short_lived_is_ten_days_at_most() {
        assert!(short_lived(0, 10 * DAY - 1));
        assert!(short_lived(0, 6 * DAY));
        assert!(!short_lived(0, 10 * DAY));
    }
}
