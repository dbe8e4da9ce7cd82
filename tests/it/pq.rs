//! A server that speaks only the post-quantum hybrid X25519MLKEM768: Node.js 24 (OpenSSL 3.5)
//! with `ecdhCurve: 'X25519MLKEM768'`, TLS 1.3 only. The handshake client must speak the group
//! to fetch the chain; without it the certificates section once said "completed" with no chain,
//! read the failed handshake without SNI as a refusal (`cert.no_sni.refused`), and a policy then
//! passed `cert.chain.invalid` on a chain nobody had examined (issue 13).

use fixtures::servers::{node_https, self_signed, KeyType};
use tlsaudit::facts::{Answer, SectionStatus, Severity, TlsVersion};
use tlsaudit::policy::{evaluate, Policy, RuleStatus};

use crate::common::{node24, scan};

#[tokio::test]
async fn a_server_that_speaks_only_x25519mlkem768_gets_its_chain_fetched_and_judged() {
    let Some(node) = node24() else { return };
    let cert = self_signed(KeyType::EcdsaP256).unwrap();
    let s = node_https(&node, "pq-only", &cert, "X25519MLKEM768").unwrap();
    let (r, _) = scan(&s.target()).await;
    assert_eq!(r.error, None);

    // The group, found by HelloRetryRequest.
    let groups = r.groups.as_ref().unwrap();
    let tls13 = groups
        .versions
        .iter()
        .find(|v| v.version == TlsVersion::Tls13)
        .unwrap();
    let ids: Vec<_> = tls13.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["0x11ec"]);

    // The chain, fetched by handshakes that speak the group, and judged.
    let c = r.certificates.as_ref().unwrap();
    assert_eq!(c.status, SectionStatus::Completed, "{:?}", c.error);
    assert_eq!(c.chains.len(), 1, "{:?}", c.chains);
    let chain = &c.chains[0];
    assert_eq!(chain.key_type, "ECDSA");
    assert_eq!(chain.certificates[0].subject, "CN=localhost");
    assert!(chain.verdicts.self_signed);
    assert_eq!(chain.verdicts.hostname_matches, Some(true));
    // The handshake without SNI got the same chain: nothing was refused.
    assert!(chain.obtained.iter().any(|o| o.without_sni));
    assert_eq!(c.no_sni.refused, Some(false));
    let ids = tlsaudit::certs::finding_ids(&c.findings);
    assert!(!ids.contains(&"cert.no_sni.refused".to_string()), "{ids:?}");
    assert!(ids.contains(&"cert.self_signed".to_string()), "{ids:?}");

    // The stages that need full handshakes have their facts too.
    let sigs = r.signature_schemes.as_ref().unwrap();
    assert_eq!(sigs.status, SectionStatus::Completed, "{:?}", sigs.error);
    let f = r.features.as_ref().unwrap();
    assert_eq!(
        f.tls13_tickets_issued.answer,
        Answer::Yes,
        "{:?}",
        f.tls13_tickets_issued
    );

    // The chain rule judges the chain it got: self-signed fails it.
    let policy = Policy::load("multisafepay").unwrap();
    let rule = |t: &tlsaudit::facts::TargetFacts| {
        evaluate(t, &policy, Severity::Info)
            .rules
            .into_iter()
            .find(|r| r.id == "cert.chain.invalid")
            .unwrap()
    };
    let judged = rule(&r.facts);
    assert_eq!(judged.status, RuleStatus::Fail, "{}", judged.evidence);
    assert!(
        judged.evidence.contains("cert.self_signed"),
        "{}",
        judged.evidence
    );
    // Without a chain the same rule does not pass on the missing fact.
    let mut no_chain = r.facts.clone();
    if let Some(c) = no_chain.certificates.as_mut() {
        c.chains.clear();
        c.findings.clear();
    }
    let missing = rule(&no_chain);
    assert_eq!(
        missing.status,
        RuleStatus::Incomplete,
        "{}",
        missing.evidence
    );
}
