pub mod attlog;
pub mod keypad;
