//! JA3 and JA4 client fingerprints of a ClientHello.
//!
//! JA3 (Salesforce): `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`,
//! decimal values joined by `-`, GREASE (RFC 8701) dropped, then MD5 in lower-case hex.
//!
//! JA4 (FoxIO, `technical_details/JA4.md`): `t` + version + `d`/`i` (SNI or not) + cipher count +
//! extension count + first/last character of the first ALPN value, then the first 12 hex digits of
//! SHA-256 over the sorted cipher list, then over the sorted extension list (without SNI and
//! ALPN) followed by `_` and the signature algorithms in wire order. GREASE is ignored everywhere.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::wire::{
    hex, is_grease_u16, ClientHello, EcPointFormatList, ExtensionType, NamedGroupList,
    ProtocolNameList, ProtocolVersion, ProtocolVersionList, SignatureSchemeList,
};

/// The JA3 string and its MD5.
pub fn ja3(hello: &ClientHello) -> (String, String) {
    let join = |v: Vec<u16>| {
        v.into_iter()
            .filter(|x| !is_grease_u16(*x))
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("-")
    };
    let ciphers = join(hello.cipher_suites.iter().map(|c| c.0).collect());
    let extensions = join(hello.extensions().iter().map(|e| e.typ.0).collect());
    let groups = join(groups(hello).into_iter().map(|g| g.0).collect::<Vec<u16>>());
    let formats = hello
        .extension(ExtensionType::EC_POINT_FORMATS)
        .and_then(|e| e.parse::<EcPointFormatList>().ok())
        .map(|l| {
            l.0.iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("-")
        })
        .unwrap_or_default();
    let s = format!(
        "{},{ciphers},{extensions},{groups},{formats}",
        hello.legacy_version.0
    );
    let digest = hex(&Md5::digest(s.as_bytes()));
    (s, digest)
}

fn groups(hello: &ClientHello) -> Vec<crate::wire::NamedGroup> {
    hello
        .extension(ExtensionType::SUPPORTED_GROUPS)
        .and_then(|e| e.parse::<NamedGroupList>().ok())
        .map(|l| l.0)
        .unwrap_or_default()
}

/// JA4's two-character version: the highest non-GREASE `supported_versions` entry, else
/// `legacy_version`; the record-layer version is ignored.
fn ja4_version(hello: &ClientHello) -> &'static str {
    let highest = hello
        .extension(ExtensionType::SUPPORTED_VERSIONS)
        .and_then(|e| e.parse::<ProtocolVersionList>().ok())
        .and_then(|l| l.0.into_iter().filter(|v| !v.is_grease()).max());
    match highest.unwrap_or(hello.legacy_version) {
        ProtocolVersion::TLS13 => "13",
        ProtocolVersion::TLS12 => "12",
        ProtocolVersion::TLS11 => "11",
        ProtocolVersion::TLS10 => "10",
        ProtocolVersion::SSLV3 => "s3",
        ProtocolVersion::SSLV2 => "s2",
        ProtocolVersion(0xfeff) => "d1",
        ProtocolVersion(0xfefd) => "d2",
        ProtocolVersion(0xfefc) => "d3",
        _ => "00",
    }
}

/// JA4's ALPN part: first and last character of the first ALPN value; when either is not
/// ASCII alphanumeric, the first and last character of that value's hex instead.
fn ja4_alpn(hello: &ClientHello) -> String {
    let first = hello
        .extension(ExtensionType::ALPN)
        .and_then(|e| e.parse::<ProtocolNameList>().ok())
        .and_then(|l| l.0.into_iter().next())
        .map(|p| p.0)
        .unwrap_or_default();
    let (Some(&a), Some(&z)) = (first.first(), first.last()) else {
        return "00".into();
    };
    if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() {
        format!("{}{}", a as char, z as char)
    } else {
        let h = hex(&first);
        let (Some(a), Some(z)) = (h.chars().next(), h.chars().last()) else {
            return "00".into();
        };
        format!("{a}{z}")
    }
}

fn sha256_12(s: &str) -> String {
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// The JA4 fingerprint and its raw (sorted, unhashed) form `JA4_r`.
pub fn ja4(hello: &ClientHello) -> (String, String) {
    let ciphers: Vec<u16> = hello
        .cipher_suites
        .iter()
        .map(|c| c.0)
        .filter(|c| !is_grease_u16(*c))
        .collect();
    let exts: Vec<u16> = hello
        .extensions()
        .iter()
        .map(|e| e.typ.0)
        .filter(|e| !is_grease_u16(*e))
        .collect();
    let sni = if hello.extension(ExtensionType::SERVER_NAME).is_some() {
        'd'
    } else {
        'i'
    };
    let a = format!(
        "t{}{sni}{:02}{:02}{}",
        ja4_version(hello),
        ciphers.len().min(99),
        exts.len().min(99),
        ja4_alpn(hello)
    );
    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let cipher_list = hex4_list(&sorted_ciphers);
    let mut sorted_exts: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|e| *e != ExtensionType::SERVER_NAME.0 && *e != ExtensionType::ALPN.0)
        .collect();
    sorted_exts.sort_unstable();
    let sigalgs: Vec<u16> = hello
        .extension(ExtensionType::SIGNATURE_ALGORITHMS)
        .and_then(|e| e.parse::<SignatureSchemeList>().ok())
        .map(|l| l.0.into_iter().map(|s| s.0).collect::<Vec<u16>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !is_grease_u16(*s))
        .collect();
    let mut ext_list = hex4_list(&sorted_exts);
    if !sigalgs.is_empty() {
        ext_list.push('_');
        ext_list.push_str(&hex4_list(&sigalgs));
    }
    let b = if ciphers.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&cipher_list)
    };
    let c = if sorted_exts.is_empty() {
        "000000000000".to_string()
    } else {
        sha256_12(&ext_list)
    };
    (
        format!("{a}_{b}_{c}"),
        format!("{a}_{cipher_list}_{ext_list}"),
    )
}

