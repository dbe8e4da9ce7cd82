//! The sans-IO wire layer: build any ClientHello, parse whatever a server sends back.
//! Nothing here touches a socket, and nothing here panics on input.

pub mod codec;
pub mod handshake;
pub mod record;
pub mod sslv2;
pub mod types;

pub use codec::{hex, Codec, DecodeError, Reader};
pub use handshake::*;
pub use record::{encode_records, Alert, Deframer, Frame, HandshakeJoiner};
pub use types::*;
