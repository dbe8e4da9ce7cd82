//! IANA registries used on the wire, as open enums: unknown values round-trip and print as hex.

use super::codec::{open_enum, Codec, DecodeError, Reader};

open_enum! {
    /// `ProtocolVersion` (RFC 8446 section 4.1.2 `legacy_version`, `supported_versions`).
    ProtocolVersion(u16), "ProtocolVersion", width = 4 {
        SSLV2 = 0x0002 => "SSLv2",
        SSLV3 = 0x0300 => "SSLv3",
        TLS10 = 0x0301 => "TLSv1.0",
        TLS11 = 0x0302 => "TLSv1.1",
        TLS12 = 0x0303 => "TLSv1.2",
        TLS13 = 0x0304 => "TLSv1.3",
    }
}

impl ProtocolVersion {
    /// GREASE values (RFC 8701) are `0x?A?A`.
    pub fn is_grease(self) -> bool {
        is_grease_u16(self.0)
    }
}

/// RFC 8701: GREASE code points are `0x0A0A, 0x1A1A, … 0xFAFA`.
pub fn is_grease_u16(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// A cipher suite code point. Names and metadata live in [`crate::wire::registry`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// RFC 5746: signals secure renegotiation support; never a suite a server may pick.
    pub const EMPTY_RENEGOTIATION_INFO_SCSV: CipherSuite = CipherSuite(0x00ff);
    /// RFC 7507: signals a fallback retry; never a suite a server may pick.
    pub const FALLBACK_SCSV: CipherSuite = CipherSuite(0x5600);

    pub fn is_signalling(self) -> bool {
        self == Self::EMPTY_RENEGOTIATION_INFO_SCSV || self == Self::FALLBACK_SCSV
    }

    pub fn is_grease(self) -> bool {
        is_grease_u16(self.0)
    }

    /// `0xc02f`: the form the JSON report uses.
    pub fn hex_id(self) -> String {
        format!("0x{:04x}", self.0)
    }
}

impl std::fmt::Debug for CipherSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match crate::wire::registry::suite(*self) {
            Some(s) => write!(f, "{}", s.iana_name),
            None => write!(f, "CipherSuite(0x{:04x})", self.0),
        }
    }
}

impl std::fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match crate::wire::registry::suite(*self) {
            Some(s) => write!(f, "{}", s.iana_name),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

impl Codec for CipherSuite {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CipherSuite(r.u16("CipherSuite")?))
    }
}

