//! Background work driven by time: hold expiry, completion, housekeeping.

use crate::payments::owners::{Owners, Report};
use crate::payments::settle::{reconcile, settle_all_due};
use crate::state::AppState;
use chrono::Duration;
use tokio::sync::watch;

/// Runs the jobs every `config.job_interval` until `stop` turns true. Paying owners has a loop
/// of its own: a backlog of transfers takes as long as Stripe's request rate says, and holds,
/// reminders and refunds must not wait for it.
pub async fn run(state: AppState, stop: watch::Receiver<bool>) {
    tokio::join!(upkeep_loop(&state, stop.clone()), owners_loop(&state, stop.clone()), push_loop(&state, stop));
}

/// How often the push queue is looked at when nothing here woke it: for retries coming due
/// and notifications written by other instances.
const PUSH_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// The least time between two looks: the notifications published meanwhile are sent together,
/// instead of one look at the queue for each booking.
const PUSH_GAP: std::time::Duration = std::time::Duration::from_millis(100);

/// Sends pushes: again at once while a batch was full, else when a notification is published
/// here or after [`PUSH_POLL`].
async fn push_loop(state: &AppState, mut stop: watch::Receiver<bool>) {
    loop {
        let more = send_pushes(state).await;
        if *stop.borrow() {
            break;
        }
        if !more {
            tokio::select! {
                _ = state.push_wake.notified() => {}
                _ = tokio::time::sleep(PUSH_POLL) => {}
                _ = stop.changed() => break,
            }
            tokio::select! {
                _ = tokio::time::sleep(PUSH_GAP) => {}
                _ = stop.changed() => break,
            }
        }
    }
}

/// One batch of due pushes; true when it was full (more may be waiting).
async fn send_pushes(state: &AppState) -> bool {
    match state.push.send_due(&state.store, state.clock.now()).await {
        Ok(claimed) => claimed as i64 == crate::push::BATCH,
        Err(e) => {
            tracing::warn!(error = %e, "could not send pushes; will try again");
            false
        }
    }
}

async fn upkeep_loop(state: &AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(state.config.job_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => upkeep(state).await,
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Pays owners again at once while a run finds a full batch (more is waiting), else after
/// the job interval.
async fn owners_loop(state: &AppState, mut stop: watch::Receiver<bool>) {
    loop {
        let more = pay_owners(state).await;
        if *stop.borrow() {
            break;
        }
        if !more {
            tokio::select! {
                _ = tokio::time::sleep(state.config.job_interval) => {}
                _ = stop.changed() => break,
            }
        }
    }
}

/// One pass of every job (as the loops run them); failures are logged and retried later.
pub async fn run_once(state: &AppState) {
    upkeep(state).await;
    pay_owners(state).await;
    while send_pushes(state).await {}
}

/// Holds, completions, reminders, refunds and housekeeping.
async fn upkeep(state: &AppState) {
    let hold = Duration::from_std(state.config.hold).unwrap_or(Duration::minutes(15));
    // Before releasing holds, ask the provider about their payments: one may have gone through.
    match state.store.intents_of_stale_holds(state.clock.now() - hold).await {
        Ok(intents) => {
            for intent in intents {
                match reconcile(&state.store, &state.payments, &intent, state.clock.now()).await {
                    Ok(notices) => state.publish(notices),
                    Err(e) => tracing::warn!(error = %e, "could not reconcile a payment"),
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list holds to reconcile"),
    }
    match state.store.run_jobs(state.clock.now(), hold).await {
        Ok(report) => {
            if report.expired + report.unanswered + report.completed + report.reminders > 0 {
                tracing::info!(
                    expired = report.expired,
                    unanswered = report.unanswered,
                    completed = report.completed,
                    reminders = report.reminders,
                    "background jobs changed bookings"
                );
            }
            state.publish(report.notices);
        }
        Err(e) => tracing::warn!(error = %e, "background jobs failed; will retry"),
    }
    // Money paid ahead for a booking that never came goes back.
    match state.store.give_back_unlinked(state.clock.now() - hold, state.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(orphaned = n, "gave back payments never linked to a booking"),
        Err(e) => tracing::warn!(error = %e, "could not look for unlinked payments; will retry"),
    }
    // Refunds and cancellations owed (new ones, and any a provider outage left behind).
    match settle_all_due(&state.store, &state.payments, state.clock.now()).await {
        Ok(notices) => state.publish(notices),
        Err(e) => tracing::warn!(error = %e, "settling payments failed; will retry"),
    }
    state.auth_limit.forget_idle();
}

/// Owners' shares of settled bookings, reversals of late refunds, and simulated payouts. True
/// when a batch was full, so more is likely waiting.
async fn pay_owners(state: &AppState) -> bool {
    let owners = Owners {
        store: &state.store,
        payments: &state.payments,
        connect: &state.connect,
        fee: state.config.platform_fee,
        settlement: state.config.settlement,
    };
    match owners.run(state.clock.now()).await {
        Ok(report) if report == Report::default() => false,
        Ok(report) => {
            tracing::info!(
                planned = report.planned,
                sent = report.sent,
                reversed = report.reversed,
                payouts = report.payouts,
                "owners' money moved"
            );
            report.full_batch
        }
        Err(e) => {
            tracing::warn!(error = %e, "paying owners failed; will retry");
            false
        }
    }
}
