//! Pages, one per route.

/// The driver's bookings, upcoming and past.
pub mod bookings;
/// A driveway's detail and booking form.
pub mod driveway;
/// Creating or editing a driveway (owner).
pub mod driveway_editor;
/// The owner's earnings: fees, nets, and where the money stands.
pub mod earnings;
/// Unknown paths.
pub mod not_found;
/// The owner's dashboard.
pub mod owner;
/// Map search.
pub mod search;
/// Sign in.
pub mod sign_in;
/// Sign up.
pub mod sign_up;
/// The driver's vehicles.
pub mod vehicles;
