//! `tlsaudit serve`: a self-hosted page like the SSL Labs server test, and a JSON API, over the
//! same library as `tlsaudit scan` (one [`crate::audit::scan_target_observed`], judged as
//! [`Judge`] does, rendered by [`crate::render::html`]), every result kept in the results
//! store ([`crate::store`]).
//!
//! Pages: `GET /` the form and the latest results; `GET /scan?target=&policy=&starttls=`
//! starts a scan and redirects to its result page `/r/{id}`, which shows the steps as they
//! finish (server-sent events from `/api/scan/{id}/events`; without JavaScript it reloads
//! itself) and, once done, the report with the grade, the simulated clients, a rescan button
//! and what changed since the target's previous scan; `GET /r` the recent results. The JSON
//! API is [`API_ROUTES`], described by the OpenAPI document at `/api/openapi.json`
//! ([`openapi`]). With `--tls-listen` the same routes are served over TLS as well ([`tls`]),
//! where `GET /client` and `/api/client` show the visitor's own ClientHello ([`client_test`]).
//!
//! Safety: a form that opens connections anywhere is an SSRF tool. A target is resolved once,
//! its address checked against the allow list (loopback only unless `--allow`), and the scan is
//! pinned to that address (as `--ip` does), so a second DNS answer cannot send it elsewhere.
//! Each client (source address) may start a few scans a minute (429 with Retry-After past it),
//! scans at once are bounded (429), each has a deadline (504), requests have size limits
//! (414, 431, 413), inputs have length limits, and bad input is a 400 that says what is wrong:
//! a page for the pages, JSON for `/api`. Every response carries a Content Security Policy
//! that lets only the response's own nonce'd style sheet and script run.

pub mod allow;
pub mod client_test;
mod head;
mod jobs;
pub mod limit;
pub mod openapi;
mod page;
pub mod tls;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Extension, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use futures::Stream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::audit::{Judge, Step};
use crate::certs::CertOptions;
use crate::enumerate::{ScanOptions, Target};
use crate::facts::TargetFacts;
use crate::fleet::diff::{compare, Change, DiffOptions, Snapshot};
use crate::policy::{profiles, Policy};
use crate::probe::engine::{Engine, EngineConfig};
use crate::probe::starttls::Starttls;
use crate::report::{now_rfc3339, ScanReport, TargetReport};
use crate::store::{ScanId, Store};
use allow::{AllowList, Cidr};
use jobs::{DoneEvent, Job, JobEvent, StageEvent};
use limit::RateLimiter;
use page::Nonce;

/// The longest target accepted: a 253-byte DNS name, brackets, a colon and a port, and room
/// for a scheme and path as `scan` accepts them.
pub const MAX_TARGET_LEN: usize = 300;
/// The longest policy or STARTTLS name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Results the recent lists show.
const RECENT: i64 = 50;
/// How long a finished scan's steps stay in memory for its page's event stream.
const LINGER: Duration = Duration::from_secs(120);
/// Jobs kept in memory before finished ones are dropped early.
const MAX_JOBS: usize = 256;

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
    /// Scans one client (source address; an IPv6 client by its /64) may start per minute; past
    /// it, 429 with Retry-After.
    pub scans_per_minute: u32,
    /// How long one scan may take, name resolution included; past it the request gets 504.
    pub scan_timeout: Duration,
    /// How long a client may take to send a request's headers before it is disconnected.
    pub header_timeout: Duration,
    /// HTTP connections open at once; past it new connections are closed at once.
    pub max_connections: u32,
    /// The results store: a SQLite file or a `postgres://` URL (see [`default_store`]).
    pub store: String,
    /// `--tls-listen` and its certificate: the same page over TLS, with the client test.
    pub tls: Option<tls::TlsConfig>,
}

