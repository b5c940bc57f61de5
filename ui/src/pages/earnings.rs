use crate::components::empty_state::empty_state;
use crate::components::error_banner::error_banner;
use crate::components::loading::loading;
use crate::components::metrics_panel::metric_tiles;
use crate::format;
use crate::hooks::{Load, use_app, use_load};
use crate::platform;
use crate::route::Route;
use gloo_timers::callback::Interval;
use parkway_core::api::{EarningTotal, Earnings, PayoutAccount, PayoutLine, Role};
use parkway_core::earnings::{AccountStatus, EarningState, PayoutStatus};
use parkway_core::money::Cents;
use yew::prelude::*;
use yew_router::prelude::*;

/// The owner's earnings: what their paid bookings brought, Parkway's fee, their net, per month
/// and per booking, and where each booking's money stands.
#[component]
pub fn EarningsPage() -> Html {
    let app = use_app();
    use_effect_with((), |_| platform::set_title("Earnings"));
    let session = app.state.session.clone();
    let token = session.as_ref().map(|s| s.token.clone());
    let (earnings, reload) = {
        let app = app.clone();
        use_load((token.clone(), app.state.changes), move |_| async move { app.api().earnings().await })
    };
    let (account, reload_account) = {
        let app = app.clone();
        use_load((token.clone(), app.state.changes), move |_| async move { app.api().payout_account().await })
    };
    let (payouts, reload_payouts) = {
        let app = app.clone();
        use_load((token, app.state.changes), move |_| async move { app.api().payouts().await })
    };
    // The onboarding link went to the system's browser: ask for the account every few seconds
    // until it is active, so the page notices the owner's return without a reload.
    let waiting = use_state(|| false);
    {
        let reload_account = reload_account.clone();
        use_effect_with(*waiting, move |waiting| {
            let poll = waiting.then(|| Interval::new(3_000, move || reload_account.emit(())));
            move || drop(poll)
        });
    }
    {
        let active = matches!(&account, Load::Ready(a) if a.status == AccountStatus::Active);
        let (waiting, reload, reload_payouts) = (waiting.clone(), reload.clone(), reload_payouts.clone());
        use_effect_with(active, move |active| {
            if *active && *waiting {
                waiting.set(false);
                reload.emit(());
                reload_payouts.emit(());
            }
        });
    }
    if !session.as_ref().is_some_and(|s| s.is(Role::Owner)) {
        return html! {
            <div class="page narrow">
                <h1>{ "Earnings" }</h1>
                <p>{ "Sign in with an owner account to see what your driveways earn." }</p>
                <Link<Route> to={Route::SignIn} classes="button">{ "Sign in" }</Link<Route>>
            </div>
        };
    }
    let body = match &earnings {
        Load::Loading => loading("Loading earnings…"),
        Load::Failed(e) => error_banner(e.clone(), Some(reload.clone())),
        Load::Ready(e) if e.items.is_empty() => html! {
            { empty_state("No paid bookings yet.", html! {
                <p>{ "When drivers pay for bookings on your driveways, what you earn appears here." }</p>
            }) }
        },
        Load::Ready(e) => report(e),
    };
    html! {
        <div class="page">
            <div class="page-head">
                <h1>{ "Earnings" }</h1>
                <Link<Route> to={Route::Owner} classes="button ghost">{ "Back to the dashboard" }</Link<Route>>
            </div>
            if let Load::Ready(a) = &account {
                <PayoutBanner account={(**a).clone()} on_opened={let w = waiting.clone(); Callback::from(move |()| w.set(true))} />
            }
            { body }
            if let Load::Ready(p) = &payouts {
                if !p.is_empty() {
                    { payout_list(p) }
                }
            }
        </div>
    }
}

/// Props of [`PayoutBanner`].
#[derive(Properties, PartialEq)]
struct PayoutBannerProps {
    account: PayoutAccount,
    /// The link was opened in the system's browser (in the app).
    on_opened: Callback<()>,
}

/// Where the onboarding link went, in the app.
#[derive(Debug, Clone, PartialEq)]
enum Opened {
    /// The system's browser has it.
    InBrowser,
    /// No browser could be opened (and why): the owner copies it.
    Copy(String, String),
}

