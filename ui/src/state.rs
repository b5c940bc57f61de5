//! The app's shared state as a reducer: who is signed in, the notification inbox, toasts, the
//! live connection, the search filters and where the map was. Pages keep their own data; when
//! a notification says something changed, `changes` moves on and they reload.

use crate::api::Notification;
use crate::api::outbox::OutboxItem;
use crate::api::replies::Reply;
use chrono::{DateTime, Utc};
use parkway_core::api::{Role, User};
use parkway_core::notification::NotificationType;
use parkway_core::outbox::OutboxState;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use uuid::Uuid;
use yew::Reducible;

/// The signed-in user and their token (kept in `localStorage` across reloads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Who.
    pub user: User,
}

impl Session {
    /// True when the user has `role`.
    pub fn is(&self, role: Role) -> bool {
        self.user.roles.contains(&role)
    }
}

/// The WebSocket's state, shown next to the bell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Live {
    /// Not signed in, or not started.
    #[default]
    Off,
    /// Connecting or reconnecting.
    Connecting,
    /// Connected: changes arrive within a second.
    Online,
}

/// How a toast looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    /// News (a notification).
    Info,
    /// Something worked.
    Success,
    /// Something failed.
    Error,
}

/// A short message in the corner.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    /// Unique within the page's life.
    pub id: u32,
    /// How it looks.
    pub kind: ToastKind,
    /// Bold first line.
    pub title: String,
    /// The sentence.
    pub message: String,
    /// What the toast offers to do about its booking, as a link.
    pub link: Option<ToastLink>,
}

/// A toast's link to act on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLink {
    /// Extend the stay (the driver's "ends soon" reminder).
    Extend(Uuid),
    /// Read and answer a message in the stay's thread, in the owner's list or the driver's.
    Reply {
        /// The stay's first booking (its thread).
        booking: Uuid,
        /// True when the reader is the driveway's owner.
        owner: bool,
    },
}

/// What a notification offers to do (`data.action`: "extend" or "reply"), if anything.
pub fn offer(n: &Notification) -> Option<ToastLink> {
    let booking = n.booking()?;
    match n.action()? {
        "extend" => Some(ToastLink::Extend(booking)),
        "reply" => Some(ToastLink::Reply { booking, owner: n.data.as_ref()?.side.as_deref() == Some("owner") }),
        _ => None,
    }
}

/// The search filters, kept while the driver moves between screens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    /// `YYYY-MM-DD`, empty for any time.
    pub date: String,
    /// `HH:MM`.
    pub from: String,
    /// `HH:MM`; before `from` means the next day.
    pub until: String,
    /// Highest hourly price in dollars, as typed; empty for any.
    pub max_price: String,
    /// Fewest average stars, `1`–`5`; empty for any.
    pub min_rating: String,
}

/// Where the map looked last.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Centre longitude.
    pub lng: f64,
    /// Centre latitude.
    pub lat: f64,
    /// Zoom level.
    pub zoom: f64,
}

impl Camera {
    /// San Francisco, where the demo driveways are.
    pub const DEFAULT: Camera = Camera { lng: -122.4194, lat: 37.7749, zoom: 13.0 };
}

/// Everything shared across pages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// The signed-in user.
    pub session: Option<Session>,
    /// The inbox, oldest first.
    pub notifications: Vec<Notification>,
    /// True once the inbox has been loaded after signing in.
    pub inbox_loaded: bool,
    /// Toasts on screen, oldest first.
    pub toasts: Vec<Toast>,
    /// The WebSocket.
    pub live: Live,
    /// Moves on whenever bookings may have changed; pages showing bookings reload on it.
    pub changes: u32,
    /// Search filters.
    pub filters: Filters,
    /// The map's last camera.
    pub camera: Option<Camera>,
    /// Booking requests kept on this device (the app only), newest first.
    pub outbox: Vec<OutboxItem>,
    /// Messages kept on this device until sent (the app only), oldest first; a sent one stays
    /// with the server's copy, which its open thread shows.
    pub replies: Vec<Reply>,
    next_toast: u32,
}

