//! The named curve of an EC public key, from its SubjectPublicKeyInfo (RFC 5480 section 2.1.1):
//! one reading shared by the certificate analysis and the signature-scheme stage, which names
//! the key behind each signature.

use x509_parser::x509::SubjectPublicKeyInfo;

/// An EC key's curve as its algorithm parameters give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Curve {
    /// A curve we know by name, with its size in bits.
    Named { name: &'static str, bits: u32 },
    /// A named curve whose OID we do not know (dotted form).
    Oid(String),
    /// Explicit curve parameters (RFC 3279), or none at all.
    Explicit,
}

/// The curve of `spki`'s key (meaningful for EC keys only).
pub fn curve(spki: &SubjectPublicKeyInfo<'_>) -> Curve {
    let oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    match oid {
        Some(oid) => match curve_by_oid(&oid) {
            Some((name, bits)) => Curve::Named { name, bits },
            None => Curve::Oid(oid),
        },
        None => Curve::Explicit,
    }
}

/// A named curve's short name and size, from its OID (RFC 5480, RFC 5639).
pub fn curve_by_oid(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => ("P-256", 256),
        "1.3.132.0.34" => ("P-384", 384),
        "1.3.132.0.35" => ("P-521", 521),
        "1.3.132.0.33" => ("P-224", 224),
        "1.2.840.10045.3.1.1" => ("P-192", 192),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_curves_by_oid() {
        assert_eq!(curve_by_oid("1.2.840.10045.3.1.7"), Some(("P-256", 256)));
        assert_eq!(curve_by_oid("1.3.132.0.34"), Some(("P-384", 384)));
        assert_eq!(curve_by_oid("1.2.3"), None);
    }
}
