//! A thin async driver of the sans-IO [`Client`] over one counted engine [`Connection`]: every
//! read has a deadline, and the bytes read from one server have a ceiling.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout, timeout_at, Instant};

use crate::probe::engine::{Connection, Engine, HostHandle};

use super::client::{AfterKeyExchange, Client, ClientConfig, Event, HandshakeInfo, Premaster};
use super::Tls12Error;

/// What the server did next, as a check compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    Event(Event),
    /// The server closed the connection (after every event before the close).
    Closed,
    Reset,
    /// Nothing within the wait.
    Timeout,
    /// What it sent could not be read (or exceeded the byte ceiling).
    Error(Tls12Error),
}

impl Reaction {
    /// A short, human description for evidence fields.
    pub fn describe(&self) -> String {
        match self {
            Reaction::Event(Event::Alert(a)) => format!(
                "{} alert {}",
                if a.level == 1 { "warning" } else { "fatal" },
                a.description
            ),
            Reaction::Event(Event::ServerHello(sh)) => {
                format!(
                    "ServerHello {} {}",
                    sh.negotiated_version(),
                    sh.cipher_suite
                )
            }
            Reaction::Event(Event::ApplicationData(d)) => {
                format!("{} bytes of application data", d.len())
            }
            Reaction::Event(e) => format!("{e:?}"),
            Reaction::Closed => "a close of the connection".into(),
            Reaction::Reset => "a connection reset".into(),
            Reaction::Timeout => "no answer within the wait".into(),
            Reaction::Error(e) => format!("an unreadable answer ({e})"),
        }
    }
}

/// The status line and headers of an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponseHead {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
}

impl HttpResponseHead {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn parse(head: &[u8]) -> Self {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                Some((n.trim().to_string(), v.trim().to_string()))
            })
            .collect();
        Self {
            status_line,
            headers,
        }
    }
}

/// One client connection: the state machine over an engine connection.
pub struct Session {
    conn: Connection,
    client: Client,
    wait: Duration,
    max_bytes: usize,
    read_bytes: usize,
    error: Option<Tls12Error>,
    eof: Option<Reaction>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({:?})", self.client.negotiated())
    }
}

impl Session {
    /// Opens a counted connection (with the STARTTLS preamble, if any) and sends the ClientHello.
    pub async fn open(
        engine: &Engine,
        host: &HostHandle,
        cfg: ClientConfig,
    ) -> Result<Self, Tls12Error> {
        let conn = engine
            .connect(host)
            .await
            .map_err(|e| Tls12Error::Connect(e.to_string()))?;
        let mut s = Self {
            conn,
            client: Client::new(cfg),
            wait: engine.config().read_timeout,
            // Room for a flight with a long chain, a few tickets and an HTTP response head.
            max_bytes: engine.config().max_flight_bytes.max(64 * 1024),
            read_bytes: 0,
            error: None,
            eof: None,
        };
        let hello = s.client.client_hello()?;
        s.send(&hello).await?;
        Ok(s)
    }

    /// A full handshake: open, read the flight, key exchange, up to the server's Finished.
    pub async fn handshake(
        engine: &Engine,
        host: &HostHandle,
        cfg: ClientConfig,
    ) -> Result<(Self, HandshakeInfo), Tls12Error> {
        let mut s = Self::open(engine, host, cfg).await?;
        s.read_flight().await?;
        let info = s.finish().await?;
        Ok((s, info))
    }

    /// The state machine, for the hooks (early records, crafted key exchanges).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// How long each step waits for the server (the engine's read timeout by default).
    pub fn wait(&self) -> Duration {
        self.wait
    }