open_enum! {
    /// TLS Supported Groups registry (RFC 8422, RFC 7919, RFC 8446, draft-ietf-tls-ecdhe-mlkem).
    NamedGroup(u16), "NamedGroup", width = 4 {
        SECT163K1 = 1 => "sect163k1",
        SECT163R1 = 2 => "sect163r1",
        SECT163R2 = 3 => "sect163r2",
        SECT193R1 = 4 => "sect193r1",
        SECT193R2 = 5 => "sect193r2",
        SECT233K1 = 6 => "sect233k1",
        SECT233R1 = 7 => "sect233r1",
        SECT239K1 = 8 => "sect239k1",
        SECT283K1 = 9 => "sect283k1",
        SECT283R1 = 10 => "sect283r1",
        SECT409K1 = 11 => "sect409k1",
        SECT409R1 = 12 => "sect409r1",
        SECT571K1 = 13 => "sect571k1",
        SECT571R1 = 14 => "sect571r1",
        SECP160K1 = 15 => "secp160k1",
        SECP160R1 = 16 => "secp160r1",
        SECP160R2 = 17 => "secp160r2",
        SECP192K1 = 18 => "secp192k1",
        SECP192R1 = 19 => "secp192r1",
        SECP224K1 = 20 => "secp224k1",
        SECP224R1 = 21 => "secp224r1",
        SECP256K1 = 22 => "secp256k1",
        SECP256R1 = 23 => "secp256r1",
        SECP384R1 = 24 => "secp384r1",
        SECP521R1 = 25 => "secp521r1",
        BRAINPOOLP256R1 = 26 => "brainpoolP256r1",
        BRAINPOOLP384R1 = 27 => "brainpoolP384r1",
        BRAINPOOLP512R1 = 28 => "brainpoolP512r1",
        X25519 = 29 => "x25519",
        X448 = 30 => "x448",
        BRAINPOOLP256R1TLS13 = 31 => "brainpoolP256r1tls13",
        BRAINPOOLP384R1TLS13 = 32 => "brainpoolP384r1tls13",
        BRAINPOOLP512R1TLS13 = 33 => "brainpoolP512r1tls13",
        GC256A = 34 => "GC256A",
        GC256B = 35 => "GC256B",
        GC256C = 36 => "GC256C",
        GC256D = 37 => "GC256D",
        GC512A = 38 => "GC512A",
        GC512B = 39 => "GC512B",
        GC512C = 40 => "GC512C",
        CURVE_SM2 = 41 => "curveSM2",
        FFDHE2048 = 256 => "ffdhe2048",
        FFDHE3072 = 257 => "ffdhe3072",
        FFDHE4096 = 258 => "ffdhe4096",
        FFDHE6144 = 259 => "ffdhe6144",
        FFDHE8192 = 260 => "ffdhe8192",
        MLKEM512 = 512 => "MLKEM512",
        MLKEM768 = 513 => "MLKEM768",
        MLKEM1024 = 514 => "MLKEM1024",
        SECP256R1MLKEM768 = 4587 => "SecP256r1MLKEM768",
        X25519MLKEM768 = 4588 => "X25519MLKEM768",
        SECP384R1MLKEM1024 = 4589 => "SecP384r1MLKEM1024",
        X25519KYBER768DRAFT00 = 25497 => "X25519Kyber768Draft00",
        SECP256R1KYBER768DRAFT00 = 25498 => "SecP256r1Kyber768Draft00",
        ARBITRARY_EXPLICIT_PRIME_CURVES = 65281 => "arbitrary_explicit_prime_curves",
        ARBITRARY_EXPLICIT_CHAR2_CURVES = 65282 => "arbitrary_explicit_char2_curves",
    }
}

impl NamedGroup {
    pub fn is_ffdhe(self) -> bool {
        (256..=511).contains(&self.0)
    }

    /// Post-quantum: pure ML-KEM or a hybrid with it (or the Kyber drafts).
    pub fn is_post_quantum(self) -> bool {
        matches!(self.0, 512..=514 | 4587..=4589 | 25497 | 25498)
    }

    /// Groups whose code point is valid in TLS 1.3 (RFC 8446 section 4.2.7 and later RFCs).
    pub fn valid_for_tls13(self) -> bool {
        matches!(self.0, 23..=25 | 29..=33 | 34..=41 | 256..=260 | 512..=514 | 4587..=4589 | 25497 | 25498)
    }

    /// Groups usable for ECDHE in TLS 1.0-1.2 (RFC 8422; the brainpool tls13 points are not).
    pub fn valid_for_tls12_ecdhe(self) -> bool {
        matches!(self.0, 1..=30)
    }
}

open_enum! {
    /// TLS SignatureScheme registry (RFC 8446 section 4.2.3; legacy TLS 1.2 pairs by value).
    SignatureScheme(u16), "SignatureScheme", width = 4 {
        RSA_PKCS1_MD5 = 0x0101 => "rsa_pkcs1_md5",
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        DSA_SHA1 = 0x0202 => "dsa_sha1",
        ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
        RSA_PKCS1_SHA224 = 0x0301 => "rsa_pkcs1_sha224",
        DSA_SHA224 = 0x0302 => "dsa_sha224",
        ECDSA_SHA224 = 0x0303 => "ecdsa_sha224",
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        DSA_SHA256 = 0x0402 => "dsa_sha256",
        ECDSA_SECP256R1_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        DSA_SHA384 = 0x0502 => "dsa_sha384",
        ECDSA_SECP384R1_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        DSA_SHA512 = 0x0602 => "dsa_sha512",
        ECDSA_SECP521R1_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        SM2SIG_SM3 = 0x0708 => "sm2sig_sm3",
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
        ECDSA_BRAINPOOLP256R1TLS13_SHA256 = 0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        ECDSA_BRAINPOOLP384R1TLS13_SHA384 = 0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        ECDSA_BRAINPOOLP512R1TLS13_SHA512 = 0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        MLDSA44 = 0x0904 => "mldsa44",
        MLDSA65 = 0x0905 => "mldsa65",
        MLDSA87 = 0x0906 => "mldsa87",
    }
}

