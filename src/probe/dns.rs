//! DNS HTTPS records (RFC 9460): one question of type HTTPS (65) to a resolver over UDP, again
//! over TCP when the answer is truncated, decoded with `simple-dns` into
//! [`HttpsRecord`] facts (the `ech` value into an ECHConfigList). Alias-mode records are
//! followed a few hops. Every wait has the timeout given; every answer is bounded (64 KiB).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use simple_dns::rdata::{RData, SVCParam};
use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, QCLASS, QTYPE, RCODE, TYPE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use crate::facts::dns::{svc_param_name, HttpsRecord};
use crate::facts::ech::EchConfigListInfo;

/// Alias-mode records followed before giving up (RFC 9460 section 3.1 asks clients to bound
/// the chain; 8 is the limit it suggests for CNAME-like chains).
const MAX_ALIAS_HOPS: usize = 8;

/// The resolver's answer to the HTTPS questions of one name.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpsLookup {
    /// The names asked, in order (the target's, then alias targets).
    pub queried: Vec<String>,
    pub records: Vec<HttpsRecord>,
    /// The response code of the last answer ("NOERROR", "NXDOMAIN", …).
    pub rcode: String,
}

/// A lookup that failed, with what was asked so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupError {
    pub queried: Vec<String>,
    pub message: String,
}

/// `--resolver ADDR[:PORT]`: an IP address with an optional port (53 by default); IPv6 with a
/// port in brackets.
pub fn parse_resolver(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            format!("'{s}' is not a resolver address (IP[:PORT], e.g. 127.0.0.1:5353 or [::1]:53)")
        })
}

/// The first `nameserver` of a resolv.conf text, on port 53.
pub fn resolv_conf_nameserver(text: &str) -> Option<SocketAddr> {
    text.lines()
        .map(|l| l.split(['#', ';']).next().unwrap_or_default())
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|rest| {
            // An IPv6 address may carry a zone (fe80::1%eth0), which SocketAddr cannot hold.
            let ip = rest.trim().split('%').next()?;
            ip.parse::<IpAddr>().ok()
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

/// The system's resolver: the first `nameserver` of /etc/resolv.conf.
pub fn system_resolver() -> Result<SocketAddr, String> {
    let text = std::fs::read_to_string("/etc/resolv.conf")
        .map_err(|e| format!("cannot read /etc/resolv.conf ({e}): give --resolver IP[:PORT]"))?;
    resolv_conf_nameserver(&text)
        .ok_or_else(|| "/etc/resolv.conf names no nameserver: give --resolver IP[:PORT]".into())
}

/// The name whose HTTPS record describes `host`:`port` (RFC 9460 section 9.1): the host for
/// port 443, else `_PORT._https.host`.
pub fn https_query_name(host: &str, port: u16) -> String {
    let host = host.trim_end_matches('.');
    if port == 443 {
        host.to_string()
    } else {
        format!("_{port}._https.{host}")
    }
}

/// Whether `host` is a name worth asking DNS about: not an IP literal, not a special-use name
/// that never reaches DNS (RFC 6761: `localhost`, `*.localhost`, `*.invalid`).
pub fn is_dns_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h.parse::<IpAddr>().is_err()
        && !h.is_empty()
        && h != "localhost"
        && !h.ends_with(".localhost")
        && h != "invalid"
        && !h.ends_with(".invalid")
}

/// The whole lookup, alias chain included, waits at most this many times the wait of one
/// exchange: a chain of slow answers (each just within its own wait) cannot hold the stage
/// for `MAX_ALIAS_HOPS` + 1 waits over UDP and as many over TCP.
const MAX_LOOKUP_WAITS: u32 = 4;

/// Asks `resolver` for the HTTPS records of `name`, following alias-mode records; each
/// exchange waits at most `wait`, the whole lookup at most [`MAX_LOOKUP_WAITS`] times that.
pub async fn lookup_https(
    resolver: SocketAddr,
    name: &str,
    wait: Duration,
) -> Result<HttpsLookup, LookupError> {
    let mut queried = Vec::new();
    let mut records = Vec::new();
    let mut next = name.to_string();
    let budget = wait.saturating_mul(MAX_LOOKUP_WAITS);
    let deadline = tokio::time::Instant::now()
        .checked_add(budget)
        .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
    loop {
        queried.push(next.clone());
        let answer = match tokio::time::timeout_at(deadline, query(resolver, &next, wait)).await {
            Ok(Ok(a)) => a,
            Ok(Err(message)) => return Err(LookupError { queried, message }),
            Err(_) => {
                return Err(LookupError {
                    message: format!(
                        "the HTTPS lookup of {name} took longer than {budget:?} ({} names \
                         asked, following alias-mode records)",
                        queried.len()
                    ),
                    queried,
                })
            }
        };
        let alias = answer
            .records
            .iter()
            .find(|r| r.alias_mode && r.target != ".")
            .map(|r| r.target.clone());
        records.extend(answer.records);
        match alias {
            // RFC 9460 section 2.4.2: an alias to "." means the service is not available.
            Some(target) if queried.len() <= MAX_ALIAS_HOPS && !queried.contains(&target) => {
                next = target;
            }
            Some(target) => {
                return Err(LookupError {
                    message: format!(
                        "alias-mode records loop or chain past {MAX_ALIAS_HOPS} names (at {target})"
                    ),
                    queried,
                });
            }
            None => {
                return Ok(HttpsLookup {
                    queried,
                    records,
                    rcode: answer.rcode,
                })
            }
        }
    }
}

/// One question's answer: the HTTPS records in it and the response code.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsAnswer {
    pub records: Vec<HttpsRecord>,
    pub rcode: String,
}

