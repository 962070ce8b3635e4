pub mod attlog;
pub mod button;
pub mod edge;
pub mod wiegand;
