//! Just enough DER to read a stapled OCSP response (RFC 6960 section 4.2.1): its response
//! status, and the leaf's status and times. The responder's signature is not checked: the
//! report says what the server staples, a client judges it.

use super::der::Der;
use super::parse::rfc3339;
use crate::facts::certs::OcspStaple;

const RESPONSE_STATUS: [&str; 7] = [
    "successful",
    "malformedRequest",
    "internalError",
    "tryLater",
    "(unused)",
    "sigRequired",
    "unauthorized",
];

/// Reads a stapled response; `leaf_serial` (raw INTEGER bytes) picks the SingleResponse.
pub fn read(response: &[u8], leaf_serial: Option<&[u8]>) -> OcspStaple {
    let mut staple = OcspStaple {
        requested: true,
        present: true,
        ..Default::default()
    };
    if let Err(e) = read_into(&mut staple, response, leaf_serial) {
        staple.error = Some(e.into());
    }
    staple
}

fn read_into(
    s: &mut OcspStaple,
    response: &[u8],
    leaf_serial: Option<&[u8]>,
) -> Result<(), &'static str> {
    const BAD: &str = "OCSP response does not parse";
    let mut top = Der::new(Der::new(response).sequence().ok_or(BAD)?);
    let status = top.expect_tag(0x0a).ok_or(BAD)?;
    let code = *status.first().ok_or(BAD)? as usize;
    s.response_status = Some(
        RESPONSE_STATUS
            .get(code)
            .copied()
            .unwrap_or("unknown")
            .into(),
    );
    if code != 0 {
        return Ok(());
    }
    // responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING }
    let bytes = top.expect_tag(0xa0).ok_or(BAD)?;
    let mut rb = Der::new(Der::new(bytes).sequence().ok_or(BAD)?);
    let oid = rb.expect_tag(0x06).ok_or(BAD)?;
    // id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1
    if oid != [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01] {
        return Err("OCSP response is not a BasicOCSPResponse");
    }
    let basic = rb.expect_tag(0x04).ok_or(BAD)?;
    let mut basic = Der::new(Der::new(basic).sequence().ok_or(BAD)?);
    let mut data = Der::new(basic.sequence().ok_or(BAD)?);
    let (mut tag, mut v) = data.next().ok_or(BAD)?;
    if tag == 0xa0 {
        (tag, v) = data.next().ok_or(BAD)?; // version
    }
    if tag != 0xa1 && tag != 0xa2 {
        return Err(BAD); // responderID
    }
    let _ = v;
    s.produced_at = Some(generalized(data.expect_tag(0x18).ok_or(BAD)?));
    let mut responses = Der::new(data.sequence().ok_or(BAD)?);
    let mut chosen = None;
    while let Some(single) = responses.sequence() {
        let mut single = Der::new(single);
        let mut cert_id = Der::new(single.sequence().ok_or(BAD)?);
        let _hash_alg = cert_id.sequence();
        let _name_hash = cert_id.expect_tag(0x04);
        let _key_hash = cert_id.expect_tag(0x04);
        let serial = cert_id.expect_tag(0x02).ok_or(BAD)?;
        let matches = leaf_serial.is_none_or(|l| {
            crate::wire::strip_leading_zeros(l) == crate::wire::strip_leading_zeros(serial)
        });
        if chosen.is_none() || matches {
            let (status_tag, _) = single.next().ok_or(BAD)?;
            let status = match status_tag {
                0x80 => "good",
                0xa1 | 0x81 => "revoked",
                _ => "unknown",
            };
            let this_update = single.expect_tag(0x18).map(generalized);
            let next_update = match single.next() {
                Some((0xa0, v)) => Der::new(v).expect_tag(0x18).map(generalized),
                _ => None,
            };
            chosen = Some((status, this_update, next_update));
            if matches {
                break;
            }
        }
    }
    let (status, this_update, next_update) = chosen.ok_or("OCSP response has no SingleResponse")?;
    s.cert_status = Some(status.into());
    s.this_update = this_update;
    s.next_update = next_update;
    Ok(())
}

/// GeneralizedTime "YYYYMMDDHHMMSSZ" → RFC 3339; the text as is when it is another form.
fn generalized(v: &[u8]) -> String {
    let text = String::from_utf8_lossy(v).to_string();
    let digits = text.trim_end_matches('Z');
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i64>().ok());
    if digits.len() == 14 && text.ends_with('Z') {
        if let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
            num(0..4),
            num(4..6),
            num(6..8),
            num(8..10),
            num(10..12),
            num(12..14),
        ) {
            let month = time::Month::try_from(mo as u8).ok();
            let date =
                month.and_then(|m| time::Date::from_calendar_date(y as i32, m, d as u8).ok());
            let t = time::Time::from_hms(h as u8, mi as u8, s as u8).ok();
            if let (Some(date), Some(t)) = (date, t) {
                return rfc3339(date.with_time(t).assume_utc().unix_timestamp());
            }
        }
    }
    text
}

/// Unix seconds of an RFC 3339 string written by [`rfc3339`].
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_garbage_responses_are_errors() {
        for bytes in [
            &b""[..],
            &[0x30, 0x03, 0x0a, 0x01, 0x00],
            &[0x30, 0x80],
            &[0xff; 10],
        ] {
            let s = read(bytes, None);
            assert!(s.present);
            assert!(
                s.error.is_some() || s.response_status.is_some(),
                "{bytes:?}"
            );
        }
        // A bare "tryLater" response is complete.
        let s = read(&[0x30, 0x03, 0x0a, 0x01, 0x03], None);
        assert_eq!(
            (s.response_status.as_deref(), s.error),
            (Some("tryLater"), None)
        );
    }

    #[test]
    fn generalized_time() {
        assert_eq!(generalized(b"20260102030405Z"), "2026-01-02T03:04:05Z");
        assert_eq!(generalized(b"garbage"), "garbage");
    }
}
