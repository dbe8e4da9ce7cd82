//! Local TLS servers on loopback, for `tlsaudit demo`, the tests and the benchmark: real
//! `openssl s_server`, `nginx` and `gnutls-serv` processes, and for STARTTLS PostgreSQL, vsftpd
//! and Prosody, with known configurations and a throwaway certificate made on the spot. Each
//! server dies with its handle.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Key types for throwaway certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa2048,
    EcdsaP256,
}

/// A self-signed certificate and its key, as PEM files in a temporary directory.
pub struct CertFiles {
    pub dir: tempfile::TempDir,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a self-signed certificate for `localhost` / 127.0.0.1 with the `openssl` command.
pub fn self_signed(key: KeyType) -> Result<CertFiles> {
    let dir = tempfile::tempdir()?;
    let cert = dir.path().join("cert.pem");
    let keyf = dir.path().join("key.pem");
    let newkey: &[&str] = match key {
        KeyType::Rsa2048 => &["-newkey", "rsa:2048"],
        KeyType::EcdsaP256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    };
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(newkey)
        .arg("-keyout")
        .arg(&keyf)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .context("running openssl req (is the openssl command installed?)")?;
    if !out.status.success() {
        bail!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(CertFiles {
        dir,
        cert,
        key: keyf,
    })
}

/// A running server process, killed on drop.
pub struct ServerProcess {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    _dir: Option<tempfile::TempDir>,
}

impl ServerProcess {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`, the form `tlsaudit scan` takes.
    pub fn target(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        || Path::new("/usr/sbin").join(program).exists()
}

/// Starts `openssl s_server` on 127.0.0.1 with a port the kernel picks, with `args` added.
/// `cert` is served unless `args` bring their own `-cert`.
pub fn openssl_s_server(name: &str, cert: &CertFiles, args: &[&str]) -> Result<ServerProcess> {
    openssl_s_server_on(name, "127.0.0.1", cert, args)
}

/// Like [`openssl_s_server`], listening on `host` (`127.0.0.1` or `[::1]`).
pub fn openssl_s_server_on(
    name: &str,
    host: &str,
    cert: &CertFiles,
    args: &[&str],
) -> Result<ServerProcess> {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_server",
        "-accept",
        &format!("{host}:0"),
        "-naccept",
        "1000000",
    ]);
    if !args.contains(&"-cert") {
        cmd.arg("-cert").arg(&cert.cert).arg("-key").arg(&cert.key);
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = cmd.spawn().context("starting openssl s_server")?;
    announced(name, child, &format!("openssl s_server {args:?}"))
}

/// Waits for a server started by us to print "ACCEPT host:port" on its stdout (as
/// `openssl s_server` does) and wraps it; on failure kills it.
fn announced(name: &str, mut child: Child, what: &str) -> Result<ServerProcess> {
    let stdout = child.stdout.take().context("server stdout")?;
    // Read the line on a thread so a silent server cannot hang us.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut sent = false;
        for line in lines.by_ref().map_while(|l| l.ok()) {
            if !sent {
                if let Some(rest) = line.strip_prefix("ACCEPT ") {
                    let _ = tx.send(rest.trim().to_string());
                    sent = true;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
        }
    });
    let addr_text = match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(a) => a,
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            bail!("{what} did not start listening ({status:?})");
        }
    };
    let addr: SocketAddr = addr_text
        .parse()
        .with_context(|| format!("{what} printed '{addr_text}'"))?;
    Ok(ServerProcess {
        name: name.into(),
        addr,
        child,
        _dir: None,
    })
}

/// An HTTPS server in Node.js (`node`: the binary to run, e.g. Node.js 24 whose OpenSSL 3.5
/// speaks X25519MLKEM768) on 127.0.0.1 with a port the kernel picks: TLS 1.3 only, key
/// exchange limited to `ecdh_curve` (OpenSSL group names joined by ':'), serving `cert`.
pub fn node_https(
    node: &Path,
    name: &str,
    cert: &CertFiles,
    ecdh_curve: &str,
) -> Result<ServerProcess> {
    const SERVER: &str = r#"
const fs = require('fs');
const [key, cert, ecdhCurve] = process.argv.slice(1);
const server = require('https').createServer(
  { key: fs.readFileSync(key), cert: fs.readFileSync(cert), ecdhCurve, minVersion: 'TLSv1.3' },
  (req, res) => res.end('ok'));
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => console.log('ACCEPT 127.0.0.1:' + server.address().port));
"#;
    let child = Command::new(node)
        .arg("-e")
        .arg(SERVER)
        .arg(&cert.key)
        .arg(&cert.cert)
        .arg(ecdh_curve)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", node.display()))?;
    announced(
        name,
        child,
        &format!("{} https server ({ecdh_curve})", node.display()),
    )
}

/// A free loopback port: bind port 0, read it, release it.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_listening(addr: SocketAddr, child: &mut Child, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            bail!("{what} exited with {status} before listening");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{what} did not listen on {addr} within 10 s")
}

/// Spawns `cmd` (a server in the foreground, its stdin already chosen), waits until it listens
/// on 127.0.0.1:`port`, and on failure kills it and reports `log` (its own log file) with the
/// error. `dir` (its config and data) lives as long as the server.
fn spawn_listening(
    name: &str,
    cmd: &mut Command,
    port: u16,
    log: Option<&Path>,
    dir: Option<tempfile::TempDir>,
) -> Result<ServerProcess> {
    let what = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    if let Err(e) = wait_listening(addr, &mut child, &what) {
        let log = log
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let _ = child.kill();
        let _ = child.wait();
        bail!("{e}: {log}");
    }
    Ok(ServerProcess {
        name: name.into(),
        addr,
        child,
        _dir: dir,
    })
}

/// Starts nginx on 127.0.0.1 with `ssl_directives` (e.g. `ssl_protocols TLSv1.2;`) in its server block.
pub fn nginx(name: &str, cert: &CertFiles, ssl_directives: &str) -> Result<ServerProcess> {
    nginx_with(name, |dir, port| {
        format!(
            "http {{\n  access_log off;\n  client_body_temp_path {dir};\n  proxy_temp_path {dir};\n  fastcgi_temp_path {dir};\n  uwsgi_temp_path {dir};\n  scgi_temp_path {dir};\n\
               server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n    {ssl_directives}\n    location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n",
            cert = cert.cert.display(),
            key = cert.key.display(),
        )
    })
}

/// Starts nginx on 127.0.0.1 with two server blocks on one port: a default server that refuses
/// every handshake without a known name (`ssl_reject_handshake on;`, answered with the alert
/// unrecognized_name), and `server_name localhost;` serving `cert`. `ssl_directives` go in the
/// `http` block, for both servers: nginx takes the protocols from the default server.
pub fn nginx_reject_without_sni(
    name: &str,
    cert: &CertFiles,
    ssl_directives: &str,
) -> Result<ServerProcess> {
    nginx_with(name, |dir, port| {
        format!(
            "http {{\n  access_log off;\n  client_body_temp_path {dir};\n  proxy_temp_path {dir};\n  fastcgi_temp_path {dir};\n  uwsgi_temp_path {dir};\n  scgi_temp_path {dir};\n\
  {ssl_directives}\n\
               server {{\n    listen 127.0.0.1:{port} ssl default_server;\n    ssl_reject_handshake on;\n  }}\n\
               server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name localhost;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n    location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n",
            cert = cert.cert.display(),
            key = cert.key.display(),
        )
    })
}

/// Debian's dynamic nginx mail module (package libnginx-mod-mail).
pub const NGINX_MAIL_MODULE: &str = "/usr/lib/nginx/modules/ngx_mail_module.so";

/// Starts nginx's mail proxy on 127.0.0.1 speaking `proto` with STARTTLS required, with
/// `ssl_directives` in its server block. No login ever reaches the (absent) auth server.
pub fn nginx_mail(
    name: &str,
    cert: &CertFiles,
    proto: crate::probe::starttls::Starttls,
    ssl_directives: &str,
) -> Result<ServerProcess> {
    if !Path::new(NGINX_MAIL_MODULE).exists() {
        bail!("{NGINX_MAIL_MODULE} is missing: install libnginx-mod-mail");
    }
    nginx_with(name, |_dir, port| {
        format!(
            "mail {{\n  auth_http 127.0.0.1:9/auth;\n  ssl_certificate {cert};\n  ssl_certificate_key {key};\n\
               server {{\n    listen 127.0.0.1:{port};\n    protocol {proto};\n    starttls only;\n    {ssl_directives}\n  }}\n}}\n",
            cert = cert.cert.display(),
            key = cert.key.display(),
            proto = proto.name(),
        )
    })
}

/// Writes an nginx.conf around `body(dir, port)` and starts nginx in the foreground.
fn nginx_with(name: &str, body: impl FnOnce(&str, u16) -> String) -> Result<ServerProcess> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let d = dir.path().display().to_string();
    let body = body(&d, port);
    // The mail module must be loaded at the very top of the file.
    let load = if body.starts_with("mail") {
        format!("load_module {NGINX_MAIL_MODULE};\n")
    } else {
        String::new()
    };
    let conf = format!(
        "{load}daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 256; }}\n{body}"
    );
    let conf_path = dir.path().join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let bin = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let log = dir.path().join("error.log");
    spawn_listening(
        name,
        Command::new(bin)
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(dir.path())
            .stdin(Stdio::null()),
        port,
        Some(&log),
        Some(dir),
    )
}

/// Starts gnutls-serv with a GnuTLS priority string. It listens on every address of the port;
/// we only ever connect to 127.0.0.1.
pub fn gnutls_serv(name: &str, cert: &CertFiles, priority: &str) -> Result<ServerProcess> {
    gnutls_serv_with(name, cert, priority, &[])
}

/// [`gnutls_serv`] with extra command-line options (e.g. `--heartbeat`).
pub fn gnutls_serv_with(
    name: &str,
    cert: &CertFiles,
    priority: &str,
    extra: &[&str],
) -> Result<ServerProcess> {
    let port = free_port()?;
    spawn_listening(
        name,
        Command::new("gnutls-serv")
            .args(["--port", &port.to_string(), "--priority", priority])
            .args(extra)
            .arg("--x509certfile")
            .arg(&cert.cert)
            .arg("--x509keyfile")
            .arg(&cert.key)
            .stdin(Stdio::null()),
        port,
        None,
        None,
    )
}

/// The uid and gid of `user`, from the `id` command.
fn user_ids(user: &str) -> Result<(u32, u32)> {
    let id = |flag: &str| -> Result<u32> {
        let out = Command::new("id")
            .args([flag, user])
            .stdin(Stdio::null())
            .output()
            .context("running id")?;
        if !out.status.success() {
            bail!("no user {user}");
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("id {flag} {user}"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn running_as_root() -> bool {
    user_ids_of_self() == Some(0)
}

fn user_ids_of_self() -> Option<u32> {
    let out = Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The directory of Debian's PostgreSQL server programs (`/usr/lib/postgresql/VERSION/bin`,
/// the newest), or the one holding `postgres` on PATH.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    dirs.sort();
    if let Some((_, bin)) = dirs.pop() {
        return Some(bin);
    }
    let out = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let dir = path.parent()?.to_path_buf();
    dir.join("postgres").exists().then_some(dir)
}

/// Starts a throwaway PostgreSQL cluster on 127.0.0.1 (a free port; its unix socket in its own
/// temporary directory) with `ssl=on`, serving `cert`, and the `settings` added (e.g.
/// `("ssl_ciphers", "AES128-SHA")`). As root the cluster runs as the `postgres` user, since
/// `initdb` and `postgres` refuse root.
pub fn postgres(name: &str, cert: &CertFiles, settings: &[(&str, &str)]) -> Result<Postgres> {
    use std::os::unix::process::CommandExt;
    let bin = postgres_bin_dir().context("PostgreSQL is not installed (package postgresql)")?;
    let ids = if running_as_root() {
        Some(user_ids("postgres").context("running as root needs the postgres user")?)
    } else {
        None
    };
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let as_user = |cmd: &mut Command| {
        if let Some((uid, gid)) = ids {
            cmd.uid(uid).gid(gid);
        }
    };
    let chown = |p: &Path| -> Result<()> {
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(p, Some(uid), Some(gid))
                .with_context(|| format!("chown {}", p.display()))?;
        }
        Ok(())
    };
    chown(dir.path())?;
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        .args(["--locale", "C"])
        .current_dir(dir.path())
        .stdin(Stdio::null());
    as_user(&mut initdb);
    let out = initdb.output().context("running initdb")?;
    if !out.status.success() {
        bail!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The server wants its key readable by itself alone.
    let (crt, key) = (data.join("server.crt"), data.join("server.key"));
    std::fs::copy(&cert.cert, &crt)?;
    std::fs::copy(&cert.key, &key)?;
    for f in [&crt, &key] {
        chown(f)?;
    }
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.path().join("postgres.log"))?;
    chown(&dir.path().join("postgres.log"))?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1"])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.path().display()))
        .args(["-c", "ssl=on", "-c", "ssl_cert_file=server.crt"])
        .args(["-c", "ssl_key_file=server.key"])
        // Shared memory in the data directory, gone with it.
        .args(["-c", "dynamic_shared_memory_type=mmap"]);
    for (k, v) in settings {
        cmd.arg("-c").arg(format!("{k}={v}"));
    }
    cmd.current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    as_user(&mut cmd);
    let mut child = cmd.spawn().context("starting postgres")?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    if let Err(e) = wait_listening(addr, &mut child, "postgres") {
        let log = std::fs::read_to_string(dir.path().join("postgres.log")).unwrap_or_default();
        let _ = child.kill();
        let _ = child.wait();
        bail!("{e}: {log}");
    }
    Ok(Postgres(ServerProcess {
        name: name.into(),
        addr,
        child,
        _dir: Some(dir),
    }))
}

/// A running PostgreSQL cluster. Dropping it asks for a fast shutdown (SIGINT) and waits up to
/// 5 s, so the server releases its shared memory, then kills what is left.
pub struct Postgres(ServerProcess);

impl std::ops::Deref for Postgres {
    type Target = ServerProcess;
    fn deref(&self) -> &ServerProcess {
        &self.0
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let pid = self.0.child.id().to_string();
        let asked = Command::new("kill")
            .args(["-INT", &pid])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(5);
        while asked && Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts vsftpd in the foreground on 127.0.0.1 (a free port) with `AUTH TLS` offered and
/// `ssl_lines` (e.g. `ssl_ciphers=AES128-SHA`) added to its configuration. Logins are never
/// reached: the scanner stops at TLS.
pub fn vsftpd(name: &str, cert: &CertFiles, ssl_lines: &str) -> Result<ServerProcess> {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty)?;
    let port = free_port()?;
    // Without root vsftpd cannot drop privileges per session: it must stay the launching user.
    let as_user = if running_as_root() {
        ""
    } else {
        "run_as_launching_user=YES\n"
    };
    let conf = format!(
        "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
         anonymous_enable=NO\nlocal_enable=YES\nxferlog_enable=NO\nsyslog_enable=NO\n\
         seccomp_sandbox=NO\nisolate=NO\nisolate_network=NO\nsecure_chroot_dir={empty}\n\
         ssl_enable=YES\nrsa_cert_file={cert}\nrsa_private_key_file={key}\n{as_user}{ssl_lines}\n",
        empty = empty.display(),
        cert = cert.cert.display(),
        key = cert.key.display(),
    );
    let conf_path = dir.path().join("vsftpd.conf");
    std::fs::write(&conf_path, conf)?;
    // vsftpd writes its start-up errors ("500 OOPS: ...") to file descriptor 0.
    let log_path = dir.path().join("vsftpd.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&log_path)?;
    let bin = if Path::new("/usr/sbin/vsftpd").exists() {
        "/usr/sbin/vsftpd"
    } else {
        "vsftpd"
    };
    spawn_listening(
        name,
        Command::new(bin).arg(&conf_path).stdin(log),
        port,
        Some(&log_path),
        Some(dir),
    )
}

/// Starts Prosody (XMPP) in the foreground on 127.0.0.1 (a free client port; no server-to-server,
/// HTTP or component ports) serving the virtual host `localhost` with STARTTLS required.
/// `ssl_fields` go into its `ssl` table (e.g. `protocol = "tlsv1_2+", ciphers = "AES128-SHA"`).
pub fn prosody(name: &str, cert: &CertFiles, ssl_fields: &str) -> Result<ServerProcess> {
    let dir = tempfile::tempdir()?;
    let d = dir.path().display().to_string();
    std::fs::create_dir(dir.path().join("data"))?;
    let port = free_port()?;
    // Prosody refuses root unless told; it needs nothing root has.
    let root = if running_as_root() {
        "run_as_root = true\n"
    } else {
        ""
    };
    let lua = |p: &Path| format!("{:?}", p.display().to_string());
    let conf = format!(
        "{root}pidfile = \"{d}/prosody.pid\"\ndata_path = \"{d}/data\"\n\
         log = {{ {{ levels = {{ min = \"info\" }}, to = \"file\", filename = \"{d}/prosody.log\" }} }}\n\
         interfaces = {{ \"127.0.0.1\" }}\nlocal_interfaces = {{ \"127.0.0.1\" }}\n\
         c2s_ports = {{ {port} }}\nc2s_direct_tls_ports = {{}}\nlegacy_ssl_ports = {{}}\n\
         s2s_ports = {{}}\nhttp_ports = {{}}\nhttps_ports = {{}}\ncomponent_ports = {{}}\n\
         modules_enabled = {{ \"tls\", \"saslauth\" }}\nmodules_disabled = {{ \"s2s\", \"offline\" }}\n\
         c2s_require_encryption = true\ncertificates = {certdir}\n\
         ssl = {{ certificate = {cert}, key = {key}, {ssl_fields} }}\nVirtualHost \"localhost\"\n",
        certdir = lua(cert.dir.path()),
        cert = lua(&cert.cert),
        key = lua(&cert.key),
    );
    let conf_path = dir.path().join("prosody.cfg.lua");
    std::fs::write(&conf_path, conf)?;
    let log = dir.path().join("prosody.log");
    spawn_listening(
        name,
        Command::new("prosody")
            .arg("--config")
            .arg(&conf_path)
            .arg("-F")
            .stdin(Stdio::null()),
        port,
        Some(&log),
        Some(dir),
    )
}
