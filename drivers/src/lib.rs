pub mod attlog;