/// Everything that can happen to the shared state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Signed in (or restored from storage).
    SignedIn(Session),
    /// Signed out, or the token expired.
    SignedOut,
    /// The session's access token was renewed.
    TokenRefreshed(String),
    /// Inbox items from the first load or a catch-up; `toast` shows the new ones as toasts.
    Caught {
        /// Oldest first.
        items: Vec<Notification>,
        /// Show toasts for the ones not seen before.
        toast: bool,
    },
    /// A notification arrived over the WebSocket.
    Notified(Notification),
    /// These notifications were marked read at the given time.
    MarkedRead(Vec<i64>, DateTime<Utc>),
    /// Show a toast.
    Toast(ToastKind, String, String),
    /// Remove a toast.
    DismissToast(u32),
    /// The WebSocket's state changed.
    Live(Live),
    /// This page changed bookings itself (so other views reload).
    Changed,
    /// New search filters.
    Filters(Filters),
    /// The map moved.
    Camera(Camera),
    /// The app listed its outbox.
    Outbox(Vec<OutboxItem>),
    /// The app says an outbox item changed.
    OutboxChanged(OutboxItem),
    /// An outbox item was cleared from the list.
    OutboxDismissed(Uuid),
    /// The app listed the messages it keeps.
    Replies(Vec<Reply>),
    /// A kept message changed (or was just kept).
    ReplyChanged(Reply),
    /// A message that will not be sent was cleared.
    ReplyDismissed(Uuid),
    /// A stay's thread (named by its first booking) was read: its message toasts go.
    ThreadRead(Uuid),
}

/// Most toasts on screen at once.
pub const MAX_TOASTS: usize = 4;
/// Most notifications kept in memory.
pub const MAX_NOTIFICATIONS: usize = 200;

impl State {
    /// The state at start: signed in when a session was restored.
    pub fn starting(session: Option<Session>) -> State {
        State { session, ..State::default() }
    }

    /// The highest notification id seen, for `?after=`.
    pub fn last_notification_id(&self) -> i64 {
        self.notifications.iter().map(|n| n.id).max().unwrap_or(0)
    }

    /// Notifications not read yet.
    pub fn unread(&self) -> usize {
        self.notifications.iter().filter(|n| n.read_at.is_none()).count()
    }

    fn push_toast(&mut self, kind: ToastKind, title: String, message: String) {
        self.push_toast_offering(kind, title, message, None);
    }

    fn push_toast_offering(&mut self, kind: ToastKind, title: String, message: String, link: Option<ToastLink>) {
        self.next_toast += 1;
        self.toasts.push(Toast { id: self.next_toast, kind, title, message, link });
        let extra = self.toasts.len().saturating_sub(MAX_TOASTS);
        self.toasts.drain(..extra);
    }

    /// Drops what belongs to the user who was signed in: their inbox, and what the app keeps
    /// for them on the device (the app lists the next user's own).
    fn forget_user(&mut self) {
        self.notifications.clear();
        self.inbox_loaded = false;
        self.outbox.clear();
        self.replies.clear();
    }

    /// Adds notifications not seen before; returns the ones that were new.
    fn absorb(&mut self, items: Vec<Notification>) -> Vec<Notification> {
        let mut fresh = Vec::new();
        for n in items {
            if !self.notifications.iter().any(|old| old.id == n.id) {
                fresh.push(n.clone());
                self.notifications.push(n);
            }
        }
        self.notifications.sort_by_key(|n| n.id);
        let extra = self.notifications.len().saturating_sub(MAX_NOTIFICATIONS);
        self.notifications.drain(..extra);
        fresh
    }

    /// Keeps the newer copy of an item; returns the state it had before, if it was known.
    fn upsert(&mut self, item: OutboxItem) -> Option<OutboxState> {
        match self.outbox.iter_mut().find(|old| old.id == item.id) {
            Some(old) if old.updated_at > item.updated_at => Some(old.state),
            Some(old) => Some(std::mem::replace(old, item).state),
            None => {
                self.outbox.push(item);
                self.outbox.sort_by_key(|i| std::cmp::Reverse(i.created_at));
                None
            }
        }
    }

    /// Says what happened to a request the driver made offline, once, when it happens.
    fn outbox_news(&mut self, item: &OutboxItem) {
        let what = item.title().to_owned();
        match item.state {
            OutboxState::Synced => {
                self.changes = self.changes.wrapping_add(1);
                self.push_toast(
                    ToastKind::Success,
                    format!("Booked: {what}"),
                    "Your request saved offline went through. Pay in My bookings within 15 minutes to keep it."
                        .to_owned(),
                );
            }
            OutboxState::Conflict => self.push_toast(
                ToastKind::Error,
                format!("Taken meanwhile: {what}"),
                "Someone booked that time first. My bookings shows free driveways nearby.".to_owned(),
            ),
            OutboxState::Failed | OutboxState::Expired => self.push_toast(
                ToastKind::Error,
                format!("Not booked: {what}"),
                item.last_error.clone().unwrap_or_else(|| "The server refused the request.".to_owned()),
            ),
            OutboxState::Queued | OutboxState::Syncing | OutboxState::Cancelled => {}
        }
    }

