//! `tlsaudit serve`: a self-hosted page like the SSL Labs server test, and a JSON API, over the
//! same library as `tlsaudit scan` (one [`crate::audit::scan_target`], judged as [`Judge`] does, rendered
//! by [`crate::render::html`]).
//!
//! Routes: `GET /` a form; `GET /scan?target=&policy=&starttls=` the HTML report; `GET
//! /api/scan?…` the judged target as JSON (one `targets[]` entry of `scan --format json`);
//! `GET /api/policies` the profiles. With `--tls-listen` the same routes over TLS ([`tls`]),
//! where `GET /client` and `/api/client` show the visitor's own ClientHello ([`client_test`]).
//!
//! Safety: a form that opens connections anywhere is an SSRF tool. A target is resolved once,
//! its address checked against the allow list (loopback only unless `--allow`), and the scan is
//! pinned to that address (as `--ip` does), so a second DNS answer cannot send it elsewhere.
//! Scans at once are bounded (429 past the bound), each has a deadline (504), inputs have
//! length limits, and bad input is a 400 that says what is wrong.

pub mod allow;
pub mod client_test;
mod page;
pub mod tls;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::audit::Judge;
use crate::certs::CertOptions;
use crate::enumerate::{ScanOptions, Target};
use crate::policy::{profiles, Policy};
use crate::probe::engine::{Engine, EngineConfig};
use crate::probe::starttls::Starttls;
use crate::report::{now_rfc3339, ScanReport, TargetReport};
use allow::{AllowList, Cidr};

/// The longest target accepted: a 253-byte DNS name, brackets, a colon and a port, and room
/// for a scheme and path as `scan` accepts them.
pub const MAX_TARGET_LEN: usize = 300;
/// The longest policy or STARTTLS name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// How `serve` runs: what `tlsaudit serve`'s flags say, checked.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on, `ADDR:PORT` (port 0: any free port; the bound address is printed).
    pub listen: String,
    /// The policy a scan is judged by when the request names none: a built-in profile or a
    /// TOML file (offered beside the built-ins).
    pub policy: String,
    /// Addresses targets may resolve to; empty: loopback only.
    pub allow: Vec<Cidr>,
    /// Scans running at once; a request past this gets 429 Too Many Requests.
    pub max_scans: u32,
    /// How long one scan may take, name resolution included; past it the request gets 504.
    pub scan_timeout: Duration,
    /// How long a client may take to send a request's headers before it is disconnected.
    pub header_timeout: Duration,
    /// HTTP connections open at once; past it new connections are closed at once.
    pub max_connections: u32,
    /// `--tls-listen` and its certificate: the same page over TLS, with the client test.
    pub tls: Option<tls::TlsConfig>,
}

/// What every request shares.
struct App {
    engine: Engine,
    /// Selectable policies: the built-ins, then `--policy`'s file if it is one.
    policies: Vec<Policy>,
    default_policy: String,
    allow: AllowList,
    scans: Arc<Semaphore>,
    max_scans: u32,
    scan_timeout: Duration,
    /// Certificate trust and the clients every scan simulates (all built-in profiles).
    audit: crate::audit::AuditOptions,
    /// Where the TLS listener is, for the links of `/client` over plain HTTP.
    tls_addr: Option<SocketAddr>,
}

/// Serves until Ctrl-C.
pub async fn run(args: ServeConfig) -> anyhow::Result<()> {
    let mut app = App::new(&args)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr()?;
    let tls = match &args.tls {
        Some(config) => Some(tls::TlsListener::bind(config).await?),
        None => None,
    };
    app.tls_addr = tls.as_ref().map(|t| t.local_addr()).transpose()?;
    let app = Arc::new(app);
    // One line on stdout, flushed (stdout is line-buffered): scripts and tests read the port.
    println!("tlsaudit serve: listening on http://{addr}/");
    eprintln!(
        "tlsaudit serve: scanning only {} (--allow), {} scan(s) at once, default policy {}",
        app.allow, app.max_scans, app.default_policy
    );
    let header_timeout = args.header_timeout;
    // Every connection lives at most as long as the longest request can (a scan and a margin).
    let connection_limit = app.scan_timeout + header_timeout + Duration::from_secs(30);
    let service = router(app);
    if let Some(t) = tls {
        // The second line: the TLS listener and the certificate a visitor can compare.
        println!(
            "tlsaudit serve: listening on https://{}/ (client test at /client; {} certificate SHA-256 {})",
            t.local_addr()?,
            if t.self_signed { "self-signed" } else { "--tls-cert" },
            t.fingerprint
        );
        let svc = service.clone();
        let max = args.max_connections;
        tokio::spawn(t.serve(svc, max, header_timeout, connection_limit));
    }
    let open = Arc::new(Semaphore::new(args.max_connections as usize));
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // A failed accept (e.g. out of file descriptors) must not end the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let svc = hyper_util::service::TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(connection_limit, conn).await;
        });
    }
    Ok(())
}

