use crate::api::Notification;
use crate::api::replies::{self, Reply, Sent};
use crate::format;
use crate::forms::auth::sentence;
use crate::hooks::use_app;
use crate::state::Action;
use parkway_core::message::{MAX_TEXT, Message};
use parkway_core::notification::NotificationType;
use std::rc::Rc;
use uuid::Uuid;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// `current` with `new` added: one copy of each message, oldest first (answers that cross each
/// other, or a message both sent here and fetched live, are kept once).
pub fn merge(current: &[Message], new: Vec<Message>) -> Vec<Message> {
    let mut all = current.to_vec();
    for m in new {
        if !all.iter().any(|c| c.id == m.id) {
            all.push(m);
        }
    }
    all.sort_by_key(|m| m.id);
    all
}

/// The newest live notification of a message in a stay whose parts include `booking` (the stay
/// is named by its first booking, `first`): a thread that is open fetches what is new when it
/// changes.
pub fn latest_message_note(notes: &[Notification], booking: Uuid, first: Option<Uuid>) -> Option<i64> {
    notes
        .iter()
        .filter(|n| n.kind == NotificationType::Message)
        .filter(|n| n.booking().is_some_and(|id| id == booking || Some(id) == first))
        .map(|n| n.id)
        .max()
}

/// The message to send (trimmed), or what is wrong with it in words: core's rule for free
/// text, which the server applies again.
pub fn check_text(text: &str) -> Result<String, String> {
    parkway_core::text::required("the message", text, MAX_TEXT).map_err(|e| sentence(&e.0))
}

/// The messages of a thread, in the order they were written.
#[derive(Default, PartialEq)]
struct Thread(Vec<Message>);

impl Reducible for Thread {
    type Action = Vec<Message>;

    fn reduce(self: Rc<Self>, new: Vec<Message>) -> Rc<Self> {
        Rc::new(Thread(merge(&self.0, new)))
    }
}

/// Props of [`MessageThread`].
#[derive(Properties, PartialEq)]
pub struct MessageThreadProps {
    /// The booking whose card shows the thread (any part of a stay names the same thread).
    pub booking: Uuid,
    /// The stay's first booking, when this booking extends it.
    #[prop_or_default]
    pub first: Option<Uuid>,
    /// Put the caret in the message box (the thread was opened to answer).
    #[prop_or_default]
    pub focus: bool,
}

