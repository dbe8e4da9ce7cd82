use super::*;
use crate::facts::{DheGroup, VersionGroups};
use crate::wire::CipherSuite;

fn version(v: TlsVersion, suites: &[u16]) -> ProtocolResult {
    ProtocolResult {
        version: v,
        supported: !suites.is_empty(),
        status: SectionStatus::Completed,
        error: None,
        server_preference: None,
        cipher_suites: suites
            .iter()
            .map(|s| SuiteResult::from_suite(CipherSuite(*s)))
            .collect(),
        evidence: "probe".into(),
        suites_enumerated: true,
    }
}

/// SSLv2 and SSLv3 off, TLS 1.0 and 1.2 with `tls10` and `tls12`.
fn protocols(tls10: &[u16], tls12: &[u16]) -> Vec<ProtocolResult> {
    vec![
        version(TlsVersion::Ssl2, &[]),
        version(TlsVersion::Ssl3, &[]),
        version(TlsVersion::Tls10, tls10),
        version(TlsVersion::Tls12, tls12),
    ]
}

fn verdict(c: WeaknessCheck) -> (Verdict, String) {
    (c.result, c.evidence)
}

fn known(p: &[ProtocolResult]) -> Known<'_> {
    Known {
        protocols: p,
        ..Default::default()
    }
}

const GCM: u16 = 0xc02f;
const CBC: u16 = 0x002f;
const TDES: u16 = 0x000a;
const RC4: u16 = 0x0005;

#[test]
fn sweet32_names_the_64_bit_suites() {
    let p = protocols(&[], &[GCM, TDES]);
    assert_eq!(
        verdict(sweet32(&known(&p))),
        (
            Verdict::Yes,
            "accepted 64-bit block cipher suites (3DES, IDEA, DES, RC2): TLSv1.2 TLS_RSA_WITH_3DES_EDE_CBC_SHA".into()
        )
    );
    let p = protocols(&[], &[GCM]);
    assert_eq!(
        verdict(sweet32(&known(&p))),
        (
            Verdict::No,
            "no 64-bit block cipher suites (3DES, IDEA, DES, RC2) accepted in TLSv1.2".into()
        )
    );
}

#[test]
fn rc4_and_freak_and_not_enumerated_suites() {
    let mut p = protocols(&[RC4], &[GCM]);
    assert_eq!(sweet32(&known(&p)).result, Verdict::No);
    assert_eq!(
        verdict(rc4(&known(&p))),
        (
            Verdict::Yes,
            "accepted RC4 suites: TLSv1.0 TLS_RSA_WITH_RC4_128_SHA".into()
        )
    );
    assert_eq!(freak(&known(&p)).result, Verdict::No);
    p[3].suites_enumerated = false;
    p[2] = version(TlsVersion::Tls10, &[]);
    assert_eq!(
        verdict(rc4(&known(&p))),
        (
            Verdict::NotDetermined,
            "TLSv1.2 suites not enumerated".into()
        )
    );
    let p = protocols(&[0x0003], &[]);
    assert_eq!(freak(&known(&p)).result, Verdict::Yes);
}

#[test]
fn beast_only_in_tls10_lucky13_in_any_cbc_poodle_in_sslv3() {
    let p = protocols(&[GCM], &[CBC]);
    assert_eq!(beast(&known(&p)).result, Verdict::No);
    assert_eq!(lucky13(&known(&p)).result, Verdict::Yes);
    assert_eq!(
        verdict(poodle_ssl3(&known(&p))),
        (Verdict::NotApplicable, "none of SSLv3 is supported".into())
    );
    let p = protocols(&[CBC], &[GCM]);
    assert_eq!(
        verdict(beast(&known(&p))),
        (
            Verdict::Yes,
            "accepted CBC suites in SSLv3/TLS 1.0: TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA".into()
        )
    );
    let mut p = protocols(&[], &[GCM]);
    p[1] = version(TlsVersion::Ssl3, &[CBC]);
    assert_eq!(poodle_ssl3(&known(&p)).result, Verdict::Yes);
}

fn groups(bits: u32, known_group: Option<&str>) -> GroupsSection {
    GroupsSection {
        versions: vec![VersionGroups {
            version: TlsVersion::Tls12,
            status: SectionStatus::Completed,
            error: None,
            groups: vec![],
            server_preference: None,
            dhe: Some(DheGroup {
                suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256".into(),
                prime_bits: bits,
                generator: "02".into(),
                known_group: known_group.map(Into::into),
                known_source: known_group.map(|_| "RFC2409".into()),
            }),
            evidence: String::new(),
        }],
        ..Default::default()
    }
}

