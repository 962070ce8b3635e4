//! Unit tests of the fingerprint driver core: byte vectors worked out by
//! hand, decoder resynchronisation, every confirmation code, poller
//! transitions and the simulated module.

mod code;
mod command;
mod cycle;
mod packet;
mod poller;
mod sim;
