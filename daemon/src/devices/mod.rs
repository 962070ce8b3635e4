//! Device drivers of the daemon: serial links and the protocols on them.

pub mod link;