/// The SQLite store `serve` keeps its results in when `--store` is not given:
/// `$XDG_DATA_HOME/tlsaudit/results.sqlite`, else `~/.local/share/tlsaudit/results.sqlite`;
/// `None` when neither variable is set.
pub fn default_store() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local").join("share"))
        })?;
    Some(data.join("tlsaudit").join("results.sqlite"))
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
    limiter: RateLimiter,
    /// The results store: every scan's report, under its scan run's id.
    store: Store,
    /// Scans admitted and not yet stored, by their id (the store's scan run).
    jobs: std::sync::Mutex<HashMap<i64, Arc<Job>>>,
    /// Where the TLS listener is, for the links of `/client` over plain HTTP.
    tls_addr: Option<SocketAddr>,
}

/// Serves until Ctrl-C.
pub async fn run(args: ServeConfig) -> anyhow::Result<()> {
    let store = Store::create(&args.store).await?;
    let mut app = App::new(&args, store)?;
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
        "tlsaudit serve: scanning only {} (--allow), {} scan(s) at once, {} per client a minute, \
         default policy {}, results in {}",
        app.allow,
        app.max_scans,
        app.limiter.per_minute(),
        app.default_policy,
        crate::store::display(&args.store)
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
        let (stream, peer) = tokio::select! {
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
        let service = service.clone();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, peer, service, header_timeout, connection_limit).await;
        });
    }
    Ok(())
}

/// Serves HTTP/1 on one accepted connection (plain here; any byte stream, e.g. one a TLS
/// listener has accepted) until it closes or `connection_limit` passes: one request, whose
/// head must arrive within `header_timeout` and is read first by [`head::read`] (a request
/// hyper would refuse with a bare status line gets a page instead), then handed to hyper with
/// `peer` (for the per-client limits).
pub(crate) async fn serve_connection<S>(
    mut io: S,
    peer: SocketAddr,
    service: Router,
    header_timeout: Duration,
    connection_limit: Duration,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let head = match tokio::time::timeout(header_timeout, head::read(&mut io)).await {
        // Too slow (a slowloris) or gone: closed without a word.
        Err(_) | Ok(head::Head::Closed) => return,
        Ok(head::Head::Refused(status, message, api)) => {
            head::refuse(&mut io, status, &message, api).await;
            return;
        }
        Ok(head::Head::Complete(bytes)) => bytes,
    };
    let io = hyper_util::rt::TokioIo::new(tls::Replay::new(head, io));
    let svc =
        hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut service = service.clone();
            async move {
                std::future::poll_fn(|cx| {
                    tower_service::Service::<axum::extract::Request>::poll_ready(&mut service, cx)
                })
                .await?;
                tower_service::Service::call(&mut service, req.map(axum::body::Body::new)).await
            }
        });
    let mut http = hyper::server::conn::http1::Builder::new();
    // One request a connection: every head passes through head::read.
    http.timer(hyper_util::rt::TokioTimer::new())
        .keep_alive(false)
        .header_read_timeout(header_timeout)
        .max_headers(head::MAX_HEADERS)
        .max_buf_size(limit::MAX_HEAD_BYTES);
    let conn = http.serve_connection(io, svc);
    let _ = tokio::time::timeout(connection_limit, conn).await;
}

impl App {
    fn new(args: &ServeConfig, store: Store) -> anyhow::Result<App> {
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
            limiter: RateLimiter::new(args.scans_per_minute),
            store,
            jobs: std::sync::Mutex::new(HashMap::new()),
            tls_addr: None,
        })
    }
}

/// The JSON API: every route under `/api`, each a path of the OpenAPI document
/// ([`openapi::document`]) and nothing else (a test holds the two equal).
#[allow(clippy::type_complexity)]
fn api_routes() -> Vec<(&'static str, MethodRouter<Arc<App>>)> {
    vec![
        ("/api/scan", get(api_scan)),
        ("/api/scan/{id}/events", get(api_events)),
        ("/api/results", get(api_results)),
        ("/api/results/{id}", get(api_result)),
        ("/api/policies", get(api_policies)),
        ("/api/client", get(client_test::api)),
        ("/api/openapi.json", get(api_openapi)),
    ]
}

/// The paths of [`api_routes`], as the router has them.
pub fn api_paths() -> Vec<&'static str> {
    api_routes().into_iter().map(|(p, _)| p).collect()
}

