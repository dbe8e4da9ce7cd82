//! `tlsaudit demo`: real servers with contrasting configurations on loopback, scanned for real.
//! Needs only the `openssl` command, which every machine has.

use std::io::IsTerminal;

use anyhow::Context;

use fixtures::servers::{openssl_s_server, self_signed, KeyType, SEED_TLS12_OPENSSL};
use fixtures::testpki::{LeafKey, LeafSpec, TestCa};
use tlsaudit::audit::Judge;
use tlsaudit::enumerate::ScanOptions;
use tlsaudit::policy::Policy;
use tlsaudit::probe::engine::{Engine, EngineConfig};
use tlsaudit::render::{text::Style, Format};

use super::exit::Exit;
use super::scan::{scan_and_judge, Output};

pub(crate) async fn run(format: Format) -> anyhow::Result<Exit> {
    let rsa = self_signed(KeyType::Rsa2048).context("making a throwaway certificate")?;
    // The modern server gets a proper chain from a throwaway CA, which the scan trusts.
    let ca = TestCa::new("demo").context("making a throwaway CA")?;
    let leaf = ca.leaf(&LeafSpec::new("modern", LeafKey::Rsa(2048)))?;
    let chained = ca.cert_files(&leaf)?;
    let chain = ca.intermediate_pem.display().to_string();
    let modern = openssl_s_server(
        "modern: TLS 1.2 + 1.3, the seed's suites, server order, CA-issued chain",
        &chained,
        &[
            "-cert_chain",
            &chain,
            "-min_protocol",
            "TLSv1.2",
            "-cipher",
            SEED_TLS12_OPENSSL,
            "-serverpref",
            // An HTTPS server: it answers GET / (the HTTP stage reads its headers).
            "-www",
        ],
    )?;
    let legacy = openssl_s_server(
        "legacy: TLS 1.0-1.2, CBC and static RSA, client order, self-signed",
        &rsa,
        &[
            // SEED lives in OpenSSL 3's legacy provider.
            "-provider",
            "default",
            "-provider",
            "legacy",
            "-min_protocol",
            "TLSv1",
            "-max_protocol",
            "TLSv1.2",
            "-cipher",
            "AES128-SHA:AES256-SHA:CAMELLIA128-SHA:SEED-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA256:@SECLEVEL=0",
            "-www",
        ],
    )?;
    let servers = [&modern, &legacy];
    if format == Format::Text {
        println!(
            "tlsaudit demo: scanning {} local servers started just now on loopback\n",
            servers.len()
        );
        for s in servers {
            println!("  {}  {}", s.target(), s.name);
        }
        println!();
    }
    let targets: Vec<String> = servers.iter().map(|s| s.target()).collect();
    let total = targets.len();
    let style = Style::detect(std::io::stdout().is_terminal());
    // Judged by the default profile, the seed's own rule.
    let judge = Judge::new(Policy::load("multisafepay")?);
    let (report, _, _) = scan_and_judge(
        targets.into_iter(),
        Engine::new(EngineConfig::default()),
        ScanOptions {
            sni: Some("localhost".into()),
            ..ScanOptions::default()
        },
        tlsaudit::audit::AuditOptions {
            certs: tlsaudit::certs::CertOptions {
                trust: tlsaudit::certs::verify::load(
                    &["mozilla".into()],
                    std::slice::from_ref(&ca.root_pem),
                )
                .map_err(anyhow::Error::msg)?,
                ..Default::default()
            },
            clients: super::scan::clients("all")?,
            live: false,
        },
        4,
        Box::new(std::io::stdout()),
        &Output {
            format,
            style,
            judge: Some(&judge),
            min_grade: None,
            keep_targets: true,
            progress: false,
            store: None,
            run: None,
            total,
        },
    )
    .await?;
    if let Some(t) = report.targets.iter().find(|t| t.error.is_some()) {
        anyhow::bail!(
            "demo target {} failed: {}",
            t.target,
            t.error.clone().unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}
