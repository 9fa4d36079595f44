//! One module per endpoint: the controller body that runs once the guard passed.

pub mod dialout;
pub mod join;
pub mod leave;
pub mod peers;
pub mod ring;
pub mod update_flags;