fn router(app: Arc<App>) -> Router {
    let mut r = Router::new()
        .route("/", get(form))
        .route("/scan", get(html_scan))
        .route("/r", get(recent_page))
        .route("/r/{id}", get(result_page))
        .route("/client", get(client_test::page));
    for (path, method) in api_routes() {
        r = r.route(path, method);
    }
    r.fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .layer(axum::middleware::from_fn(defend))
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
    RateLimited(Duration, u32),
    Timeout(Duration),
    NotFound(String),
    Store(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::BadInput(_) => StatusCode::BAD_REQUEST,
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::Busy(_) | Refusal::RateLimited(..) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::BadInput(m) | Refusal::Forbidden(m) | Refusal::NotFound(m) => m.clone(),
            Refusal::Busy(n) => format!(
                "this server already runs {n} scan{} at once; try again in a minute",
                if *n == 1 { "" } else { "s" }
            ),
            Refusal::RateLimited(wait, n) => format!(
                "you started {n} scan{} in the last minute, as many as this server allows one \
                 client; try again in {} seconds",
                if *n == 1 { "" } else { "s" },
                retry_after(*wait)
            ),
            Refusal::Timeout(d) => {
                format!("the scan did not finish within {} seconds", d.as_secs_f64())
            }
            Refusal::Store(e) => format!("the results store failed: {e}"),
        }
    }

    /// The refusal as a page, or as JSON for the API, with Retry-After when there is a wait.
    fn respond(&self, api: bool, nonce: &Nonce) -> Response {
        refuse(api, nonce, self.status(), &self.message(), self.wait())
    }

    fn wait(&self) -> Option<Duration> {
        match self {
            Refusal::RateLimited(wait, _) => Some(*wait),
            Refusal::Busy(_) => Some(Duration::from_secs(60)),
            _ => None,
        }
    }
}

