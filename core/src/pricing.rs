//! The pricing rule of the API contract, in one place.
//!
//! Hourly: `ceil(minutes × pricePerHourCents / 60)`. With a daily price set, each whole 24 h
//! block costs `min(24 × hourly, daily)` and the remainder costs `min(remainder hourly, daily)`.

use crate::money::Cents;
use crate::slot::TimeSlot;

/// What a driveway charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Price of one hour; always positive.
    pub per_hour: Cents,
    /// Optional cap for a 24 h block; always positive when set.
    pub per_day: Option<Cents>,
}

const MINUTES_PER_DAY: i64 = 24 * 60;

impl Rate {
    /// The price of a slot of `minutes` whole minutes (negative counts as zero).
    pub fn price_minutes(&self, minutes: i64) -> Cents {
        let minutes = minutes.max(0);
        match self.per_day {
            None => hourly(self.per_hour, minutes),
            Some(daily) => {
                let days = minutes / MINUTES_PER_DAY;
                let rest = minutes % MINUTES_PER_DAY;
                let day_block = hourly(self.per_hour, MINUTES_PER_DAY).min(daily);
                let rest_price = if rest == 0 { Cents::ZERO } else { hourly(self.per_hour, rest).min(daily) };
                Cents(day_block.0.saturating_mul(days)).saturating_add(rest_price)
            }
        }
    }

    /// The price of a slot. Seconds beyond the last whole minute are charged as a minute.
    pub fn price(&self, slot: &TimeSlot) -> Cents {
        self.price_minutes(slot.billable_minutes())
    }
}

/// `ceil(minutes × per_hour / 60)` without overflow.
fn hourly(per_hour: Cents, minutes: i64) -> Cents {
    let product = minutes as i128 * per_hour.0 as i128;
    let ceil = (product + 59).div_euclid(60);
    Cents(ceil.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(h: i64, d: Option<i64>) -> Rate {
        Rate { per_hour: Cents(h), per_day: d.map(Cents) }
    }

    #[test]
    fn hourly_price_rounds_up_to_the_cent() {
        // 20 minutes at 250/h = 83.33… → 84
        assert_eq!(rate(250, None).price_minutes(20), Cents(84));
        assert_eq!(rate(300, None).price_minutes(60), Cents(300));
        assert_eq!(rate(300, None).price_minutes(90), Cents(450));
    }

    #[test]
    fn daily_price_caps_each_whole_day_and_the_remainder() {
        // 1000/h, 5000/day: 2 days + 3 h → 2×5000 + min(3000, 5000)
        let r = rate(1000, Some(5000));
        assert_eq!(r.price_minutes(2 * 24 * 60 + 180), Cents(13_000));
        // remainder of 10 h would be 10_000 but is capped at the daily price
        assert_eq!(r.price_minutes(24 * 60 + 600), Cents(10_000));
        // a daily price above 24 × hourly is no cap at all
        assert_eq!(rate(100, Some(10_000)).price_minutes(24 * 60), Cents(2400));
    }

    proptest! {
        #[test]
        fn longer_never_costs_less(h in 1i64..100_000, d in proptest::option::of(1i64..1_000_000), m in 0i64..60*24*31) {
            let r = rate(h, d);
            prop_assert!(r.price_minutes(m + 1) >= r.price_minutes(m));
        }

        #[test]
        fn without_daily_price_it_is_exactly_prorated(h in 1i64..100_000, m in 0i64..60*24*31) {
            let p = rate(h, None).price_minutes(m).0 as i128;
            let exact = m as i128 * h as i128;
            // p is the smallest integer with p × 60 ≥ minutes × hourly
            prop_assert!(p * 60 >= exact);
            prop_assert!((p - 1) * 60 < exact);
        }

        #[test]
        fn daily_price_never_exceeds_hourly_price(h in 1i64..100_000, d in 1i64..1_000_000, m in 0i64..60*24*31) {
            prop_assert!(rate(h, Some(d)).price_minutes(m) <= rate(h, None).price_minutes(m));
        }

        #[test]
        fn each_started_day_costs_at_most_the_daily_price(h in 1i64..100_000, d in 1i64..1_000_000, m in 1i64..60*24*31) {
            let days_started = (m + 24 * 60 - 1) / (24 * 60);
            prop_assert!(rate(h, Some(d)).price_minutes(m).0 <= d * days_started);
        }
    }
}
