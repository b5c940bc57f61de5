//! Receipt rendering on one core: how many receipts per second one thread turns from a paid
//! booking's facts into a PDF (shaping, layout, font subsetting, compression) and into a page to
//! print, measured in this process with a plain loop on the current thread.
//!
//! Each render is what `GET /api/bookings/{id}/receipt` does once the store has read the
//! booking: the receipt from its facts and the platform's settings, its sheet of words, then
//! the PDF or the HTML. The figures are for the profile this program was built in, which the
//! report names: `cargo xtask bench` runs the release build, as the server ships.

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, TimeZone, Utc};
use parkway_backend::config::Config;
use parkway_backend::receipts::{self, Sheet, html, pdf};
use parkway_backend::store::receipts::ReceiptFacts;
use parkway_core::money::{Cents, Currency};
use parkway_core::receipt::{Collected, ReceiptNumber, TaxRate};
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The vehicle the booked driver parks; the page must show it.
const PLATE: &str = "LK68 XRT";

/// The profile this program (and so the rendering code in it) was built in.
const PROFILE: &str = if cfg!(debug_assertions) { "dev" } else { "release" };

/// How many renders, and how they are grouped.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Unmeasured renders first (the font is parsed on the first one).
    pub warmup: usize,
    /// Measured runs; the report gives their median.
    pub runs: usize,
    /// Renders per measured run.
    pub renders: usize,
}

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct ReceiptsReport {
    /// The build profile of the rendering code measured (`dev` or `release`).
    pub profile: &'static str,
    /// Unmeasured renders before each format's runs.
    pub warmup: usize,
    /// Measured runs per format.
    pub runs: usize,
    /// Renders per run.
    pub renders_per_run: usize,
    /// The PDF.
    pub pdf: Rendering,
    /// The page to print.
    pub html: Rendering,
    /// PDF renders compared byte for byte with the first (all were identical, or the part
    /// failed).
    pub pdf_renders_compared: usize,
}

/// One format's figures.
#[derive(Debug, Serialize)]
pub struct Rendering {
    /// Median of the runs' renders per second (wall clock).
    pub renders_per_s: f64,
    /// Median of the runs' milliseconds per render.
    pub ms_per_render: f64,
    /// Each run's renders per second, in the order they ran.
    pub run_renders_per_s: Vec<f64>,
    /// Renders per second of the thread's time on a CPU, over all runs: the rate of a core of
    /// its own, whatever else the machine ran.
    pub renders_per_cpu_s: Option<f64>,
    /// The share of the runs' wall time the thread spent on a CPU; below 1 when other work on
    /// the machine kept it waiting.
    ///
    /// Both CPU figures are `None` where the kernel does not keep the count, or when the runs
    /// were too short for it (it advances every few milliseconds, so it needs a quarter of a
    /// second of them): the page, whose runs take milliseconds, has none.
    pub on_cpu_share: Option<f64>,
    /// The size of one render, bytes.
    pub bytes: usize,
}

impl ReceiptsReport {
    /// Prints the section of the report.
    pub fn print(&self) {
        println!("\nReceipt rendering on one core (one thread in this process, {} profile)", self.profile);
        if self.profile == "dev" {
            println!(
                "  caveat: dev profile (Parkway's crates unoptimised, dependencies at opt-level 1); \
                 `cargo xtask bench --only receipts` measures release code"
            );
        }
        println!(
            "  median of {} runs of {} renders, after {} unmeasured",
            self.runs, self.renders_per_run, self.warmup
        );
        let line = |name: &str, r: &Rendering| {
            let on_cpu = match (r.on_cpu_share, r.renders_per_cpu_s) {
                (Some(share), Some(rate)) => {
                    format!("; on CPU {:.0} % of the time, {rate:.1} renders per CPU second", share * 100.0)
                }
                _ => String::new(),
            };
            println!(
                "  {name:<4} {:>8.1} renders/s, {:>7.4} ms/render, {:>5.1} KiB{on_cpu}",
                r.renders_per_s,
                r.ms_per_render,
                r.bytes as f64 / 1024.0
            );
        };
        line("PDF", &self.pdf);
        line("HTML", &self.html);
        println!("  the PDF was byte-identical on all {} renders compared", self.pdf_renders_compared);
    }
}

/// The platform's settings: a name, a postal address and 20 % VAT included in prices.
fn config() -> Config {
    let mut config = Config::for_database("sqlite::memory:");
    config.platform_name = "Parkway".to_owned();
    config.platform_address = Some("Parkway Ltd\n20 Eastbourne Terrace\nLondon W2 6LG".to_owned());
    config.tax_rate = TaxRate::new(2000).expect("20 % is a valid rate");
    config.tax_label = "VAT".to_owned();
    config
}

/// What the store reads for a paid booking: four hours on a London driveway with the driver's
/// vehicle named, paid once (£18.00) and partly refunded (£4.50) after leaving early.
fn facts() -> ReceiptFacts {
    let at = |month, day, hour, minute| -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, hour, minute, 0).single().expect("a valid time")
    };
    ReceiptFacts {
        number: ReceiptNumber::new(2026, 18_342).expect("a valid number"),
        issued_at: at(6, 12, 17, 41),
        booking: Uuid::from_u128(0x0190_7c2e_4b1a_7d3f_9e25_61c8_a4f0_b317),
        owner_name: "Priya Raman".to_owned(),
        title: "Gated driveway off Camden Road, fits an SUV".to_owned(),
        address: "48 Camden Road, London NW1 9DP".to_owned(),
        vehicle_plate: Some(PLATE.to_owned()),
        timezone: "Europe/London".to_owned(),
        // 09:00 to 13:00 British Summer Time.
        start: at(6, 12, 8, 0),
        end: at(6, 12, 12, 0),
        total: Cents(1800),
        refunded: Cents(450),
        currency: Currency::parse("gbp").expect("a valid currency"),
        payments: vec![Collected { amount: Cents(1800), refunded: Cents(450) }],
    }
}