/// Whole seconds to wait, at least one.
fn retry_after(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// A refusal: a page that says what went wrong, or `{"error": …}` for the API.
fn refuse(
    api: bool,
    nonce: &Nonce,
    status: StatusCode,
    message: &str,
    wait: Option<Duration>,
) -> Response {
    let mut r = if api {
        (
            status,
            Json(ApiError {
                error: message.to_string(),
            }),
        )
            .into_response()
    } else {
        page::html(status, page::error(nonce, message))
    };
    if let Some(w) = wait {
        if let Ok(v) = HeaderValue::from_str(&retry_after(w).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
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
            Some(s) => Some(s.parse::<Starttls>().map_err(|_| {
                Refusal::BadInput(format!(
                    "unknown STARTTLS protocol '{s}' (use {} or none)",
                    Starttls::ALL.map(Starttls::name).join(", ")
                ))
            })?),
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
}

/// A scan admitted: its request, the address it is pinned to, its slot and its deadline.
struct Admitted {
    req: Request,
    addr: SocketAddr,
    deadline: tokio::time::Instant,
    _slot: OwnedSemaphorePermit,
}

impl App {
    /// Admits a checked request from `client`: an address literal outside the list is refused
    /// at once (busy or not), then the client's rate, a scan slot (or 429, and the client's
    /// scan given back), and within the deadline the name resolved and its address checked.
    async fn admit(&self, client: IpAddr, req: Request) -> Result<Admitted, Refusal> {
        if let Some(ip) = req.target.ip_literal() {
            self.permit(&req.target, ip)?;
        }
        self.limiter
            .take(client)
            .map_err(|wait| Refusal::RateLimited(wait, self.limiter.per_minute()))?;
        let slot = self.scans.clone().try_acquire_owned().map_err(|_| {
            self.limiter.give_back(client);
            Refusal::Busy(self.max_scans)
        })?;
        let deadline = tokio::time::Instant::now() + self.scan_timeout;
        let addr: SocketAddr =
            tokio::time::timeout_at(deadline, crate::probe::ctx::resolve(&req.target, None))
                .await
                .map_err(|_| Refusal::Timeout(self.scan_timeout))?
                .map_err(Refusal::BadInput)?;
        self.permit(&req.target, addr.ip())?;
        Ok(Admitted {
            req,
            addr,
            deadline,
            _slot: slot,
        })
    }

    /// Scans an admitted request, pinned to its address (nothing is resolved again), telling
    /// `tell` each step as it finishes, the verdict last.
    async fn scan(
        &self,
        a: &Admitted,
        tell: crate::audit::StepObserver<'_>,
    ) -> Result<TargetReport, Refusal> {
        let opts = ScanOptions {
            starttls: a.req.starttls,
            ip: Some(a.addr.ip()),
            ..ScanOptions::default()
        };
        let work = crate::audit::scan_target_observed(
            &self.engine,
            &a.req.target,
            &opts,
            &self.audit,
            tell,
        );
        let (mut t, _) = tokio::time::timeout_at(a.deadline, work)
            .await
            .map_err(|_| Refusal::Timeout(self.scan_timeout))?;
        if let Some(j) = &a.req.judge {
            j.judge(&mut t);
            tell(Step::Policy, &t);
        }
        Ok(t)
    }

    /// The report of a scan that ended without one (its deadline): the target, the error,
    /// and the verdict such a report gets, so the result page can offer a rescan.
    fn unfinished(&self, a: &Admitted, error: String) -> TargetReport {
        let mut t = TargetReport {
            facts: TargetFacts {
                target: a.req.target.input.clone(),
                host: a.req.target.host.clone(),
                port: a.req.target.port,
                ip: Some(a.addr.ip().to_string()),
                starttls: a.req.starttls,
                error: Some(error),
                ..Default::default()
            },
            ..Default::default()
        };
        if let Some(j) = &a.req.judge {
            j.judge(&mut t);
        }
        t
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

    /// Starts a scan in the background and returns its id: `/r/{id}` follows it.
    async fn start(
        self: Arc<Self>,
        client: IpAddr,
        q: Result<Query<ScanQuery>, QueryRejection>,
    ) -> Result<i64, Refusal> {
        let req = self.check(q)?;
        let admitted = self.admit(client, req).await?;
        let started_at = now_rfc3339();
        let id = self
            .store
            .begin_scan(&started_at, None)
            .await
            .map_err(|e| Refusal::Store(e.to_string()))?;
        let job = Arc::new(Job::new(admitted.req.target.input.clone(), started_at));
        {
            let mut jobs = self.jobs_mut();
            // Finished jobs linger; past this many, they go at once (their reports are stored).
            if jobs.len() >= MAX_JOBS {
                jobs.retain(|_, j| !j.is_done());
            }
            jobs.insert(id.0, job.clone());
        }
        tokio::spawn(async move { self.run_job(id, admitted, job).await });
        Ok(id.0)
    }

    /// Runs a started scan to its end: each step told to the job, the report stored, then the
    /// `done` event, and the job forgotten [`LINGER`] later (the store has it now).
    async fn run_job(&self, id: ScanId, a: Admitted, job: Arc<Job>) {
        let tell = |step: Step, t: &TargetReport| {
            job.push(JobEvent::Stage(StageEvent {
                stage: step.name().to_string(),
                html: crate::render::html::step(step, t),
            }))
        };
        let t = match self.scan(&a, &tell).await {
            Ok(t) => t,
            Err(r) => self.unfinished(&a, r.message()),
        };
        drop(a);
        let stored = self.store.put(id, &t).await;
        let link = format!("/r/{}", id.0);
        job.push(JobEvent::Done(DoneEvent {
            html: page::done(&link, &t, stored.as_ref().err().map(|e| e.to_string())),
            link,
            error: t.error.clone(),
        }));
        // Kept a little while after: a page that subscribes late still gets every step.
        tokio::time::sleep(LINGER).await;
        self.jobs_mut().remove(&id.0);
    }

    fn jobs_mut(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The job `id`, finished or not (a finished one lingers for its event stream).
    fn job(&self, id: i64) -> Option<Arc<Job>> {
        self.jobs_mut().get(&id).cloned()
    }

    /// The job `id` while it still runs.
    fn running(&self, id: i64) -> Option<Arc<Job>> {
        self.job(id).filter(|j| !j.is_done())
    }

    /// Running scans first (newest first), then the latest stored results.
    async fn recent(&self) -> Result<Vec<RecentEntry>, Refusal> {
        let mut running: Vec<(i64, Arc<Job>)> = self
            .jobs_mut()
            .iter()
            .filter(|(_, j)| !j.is_done())
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        running.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        let mut list: Vec<RecentEntry> = running
            .into_iter()
            .map(|(id, job)| RecentEntry {
                id,
                link: format!("/r/{id}"),
                target: job.target.clone(),
                status: "running".into(),
                started_at: job.started_at.clone(),
                finished_at: None,
                grade: None,
                verdict: None,
                error: None,
            })
            .collect();
        let stored = self
            .store
            .recent_results(RECENT)
            .await
            .map_err(|e| Refusal::Store(e.to_string()))?;
        // A job stored a moment ago may not have told its end yet: the store's row wins.
        list.retain(|e| !stored.iter().any(|r| r.scan.0 == e.id));
        list.extend(stored.into_iter().map(|r| RecentEntry {
            id: r.scan.0,
            link: format!("/r/{}", r.scan.0),
            target: r.target,
            status: "done".into(),
            started_at: r.started_at,
            finished_at: Some(r.finished_at),
            grade: r.grade,
            verdict: r.verdict,
            error: r.error,
        }));
        Ok(list)
    }

    /// A result as the page and the API show it; `None` when the store has no such run.
    async fn result(&self, id: i64) -> Result<Option<ResultView>, Refusal> {
        if let Some(job) = self.running(id) {
            return Ok(Some(ResultView {
                id,
                link: format!("/r/{id}"),
                status: "running".into(),
                started_at: job.started_at.clone(),
                targets: Vec::new(),
                comparisons: Vec::new(),
            }));
        }
        let store = &self.store;
        let fail = |e: crate::store::StoreError| Refusal::Store(e.to_string());
        let Some(started_at) = store.scan_started_at(ScanId(id)).await.map_err(fail)? else {
            return Ok(None);
        };
        let targets = store.scan_reports(ScanId(id)).await.map_err(fail)?;
        let mut comparisons = Vec::new();
        for t in &targets {
            let previous = store
                .previous_result(&t.target, ScanId(id))
                .await
                .map_err(fail)?;
            comparisons.push(Comparison {
                target: t.target.clone(),
                policy: t
                    .policy
                    .as_ref()
                    .map_or_else(|| "none".to_string(), |p| p.policy.clone()),
                starttls: t.starttls.map(|s| s.name().to_string()),
                previous_id: previous.as_ref().map(|p| p.0 .0),
                previous_link: previous.as_ref().map(|p| format!("/r/{}", p.0 .0)),
                changes: previous.map_or_else(Vec::new, |(_, old)| {
                    compare(
                        &Snapshot::of(&old),
                        &Snapshot::of(t),
                        DiffOptions::default(),
                    )
                }),
            });
        }
        Ok(Some(ResultView {
            id,
            link: format!("/r/{id}"),
            status: if targets.is_empty() {
                "unfinished"
            } else {
                "done"
            }
            .into(),
            started_at,
            targets,
            comparisons,
        }))
    }
}

/// The client's address, set by [`defend`] on every request.
#[derive(Debug, Clone, Copy)]
struct Client(IpAddr);

/// Runs before every route: refuses requests over the size limits (414, 431, 413, each with
/// a page, or JSON under `/api`), hands the route the client's address and a fresh nonce, and
/// sets the security headers on whatever the route answers.
async fn defend(mut req: axum::extract::Request, next: Next) -> Response {
    let nonce = Nonce::new();
    let api = req.uri().path().starts_with("/api/");
    let uri_bytes = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    let body_bytes = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_big = if uri_bytes > limit::MAX_URI_BYTES {
        Some((
            StatusCode::URI_TOO_LONG,
            format!(
                "the request's address is {uri_bytes} bytes long; at most {} are accepted",
                limit::MAX_URI_BYTES
            ),
        ))
    } else if header_bytes > limit::MAX_HEADER_BYTES {
        Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request's headers are {header_bytes} bytes; at most {} are accepted",
                limit::MAX_HEADER_BYTES
            ),
        ))
    } else {
        body_bytes.filter(|n| *n > limit::MAX_BODY_BYTES).map(|n| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request's body is {n} bytes; this server reads no body over {} \
                         bytes (no page or API route takes one)",
                    limit::MAX_BODY_BYTES
                ),
            )
        })
    };
    if let Some((status, message)) = too_big {
        let mut r = refuse(api, &nonce, status, &message, None);
        // The body was not read: the connection cannot carry another request.
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return harden(r, &nonce);
    }
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    req.extensions_mut().insert(Client(client));
    req.extensions_mut().insert(nonce.clone());
    harden(next.run(req).await, &nonce)
}