impl App {
    fn new(args: &ServeConfig) -> anyhow::Result<App> {
        let scan_timeout = args.scan_timeout;
        let mut policies = profiles::NAMES
            .iter()
            .map(|n| Policy::load(n))
            .collect::<Result<Vec<_>, _>>()?;
        let default = Policy::load(&args.policy)?;
        let default_policy = default.name.clone();
        if !policies.iter().any(|p| p.name == default.name) {
            policies.push(default);
        }
        let trust = crate::certs::verify::load(&["mozilla".to_string()], &[])
            .map_err(anyhow::Error::msg)?;
        Ok(App {
            engine: Engine::new(EngineConfig::default()),
            policies,
            default_policy,
            allow: AllowList::from_flags(&args.allow),
            scans: Arc::new(Semaphore::new(args.max_scans as usize)),
            max_scans: args.max_scans,
            scan_timeout,
            audit: crate::audit::AuditOptions {
                certs: CertOptions {
                    trust,
                    ..CertOptions::default()
                },
                clients: crate::simulate::prepare(crate::simulate::profile::builtin()?)?,
                live: false,
            },
            tls_addr: None,
        })
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(form))
        .route("/scan", get(html_scan))
        .route("/api/scan", get(api_scan))
        .route("/api/policies", get(api_policies))
        .route("/client", get(client_test::page))
        .route("/api/client", get(client_test::api))
        .fallback(not_found)
        .with_state(app)
}

/// The query of `/scan` and `/api/scan`. Empty fields (as a form sends them) count as absent.
#[derive(Debug, Deserialize)]
struct ScanQuery {
    target: Option<String>,
    policy: Option<String>,
    starttls: Option<String>,
}

/// Why a request got no report.
#[derive(Debug)]
enum Refusal {
    BadInput(String),
    Forbidden(String),
    Busy(u32),
    Timeout(Duration),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::BadInput(_) => StatusCode::BAD_REQUEST,
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::BadInput(m) | Refusal::Forbidden(m) => m.clone(),
            Refusal::Busy(n) => format!(
                "this server already runs {n} scan{} at once; try again in a minute",
                if *n == 1 { "" } else { "s" }
            ),
            Refusal::Timeout(d) => {
                format!("the scan did not finish within {} seconds", d.as_secs_f64())
            }
        }
    }
}

/// A checked request, ready to scan.
struct Request {
    target: Target,
    judge: Option<Judge>,
    starttls: Option<Starttls>,
}

