pub mod attlog;
pub mod fingerprint;
