use crate::components::booking_card::Viewer;
use crate::components::error_banner::error_banner;
use crate::format;
use crate::forms::review::{PAGE, average, rating_label, reply, review_fields, star_row, stars_text};
use crate::hooks::{Load, use_app, use_load};
use crate::state::ToastKind;
use chrono::Utc;
use parkway_core::review::{MAX_TEXT, RatingSummary, Review};
use std::rc::Rc;
use uuid::Uuid;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// `★ 4.7 (3)`, read out as "Rated 4.7 out of 5 from 3 reviews"; nothing without reviews. A plain function rather than a component: it has no state, and each
/// component costs the wasm its own copy of Yew's machinery.
pub fn stars(rating: Option<RatingSummary>) -> Html {
    let Some(r) = rating else { return Html::default() };
    html! {
        <span class="stars" role="img" aria-label={rating_label(&r)}>
            <span class="star" aria-hidden="true">{ "★" }</span>{ format!(" {} ", average(&r)) }<span class="muted">{ format!("({})", r.count) }</span>
        </span>
    }
}

/// One review: stars, its author's first name, when, the words, and the owner's answer beneath. A plain function rather than a component: it has no state, and each
/// component costs the wasm its own copy of Yew's machinery.
pub fn review_item(r: &Review) -> Html {
    let stars = r.rating.stars();
    html! {
        <div class="review" data-booking={r.booking_id.to_string()}>
            <div class="review-head">
                <span class="review-stars" role="img" aria-label={format!("{} out of 5", stars_text(stars))}>{ star_row(stars) }</span>
                <strong>{ r.author_name.clone() }</strong>
                <span class="muted small">{ format::instant(r.created_at) }</span>
            </div>
            if let Some(text) = &r.text {
                <p class="review-text">{ text.clone() }</p>
            }
            if let Some(answer) = &r.reply {
                <div class="review-reply">
                    <strong>{ "Owner's reply" }</strong>
                    <p>{ answer.clone() }</p>
                </div>
            }
        </div>
    }
}

/// Props of [`ReviewForm`].
#[derive(Properties, PartialEq)]
pub struct ReviewFormProps {
    /// The booking reviewed.
    pub booking: Uuid,
    /// The review being edited; none for a new one.
    #[prop_or_default]
    pub existing: Option<Rc<Review>>,
    /// Saved.
    pub on_saved: Callback<Review>,
    /// Closed without saving.
    pub on_cancel: Callback<()>,
}