/// Until the owner's payout account is active: what is missing, and the way to give it.
#[component]
fn PayoutBanner(props: &PayoutBannerProps) -> Html {
    let app = use_app();
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let link = use_state(|| None::<Opened>);
    let a = &props.account;
    if a.status == AccountStatus::Active {
        let note = if a.simulated { "Payouts are on (simulated — no money moves)." } else { "Payouts are on." };
        return html! { <p class="notice ok" id="payouts-on">{ note }</p> };
    }
    let start = {
        let (app, busy, error, shown) = (app.clone(), busy.clone(), error.clone(), link.clone());
        let on_opened = props.on_opened.clone();
        Callback::from(move |_| {
            if *busy {
                return;
            }
            busy.set(true);
            let (app, busy, error, shown, on_opened) =
                (app.clone(), busy.clone(), error.clone(), shown.clone(), on_opened.clone());
            crate::platform::spawn(async move {
                match app.api().start_onboarding().await {
                    // The app's window keeps Parkway's own pages: the provider's page opens in
                    // the system's browser, and this page waits for the owner to come back.
                    Ok(link) if platform::in_tauri() => {
                        match platform::open_in_browser(&link.url).await {
                            Ok(()) => {
                                shown.set(Some(Opened::InBrowser));
                                on_opened.emit(());
                            }
                            Err(why) => shown.set(Some(Opened::Copy(link.url, why))),
                        }
                        busy.set(false);
                    }
                    Ok(link) => platform::go_to(&link.url),
                    Err(e) => {
                        error.set(Some(e.to_string()));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let what = if a.status == AccountStatus::None {
        "Add your payout details to receive your earnings; until then they wait for you here.".to_owned()
    } else if a.requirements_due.is_empty() {
        "Finish your payout details to receive your earnings.".to_owned()
    } else {
        format!("Your payout details need: {}.", a.requirements_due.join(", "))
    };
    html! {
        <section class="notice warn" id="payout-banner" aria-labelledby="payout-h">
            <h2 id="payout-h" class="notice-title">{ "Get paid" }</h2>
            <p>{ what }</p>
            if a.simulated {
                <p class="hint">{ "This server has no payment provider: onboarding is simulated and no money moves." }</p>
            }
            <button class="button" onclick={start} disabled={*busy}>{ if *busy { "Opening…" } else { "Add payout details" } }</button>
            if let Some(Opened::InBrowser) = &*link {
                <p role="status" id="onboarding-opened">
                    { "Your browser opened the payout form. This page updates when you have finished there." }
                </p>
            }
            if let Some(Opened::Copy(url, why)) = &*link {
                <p class="hint" id="no-browser">{ format!("The app could not open your browser ({why}).") }</p>
                <p>
                    <label for="onboarding-link">{ "Open this link in your web browser (it works once, for 30 minutes):" }</label>
                    <input id="onboarding-link" type="text" readonly=true value={url.clone()} />
                </p>
            }
            if let Some(e) = &*error {
                <p class="field-error" role="alert">{ e }</p>
            }
        </section>
    }
}

/// Downloads the period's lines as CSV, for the owner's accountant.
#[component]
fn CsvDownload() -> Html {
    let app = use_app();
    let state = use_state(|| None::<String>);
    let onclick = {
        let state = state.clone();
        Callback::from(move |_| {
            let (app, state) = (app.clone(), state.clone());
            state.set(Some("Preparing the file…".to_owned()));
            crate::platform::spawn(async move {
                let note = match app.api().earnings_csv().await {
                    Ok(text) if platform::save_file("parkway-earnings.csv", "text/csv", &text) => {
                        "Downloaded parkway-earnings.csv.".to_owned()
                    }
                    Ok(_) => "This window cannot save files; open Earnings in a web browser to download.".to_owned(),
                    Err(e) => e.to_string(),
                };
                state.set(Some(note));
            });
        })
    };
    html! {
        <p class="actions">
            <button class="button ghost" id="download-csv" {onclick}>{ "Download CSV" }</button>
            if let Some(note) = &*state {
                <span class="hint" role="status">{ note }</span>
            }
        </p>
    }
}

/// The owner's payouts to their bank; a failed one says why, in the provider's words.
fn payout_list(items: &[PayoutLine]) -> Html {
    html! {
        <section class="section" aria-labelledby="payouts-h">
            <h2 id="payouts-h">{ "Payouts to your bank" }<span class="count">{ items.len() }</span></h2>
            <div class="table-wrap" tabindex="0" role="region" aria-labelledby="payouts-h">
                <table class="earnings" id="payout-lines">
                    <thead>
                        <tr>
                            <th scope="col">{ "Made" }</th>
                            <th scope="col" class="num">{ "Amount" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col">{ "Arrives" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for items.iter().map(|p| html! {
                            <tr key={p.id.clone()}>
                                <td>{ format::instant(p.created_at) }</td>
                                <td class="num">{ format::money(p.amount_cents, &p.currency) }</td>
                                <td>
                                    <span class={classes!("badge", payout_class(p.status))}>{ payout_label(p.status) }</span>
                                    if let Some(why) = &p.failure_message {
                                        <p class="field-error">
                                            { format!("{why} The money is back in your payout balance and goes out again once your bank details are fixed.") }
                                        </p>
                                    }
                                </td>
                                <td>{ p.arrival_time.map(format::instant).unwrap_or_default() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn payout_label(s: PayoutStatus) -> &'static str {
    match s {
        PayoutStatus::Pending => "Pending",
        PayoutStatus::InTransit => "On its way",
        PayoutStatus::Paid => "Paid",
        PayoutStatus::Failed => "Failed",
        PayoutStatus::Canceled => "Cancelled",
    }
}

fn payout_class(s: PayoutStatus) -> &'static str {
    match s {
        PayoutStatus::Pending | PayoutStatus::InTransit => "muted",
        PayoutStatus::Paid => "ok",
        PayoutStatus::Failed | PayoutStatus::Canceled => "error",
    }
}

/// The whole report: totals, months, bookings.
fn report(e: &Earnings) -> Html {
    let fee = format!("{}%", f64::from(e.fee_bps) / 100.0);
    html! {
        <>
            <section class="section" aria-labelledby="earned-h">
                <h2 id="earned-h">{ "Over this period" }</h2>
                { for e.totals.iter().map(totals) }
                <p class="hint">
                    { format!("Parkway keeps {fee} of what each booking keeps after refunds, rounded down in your favour. \
                               Money is settled {} hours after a booking ends, then sent to your payout account.",
                              e.settlement_hours) }
                </p>
                if e.truncated {
                    <p class="notice warn" role="status">{ "This period has more paid bookings than one page shows; the sums cover those listed." }</p>
                }
            </section>
            <section class="section" aria-labelledby="months-h">
                <h2 id="months-h">{ "Net per month" }</h2>
                { months(&e.months) }
            </section>
            <section class="section" aria-labelledby="lines-h">
                <h2 id="lines-h">{ "Bookings" }<span class="count">{ e.items.len() }</span></h2>
                <CsvDownload />
                { lines(e) }
            </section>
        </>
    }
}

/// The sums of one currency as tiles.
fn totals(t: &EarningTotal) -> Html {
    let tiles = [
        ("Net to you", format::money(t.net_cents, &t.currency)),
        ("Paid by drivers", format::money(t.gross_cents, &t.currency)),
        ("Refunded", format::money(t.refunded_cents, &t.currency)),
        ("Parkway's fee", format::money(t.fee_cents, &t.currency)),
    ];
    metric_tiles(Some(format!("totals-{}", t.currency.as_str())), tiles)
}

/// A bar per month, its length the month's net against the best month's; the amount is
/// written beside it, so the chart needs no colour or shape to be read.
fn months(months: &[EarningTotal]) -> Html {
    let best = months.iter().map(|m| m.net_cents.0).max().unwrap_or(0).max(1);
    html! {
        <ul class="bars" aria-label="Net earnings per month">
            { for months.iter().map(|m| {
                let width = (m.net_cents.0.max(0) * 100 / best).clamp(0, 100);
                html! {
                    <li class="bar-row">
                        <span class="bar-label">{ &m.label }</span>
                        <span class="bar-track" aria-hidden="true"><span class="bar" style={format!("width:{width}%")}></span></span>
                        <span class="bar-value">{ format::money(m.net_cents, &m.currency) }</span>
                    </li>
                }
            }) }
        </ul>
    }
}

/// One row per paid booking.
fn lines(e: &Earnings) -> Html {
    let money = |c: Cents, l: &parkway_core::api::EarningLine| format::money(c, &l.currency);
    html! {
        <div class="table-wrap" tabindex="0" role="region" aria-labelledby="lines-h">
            <table class="earnings" id="earning-lines">
                <thead>
                    <tr>
                        <th scope="col">{ "When" }</th>
                        <th scope="col">{ "Driveway" }</th>
                        <th scope="col" class="num">{ "Paid" }</th>
                        <th scope="col" class="num">{ "Refunded" }</th>
                        <th scope="col" class="num">{ "Fee" }</th>
                        <th scope="col" class="num">{ "Net" }</th>
                        <th scope="col">{ "Money" }</th>
                    </tr>
                </thead>
                <tbody>
                    { for e.items.iter().map(|l| html! {
                        <tr key={l.booking_id.to_string()}>
                            <td>{ format::slot(l.start_time, l.end_time) }</td>
                            <td>{ &l.driveway_title }</td>
                            <td class="num">{ money(l.gross_cents, l) }</td>
                            <td class="num">{ money(l.refunded_cents, l) }</td>
                            <td class="num">{ money(l.fee_cents, l) }</td>
                            <td class="num"><strong>{ money(l.net_cents, l) }</strong></td>
                            <td><span class={classes!("badge", state_class(l.state))}>{ l.state.label() }</span></td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

/// The badge colour of a state.
fn state_class(s: EarningState) -> &'static str {
    match s {
        EarningState::Upcoming | EarningState::Settling => "muted",
        EarningState::WaitingForOnboarding => "warn",
        EarningState::Transferred => "ok",
        EarningState::Reversed => "error",
    }
}
