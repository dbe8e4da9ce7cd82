//! Post-quantum readiness and the `post_quantum` rule kind on constructed facts.

use super::*;
use crate::policy::pq::{self, PqStatus};

const MLKEM: u16 = 0x11ec; // X25519MLKEM768
const MLKEM768: u16 = 0x0201; // pure ML-KEM-768

fn tls13(groups: &[u16], server_order: Option<bool>) -> TargetFacts {
    let mut t = with_groups(target(&[(Tls13, &[0x1301])]), groups, &[]);
    for v in t.groups.iter_mut().flat_map(|g| g.versions.iter_mut()) {
        v.server_preference = server_order;
    }
    t
}

fn status(t: &TargetFacts) -> (PqStatus, Option<bool>, Vec<String>) {
    let r = pq::readiness(t).unwrap();
    (r.status, r.preferred, r.hybrid_groups)
}

#[test]
fn readiness_says_offered_preferred_or_classical() {
    let hybrid = || vec!["X25519MLKEM768".to_string()];
    // The server's own order puts the hybrid first.
    assert_eq!(
        status(&tls13(&[MLKEM, X25519], Some(true))),
        (PqStatus::Preferred, Some(true), hybrid())
    );
    // … or a classical group first: a browser offering both gets X25519.
    assert_eq!(
        status(&tls13(&[X25519, MLKEM], Some(true))),
        (PqStatus::Offered, Some(false), hybrid())
    );
    // The server follows the client's order: browsers list the hybrid first.
    assert_eq!(
        status(&tls13(&[X25519, MLKEM], Some(false))),
        (PqStatus::Preferred, Some(true), hybrid())
    );
    // Order not determined: only "offered" is known.
    assert_eq!(
        status(&tls13(&[X25519, MLKEM], None)),
        (PqStatus::Offered, None, hybrid())
    );
    // A hybrid-only server is preferred by construction.
    assert_eq!(
        status(&tls13(&[MLKEM], None)),
        (PqStatus::Preferred, Some(true), hybrid())
    );
    // Pure ML-KEM is post-quantum too, but no hybrid.
    let r = pq::readiness(&tls13(&[MLKEM768, X25519], Some(true))).unwrap();
    assert_eq!(
        (r.status, r.pure_groups, r.hybrid_groups),
        (PqStatus::Preferred, vec!["MLKEM768".to_string()], vec![])
    );
    assert_eq!(
        status(&tls13(&[X25519, P256], Some(true))),
        (PqStatus::ClassicalOnly, None, vec![])
    );
    // No TLS 1.3: classical only; TLS 1.3 groups not scanned: not determined.
    let r = pq::readiness(&target(&[(Tls12, &[0xc02f])])).unwrap();
    assert_eq!(
        (r.status, r.evidence.as_str()),
        (
            PqStatus::ClassicalOnly,
            "TLS 1.3 is not offered (post-quantum groups need it)"
        )
    );
    let mut t = tls13(&[MLKEM], None);
    t.groups = None;
    let r = pq::readiness(&t).unwrap();
    assert_eq!(
        (r.status, r.evidence.as_str()),
        (
            PqStatus::NotDetermined,
            "the TLS 1.3 groups were not scanned"
        )
    );
    // Certificate keys are classical; an unscanned target has no readiness.
    assert_eq!(
        pq::readiness(&tls13(&[MLKEM], None))
            .unwrap()
            .classical_certificate_keys,
        ["RSA 2048"]
    );
    t.error = Some("connection refused".into());
    assert_eq!(pq::readiness(&t), None);
}

const RULE: &str = r#"
[policy]
name = "pq"
[[rule]]
id = "kx.pq_hybrid"
kind = "post_quantum"
severity = "info"
deadline = "2030-12-31"
message = "Offer X25519MLKEM768."
[[rule]]
id = "kx.pq_hybrid.preferred"
kind = "post_quantum"
severity = "info"
require = "preferred"
message = "Prefer X25519MLKEM768."
"#;

#[test]
fn post_quantum_rule_passes_fails_and_is_incomplete() {
    let p = Policy::from_toml(RULE, "pq.toml").unwrap();
    assert_eq!(
        p.rules[0].title,
        "a post-quantum hybrid group must be offered (deadline 2030-12-31)"
    );
    let st = |t: &TargetFacts| -> Vec<RuleStatus> {
        evaluate(t, &p, Severity::Info)
            .rules
            .iter()
            .map(|r| r.status)
            .collect()
    };
    use RuleStatus::*;
    assert_eq!(st(&tls13(&[MLKEM, X25519], Some(true))), [Pass, Pass]);
    assert_eq!(st(&tls13(&[X25519, MLKEM], Some(true))), [Pass, Fail]);
    assert_eq!(st(&tls13(&[X25519, MLKEM], None)), [Pass, Incomplete]);
    assert_eq!(st(&tls13(&[X25519, P256], Some(true))), [Fail, Fail]);
    assert_eq!(
        st(&tls13(&[MLKEM768], None)),
        [Fail, Fail],
        "pure ML-KEM is no hybrid"
    );
    assert_eq!(st(&target(&[(Tls12, &[0xc02f])])), [Fail, Fail]);
    let mut t = tls13(&[MLKEM], None);
    t.groups = None;
    assert_eq!(st(&t), [Incomplete, Incomplete]);
    // The deadline is reported with the readiness, never compared with a clock.
    assert_eq!(
        pq::deadlines(&p),
        [pq::PqDeadline {
            policy: "pq".into(),
            rule: "kx.pq_hybrid".into(),
            date: "2030-12-31".into()
        }]
    );
}

#[test]
fn post_quantum_rule_rejects_bad_keys() {
    let bad = |extra: &str| {
        let text = format!(
            "[policy]\nname = \"x\"\n[[rule]]\nid = \"a\"\nkind = \"post_quantum\"\nseverity = \"info\"\nmessage = \"m\"\n{extra}\n"
        );
        Policy::from_toml(&text, "x.toml").unwrap_err().to_string()
    };
    assert_eq!(
        bad("require = \"always\""),
        "x.toml:8:11: field `require`: unknown requirement 'always' (use hybrid or preferred)"
    );
    assert_eq!(
        bad("deadline = \"2030-13-01\""),
        "x.toml:8:12: field `deadline`: '2030-13-01' is not a date (YYYY-MM-DD)"
    );
    assert!(bad("suites = [\"@rc4\"]").contains("field `suites`"));
}