/// Headers on every response: no sniffing, no framing, no referrer, not cached, and a
/// Content Security Policy that loads nothing from anywhere and runs only this response's
/// nonce'd style sheet and script (events stream from here only, forms go only here).
fn harden(mut r: Response, nonce: &Nonce) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{n}'; style-src 'nonce-{n}'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        n = nonce.0
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn form(State(app): State<Arc<App>>, Extension(nonce): Extension<Nonce>) -> Response {
    // The form works without the list: a store that fails shows the form alone.
    let recent = app.recent().await.unwrap_or_default();
    let shown: Vec<RecentEntry> = recent.into_iter().take(10).collect();
    page::html(
        StatusCode::OK,
        page::form(
            &nonce,
            &app.policies,
            &app.default_policy,
            &app.allow,
            &shown,
        ),
    )
}

/// `GET /scan`: starts the scan and sends the browser to its page (303), so a reload of that
/// page never starts another scan.
async fn html_scan(
    State(app): State<Arc<App>>,
    Extension(client): Extension<Client>,
    Extension(nonce): Extension<Nonce>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Response {
    match app.start(client.0, q).await {
        Ok(id) => Redirect::to(&format!("/r/{id}")).into_response(),
        Err(r) => r.respond(false, &nonce),
    }
}

async fn recent_page(State(app): State<Arc<App>>, Extension(nonce): Extension<Nonce>) -> Response {
    match app.recent().await {
        Ok(list) => page::html(StatusCode::OK, page::recent(&nonce, &list)),
        Err(r) => r.respond(false, &nonce),
    }
}

/// The result id of a `{id}` path segment; anything else is a 404 that says so.
fn path_id(raw: Result<Path<String>, PathRejection>) -> Result<i64, Refusal> {
    match raw {
        Ok(Path(raw)) => result_id(&raw),
        Err(e) => Err(Refusal::NotFound(format!(
            "no such result ({}): a result is /r/NUMBER",
            e.body_text()
        ))),
    }
}

/// A result id; anything else is a 404 that says so.
fn result_id(raw: &str) -> Result<i64, Refusal> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| Refusal::NotFound(format!("no result '{raw}': a result is /r/NUMBER")))
}

