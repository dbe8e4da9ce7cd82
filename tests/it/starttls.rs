//! STARTTLS against nginx's real mail proxy (SMTP, IMAP, POP3) on loopback.

use tlsaudit::engine::EngineConfig;
use tlsaudit::report::TlsVersion::*;
use tlsaudit::scan::ScanOptions;
use tlsaudit::servers::{nginx_mail, self_signed, KeyType, NGINX_MAIL_MODULE};
use tlsaudit::starttls::Starttls;

use crate::common::{ids, require, scan_with, suites, versions};

fn have_mail_module() -> bool {
    if !require("nginx") {
        return false;
    }
    if std::path::Path::new(NGINX_MAIL_MODULE).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but libnginx-mod-mail is not installed"
    );
    eprintln!("skipping: {NGINX_MAIL_MODULE} missing");
    false
}

const MAIL_TLS: &str = "ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers on;\n    \
                        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA;";

#[tokio::test]
async fn smtp_imap_pop3_starttls() {
    if !have_mail_module() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    for proto in [Starttls::Smtp, Starttls::Imap, Starttls::Pop3] {
        let s = nginx_mail(proto.name(), &cert, proto, MAIL_TLS).unwrap();
        let opts = ScanOptions {
            starttls: Some(proto),
            ..Default::default()
        };
        let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
        assert_eq!(r.error, None, "{proto:?}");
        assert_eq!(r.starttls, Some(proto));
        assert_eq!(versions(&r), vec![Tls12, Tls13], "{proto:?}");
        assert_eq!(
            suites(&r, Tls12),
            ids(&[0xc030, 0xc02f, 0x002f]),
            "{proto:?}"
        );
        assert_eq!(r.protocol(Tls12).unwrap().server_preference, Some(true));
    }
}

#[tokio::test]
async fn wrong_starttls_protocol_is_a_clear_target_error() {
    if !have_mail_module() {
        return;
    }
    let cert = self_signed(KeyType::Rsa2048).unwrap();
    let s = nginx_mail("smtp", &cert, Starttls::Smtp, MAIL_TLS).unwrap();
    let opts = ScanOptions {
        starttls: Some(Starttls::Imap),
        ..Default::default()
    };
    let (r, _) = scan_with(&s.target(), EngineConfig::default(), opts).await;
    let e = r.error.unwrap_or_default();
    assert!(e.contains("STARTTLS (imap)") && e.contains("220"), "{e}");
    assert!(r.protocols.iter().all(|p| !p.supported));
}