async fn query(resolver: SocketAddr, name: &str, wait: Duration) -> Result<DnsAnswer, String> {
    let bytes = exchange(resolver, name, TYPE::HTTPS, wait).await?;
    decode_answer(&bytes, name)
}

/// Asks `resolver` one question of type `qtype` for `name` (UDP, then TCP when truncated) and
/// returns the answer's bytes, each exchange bounded by `wait`. The query sets the AD bit
/// (RFC 6840 section 5.7), so a validating resolver says whether it validated the answer.
pub async fn exchange(
    resolver: SocketAddr,
    name: &str,
    qtype: TYPE,
    wait: Duration,
) -> Result<Vec<u8>, String> {
    let id: u16 = rand::random();
    let question = build_query_of(id, name, qtype)?;
    let mut bytes = timeout(wait, udp_exchange(resolver, &question, id))
        .await
        .map_err(|_| format!("no answer from the resolver {resolver} within {wait:?}"))??;
    if truncated(&bytes) {
        bytes = timeout(wait, tcp_exchange(resolver, &question, id))
            .await
            .map_err(|_| format!("no TCP answer from the resolver {resolver} within {wait:?}"))??;
    }
    Ok(bytes)
}

/// The query message: one HTTPS question, recursion desired, EDNS(0) with a 1232-byte UDP
/// size (the DNS flag day 2020 value) so that ECH configs fit without TCP.
pub fn build_query(id: u16, name: &str) -> Result<Vec<u8>, String> {
    build_query_of(id, name, TYPE::HTTPS)
}

/// [`build_query`] for any record type (`TYPE::Unknown(52)` for TLSA, which simple-dns does
/// not name), with the AD bit set.
pub fn build_query_of(id: u16, name: &str, qtype: TYPE) -> Result<Vec<u8>, String> {
    let qname = Name::new(name).map_err(|e| format!("'{name}' is not a DNS name: {e}"))?;
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    if qtype != TYPE::HTTPS {
        packet.set_flags(PacketFlag::AUTHENTIC_DATA);
    }
    packet.questions.push(Question::new(
        qname,
        QTYPE::TYPE(qtype),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    *packet.opt_mut() = Some(simple_dns::rdata::OPT {
        opt_codes: Vec::new(),
        udp_packet_size: 1232,
        version: 0,
    });
    packet
        .build_bytes_vec()
        .map_err(|e| format!("cannot build the DNS query for '{name}': {e}"))
}

/// The TC bit of a DNS header (RFC 1035 section 4.1.1).
fn truncated(message: &[u8]) -> bool {
    message.get(2).is_some_and(|b| b & 0x02 != 0)
}

async fn udp_exchange(resolver: SocketAddr, question: &[u8], id: u16) -> Result<Vec<u8>, String> {
    let local: SocketAddr = if resolver.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    socket
        .connect(resolver)
        .await
        .map_err(|e| format!("cannot reach the resolver {resolver}: {e}"))?;
    socket
        .send(question)
        .await
        .map_err(|e| format!("cannot send to the resolver {resolver}: {e}"))?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = socket
            .recv(&mut buf)
            .await
            .map_err(|e| format!("the resolver {resolver} did not answer: {e}"))?;
        // Another id is a stray or spoofed datagram: wait on for ours (within the timeout).
        if buf[..n].get(..2) == Some(&id.to_be_bytes()[..]) {
            return Ok(buf[..n].to_vec());
        }
    }
}

async fn tcp_exchange(resolver: SocketAddr, question: &[u8], id: u16) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(resolver)
        .await
        .map_err(|e| format!("cannot connect to the resolver {resolver} over TCP: {e}"))?;
    // RFC 1035 section 4.2.2: each message behind a two-byte length.
    let mut framed = (question.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(question);
    let io = |e: std::io::Error| format!("TCP exchange with the resolver {resolver}: {e}");
    stream.write_all(&framed).await.map_err(io)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.map_err(io)?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf).await.map_err(io)?;
    if buf.get(..2) != Some(&id.to_be_bytes()[..]) {
        return Err(format!(
            "the resolver {resolver} answered another query over TCP"
        ));
    }
    Ok(buf)
}