fn no_result(id: i64) -> Refusal {
    Refusal::NotFound(format!(
        "no result {id} in this server's store (see /r for the recent ones)"
    ))
}

async fn result_page(
    State(app): State<Arc<App>>,
    Extension(nonce): Extension<Nonce>,
    raw: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match path_id(raw) {
        Ok(id) => id,
        Err(r) => return r.respond(false, &nonce),
    };
    if let Some(job) = app.running(id) {
        return page::html(
            StatusCode::OK,
            page::running(&nonce, id, &job.target, &job.started_at, &job.stages()),
        );
    }
    let view = match app.result(id).await {
        Ok(Some(v)) => v,
        Ok(None) => return no_result(id).respond(false, &nonce),
        Err(r) => return r.respond(false, &nonce),
    };
    if view.targets.is_empty() {
        return page::html(
            StatusCode::OK,
            page::error(
                &nonce,
                &format!(
                    "scan {id} has no result: it runs on another server sharing this store, or \
                     the server stopped while it ran; scan the target again from the form"
                ),
            ),
        );
    }
    let duration = view.targets.iter().map(|t| t.duration_ms).sum();
    let title = match view.targets.as_slice() {
        [t] => format!("TLS report: {}", t.target),
        ts => format!("TLS report: {} targets", ts.len()),
    };
    let comparisons = view.comparisons;
    let report = ScanReport::new(view.started_at.clone(), duration, view.targets);
    let body = crate::render::html::body(&report);
    page::html(
        StatusCode::OK,
        page::result(
            &nonce,
            &body,
            &title,
            &page::ResultExtras {
                id,
                started_at: &view.started_at,
                comparisons: &comparisons,
            },
        ),
    )
}