#[test]
fn logjam_reads_export_suites_small_and_common_primes() {
    let p = protocols(&[], &[GCM]);
    assert_eq!(
        verdict(logjam(&known(&p))),
        (Verdict::No, "no DHE suite accepted (export or not)".into())
    );
    let p = protocols(&[0x0014], &[]);
    assert_eq!(logjam(&known(&p)).result, Verdict::Yes);
    let p = protocols(&[], &[0x009e]);
    assert_eq!(logjam(&known(&p)).result, Verdict::NotDetermined);
    let cases = [
        (2048, Some("ffdhe2048"), Verdict::No),
        (768, None, Verdict::Yes),
        (1024, Some("oakley_group2_1024"), Verdict::Yes),
        (1024, None, Verdict::No),
    ];
    for (bits, name, want) in cases {
        let g = groups(bits, name);
        let k = Known {
            groups: Some(&g),
            ..known(&p)
        };
        assert_eq!(logjam(&k).result, want, "{bits} {name:?}");
    }
    let g = groups(1024, Some("oakley_group2_1024"));
    let k = Known {
        groups: Some(&g),
        ..known(&p)
    };
    assert_eq!(
        logjam(&k).evidence,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 1024-bit DH prime is the common oakley_group2_1024 (RFC2409)"
    );
}

#[test]
fn drown_names_the_sslv2_certificate() {
    let mut p = protocols(&[], &[GCM]);
    assert_eq!(drown(&known(&p)).result, Verdict::No);
    p[0].supported = true;
    p[0].evidence = "SSLv2 SERVER-HELLO".into();
    let der = b"certificate";
    let k = Known {
        sslv2_certificate: Some(der),
        ..known(&p)
    };
    assert_eq!(
        verdict(drown(&k)),
        (
            Verdict::Yes,
            format!(
                "SSLv2 is enabled (SSLv2 SERVER-HELLO); certificate SHA-256 {}: every server with this key is exposed",
                "03d66dd08835c1ca3f128cceacd1f31ac94163096b20f445ae84285bc0832d72"
            )
        )
    );
}

#[test]
fn crime_and_heartbleed_follow_the_features() {
    let p = protocols(&[], &[GCM]);
    assert_eq!(crime(&known(&p)).result, Verdict::NotDetermined);
    let f = FeaturesSection {
        compression: Fact::no(
            "TLSv1.2 ServerHello chose compression method 0 when offered DEFLATE",
        ),
        heartbleed: Fact::not_applicable("TLSv1.2 ServerHello does not echo heartbeat"),
        ..Default::default()
    };
    let k = Known {
        features: Some(&f),
        ..known(&p)
    };
    assert_eq!(
        verdict(crime(&k)),
        (
            Verdict::No,
            "TLSv1.2 ServerHello chose compression method 0 when offered DEFLATE".into()
        )
    );
    assert_eq!(heartbleed(&k).result, Verdict::NotApplicable);
    let c = heartbleed(&k);
    assert_eq!(
        (c.cve.as_deref(), c.severity),
        (Some("CVE-2014-0160"), crate::facts::Severity::Error)
    );
}

#[test]
fn every_predicate_is_one_entry_in_report_order() {
    let p = protocols(&[], &[GCM]);
    let ids: Vec<String> = all(&known(&p)).into_iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "poodle_ssl3",
            "sweet32",
            "freak",
            "logjam",
            "drown",
            "beast",
            "lucky13",
            "rc4",
            "crime",
            "breach"
        ]
    );
}

#[test]
fn breach_follows_the_http_response() {
    let p = protocols(&[], &[GCM]);
    let id = |k: &Known| verdict(breach(k));
    assert_eq!(
        id(&known(&p)),
        (
            Verdict::NotDetermined,
            "HTTP was not scanned (--no-http, or --only without http)".into()
        )
    );
    let starttls = Known {
        starttls: true,
        ..known(&p)
    };
    assert_eq!(breach(&starttls).result, Verdict::NotApplicable);
    let gzip = HttpSection {
        status_code: Some(200),
        compression: Some("gzip".into()),
        ..Default::default()
    };
    let k = Known {
        http: Some(&gzip),
        ..known(&p)
    };
    assert_eq!(
        id(&k),
        (
            Verdict::Yes,
            "the response to GET / is compressed (Content-Encoding: gzip): pages that reflect input and carry a secret (a CSRF token) leak it".into()
        )
    );
    let plain = HttpSection {
        status_code: Some(200),
        ..Default::default()
    };
    let k = Known {
        http: Some(&plain),
        ..known(&p)
    };
    assert_eq!(breach(&k).result, Verdict::No);
    let failed = HttpSection::failed("the server closed the connection without answering", None);
    let k = Known {
        http: Some(&failed),
        ..known(&p)
    };
    assert_eq!(
        id(&k),
        (
            Verdict::NotDetermined,
            "no HTTP response to read: the server closed the connection without answering".into()
        )
    );
}