/// Reads a resolver's answer to the HTTPS question for `name`: its response code and the
/// HTTPS records in its answer section (whatever their owner, so that a CNAME chain the
/// resolver followed is followed here too). Bad bytes are an error, never a panic.
pub fn decode_answer(bytes: &[u8], name: &str) -> Result<DnsAnswer, String> {
    let packet = Packet::parse(bytes)
        .map_err(|e| format!("the resolver's answer for {name} does not decode: {e}"))?;
    let rcode = packet.rcode();
    let rcode_name = rcode_name(rcode);
    if !matches!(rcode, RCODE::NoError | RCODE::NameError) {
        return Err(format!("the resolver answered {rcode_name} for {name}"));
    }
    let records = packet
        .answers
        .iter()
        .filter_map(|rr| match &rr.rdata {
            RData::HTTPS(https) => Some(record(&rr.name, &https.0)),
            _ => None,
        })
        .collect();
    Ok(DnsAnswer {
        records,
        rcode: rcode_name,
    })
}

pub fn rcode_name(rcode: RCODE) -> String {
    match rcode {
        RCODE::NoError => "NOERROR".into(),
        RCODE::FormatError => "FORMERR".into(),
        RCODE::ServerFailure => "SERVFAIL".into(),
        RCODE::NameError => "NXDOMAIN".into(),
        RCODE::NotImplemented => "NOTIMP".into(),
        RCODE::Refused => "REFUSED".into(),
        other => format!("{other:?}"),
    }
}

fn name_text(name: &Name<'_>) -> String {
    let text = name.to_string();
    if text.is_empty() {
        ".".into()
    } else {
        text
    }
}