/// `{"error": …}`: every refusal of the API.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiError {
    /// What went wrong, and what to do about it.
    pub error: String,
}

/// `GET /api/scan`: scans and answers the judged target (one `targets[]` entry of `scan
/// --format json`), stored like a page's scan (`Content-Location` names its result).
async fn api_scan(
    State(app): State<Arc<App>>,
    Extension(client): Extension<Client>,
    Extension(nonce): Extension<Nonce>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let req = app.check(q)?;
        let admitted = app.admit(client.0, req).await?;
        let t = app.scan(&admitted, &|_, _| {}).await?;
        let store = &app.store;
        let fail = |e: crate::store::StoreError| Refusal::Store(e.to_string());
        let id = store.begin_scan(&now_rfc3339(), None).await.map_err(fail)?;
        store.put(id, &t).await.map_err(fail)?;
        Ok::<_, Refusal>((id, t))
    }
    .await;
    match result {
        Ok((id, t)) => {
            let mut r = Json(t).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/api/results/{}", id.0)) {
                r.headers_mut().insert(header::CONTENT_LOCATION, v);
            }
            r
        }
        Err(r) => r.respond(true, &nonce),
    }
}

/// `GET /api/scan/{id}/events`: the steps of a running scan as server-sent events (`stage`,
/// then `done`); the events told before the request are sent first. A finished scan's stream
/// is its `done` event alone.
async fn api_events(
    State(app): State<Arc<App>>,
    Extension(nonce): Extension<Nonce>,
    raw: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match path_id(raw) {
        Ok(id) => id,
        Err(r) => return r.respond(true, &nonce),
    };
    if let Some(job) = app.job(id) {
        return Sse::new(live(job))
            .keep_alive(KeepAlive::default())
            .into_response();
    }
    let view = match app.result(id).await {
        Ok(Some(v)) => v,
        Ok(None) => return no_result(id).respond(true, &nonce),
        Err(r) => return r.respond(true, &nonce),
    };
    let link = format!("/r/{id}");
    let done = match view.targets.as_slice() {
        [] => DoneEvent {
            html: page::done_unfinished(&link),
            link,
            error: Some("the scan has no result".into()),
        },
        [t, ..] => DoneEvent {
            html: page::done(&link, t, None),
            link,
            error: t.error.clone(),
        },
    };
    let once = futures::stream::iter([Ok::<_, Infallible>(sse_event(&JobEvent::Done(done)))]);
    Sse::new(once).into_response()
}

/// A job's events, from the first, until its `done`.
fn live(job: Arc<Job>) -> impl Stream<Item = Result<Event, Infallible>> {
    let seen = job.subscribe();
    futures::stream::unfold(
        (job, seen, 0usize, false),
        |(job, mut seen, next, over)| async move {
            if over {
                return None;
            }
            loop {
                if let Some(e) = job.since(next).into_iter().next() {
                    let over = matches!(e, JobEvent::Done(_));
                    return Some((Ok(sse_event(&e)), (job, seen, next + 1, over)));
                }
                // Woken by the next event; an error means the job is gone without a `done`.
                seen.changed().await.ok()?;
            }
        },
    )
}