open_enum! {
    /// TLS ExtensionType registry.
    ExtensionType(u16), "ExtensionType", width = 4 {
        SERVER_NAME = 0 => "server_name",
        MAX_FRAGMENT_LENGTH = 1 => "max_fragment_length",
        STATUS_REQUEST = 5 => "status_request",
        SUPPORTED_GROUPS = 10 => "supported_groups",
        EC_POINT_FORMATS = 11 => "ec_point_formats",
        SIGNATURE_ALGORITHMS = 13 => "signature_algorithms",
        USE_SRTP = 14 => "use_srtp",
        HEARTBEAT = 15 => "heartbeat",
        ALPN = 16 => "application_layer_protocol_negotiation",
        STATUS_REQUEST_V2 = 17 => "status_request_v2",
        SIGNED_CERTIFICATE_TIMESTAMP = 18 => "signed_certificate_timestamp",
        PADDING = 21 => "padding",
        ENCRYPT_THEN_MAC = 22 => "encrypt_then_mac",
        EXTENDED_MASTER_SECRET = 23 => "extended_master_secret",
        COMPRESS_CERTIFICATE = 27 => "compress_certificate",
        RECORD_SIZE_LIMIT = 28 => "record_size_limit",
        DELEGATED_CREDENTIAL = 34 => "delegated_credential",
        SESSION_TICKET = 35 => "session_ticket",
        PRE_SHARED_KEY = 41 => "pre_shared_key",
        EARLY_DATA = 42 => "early_data",
        SUPPORTED_VERSIONS = 43 => "supported_versions",
        COOKIE = 44 => "cookie",
        PSK_KEY_EXCHANGE_MODES = 45 => "psk_key_exchange_modes",
        CERTIFICATE_AUTHORITIES = 47 => "certificate_authorities",
        OID_FILTERS = 48 => "oid_filters",
        POST_HANDSHAKE_AUTH = 49 => "post_handshake_auth",
        SIGNATURE_ALGORITHMS_CERT = 50 => "signature_algorithms_cert",
        KEY_SHARE = 51 => "key_share",
        QUIC_TRANSPORT_PARAMETERS = 57 => "quic_transport_parameters",
        NEXT_PROTOCOL_NEGOTIATION = 13172 => "next_protocol_negotiation",
        APPLICATION_SETTINGS = 17513 => "application_settings",
        ENCRYPTED_CLIENT_HELLO = 65037 => "encrypted_client_hello",
        RENEGOTIATION_INFO = 65281 => "renegotiation_info",
    }
}

open_enum! {
    /// Handshake message types (RFC 8446 section 4, RFC 6066 for certificate_status).
    HandshakeType(u8), "HandshakeType", width = 2 {
        HELLO_REQUEST = 0 => "hello_request",
        CLIENT_HELLO = 1 => "client_hello",
        SERVER_HELLO = 2 => "server_hello",
        NEW_SESSION_TICKET = 4 => "new_session_ticket",
        END_OF_EARLY_DATA = 5 => "end_of_early_data",
        ENCRYPTED_EXTENSIONS = 8 => "encrypted_extensions",
        CERTIFICATE = 11 => "certificate",
        SERVER_KEY_EXCHANGE = 12 => "server_key_exchange",
        CERTIFICATE_REQUEST = 13 => "certificate_request",
        SERVER_HELLO_DONE = 14 => "server_hello_done",
        CERTIFICATE_VERIFY = 15 => "certificate_verify",
        CLIENT_KEY_EXCHANGE = 16 => "client_key_exchange",
        FINISHED = 20 => "finished",
        CERTIFICATE_STATUS = 22 => "certificate_status",
        KEY_UPDATE = 24 => "key_update",
    }
}

