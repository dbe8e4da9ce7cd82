//! Facts: what a scan learned, frozen, typed and serialisable, with no verdicts in them. A leaf
//! module: it imports only the [`crate::wire`] layer; everything that judges (certificate
//! analysis, policies, the grade) and everything that shows (renderers) reads it.

pub mod certs;
pub mod dns;
pub mod ech;
pub mod finding;
pub mod http;
pub mod mail;
pub mod protocols;
pub mod quic;
pub mod replay;
pub mod sections;
pub mod status;
pub mod target;
pub mod version;
pub mod weaknesses;

pub use certs::CertificatesSection;
pub use dns::{HttpsRecord, HttpsRecordSection};
pub use ech::{EchOutcome, EchProbe, EchSection};
pub use finding::{Finding, Severity};
pub use http::{Hsts, HttpSection};
pub use mail::{DaneSection, MtaStsPolicy, MtaStsSection, TlsaRecord};
pub use protocols::{ProtocolResult, SuiteResult};
pub use quic::{QuicSection, Transport};
pub use replay::ReplayAnswer;
pub use sections::*;
pub use status::{ErrorReason, SectionStatus};
pub use target::{RateLimited, Starttls, TargetFacts};
pub use version::TlsVersion;
pub use weaknesses::{Verdict, WeaknessCheck, WeaknessesSection};