/// A stay's messages between its driver and the driveway's owner, read as they arrive (a polite
/// live log), and a form to write one. Opening it marks the other side's messages read. In the
/// app, a message written offline shows as waiting and is sent when the network is back.
#[component]
pub fn MessageThread(props: &MessageThreadProps) -> Html {
    let app = use_app();
    let thread = use_reducer(Thread::default);
    let loaded = use_state(|| false);
    let text = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let id = props.booking;
    // The stay's thread is named by its first booking, as its notifications name it.
    let stay = props.first.unwrap_or(id);
    let live = latest_message_note(&app.state.notifications, id, props.first);
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(props.focus, move |focus| {
            if let (true, Some(el)) = (*focus, input.cast::<HtmlTextAreaElement>()) {
                let _ = el.focus();
            }
        });
    }
    // Messages the app keeps for this thread: sent ones join it, the others wait below it.
    let kept: Vec<&Reply> = app.state.replies.iter().filter(|r| r.booking_id == id).collect();
    let shown = merge(&thread.0, kept.iter().filter_map(|r| r.message.clone()).collect());
    {
        let (app, thread, loaded, error) = (app.clone(), thread.clone(), loaded.clone(), error.clone());
        use_effect_with((id, live), move |_| {
            let after = thread.0.last().map_or(0, |m| m.id);
            crate::platform::spawn(async move {
                let api = app.api();
                match api.messages(id, after).await {
                    Ok(new) => {
                        let fresh = !new.is_empty() || !*loaded;
                        thread.dispatch(new);
                        loaded.set(true);
                        if fresh {
                            let _ = api.read_messages(id).await;
                            app.dispatch(Action::ThreadRead(stay));
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        });
    }
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let submit = {
        let (app, thread, text, busy, error) = (app.clone(), thread.clone(), text.clone(), busy.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let words = match check_text(&text) {
                Ok(w) => w,
                Err(e) => return error.set(Some(e)),
            };
            busy.set(true);
            error.set(None);
            let (app, thread, text, busy, error) =
                (app.clone(), thread.clone(), text.clone(), busy.clone(), error.clone());
            crate::platform::spawn(async move {
                let result = app.api().send_message(id, words, Uuid::new_v4()).await;
                busy.set(false);
                match result {
                    Ok(sent) => {
                        match sent {
                            Sent::Now(m) => thread.dispatch(vec![m]),
                            Sent::Kept(r) => app.dispatch(Action::ReplyChanged(r)),
                        }
                        text.set(String::new());
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    let text_id = format!("message-text-{id}");
    let items = shown.iter().map(|m| {
        html! {
            <div key={m.id} class="message">
                <span class="message-head">
                    <strong>{ m.sender_name.clone() }</strong>
                    <span class="muted small">{ format::instant(m.created_at) }</span>
                </span>
                <span class="message-text">{ m.text.clone() }</span>
            </div>
        }
    });
    let waiting = kept.iter().filter(|r| r.message.is_none()).map(|r| {
        // A refusal is told; a network error on the way is not the writer's business.
        let why = r.last_error.clone().filter(|_| !r.state.is_open());
        let dismiss = (!r.state.is_open()).then(|| {
            let (app, reply) = (app.clone(), r.id);
            Callback::from(move |_| {
                let app = app.clone();
                crate::platform::spawn(async move {
                    if replies::dismiss(reply).await.is_ok() {
                        app.dispatch(Action::ReplyDismissed(reply));
                    }
                });
            })
        });
        html! {
            <div key={r.id.to_string()} class="message waiting" data-state={r.state.as_str()}>
                <span class="message-head"><strong>{ r.label() }</strong></span>
                <span class="message-text">{ r.text.clone() }</span>
                if let Some(why) = why {
                    <span class="muted small">{ why }</span>
                }
                if let Some(onclick) = dismiss {
                    <button type="button" class="button small ghost" {onclick}>{ "Dismiss" }</button>
                }
            </div>
        }
    });
    html! {
        <section class="messages" aria-label="Messages">
            <div class="message-list" role="log" aria-live="polite" aria-label="Messages about this booking">
                { for items }
                { for waiting }
            </div>
            if *loaded && shown.is_empty() && kept.is_empty() {
                <p class="muted small">{ "No messages yet." }</p>
            }
            <form class="message-form" onsubmit={submit} novalidate=true>
                <label for={text_id.clone()}>{ "Write a message" }</label>
                <textarea ref={input} id={text_id} maxlength={MAX_TEXT.to_string()} rows="2" value={(*text).clone()} oninput={on_text} />
                if let Some(e) = &*error {
                    <p class="field-error" role="alert">{ e.clone() }</p>
                }
                <button type="submit" class="button small" disabled={*busy}>{ if *busy { "Sending…" } else { "Send" } }</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn message(id: i64) -> Message {
        Message {
            id,
            booking_id: Uuid::nil(),
            sender_id: Uuid::nil(),
            sender_name: "Dana".into(),
            text: format!("message {id}"),
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap(),
            read_at: None,
        }
    }

    fn note(id: i64, kind: NotificationType, booking: Uuid) -> Notification {
        Notification {
            id,
            kind,
            title: "Message from Dana".into(),
            message: "Where do I park?".into(),
            data: crate::api::NoteData::about(booking, None, None),
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap(),
            read_at: None,
        }
    }

    #[test]
    fn merging_keeps_one_of_each_in_order() {
        let merged = merge(&[message(1), message(3)], vec![message(3), message(2), message(4)]);
        assert_eq!(merged.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(merge(&[], vec![]).is_empty());
    }

    #[test]
    fn only_message_notes_of_the_stay_count() {
        let (mine, first, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let notes = [
            note(1, NotificationType::Message, mine),
            note(2, NotificationType::BookingConfirmed, mine),
            note(3, NotificationType::Message, other),
            note(4, NotificationType::Message, first),
        ];
        assert_eq!(latest_message_note(&notes, mine, None), Some(1));
        assert_eq!(latest_message_note(&notes, mine, Some(first)), Some(4));
        assert_eq!(latest_message_note(&notes, Uuid::from_u128(9), None), None);
    }

    #[test]
    fn text_is_checked_before_sending() {
        assert_eq!(check_text("  Where do I park?\n"), Ok("Where do I park?".to_owned()));
        assert_eq!(check_text("Line one\nline two"), Ok("Line one\nline two".to_owned()));
        assert_eq!(check_text("   "), Err("The message must not be empty.".to_owned()));
        assert!(check_text("bell\u{7}").is_err());
        assert!(check_text(&"a".repeat(MAX_TEXT)).is_ok());
        assert!(check_text(&"é".repeat(MAX_TEXT + 1)).is_err());
    }
}