/// Stars (five labelled radios, so arrow keys choose) and optional words.
#[component]
pub fn ReviewForm(props: &ReviewFormProps) -> Html {
    let app = use_app();
    let stars = use_state(|| props.existing.as_ref().map(|r| r.rating.stars()));
    let text = use_state(|| props.existing.as_ref().and_then(|r| r.text.clone()).unwrap_or_default());
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let edit = props.existing.is_some();
    let id = props.booking;
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let submit = {
        let (stars, text, busy, error, on_saved) =
            (stars.clone(), text.clone(), busy.clone(), error.clone(), props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let fields = match review_fields(*stars, &text) {
                Ok(f) => f,
                Err(e) => return error.set(Some(e)),
            };
            busy.set(true);
            error.set(None);
            let (app, busy, error, on_saved) = (app.clone(), busy.clone(), error.clone(), on_saved.clone());
            crate::platform::spawn(async move {
                let result = app.api().save_review(id, &fields, edit).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        app.toast(ToastKind::Success, if edit { "Review updated" } else { "Review posted" }, "");
                        on_saved.emit(r);
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let group = format!("stars-{id}");
    let text_id = format!("review-text-{id}");
    let chosen = *stars;
    let options = (1..=5u8).map(|i| {
        let stars = stars.clone();
        let on = chosen.is_some_and(|s| i <= s);
        let pick = Callback::from(move |e: Event| {
            if e.target_unchecked_into::<HtmlInputElement>().checked() {
                stars.set(Some(i));
            }
        });
        html! {
            <label class={classes!("star-option", on.then_some("on"))}>
                <input type="radio" name={group.clone()} value={i.to_string()} checked={chosen == Some(i)} onchange={pick} />
                <span aria-hidden="true">{ "★" }</span>
                <span class="sr-only">{ stars_text(i) }</span>
            </label>
        }
    });
    let count = text.chars().count();
    html! {
        <form class="review-form" aria-label={if edit { "Edit your review" } else { "Write a review" }} onsubmit={submit} novalidate=true>
            <fieldset class="star-input" role="radiogroup" aria-required="true">
                <legend>{ "Your rating" }</legend>
                { for options }
            </fieldset>
            <label for={text_id.clone()}>{ "Your review (optional)" }</label>
            <textarea id={text_id} maxlength={MAX_TEXT.to_string()} rows="3" placeholder="What was the stay like?"
                value={(*text).clone()} oninput={on_text} />
            <p class="hint">{ format!("{count} / {MAX_TEXT} characters") }</p>
            if let Some(e) = &*error {
                <p class="field-error" role="alert">{ e.clone() }</p>
            }
            <div class="booking-actions">
                <button type="submit" class="button small" disabled={*busy}>
                    { match (*busy, edit) { (true, _) => "Saving…", (false, true) => "Save review", (false, false) => "Post review" } }
                </button>
                <button type="button" class="button small secondary" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

/// Props of [`ReplyForm`].
#[derive(Properties, PartialEq)]
pub struct ReplyFormProps {
    /// The booking whose review is answered.
    pub booking: Uuid,
    /// Answered.
    pub on_saved: Callback<Review>,
    /// Closed without answering.
    pub on_cancel: Callback<()>,
}

/// The owner's one answer to a review.
#[component]
pub fn ReplyForm(props: &ReplyFormProps) -> Html {
    let app = use_app();
    let text = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let id = props.booking;
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value()))
    };
    let submit = {
        let (text, busy, error, on_saved) = (text.clone(), busy.clone(), error.clone(), props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let answer = match reply(&text) {
                Ok(a) => a,
                Err(e) => return error.set(Some(e)),
            };
            busy.set(true);
            error.set(None);
            let (app, busy, error, on_saved) = (app.clone(), busy.clone(), error.clone(), on_saved.clone());
            crate::platform::spawn(async move {
                let result = app.api().reply_review(id, &answer).await;
                busy.set(false);
                match result {
                    Ok(r) => {
                        app.toast(ToastKind::Success, "Reply posted", "");
                        on_saved.emit(r);
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let text_id = format!("reply-text-{id}");
    html! {
        <form class="review-form" aria-label="Reply to the review" onsubmit={submit} novalidate=true>
            <label for={text_id.clone()}>{ "Your reply" }</label>
            <textarea id={text_id} maxlength={MAX_TEXT.to_string()} rows="3" value={(*text).clone()} oninput={on_text} />
            <p class="hint">{ "You can answer once; everyone who reads the review sees it." }</p>
            if let Some(e) = &*error {
                <p class="field-error" role="alert">{ e.clone() }</p>
            }
            <div class="booking-actions">
                <button type="submit" class="button small" disabled={*busy}>{ if *busy { "Saving…" } else { "Post reply" } }</button>
                <button type="button" class="button small secondary" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

/// Props of [`BookingReview`].
#[derive(Properties, PartialEq)]
pub struct BookingReviewProps {
    /// The completed booking.
    pub booking: Uuid,
    /// Its driver or the driveway's owner.
    pub viewer: Viewer,
}

/// A completed booking's review on its card: the driver writes or edits it, the owner reads
/// and answers it.
#[component]
pub fn BookingReview(props: &BookingReviewProps) -> Html {
    let app = use_app();
    let token = app.state.session.as_ref().map(|s| s.token.clone());
    let (loaded, reload) = {
        let app = app.clone();
        use_load((props.booking, token), move |(id, _)| async move { app.api().review(id).await })
    };
    // What this card saved since: newer than what was loaded.
    let saved = use_state(|| None::<Rc<Review>>);
    let open = use_state(|| false);
    let review = match (&*saved, &loaded) {
        (Some(r), _) => Some(r.clone()),
        (None, Load::Ready(r)) => r.as_ref().clone().map(Rc::new),
        (None, Load::Loading) => return Html::default(),
        (None, Load::Failed(e)) => return error_banner(e.clone(), Some(reload)),
    };
    let on_saved = {
        let (saved, open) = (saved.clone(), open.clone());
        Callback::from(move |r: Review| {
            saved.set(Some(Rc::new(r)));
            open.set(false);
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |()| open.set(false))
    };
    let opener = |label: &'static str| {
        let open = open.clone();
        html! { <button type="button" class="button small" onclick={Callback::from(move |_| open.set(true))}>{ label }</button> }
    };
    let id = props.booking;
    match (props.viewer, review) {
        (Viewer::Driver, None) if *open => html! { <ReviewForm booking={id} {on_saved} on_cancel={close} /> },
        (Viewer::Driver, None) => html! { <div class="booking-actions">{ opener("Write a review") }</div> },
        (Viewer::Driver, Some(r)) if *open => {
            html! { <ReviewForm booking={id} existing={r} {on_saved} on_cancel={close} /> }
        }
        (Viewer::Driver, Some(r)) => {
            let editable = Utc::now() < r.editable_until;
            html! {
                <section class="booking-review" aria-label="Your review">
                    { review_item(&r) }
                    if editable {
                        <div class="booking-actions">{ opener("Edit review") }</div>
                    }
                </section>
            }
        }
        (Viewer::Owner, None) => Html::default(),
        (Viewer::Owner, Some(r)) => {
            let answerable = r.reply.is_none();
            html! {
                <section class="booking-review" aria-label="The driver's review">
                    { review_item(&r) }
                    if answerable && *open {
                        <ReplyForm booking={id} {on_saved} on_cancel={close} />
                    } else if answerable {
                        <div class="booking-actions">{ opener("Reply") }</div>
                    }
                </section>
            }
        }
    }
}

/// Props of [`DrivewayReviews`].
#[derive(Properties, PartialEq)]
pub struct DrivewayReviewsProps {
    /// The driveway.
    pub driveway: Uuid,
    /// What its reviews add up to.
    pub rating: Option<RatingSummary>,
}

/// A driveway's reviews, newest first, a page at a time.
#[component]
pub fn DrivewayReviews(props: &DrivewayReviewsProps) -> Html {
    let app = use_app();
    let items = use_state(Vec::<Rc<Review>>::new);
    let more = use_state(|| false);
    let busy = use_state(|| true);
    let error = use_state(|| None::<String>);
    let fetch = {
        let (app, items, more, busy, error, id) =
            (app.clone(), items.clone(), more.clone(), busy.clone(), error.clone(), props.driveway);
        Callback::from(move |first: bool| {
            let (app, items, more, busy, error) =
                (app.clone(), items.clone(), more.clone(), busy.clone(), error.clone());
            let offset = if first { 0 } else { u32::try_from(items.len()).unwrap_or(u32::MAX) };
            busy.set(true);
            error.set(None);
            crate::platform::spawn(async move {
                let result = app.api().driveway_reviews(id, PAGE, offset).await;
                busy.set(false);
                match result {
                    Ok(page) => {
                        more.set(page.len() == PAGE as usize);
                        let mut all = if first { Vec::new() } else { (*items).clone() };
                        all.extend(page.into_iter().map(Rc::new));
                        items.set(all);
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        })
    };
    {
        let fetch = fetch.clone();
        use_effect_with(props.driveway, move |_| fetch.emit(true));
    }
    let next = fetch.reform(|_: MouseEvent| false);
    let first = items.is_empty();
    let retry = fetch.reform(move |()| first);
    html! {
        <section class="reviews" aria-labelledby="reviews-heading">
            <h2 id="reviews-heading">{ "Reviews " }{ stars(props.rating) }</h2>
            if items.is_empty() && !*busy && error.is_none() {
                <p class="muted">{ "No reviews yet." }</p>
            }
            <ul class="review-list">
                { for items.iter().map(|r| html! { <li key={r.booking_id.to_string()}>{ review_item(r) }</li> }) }
            </ul>
            if let Some(e) = &*error {
                { error_banner(e.clone(), Some(retry)) }
            }
            if *more {
                <button type="button" class="button small secondary" onclick={next} disabled={*busy}>
                    { if *busy { "Loading…" } else { "More reviews" } }
                </button>
            }
        </section>
    }
}