    pub fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    /// Sends bytes, within the wait.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), Tls12Error> {
        match timeout(self.wait, self.conn.stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) if is_reset(&e) => Err(Tls12Error::Reset),
            Ok(Err(e)) => Err(Tls12Error::Io(e.to_string())),
            Err(_) => Err(Tls12Error::Timeout),
        }
    }

    /// The next thing the server does, waiting at most `wait`.
    pub async fn next(&mut self, wait: Duration) -> Reaction {
        let deadline = Instant::now() + wait;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if let Some(e) = self.client.next_event() {
                return Reaction::Event(e);
            }
            if let Some(e) = &self.error {
                return Reaction::Error(e.clone());
            }
            if let Some(r) = &self.eof {
                return r.clone();
            }
            match timeout_at(deadline, self.conn.stream.read(&mut buf)).await {
                Err(_) => return Reaction::Timeout,
                Ok(Ok(0)) => self.eof = Some(Reaction::Closed),
                Ok(Err(e)) if is_reset(&e) => self.eof = Some(Reaction::Reset),
                Ok(Err(e)) => self.error = Some(Tls12Error::Io(e.to_string())),
                Ok(Ok(n)) => {
                    self.read_bytes += n;
                    if self.read_bytes > self.max_bytes {
                        self.error = Some(Tls12Error::TooMuchData(self.max_bytes));
                    } else if let Err(e) = self.client.feed(&buf[..n]) {
                        self.error = Some(e);
                    }
                }
            }
        }
    }

    /// Reads the server's flight up to ServerHelloDone. A fatal alert, a close, a reset, a
    /// timeout or garbage is the error.
    pub async fn read_flight(&mut self) -> Result<(), Tls12Error> {
        loop {
            match self.next(self.wait).await {
                Reaction::Event(Event::ServerHelloDone) => return Ok(()),
                r => self.not_done(r)?,
            }
        }
    }

    /// The normal key exchange and the wait for the server's Finished.
    pub async fn finish(&mut self) -> Result<HandshakeInfo, Tls12Error> {
        let out = self.client.key_exchange()?;
        self.send(&out).await?;
        loop {
            match self.next(self.wait).await {
                Reaction::Event(Event::HandshakeComplete) => {
                    return self
                        .client
                        .info()
                        .ok_or_else(|| Tls12Error::Protocol("no session".into()));
                }
                r => self.not_done(r)?,
            }
        }
    }

    /// A crafted key exchange (ROBOT); the caller reads the reaction with [`Self::next`].
    pub async fn send_key_exchange(
        &mut self,
        premaster: &Premaster,
        after: AfterKeyExchange,
    ) -> Result<(), Tls12Error> {
        let out = self.client.key_exchange_with(premaster, after)?;
        self.send(&out).await
    }

    /// Events on the way that do not end a step are skipped; anything that ends the
    /// connection is the error.
    fn not_done(&self, r: Reaction) -> Result<(), Tls12Error> {
        match r {
            Reaction::Event(Event::Alert(a)) if a.level == 2 => Err(Tls12Error::Alert(a)),
            // close_notify ends the session whatever its level.
            Reaction::Event(Event::Alert(a))
                if a.description == crate::wire::AlertDescription::CLOSE_NOTIFY =>
            {
                Err(Tls12Error::Alert(a))
            }
            Reaction::Event(_) => Ok(()),
            Reaction::Closed => Err(Tls12Error::Closed),
            Reaction::Reset => Err(Tls12Error::Reset),
            Reaction::Timeout => Err(Tls12Error::Timeout),
            Reaction::Error(e) => Err(e),
        }
    }

    /// Sends `GET path` with `Host: host` and reads the response's status line and headers
    /// (at most `max_head` bytes of them; the body is not read).
    pub async fn http_get(
        &mut self,
        host: &str,
        path: &str,
        max_head: usize,
    ) -> Result<HttpResponseHead, Tls12Error> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tlsaudit\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        let out = self.client.application_data(request.as_bytes())?;
        self.send(&out).await?;
        let mut head = Vec::new();
        loop {
            if let Some(end) = find(&head, b"\r\n\r\n") {
                return Ok(HttpResponseHead::parse(&head[..end]));
            }
            if head.len() > max_head {
                return Err(Tls12Error::TooMuchData(max_head));
            }
            match self.next(self.wait).await {
                Reaction::Event(Event::ApplicationData(d)) => head.extend(d),
                // A close after a head without its blank line (HTTP/1.0 servers) still counts.
                Reaction::Closed | Reaction::Event(Event::Alert(_)) if !head.is_empty() => {
                    return Ok(HttpResponseHead::parse(&head));
                }
                r => self.not_done(r)?,
            }
        }
    }

    /// One request over the completed session: sends `request`, then reads the server's
    /// application data until `done` says it is enough, the server closes (or alerts), `max`
    /// bytes came without `done`, or the wait (one for the whole answer) passes.
    pub async fn request(
        &mut self,
        request: &[u8],
        max: usize,
        wait: Duration,
        done: impl Fn(&[u8]) -> bool,
    ) -> (Vec<u8>, crate::probe::http::Ended) {
        use crate::probe::http::Ended;
        let out = match self.client.application_data(request) {
            Ok(out) => out,
            Err(e) => return (Vec::new(), Ended::Broken(e.to_string())),
        };
        if let Err(e) = self.send(&out).await {
            return (Vec::new(), Ended::Broken(e.to_string()));
        }
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        loop {
            if done(&got) {
                return (got, Ended::Complete);
            }
            if got.len() > max {
                got.truncate(max);
                return (got, Ended::TooLarge(max));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Reaction::Event(Event::ApplicationData(d)) => got.extend(d),
                // close_notify, or any alert: the server is done with this connection.
                Reaction::Event(Event::Alert(_)) | Reaction::Closed => return (got, Ended::Closed),
                Reaction::Event(_) => {}
                Reaction::Timeout => return (got, Ended::Timeout),
                Reaction::Reset => return (got, Ended::Broken("connection reset".into())),
                Reaction::Error(e) => return (got, Ended::Broken(e.to_string())),
            }
        }
    }

    /// Sends close_notify and closes the connection (best effort, within the wait).
    pub async fn close(mut self) {
        let out = self.client.close_notify();
        let _ = self.send(&out).await;
        let _ = timeout(self.wait, self.conn.stream.shutdown()).await;
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_head_parses_status_and_headers() {
        let h = HttpResponseHead::parse(
            b"HTTP/1.1 200 OK\r\nServer: nginx\r\nStrict-Transport-Security: max-age=63072000\r\nbroken line",
        );
        assert_eq!(h.status_line, "HTTP/1.1 200 OK");
        assert_eq!(h.header("server"), Some("nginx"));
        assert_eq!(
            h.header("strict-transport-security"),
            Some("max-age=63072000")
        );
        assert_eq!(h.headers.len(), 2);
    }
}