/// The shortest measured time the CPU figures are given for: the scheduler's count advances at
/// its ticks (every 1 to 10 ms), so it is within a few percent over this.
const CPU_FIGURES_FROM: Duration = Duration::from_millis(250);

/// The time this thread has spent on a CPU, from the scheduler's own count; `None` where the
/// kernel does not keep it.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Warms up, then times `shape.runs` runs of `shape.renders` calls of `render`, on this thread.
/// `render` returns the size of what it rendered.
fn series(shape: Shape, bytes: usize, mut render: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<Rendering> {
    for _ in 0..shape.warmup {
        black_box(render()?);
    }
    let mut rates = Vec::with_capacity(shape.runs);
    let mut ms_per_render = Vec::with_capacity(shape.runs);
    let (mut wall_total, mut cpu_total) = (Duration::ZERO, Some(Duration::ZERO));
    for _ in 0..shape.runs {
        let cpu_before = thread_cpu_time();
        let started = Instant::now();
        for _ in 0..shape.renders {
            black_box(render()?);
        }
        let wall = started.elapsed();
        let cpu = cpu_before.zip(thread_cpu_time()).map(|(before, after)| after.saturating_sub(before));
        wall_total += wall;
        cpu_total = cpu_total.zip(cpu).map(|(total, run)| total + run);
        rates.push(shape.renders as f64 / wall.as_secs_f64());
        ms_per_render.push(wall.as_secs_f64() * 1e3 / shape.renders as f64);
    }
    let median = |figures: &[f64]| {
        let mut sorted = figures.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    let cpu_total = cpu_total.filter(|cpu| wall_total >= CPU_FIGURES_FROM && !cpu.is_zero());
    Ok(Rendering {
        renders_per_s: median(&rates),
        ms_per_render: median(&ms_per_render),
        run_renders_per_s: rates,
        renders_per_cpu_s: cpu_total.map(|cpu| (shape.runs * shape.renders) as f64 / cpu.as_secs_f64()),
        on_cpu_share: cpu_total.map(|cpu| (cpu.as_secs_f64() / wall_total.as_secs_f64()).min(1.0)),
        bytes,
    })
}

/// Runs the part on the current thread: the PDF first, then the page.
pub fn measure(shape: Shape) -> anyhow::Result<ReceiptsReport> {
    ensure!(shape.runs > 0 && shape.renders > 0, "the receipts part needs at least one run of one render");
    println!(
        "\nreceipts: rendering one paid booking's receipt as PDF and HTML on this thread ({PROFILE} profile; \
         {} warm-up renders, then {} runs of {})",
        shape.warmup, shape.runs, shape.renders
    );
    let config = config();
    let facts = facts();

    let render_pdf = || -> anyhow::Result<Vec<u8>> {
        let receipt = receipts::receipt(facts.clone(), &config);
        let sheet = Sheet::of(&receipt);
        pdf::render(&receipt, &sheet).context("rendering the receipt as PDF")
    };
    let render_html = || -> String {
        let receipt = receipts::receipt(facts.clone(), &config);
        html::render(&Sheet::of(&receipt))
    };

    let first = render_pdf()?;
    ensure!(first.starts_with(b"%PDF-"), "the receipt's PDF does not start with a PDF header");
    let mut compared = 1;
    let pdf = series(shape, first.len(), || {
        let bytes = render_pdf()?;
        // Comparing costs a memcmp of a few kilobytes, against milliseconds of rendering.
        if bytes != first {
            bail!("two PDF renders of the same receipt differ ({} and {} bytes)", first.len(), bytes.len());
        }
        compared += 1;
        Ok(bytes.len())
    })?;

    let page = render_html();
    ensure!(page.contains(PLATE), "the receipt's page does not show the vehicle's plate");
    let html = series(shape, page.len(), || Ok(black_box(render_html()).len()))?;

    Ok(ReceiptsReport {
        profile: PROFILE,
        warmup: shape.warmup,
        runs: shape.runs,
        renders_per_run: shape.renders,
        pdf,
        html,
        pdf_renders_compared: compared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_booking_has_a_vehicle_a_payment_a_refund_and_vat() {
        let sheet = Sheet::of(&receipts::receipt(facts(), &config()));
        let labels: Vec<&str> = sheet.lines.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Payment", "Refund"]);
        assert!(sheet.details.iter().any(|r| r.label == "Vehicle" && r.value == PLATE));
        assert_eq!(sheet.total.value, "£13.50");
        assert_eq!(sheet.tax.map(|t| t.value), Some("£2.25".to_owned()), "20 % included in £13.50");
    }

    #[test]
    fn a_small_run_reports_every_figure() {
        let report = measure(Shape { warmup: 1, runs: 3, renders: 2 }).expect("the part runs");
        assert_eq!(report.pdf.run_renders_per_s.len(), 3);
        assert!(report.pdf.renders_per_s > 0.0 && report.html.renders_per_s > 0.0);
        assert!(report.pdf.bytes > 1000 && report.html.bytes > 1000);
        assert_eq!(report.pdf_renders_compared, 1 + 1 + 3 * 2, "the first, the warm-up and every measured one");
    }
}
