//! The HTTP contract (docs/api.md), route by route, against the real server and a real database:
//! a SQLite file, or PostgreSQL with `PARKWAY_TEST_DB=postgres` (see `helpers`).

mod helpers;

mod auth;
mod bookings;
mod clusters;
mod concurrency;
mod connect;
mod connections;
mod devices;
mod driveways;
pub mod durability;
mod earnings;
mod extensions;
mod health;
mod idempotency;
mod jobs;
mod limits;
mod messages;
mod metrics;
mod multi_instance;
mod notifications;
mod payouts;
mod photos;
mod places;
mod privacy;
mod push;
mod realtime;
mod receipts;
mod reviews;
mod search;
mod sessions;
mod simulated;
mod stripe;
mod tiles;
mod trust;
mod vehicles;