    /// Applies an action (the pure part of the reducer, testable natively).
    pub fn apply(mut self, action: Action) -> State {
        match action {
            Action::SignedIn(session) => {
                let same_user = self.session.as_ref().is_some_and(|s| s.user.id == session.user.id);
                if !same_user {
                    self.forget_user();
                }
                self.session = Some(session);
            }
            Action::TokenRefreshed(token) => {
                if let Some(session) = &mut self.session {
                    session.token = token;
                }
            }
            Action::SignedOut => {
                self.session = None;
                self.forget_user();
                self.live = Live::Off;
            }
            Action::Caught { items, toast } => {
                let fresh = self.absorb(items);
                if !fresh.is_empty() {
                    self.changes = self.changes.wrapping_add(1);
                }
                if toast && self.inbox_loaded {
                    for n in fresh.into_iter().filter(|n| n.read_at.is_none()) {
                        let link = offer(&n);
                        self.push_toast_offering(ToastKind::Info, n.title, n.message, link);
                    }
                }
                self.inbox_loaded = true;
            }
            Action::Notified(n) => {
                let fresh = self.absorb(vec![n]);
                for n in fresh {
                    let kind = match n.kind {
                        NotificationType::PaymentFailed | NotificationType::BookingCancelled => ToastKind::Error,
                        NotificationType::BookingConfirmed | NotificationType::PaymentSucceeded => ToastKind::Success,
                        _ => ToastKind::Info,
                    };
                    let link = offer(&n);
                    self.push_toast_offering(kind, n.title, n.message, link);
                    self.changes = self.changes.wrapping_add(1);
                }
            }
            Action::MarkedRead(ids, at) => {
                for n in self.notifications.iter_mut().filter(|n| ids.contains(&n.id)) {
                    n.read_at.get_or_insert(at);
                }
            }
            Action::Toast(kind, title, message) => self.push_toast(kind, title, message),
            Action::DismissToast(id) => self.toasts.retain(|t| t.id != id),
            Action::Live(live) => self.live = live,
            Action::Changed => self.changes = self.changes.wrapping_add(1),
            Action::Filters(f) => self.filters = f,
            Action::Camera(c) => self.camera = Some(c),
            Action::Outbox(items) => {
                for item in items {
                    self.upsert(item);
                }
            }
            Action::OutboxChanged(item) => {
                let news = item.clone();
                let before = self.upsert(item);
                let now = self.outbox.iter().find(|i| i.id == news.id).map(|i| i.state);
                // An older copy arriving late changes nothing and says nothing.
                if now == Some(news.state) && before != Some(news.state) {
                    self.outbox_news(&news);
                }
            }
            Action::OutboxDismissed(id) => self.outbox.retain(|i| i.id != id),
            Action::Replies(replies) => self.replies = replies,
            Action::ReplyChanged(reply) => match self.replies.iter_mut().find(|r| r.id == reply.id) {
                // Once sent, a late copy of an earlier state changes nothing.
                Some(old) if old.state == OutboxState::Synced => {}
                Some(old) => *old = reply,
                None => self.replies.push(reply),
            },
            Action::ReplyDismissed(id) => self.replies.retain(|r| r.id != id),
            Action::ThreadRead(id) => {
                self.toasts.retain(|t| !matches!(t.link, Some(ToastLink::Reply { booking, .. }) if booking == id))
            }
        }
        self
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::NoteData;
    use chrono::Duration;
    use parkway_core::slot::TimeSlot;

    fn outbox_item(id: u128, state: OutboxState, updated_at: DateTime<Utc>) -> OutboxItem {
        let start = Utc::now() + Duration::hours(2);
        OutboxItem {
            id: Uuid::from_u128(id),
            request: TimeSlot::new(start, start + Duration::hours(1)).expect("slot"),
            label: Some("Sunny driveway".into()),
            state,
            attempts: 0,
            last_error: None,
            alternatives: None,
            created_at: updated_at,
            updated_at,
        }
    }

    #[test]
    fn outbox_changes_are_told_once_and_stale_copies_are_ignored() {
        let t0 = Utc::now();
        let s = State::default().apply(Action::Outbox(vec![outbox_item(1, OutboxState::Queued, t0)]));
        let s = s.apply(Action::OutboxChanged(outbox_item(1, OutboxState::Syncing, t0 + Duration::seconds(1))));
        assert!(s.toasts.is_empty(), "sending is shown in the list, not as a toast");
        let changes = s.changes;
        let synced = outbox_item(1, OutboxState::Synced, t0 + Duration::seconds(2));
        let s = s.apply(Action::OutboxChanged(synced.clone())).apply(Action::OutboxChanged(synced));
        assert_eq!(s.toasts.len(), 1, "told once");
        assert_eq!(s.toasts[0].kind, ToastKind::Success);
        assert!(s.changes != changes, "My bookings reloads to show the new booking");
        // The list loaded before the last event arrives late: the newer state stays.
        let s = s.apply(Action::Outbox(vec![outbox_item(1, OutboxState::Queued, t0)]));
        assert_eq!(s.outbox[0].state, OutboxState::Synced);
        let s = s.apply(Action::OutboxChanged(outbox_item(1, OutboxState::Syncing, t0)));
        assert_eq!((s.outbox[0].state, s.toasts.len()), (OutboxState::Synced, 1));
        let s = s.apply(Action::OutboxDismissed(Uuid::from_u128(1)));
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn a_conflict_says_so_and_new_items_come_first() {
        let t0 = Utc::now();
        let s = State::default()
            .apply(Action::OutboxChanged(outbox_item(1, OutboxState::Queued, t0)))
            .apply(Action::OutboxChanged(outbox_item(2, OutboxState::Queued, t0 + Duration::seconds(5))));
        assert_eq!(s.outbox.iter().map(|i| i.id.as_u128()).collect::<Vec<_>>(), vec![2, 1]);
        assert!(s.toasts.is_empty());
        let s = s.apply(Action::OutboxChanged(outbox_item(1, OutboxState::Conflict, t0 + Duration::seconds(9))));
        assert_eq!(s.toasts.len(), 1);
        assert_eq!(s.toasts[0].kind, ToastKind::Error);
        assert!(s.toasts[0].title.contains("Sunny driveway"));
    }

    fn note(id: i64, kind: NotificationType) -> Notification {
        Notification {
            id,
            kind,
            title: format!("t{id}"),
            message: format!("m{id}"),
            data: None,
            created_at: Utc::now(),
            read_at: None,
        }
    }

    fn session(id: u128) -> Session {
        Session {
            token: "t".into(),
            user: User {
                id: Uuid::from_u128(id),
                email: "a@b.co".into(),
                name: "A".into(),
                roles: vec![Role::Driver],
                created_at: Utc::now(),
            },
        }
    }

    #[test]
    fn live_notifications_toast_once_and_bump_changes() {
        let s = State::default().apply(Action::SignedIn(session(1)));
        let s = s.apply(Action::Notified(note(3, NotificationType::BookingConfirmed)));
        let s = s.apply(Action::Notified(note(3, NotificationType::BookingConfirmed)));
        assert_eq!(s.notifications.len(), 1);
        assert_eq!(s.toasts.len(), 1);
        assert_eq!(s.toasts[0].kind, ToastKind::Success);
        assert_eq!(s.changes, 1);
        assert_eq!(s.last_notification_id(), 3);
        assert_eq!(s.unread(), 1);
    }

    #[test]
    fn a_reminder_offering_to_extend_toasts_with_its_booking() {
        let booking = Uuid::from_u128(42);
        let mut reminder = note(4, NotificationType::BookingReminder);
        reminder.data = NoteData::about(booking, Some("extend"), None);
        let s = State::default().apply(Action::SignedIn(session(1))).apply(Action::Notified(reminder));
        assert_eq!(s.toasts[0].link, Some(ToastLink::Extend(booking)));
        // Anything else offers nothing, even with a booking id.
        let mut other = note(5, NotificationType::BookingReminder);
        other.data = NoteData::about(booking, None, None);
        assert_eq!(offer(&other), None);
        let s = s.apply(Action::Notified(other));
        assert_eq!(s.toasts[1].link, None);
    }

    #[test]
    fn a_message_toasts_with_a_link_to_its_thread_on_the_readers_side() {
        let booking = Uuid::from_u128(42);
        let mut message = note(6, NotificationType::Message);
        message.data = NoteData::about(booking, Some("reply"), Some("owner"));
        assert_eq!(offer(&message), Some(ToastLink::Reply { booking, owner: true }));
        message.data = NoteData::about(booking, Some("reply"), Some("driver"));
        let s = State::default().apply(Action::SignedIn(session(1))).apply(Action::Notified(message));
        assert_eq!(s.toasts[0].link, Some(ToastLink::Reply { booking, owner: false }));
        // Reading the thread clears its toasts, and only those.
        let s = s.apply(Action::Notified(note(7, NotificationType::BookingConfirmed)));
        assert_eq!(s.clone().apply(Action::ThreadRead(Uuid::from_u128(9))).toasts.len(), 2);
        let s = s.apply(Action::ThreadRead(booking));
        assert_eq!(s.toasts.iter().map(|t| t.link).collect::<Vec<_>>(), [None]);
    }

    #[test]
    fn a_kept_message_follows_the_apps_news_and_stays_sent() {
        let kept = |state| Reply {
            id: Uuid::from_u128(1),
            booking_id: Uuid::from_u128(2),
            text: "Which side?".into(),
            state,
            last_error: None,
            message: None,
        };
        let s = State::default().apply(Action::Replies(vec![kept(OutboxState::Queued)]));
        let s = s.apply(Action::ReplyChanged(kept(OutboxState::Synced)));
        // A late "sending" after "sent" (events may cross) changes nothing.
        let s = s.apply(Action::ReplyChanged(kept(OutboxState::Syncing)));
        assert_eq!(s.replies.iter().map(|r| r.state).collect::<Vec<_>>(), [OutboxState::Synced]);
        let s = s.apply(Action::ReplyChanged(Reply { id: Uuid::from_u128(3), ..kept(OutboxState::Failed) }));
        assert_eq!(s.replies.len(), 2);
        assert!(s.apply(Action::ReplyDismissed(Uuid::from_u128(3))).replies.len() == 1);
    }

    #[test]
    fn the_first_inbox_load_is_silent_and_catch_ups_toast() {
        let s = State::default().apply(Action::SignedIn(session(1)));
        let s = s.apply(Action::Caught { items: vec![note(1, NotificationType::BookingCreated)], toast: true });
        assert!(s.toasts.is_empty());
        assert!(s.inbox_loaded);
        let s = s.apply(Action::Caught {
            items: vec![note(1, NotificationType::BookingCreated), note(2, NotificationType::PaymentSucceeded)],
            toast: true,
        });
        assert_eq!(s.notifications.iter().map(|n| n.id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(s.toasts.len(), 1);
        assert_eq!(s.toasts[0].title, "t2");
    }

    #[test]
    fn marking_read_and_signing_out() {
        let s = State::default().apply(Action::SignedIn(session(1)));
        let s = s.apply(Action::Caught {
            items: vec![note(1, NotificationType::BookingCreated), note(2, NotificationType::BookingCreated)],
            toast: false,
        });
        let s = s.apply(Action::MarkedRead(vec![1], Utc::now()));
        assert_eq!(s.unread(), 1);
        let s = s.apply(Action::Live(Live::Online)).apply(Action::SignedOut);
        assert_eq!(s.session, None);
        assert!(s.notifications.is_empty());
        assert_eq!(s.live, Live::Off);
        // Someone else signing in starts with an empty inbox.
        let s = State::default().apply(Action::SignedIn(session(1)));
        let s = s.apply(Action::Caught { items: vec![note(1, NotificationType::BookingCreated)], toast: false });
        let s = s.apply(Action::SignedIn(session(2)));
        assert!(s.notifications.is_empty() && !s.inbox_loaded);
    }

    #[test]
    fn what_the_app_keeps_for_one_user_is_not_shown_to_the_next() {
        let kept = Reply {
            id: Uuid::from_u128(1),
            booking_id: Uuid::from_u128(2),
            text: "Which side?".into(),
            state: OutboxState::Queued,
            last_error: None,
            message: None,
        };
        let with_items = |s: State| {
            s.apply(Action::Outbox(vec![outbox_item(1, OutboxState::Queued, Utc::now())]))
                .apply(Action::Replies(vec![kept.clone()]))
        };
        let s = with_items(State::default().apply(Action::SignedIn(session(1))));
        let again = s.clone().apply(Action::SignedIn(session(1)));
        assert_eq!((again.outbox.len(), again.replies.len()), (1, 1), "the same user keeps them");
        let other = s.clone().apply(Action::SignedIn(session(2)));
        assert!(other.outbox.is_empty() && other.replies.is_empty());
        let out = s.apply(Action::SignedOut);
        assert!(out.outbox.is_empty() && out.replies.is_empty());
    }

    #[test]
    fn toasts_are_capped_and_dismissed() {
        let mut s = State::default();
        for i in 0..6 {
            s = s.apply(Action::Toast(ToastKind::Error, format!("e{i}"), String::new()));
        }
        assert_eq!(s.toasts.len(), MAX_TOASTS);
        assert_eq!(s.toasts[0].title, "e2");
        let id = s.toasts[0].id;
        let s = s.apply(Action::DismissToast(id));
        assert_eq!(s.toasts.len(), MAX_TOASTS - 1);
    }
}