fn record(owner: &Name<'_>, svcb: &simple_dns::rdata::SVCB<'_>) -> HttpsRecord {
    let mut r = HttpsRecord {
        name: name_text(owner),
        priority: svcb.priority,
        alias_mode: svcb.priority == 0,
        target: name_text(&svcb.target),
        ..Default::default()
    };
    for param in svcb.iter_params() {
        match param {
            SVCParam::Mandatory(keys) => {
                r.mandatory = keys.iter().map(|k| svc_param_name(*k)).collect();
            }
            SVCParam::Alpn(ids) => r.alpn = ids.iter().map(|a| a.to_string()).collect(),
            SVCParam::NoDefaultAlpn => r.no_default_alpn = true,
            SVCParam::Port(p) => r.port = Some(*p),
            SVCParam::Ipv4Hint(ips) => {
                r.ipv4hint = ips
                    .iter()
                    .map(|ip| std::net::Ipv4Addr::from(*ip).to_string())
                    .collect();
            }
            SVCParam::Ipv6Hint(ips) => {
                r.ipv6hint = ips
                    .iter()
                    .map(|ip| std::net::Ipv6Addr::from(*ip).to_string())
                    .collect();
            }
            // simple-dns strips the ECHConfigList's own length prefix: put it back, so the
            // bytes are the ECHConfigList of RFC 9849 section 4 (what `--ech-config` takes).
            SVCParam::Ech(list) => {
                let mut bytes = (list.len() as u16).to_be_bytes().to_vec();
                bytes.extend_from_slice(list);
                r.ech = Some(EchConfigListInfo::from_wire(&bytes));
            }
            SVCParam::Unknown(key, value) => r.other_params.push(format!(
                "{}={}",
                svc_param_name(*key),
                crate::wire::hex(value)
            )),
            SVCParam::InvalidKey => r.other_params.push("key65535 (invalid)".into()),
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_flags_and_resolv_conf_parse() {
        assert_eq!(
            parse_resolver("127.0.0.1:5353"),
            Ok(([127, 0, 0, 1], 5353).into())
        );
        assert_eq!(parse_resolver("127.0.0.1"), Ok(([127, 0, 0, 1], 53).into()));
        assert_eq!(
            parse_resolver("[::1]:5300").unwrap().to_string(),
            "[::1]:5300"
        );
        assert_eq!(parse_resolver("::1").unwrap().to_string(), "[::1]:53");
        assert!(parse_resolver("dns.example").is_err());
        let conf = "# comment\nsearch example\nnameserver fe80::1%eth0\nnameserver 127.0.0.53\n";
        assert_eq!(
            resolv_conf_nameserver(conf).unwrap().to_string(),
            "[fe80::1]:53"
        );
        assert_eq!(resolv_conf_nameserver("options ndots:2\n"), None);
    }

    #[test]
    fn query_names_follow_rfc9460_and_special_names_stay_out_of_dns() {
        assert_eq!(
            https_query_name("www.example.test", 443),
            "www.example.test"
        );
        assert_eq!(
            https_query_name("www.example.test.", 8443),
            "_8443._https.www.example.test"
        );
        assert!(is_dns_name("www.example.test"));
        for h in [
            "127.0.0.1",
            "::1",
            "localhost",
            "a.localhost",
            "api.invalid",
        ] {
            assert!(!is_dns_name(h), "{h}");
        }
    }

    /// A hand-made answer: one HTTPS record with alpn, port, an ECH config and an unknown
    /// key; then every truncation of it, which must be an error or a shorter answer.
    #[test]
    fn decodes_an_answer_and_survives_damage() {
        use crate::wire::Codec;
        let query = build_query(7, "www.example.test").unwrap();
        let mut answer = query.clone();
        answer[2] = 0x81; // QR, RD
        answer[3] = 0x80; // RA, NOERROR
        answer[7] = 1; // ANCOUNT
        answer.truncate(answer.len() - 11); // drop the OPT record
        answer[11] = 0; // ARCOUNT
        let ech = crate::wire::ech::sample_config_list().to_bytes();
        let mut rdata = vec![0, 1, 0]; // priority 1, target "."
        rdata.extend([0, 1, 0, 3, 2, b'h', b'2']); // alpn=h2
        rdata.extend([0, 3, 0, 2, 0x20, 0xfb]); // port=8443
        rdata.extend([0, 5]);
        rdata.extend((ech.len() as u16).to_be_bytes());
        rdata.extend(&ech);
        rdata.extend([0xfd, 0xe8, 0, 1, 0xab]); // key65000=ab
        answer.extend([0xc0, 12, 0, 65, 0, 1, 0, 0, 1, 44]);
        answer.extend((rdata.len() as u16).to_be_bytes());
        answer.extend(&rdata);
        let a = decode_answer(&answer, "www.example.test").unwrap();
        assert_eq!(a.rcode, "NOERROR");
        let r = &a.records[0];
        assert_eq!(
            (r.name.as_str(), r.priority, r.target.as_str()),
            ("www.example.test", 1, ".")
        );
        assert_eq!(
            (r.alpn.clone(), r.port),
            (vec!["h2".to_string()], Some(8443))
        );
        assert_eq!(r.other_params, ["key65000=ab"]);
        let ech_info = r.ech.as_ref().unwrap();
        assert_eq!(ech_info.error, None);
        assert_eq!(
            ech_info.configs[0].public_name.as_deref(),
            Some("public.example")
        );
        for len in 0..answer.len() {
            let _ = decode_answer(&answer[..len], "www.example.test");
        }
        assert!(decode_answer(b"\x00\x07garbage", "x").is_err());
    }

    /// A resolver (or the zone behind it) answering each name with an alias to another, each
    /// answer just within the wait of one exchange: the lookup ends at its overall deadline
    /// with a clear error, not after every hop's wait.
    #[tokio::test]
    async fn a_slow_alias_chain_ends_at_the_lookup_deadline() {
        use simple_dns::rdata::{HTTPS, SVCB};
        use simple_dns::ResourceRecord;
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let resolver = socket.local_addr().unwrap();
        let wait = Duration::from_millis(300);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut hop = 0;
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                let Ok(q) = Packet::parse(&buf[..n]) else {
                    continue;
                };
                let Some(question) = q.questions.first() else {
                    continue;
                };
                hop += 1;
                let target = format!("hop{hop}.example.test");
                let mut reply = Packet::new_reply(q.id());
                reply.questions.push(question.clone());
                reply.answers.push(ResourceRecord::new(
                    question.qname.clone(),
                    CLASS::IN,
                    60,
                    RData::HTTPS(HTTPS(SVCB::new(0, Name::new_unchecked(&target)))),
                ));
                let bytes = reply.build_bytes_vec().unwrap();
                tokio::time::sleep(Duration::from_millis(250)).await;
                let _ = socket.send_to(&bytes, from).await;
            }
        });
        let started = std::time::Instant::now();
        let e = lookup_https(resolver, "www.example.test", wait)
            .await
            .unwrap_err();
        assert!(e.message.contains("took longer than 1.2s"), "{}", e.message);
        assert!(e.queried.len() < 8, "{:?}", e.queried);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
