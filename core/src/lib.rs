//! Parkway's domain: the rules every part of Parkway shares.
//!
//! Nothing here does I/O, so the server uses it for decisions and the clients (the Yew UI
//! compiled to wasm, the Tauri app) use the very same code for instant feedback.

/// The API's request and response bodies, as they travel over HTTP.
pub mod api;
/// Weekly opening hours evaluated in a driveway's own time zone.
pub mod availability;
/// The booking and payment state machines.
pub mod booking;
/// Devices notifications are pushed to, and which kinds are.
pub mod device;
/// An owner's earnings: the platform's fee, the net, and where the money stands.
pub mod earnings;
/// Error codes of the HTTP contract and the body that carries them.
pub mod error;
/// Extending a booking: the extra's price and when a stay may grow.
pub mod extension;
/// Coordinates, distances and bounding boxes.
pub mod geo;
/// Messages between a stay's driver and its owner.
pub mod message;
/// Money as integer minor units.
pub mod money;
/// Notification kinds and their texts.
pub mod notification;
/// The states of the app's offline booking outbox.
pub mod outbox;
/// A payment intent's states and how it is collected.
pub mod payment;
/// Photos of a driveway.
pub mod photo;
/// The price of a time slot.
pub mod pricing;
/// A booking's receipt: its number, its payment and refund lines, the tax included.
pub mod receipt;
/// Who gets how much back when a booking is cancelled.
pub mod refund;
/// Reviews of completed stays, the owner's answer, and a driveway's rating.
pub mod review;
/// Booking time slots and the rules a slot must satisfy.
pub mod slot;
/// Small string newtypes with limits (emails, names, titles).
pub mod text;
/// Reading the API's RFC 3339 timestamps.
pub mod time;
/// The trust rules: price locks, moves, access instructions, holds.
pub mod trust;
/// Drivers' vehicles and normalised plates.
pub mod vehicle;

pub use error::{ApiError, ErrorCode};
pub use money::{Cents, Currency};
pub use slot::TimeSlot;