open_enum! {
    /// Record content types (RFC 8446 section 5.1; heartbeat RFC 6520).
    ContentType(u8), "ContentType", width = 2 {
        CHANGE_CIPHER_SPEC = 20 => "change_cipher_spec",
        ALERT = 21 => "alert",
        HANDSHAKE = 22 => "handshake",
        APPLICATION_DATA = 23 => "application_data",
        HEARTBEAT = 24 => "heartbeat",
    }
}

open_enum! {
    /// Alert descriptions (RFC 8446 section 6; older ones from RFC 5246).
    AlertDescription(u8), "AlertDescription", width = 2 {
        CLOSE_NOTIFY = 0 => "close_notify",
        UNEXPECTED_MESSAGE = 10 => "unexpected_message",
        BAD_RECORD_MAC = 20 => "bad_record_mac",
        DECRYPTION_FAILED = 21 => "decryption_failed",
        RECORD_OVERFLOW = 22 => "record_overflow",
        DECOMPRESSION_FAILURE = 30 => "decompression_failure",
        HANDSHAKE_FAILURE = 40 => "handshake_failure",
        NO_CERTIFICATE = 41 => "no_certificate",
        BAD_CERTIFICATE = 42 => "bad_certificate",
        UNSUPPORTED_CERTIFICATE = 43 => "unsupported_certificate",
        CERTIFICATE_REVOKED = 44 => "certificate_revoked",
        CERTIFICATE_EXPIRED = 45 => "certificate_expired",
        CERTIFICATE_UNKNOWN = 46 => "certificate_unknown",
        ILLEGAL_PARAMETER = 47 => "illegal_parameter",
        UNKNOWN_CA = 48 => "unknown_ca",
        ACCESS_DENIED = 49 => "access_denied",
        DECODE_ERROR = 50 => "decode_error",
        DECRYPT_ERROR = 51 => "decrypt_error",
        EXPORT_RESTRICTION = 60 => "export_restriction",
        PROTOCOL_VERSION = 70 => "protocol_version",
        INSUFFICIENT_SECURITY = 71 => "insufficient_security",
        INTERNAL_ERROR = 80 => "internal_error",
        INAPPROPRIATE_FALLBACK = 86 => "inappropriate_fallback",
        USER_CANCELED = 90 => "user_canceled",
        NO_RENEGOTIATION = 100 => "no_renegotiation",
        MISSING_EXTENSION = 109 => "missing_extension",
        UNSUPPORTED_EXTENSION = 110 => "unsupported_extension",
        CERTIFICATE_UNOBTAINABLE = 111 => "certificate_unobtainable",
        UNRECOGNIZED_NAME = 112 => "unrecognized_name",
        BAD_CERTIFICATE_STATUS_RESPONSE = 113 => "bad_certificate_status_response",
        BAD_CERTIFICATE_HASH_VALUE = 114 => "bad_certificate_hash_value",
        UNKNOWN_PSK_IDENTITY = 115 => "unknown_psk_identity",
        CERTIFICATE_REQUIRED = 116 => "certificate_required",
        NO_APPLICATION_PROTOCOL = 120 => "no_application_protocol",
        ECH_REQUIRED = 121 => "ech_required",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_print_as_hex() {
        assert_eq!(NamedGroup(0x1234).to_string(), "0x1234");
        assert_eq!(
            format!("{:?}", ExtensionType(0xabcd)),
            "ExtensionType(0xabcd)"
        );
        assert_eq!(NamedGroup::X25519MLKEM768.to_string(), "X25519MLKEM768");
        assert_eq!(
            NamedGroup::from_name("ffdhe2048"),
            Some(NamedGroup::FFDHE2048)
        );
    }

    #[test]
    fn grease_detection() {
        assert!(is_grease_u16(0x0a0a));
        assert!(is_grease_u16(0xfafa));
        assert!(!is_grease_u16(0x0a1a));
        assert!(!is_grease_u16(0x1301));
    }
}
