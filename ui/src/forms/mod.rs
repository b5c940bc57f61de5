//! Form logic kept apart from the components so it can be tested natively.

/// Sign-in and sign-up checks.
pub mod auth;
/// The booking form: dates, times, quick durations, price, validation.
pub mod booking;
/// The driveway form: prices in dollars, position, weekly availability.
pub mod driveway;
/// The extend form: a stay's new end and what the extra time costs.
pub mod extend;
/// The review form and the owner's answer.
pub mod review;
/// The search filters: time window and price cap.
pub mod search;
