//! Reusable components, one per file.

/// The weekly opening-hours editor.
pub mod availability_editor;
/// Status and payment badges of a booking.
pub mod booking_badges;
/// One booking with its badges, countdown, instructions and actions.
pub mod booking_card;
/// The booking form with live price and quick durations.
pub mod booking_form;
/// One search result in the list.
pub mod driveway_card;
/// The MapLibre map of search results.
pub mod driveway_map;
/// A message for an empty list.
pub mod empty_state;
/// A failed load, with a retry button.
pub mod error_banner;
/// The inline form that extends a stay.
pub mod extend_form;
/// The countdown of an unpaid hold.
pub mod hold_countdown;
/// A spinner with a label for screen readers.
pub mod loading;
/// A stay's messages between its driver and the owner.
pub mod messages;
/// The owner's figures.
pub mod metrics_panel;
/// The top bar: brand, links, bell, account.
pub mod nav_bar;
/// The bell and the inbox.
pub mod notification_bell;
/// Follows the app's native notification taps to the booking.
pub mod open_booking;
/// The app's offline booking outbox, live.
pub mod outbox_list;
/// One of the owner's driveways with its switches and actions.
pub mod owner_driveway_row;
/// The payment step (simulated card form).
pub mod payment_form;
/// Driveway photos: card thumbnail, gallery, the owner's manager.
pub mod photos;
/// The owner's draggable pin on a small map.
pub mod pin_map;
/// The map's place search box with suggestions.
pub mod place_search;
/// The offer to turn on Web Push after a booking request.
pub mod push_offer;
/// Stars, reviews, the review form and the owner's answer.
pub mod review;
/// Date, time window and price filters of the search.
pub mod search_filters;
/// Toasts in the corner.
pub mod toasts;