fn field(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl App {
    fn check(&self, q: Result<Query<ScanQuery>, QueryRejection>) -> Result<Request, Refusal> {
        let Query(q) = q.map_err(|e| Refusal::BadInput(format!("bad query: {}", e.body_text())))?;
        let target = field(&q.target)
            .ok_or_else(|| Refusal::BadInput("give a target: HOST[:PORT]".into()))?;
        if target.len() > MAX_TARGET_LEN {
            return Err(Refusal::BadInput(format!(
                "the target is {} bytes long; at most {MAX_TARGET_LEN} are accepted",
                target.len()
            )));
        }
        for (what, v) in [("policy", &q.policy), ("starttls", &q.starttls)] {
            if field(v).is_some_and(|s| s.len() > MAX_NAME_LEN) {
                return Err(Refusal::BadInput(format!(
                    "the {what} name is longer than {MAX_NAME_LEN} bytes"
                )));
            }
        }
        let starttls = match field(&q.starttls) {
            None | Some("none") => None,
            Some(s) => Some(
                s.parse::<Starttls>().map_err(|_| {
                    Refusal::BadInput(format!(
                        "unknown STARTTLS protocol '{s}' (use smtp, imap, pop3, postgres, ftp, xmpp or none)"
                    ))
                })?,
            ),
        };
        let judge = match field(&q.policy).unwrap_or(&self.default_policy) {
            "none" => None,
            name => {
                // Only the listed profiles: a request never names a file on this server.
                let policy = self
                    .policies
                    .iter()
                    .find(|p| p.name == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            self.policies.iter().map(|p| p.name.as_str()).collect();
                        Refusal::BadInput(format!(
                            "unknown policy '{name}' (use one of {}, or none)",
                            names.join(", ")
                        ))
                    })?;
                Some(Judge::new(policy.clone()))
            }
        };
        let default_port = starttls.map_or(443, Starttls::default_port);
        let target = Target::parse(target, default_port).map_err(Refusal::BadInput)?;
        Ok(Request {
            target,
            judge,
            starttls,
        })
    }

    /// Scans a checked request: a scan slot (or 429), then within the deadline resolve, check
    /// the address (an address literal is checked first, before a slot), and scan that
    /// address only.
    async fn scan(&self, req: Request) -> Result<TargetReport, Refusal> {
        // An address outside the list is refused at once, busy or not.
        if let Some(ip) = req.target.ip_literal() {
            self.permit(&req.target, ip)?;
        }
        let _slot = self
            .scans
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Busy(self.max_scans))?;
        let mut opts = ScanOptions {
            starttls: req.starttls,
            ..ScanOptions::default()
        };
        let work = async {
            let addr: SocketAddr = crate::probe::ctx::resolve(&req.target, opts.ip)
                .await
                .map_err(Refusal::BadInput)?;
            self.permit(&req.target, addr.ip())?;
            // Pinned: the scan connects to the address just checked, and resolves nothing.
            opts.ip = Some(addr.ip());
            Ok::<_, Refusal>(
                crate::audit::scan_target(&self.engine, &req.target, &opts, &self.audit)
                    .await
                    .0,
            )
        };
        let mut t = tokio::time::timeout(self.scan_timeout, work)
            .await
            .map_err(|_| Refusal::Timeout(self.scan_timeout))??;
        if let Some(j) = &req.judge {
            j.judge(&mut t);
        }
        Ok(t)
    }

    fn permit(&self, target: &Target, ip: IpAddr) -> Result<(), Refusal> {
        let ip = allow::canonical(ip);
        match self.allow.refusal(ip) {
            None => Ok(()),
            Some(why) if target.ip_literal().is_some() => {
                Err(Refusal::Forbidden(format!("refused to scan {ip}: {why}")))
            }
            Some(why) => Err(Refusal::Forbidden(format!(
                "refused to scan {}: it resolves to {ip}, {why}",
                target.host
            ))),
        }
    }
}

/// Headers on every page: no sniffing, no framing, nothing loaded from anywhere (the pages
/// have inline CSS and no scripts), forms post only here.
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn form(State(app): State<Arc<App>>) -> Response {
    harden(page::html(
        StatusCode::OK,
        page::form(&app.policies, &app.default_policy, &app.allow),
    ))
}

async fn html_scan(
    State(app): State<Arc<App>>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Response {
    let started_at = now_rfc3339();
    let started = Instant::now();
    let result = match app.check(q) {
        Ok(req) => app.scan(req).await,
        Err(e) => Err(e),
    };
    harden(match result {
        Ok(t) => {
            let report = ScanReport::new(started_at, started.elapsed().as_millis() as u64, vec![t]);
            let mut body = Vec::new();
            match crate::render::html::write(&mut body, &report) {
                Ok(()) => page::html(StatusCode::OK, page::with_way_back(&body)),
                Err(e) => page::html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    page::error(&format!("cannot render the report: {e}")),
                ),
            }
        }
        Err(r) => page::html(r.status(), page::error(&r.message())),
    })
}

#[derive(Serialize)]
struct ApiError {
    error: String,
}

async fn api_scan(
    State(app): State<Arc<App>>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Response {
    let result = match app.check(q) {
        Ok(req) => app.scan(req).await,
        Err(e) => Err(e),
    };
    harden(match result {
        Ok(t) => Json(t).into_response(),
        Err(r) => (r.status(), Json(ApiError { error: r.message() })).into_response(),
    })
}

/// One selectable profile, as `GET /api/policies` lists it.
#[derive(Serialize)]
struct PolicyEntry<'a> {
    name: &'a str,
    title: &'a str,
    source: &'a str,
    source_version: &'a str,
    default: bool,
}

async fn api_policies(State(app): State<Arc<App>>) -> Response {
    let list: Vec<PolicyEntry> = app
        .policies
        .iter()
        .map(|p| PolicyEntry {
            name: &p.name,
            title: &p.title,
            source: &p.source,
            source_version: &p.source_version,
            default: p.name == app.default_policy,
        })
        .collect();
    harden(Json(list).into_response())
}

async fn not_found() -> Response {
    harden(page::html(
        StatusCode::NOT_FOUND,
        page::error("no such page: the form is at /, the API at /api/scan and /api/policies"),
    ))
}
