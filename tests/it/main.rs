//! One integration-test binary made of modules. Every test talks to real servers on loopback
//! that it starts itself (or, for what no local server does, a scripted one).

mod architecture;
mod cert_dates;
mod certs;
mod cli;
mod client;
mod codec_roundtrip;
mod common;
mod fuzz_corpus;
mod golden;
mod grade;
mod groups;
mod heartbleed;
mod hostile;
mod hostile_clients;
mod html;
mod http;
mod inventory;
mod pinned;
mod policy;
mod pq;
mod pq_readiness;
mod profiles;
mod progress;
mod scan;
mod scripted;
mod serve;
mod simulate;
mod starttls;
mod tls12;
mod versions_only;
mod weaknesses;
