//! `tlsaudit serve`: its flags, checked into the library's [`ServeConfig`].

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use tlsaudit::policy::profiles;
use tlsaudit::serve::allow::Cidr;
use tlsaudit::serve::tls::TlsConfig;
use tlsaudit::serve::ServeConfig;

use super::exit::Exit;

#[derive(Args, Debug, Clone)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The policy a scan is judged by when the request names none: a built-in profile or a
    /// TOML file (offered beside the built-ins).
    #[arg(long, value_name = "NAME|FILE", default_value = profiles::DEFAULT)]
    policy: String,
    /// Addresses targets may resolve to, as CIDR blocks, comma-separated or repeated (replaces
    /// the default, loopback only: 127.0.0.0/8,::1/128). `--allow 0.0.0.0/0,::/0` opens it up.
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = Cidr::parse)]
    allow: Vec<Cidr>,
    /// Scans running at once; a request past this gets 429 Too Many Requests.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    max_scans: u32,
    /// Scans one client (source address; an IPv6 client by its /64) may start a minute: that
    /// many at once, then one every 60/N seconds; past it, 429 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    scans_per_minute: u32,
    /// The results store every scan is kept in (under /r/ID): a SQLite file, created when
    /// missing, or a postgres:// URL. Default: results.sqlite in $XDG_DATA_HOME/tlsaudit/
    /// (else ~/.local/share/tlsaudit/).
    #[arg(long, value_name = "FILE|URL")]
    store: Option<String>,
    /// Seconds one scan may take, name resolution included; past it the request gets 504.
    #[arg(long, default_value_t = 120.0)]
    scan_timeout: f64,
    /// Seconds a client may take to send a request's headers; a slower one is disconnected
    /// (so a client trickling bytes cannot hold a connection open).
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// HTTP connections open at once; past it new connections are closed at once.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    max_connections: u32,
    /// Also serve the page over TLS on this address, where /client shows the visitor's
    /// browser its own ClientHello (port 0: any free port; the second stdout line says which).
    #[arg(long, value_name = "ADDR:PORT")]
    tls_listen: Option<String>,
    /// The TLS listener's PEM certificate chain, leaf first (default: a self-signed
    /// certificate made at start, its SHA-256 fingerprint printed).
    #[arg(long, value_name = "PEM", requires_all = ["tls_key", "tls_listen"])]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// `tlsaudit serve`.
pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let config = ServeConfig {
        listen: args.listen,
        policy: args.policy,
        allow: args.allow,
        max_scans: args.max_scans,
        scans_per_minute: args.scans_per_minute,
        store: store(args.store)?,
        scan_timeout: seconds("scan-timeout", args.scan_timeout)?,
        header_timeout: seconds("header-timeout", args.header_timeout)?,
        max_connections: args.max_connections,
        tls: args.tls_listen.map(|listen| TlsConfig {
            listen,
            cert_and_key: args.tls_cert.zip(args.tls_key),
        }),
    };
    tlsaudit::serve::run(config).await?;
    Ok(Exit::Ok)
}

/// `--store`, or the default SQLite file (its directory created).
fn store(given: Option<String>) -> anyhow::Result<String> {
    if let Some(s) = given {
        return Ok(s);
    }
    let Some(path) = tlsaudit::serve::default_store() else {
        anyhow::bail!(
            "neither XDG_DATA_HOME nor HOME is set: give the results store with --store FILE"
        );
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create {} for the results store: {e} (or give --store FILE)",
                dir.display()
            )
        })?;
    }
    Ok(path.to_string_lossy().into_owned())
}

fn seconds(flag: &str, secs: f64) -> anyhow::Result<Duration> {
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        anyhow::bail!("--{flag} must be between 0 and 3600 seconds, not {secs}")
    }
}