fn hex4_list(v: &[u16]) -> String {
    v.iter()
        .map(|x| format!("{x:04x}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::{CipherSuite, Codec, Extension, HandshakeMessage};

    /// The first flight of Debian's curl 7.88.1 (OpenSSL 3.0.19) connecting to
    /// `https://localhost:PORT/`, captured on loopback: one TLS record, 517 bytes.
    pub(crate) const CURL_HELLO_HEX: &str = "1603010200010001fc03037b09565a20322daad720f66df1aa618804279b340cec283a7be3db2dbcaf66a620731f5376fbb1355b6dd8029f7991c21074fa88cc3e90e1542f5eaa037fa9c3d1003e130213031301c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff010001750000000e000c0000096c6f63616c686f7374000b000403000102000a00160014001d0017001e00190018010001010102010301040010000e000c02683208687474702f312e31001600000017000000310000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b0009080304030303020301002d00020101003300260024001d0020f29a2eb725299289f4462ef08aa1d7e30bd9067f46d792a1621c247ba9afde75001500b4000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    pub(crate) fn curl_hello() -> ClientHello {
        let bytes = unhex(CURL_HELLO_HEX);
        match HandshakeMessage::from_bytes(&bytes[5..]).unwrap() {
            HandshakeMessage::ClientHello(h) => h,
            other => panic!("{other:?}"),
        }
    }

    /// Expected values computed independently with a 40-line Python script (struct parsing
    /// by hand, `hashlib.md5` / `hashlib.sha256`) over the same bytes:
    /// JA3 string  771,4866-4867-4865-49196-…-47-255,0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2
    /// JA3         0149f47eabf9a20d0893e2a44e5a6323
    /// JA4         t13d3112h2_e8f1e7e78f70_b26ce05bbdd6
    #[test]
    fn ja3_and_ja4_of_a_captured_curl_hello() {
        let h = curl_hello();
        let (s, md5) = ja3(&h);
        assert_eq!(
            s,
            "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2"
        );
        assert_eq!(md5, "0149f47eabf9a20d0893e2a44e5a6323");
        let (fp, raw) = ja4(&h);
        assert_eq!(fp, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
        assert_eq!(
            raw,
            "t13d3112h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa_000a,000b,000d,0015,0016,0017,002b,002d,0031,0033_0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,0402,0502,0602"
        );
    }

    /// The worked example of FoxIO's JA4 specification: its lists hash to its published values.
    #[test]
    fn ja4_hashes_match_the_specification_example() {
        assert_eq!(
            sha256_12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
            "8daaf6152771"
        );
        assert_eq!(
            sha256_12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"),
            "e5627efa2ab1"
        );
        assert_eq!(
            sha256_12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"),
            "6d807ffa2a79"
        );
    }

    #[test]
    fn grease_changes_neither_fingerprint() {
        let h = curl_hello();
        let mut g = h.clone();
        g.cipher_suites.insert(0, CipherSuite(0x2a2a));
        let exts = g.extensions.get_or_insert_with(Vec::new);
        exts.insert(
            0,
            Extension {
                typ: ExtensionType(0x5a5a),
                data: vec![],
            },
        );
        assert_eq!(ja3(&g), ja3(&h));
        assert_eq!(ja4(&g), ja4(&h));
    }

    #[test]
    fn ja4_edge_cases() {
        let mut h = curl_hello();
        h.extensions = None;
        h.legacy_version = ProtocolVersion::TLS10;
        let (fp, _) = ja4(&h);
        assert_eq!(&fp[..10], "t10i310000");
        assert!(fp.ends_with("_000000000000"));
        h.cipher_suites.clear();
        assert!(ja4(&h).0.contains("_000000000000_"));
        // A non-alphanumeric ALPN value is printed through its hex form.
        let mut h = curl_hello();
        for e in h.extensions.iter_mut().flatten() {
            if e.typ == ExtensionType::ALPN {
                e.data = vec![0, 3, 2, 0x30, 0xab];
            }
        }
        assert_eq!(&ja4(&h).0[8..10], "3b");
    }
}