fn sse_event(e: &JobEvent) -> Event {
    let (name, data) = match e {
        JobEvent::Stage(s) => ("stage", serde_json::to_string(s)),
        JobEvent::Done(d) => ("done", serde_json::to_string(d)),
    };
    match data {
        Ok(data) => Event::default().event(name).data(data),
        Err(e) => Event::default().comment(format!("unserialisable event: {e}")),
    }
}

/// One result of `GET /api/results` (and a row of the recent lists).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RecentEntry {
    /// The result's id: its page is `/r/{id}`, its JSON `/api/results/{id}`.
    pub id: i64,
    pub link: String,
    pub target: String,
    /// `running` or `done`.
    pub status: String,
    /// RFC 3339: when the scan started, and when the target finished.
    pub started_at: String,
    pub finished_at: Option<String>,
    pub grade: Option<String>,
    /// The policy verdict: `COMPLIANT`, `NOT COMPLIANT` or `INCOMPLETE`.
    pub verdict: Option<String>,
    /// Why the target could not be scanned.
    pub error: Option<String>,
}

/// What changed for one target since its previous scan in this store.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Comparison {
    pub target: String,
    /// The policy it was judged by (`none`: not judged) and its STARTTLS protocol: what a
    /// rescan repeats.
    pub policy: String,
    pub starttls: Option<String>,
    /// The previous result of the same target, if there is one.
    pub previous_id: Option<i64>,
    pub previous_link: Option<String>,
    /// The differences, as `tlsaudit diff` names them (empty: nothing changed, or no previous).
    pub changes: Vec<Change>,
}

/// `GET /api/results/{id}`: one result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResultView {
    pub id: i64,
    pub link: String,
    /// `running`, `done`, or `unfinished` (the store has the scan but no report: another
    /// server runs it, or this one stopped while it ran).
    pub status: String,
    pub started_at: String,
    /// Each target's report, as `/api/scan` answers it (empty while running).
    pub targets: Vec<TargetReport>,
    /// Per target, what changed since its previous scan.
    pub comparisons: Vec<Comparison>,
}

async fn api_results(State(app): State<Arc<App>>, Extension(nonce): Extension<Nonce>) -> Response {
    match app.recent().await {
        Ok(list) => Json(list).into_response(),
        Err(r) => r.respond(true, &nonce),
    }
}

async fn api_result(
    State(app): State<Arc<App>>,
    Extension(nonce): Extension<Nonce>,
    raw: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match path_id(raw) {
        Ok(id) => id,
        Err(r) => return r.respond(true, &nonce),
    };
    match app.result(id).await {
        Ok(Some(v)) => Json(v).into_response(),
        Ok(None) => no_result(id).respond(true, &nonce),
        Err(r) => r.respond(true, &nonce),
    }
}

/// One selectable profile, as `GET /api/policies` lists it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PolicyEntry {
    pub name: String,
    pub title: String,
    pub source: String,
    pub source_version: String,
    /// The profile a scan is judged by when the request names none.
    pub default: bool,
}

async fn api_policies(State(app): State<Arc<App>>) -> Response {
    let list: Vec<PolicyEntry> = app
        .policies
        .iter()
        .map(|p| PolicyEntry {
            name: p.name.clone(),
            title: p.title.clone(),
            source: p.source.clone(),
            source_version: p.source_version.clone(),
            default: p.name == app.default_policy,
        })
        .collect();
    Json(list).into_response()
}

async fn api_openapi() -> Response {
    Json(openapi::document()).into_response()
}

async fn not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
    Extension(nonce): Extension<Nonce>,
) -> Response {
    let mut r = refuse(
        uri.path().starts_with("/api/"),
        &nonce,
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{method} is not served here: every page and API route is GET"),
        None,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

async fn not_found(uri: axum::http::Uri, Extension(nonce): Extension<Nonce>) -> Response {
    let api = uri.path().starts_with("/api/");
    refuse(
        api,
        &nonce,
        StatusCode::NOT_FOUND,
        "no such page: the form is at /, the results at /r, the API is described at /api/openapi.json",
        None,
    )
}
