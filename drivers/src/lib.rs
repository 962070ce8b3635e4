pub mod adms;
pub mod attlog;
