//! The lower bound an apply is measured against (docs/BENCHMARKS.md, "What
//! the bounds mean"): what an ideal executor would take on the same
//! simulated service, with the same operation latencies.
//!
//! The simulator draws the latency of the n-th assignment operation it
//! accepts from one seeded sequence, so every executor meets the same
//! latencies in the same acceptance order; only when each operation is
//! accepted is its own. The ideal executor learns of each completion the
//! instant it happens and submits the next operation that instant, its
//! writes spaced only by the client's TPS budget and delayed by the round
//! trip, and it ignores the one-write-per-account rule. By induction on the
//! acceptance order no executor accepts its n-th operation earlier (it
//! needs a free place among the 10, and the ideal's places free no later),
//! so none finishes earlier: the bound includes the fill of the places at
//! the start and the drain of the last operations at the end, which the
//! rate bound below leaves out.

use std::time::Duration;

use ssomatrix_engine::executor::SERVICE_MAX_IN_FLIGHT;

/// When the ideal executor finishes operations of `latencies` (in the order
/// the service accepted them), with `places` outstanding at most, writes
/// sent at most `tps` a second, each reaching the service after
/// `round_trip`.
pub fn ideal_seconds(latencies: &[Duration], places: usize, tps: f64, round_trip: Duration) -> f64 {
    let places = places.max(1);
    let spacing = if tps > 0.0 { 1.0 / tps } else { 0.0 };
    let rtt = round_trip.as_secs_f64();
    // Completion times of the accepted operations, kept sorted: the k-th
    // acceptance past the first `places` waits for the (k - places)-th
    // completion.
    let mut completions: Vec<f64> = Vec::with_capacity(latencies.len());
    let mut end: f64 = 0.0;
    for (k, latency) in latencies.iter().enumerate() {
        let sent = k as f64 * spacing + rtt;
        let room = if k >= places {
            completions[k - places]
        } else {
            0.0
        };
        let done = sent.max(room) + latency.as_secs_f64();
        let at = completions.partition_point(|c| *c <= done);
        completions.insert(at, done);
        end = end.max(done);
    }
    end
}

/// The apply's lower bound: the ideal executor on this run's latencies, and
/// at least the two calls every operation needs (its write and one status
/// call) at the TPS budget.
pub fn apply_lower_bound(latencies: &[Duration], tps: f64, round_trip: Duration) -> f64 {
    let calls = 2.0 * latencies.len() as f64;
    let by_calls = if tps > 0.0 { calls / tps } else { 0.0 };
    ideal_seconds(latencies, SERVICE_MAX_IN_FLIGHT, tps, round_trip).max(by_calls)
}

/// The rate bound used before (kept for comparison): N / min(TPS / calls
/// per operation, 10 / mean latency), with the calls per operation measured
/// (at least the one write each operation is) and the model's mean latency.
/// It is what an infinitely long apply would approach: no fill, no drain.
pub fn rate_bound(ops: usize, calls: u64, tps: f64, mean_latency: f64) -> f64 {
    if ops == 0 {
        return 0.0;
    }
    let per_op = (calls as f64 / ops as f64).max(1.0);
    let rate = (tps / per_op).min(SERVICE_MAX_IN_FLIGHT as f64 / mean_latency);
    ops as f64 / rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(v: &[f64]) -> Vec<Duration> {
        v.iter().map(|s| Duration::from_secs_f64(*s)).collect()
    }

    #[test]
    fn with_room_for_all_the_slowest_operation_sets_the_time() {
        let l = secs(&[1.0, 8.0, 2.0]);
        let t = ideal_seconds(&l, 10, 10.0, Duration::from_millis(50));
        // The slowest is the second write, sent 0.1 s after the first.
        assert!((t - (0.1 + 0.05 + 8.0)).abs() < 1e-9, "{t}");
    }

    #[test]
    fn past_the_places_an_operation_waits_for_the_earliest_completion() {
        // Two places: the third waits for the first to finish (at 1 s),
        // the fourth for the third (the second ends at 5 s, the third at 2 s).
        let l = secs(&[1.0, 5.0, 1.0, 1.0]);
        let t = ideal_seconds(&l, 2, f64::INFINITY, Duration::ZERO);
        assert!((t - 5.0).abs() < 1e-9, "{t}");
        let l = secs(&[1.0, 1.0, 1.0, 1.0, 1.0]);
        let t = ideal_seconds(&l, 2, f64::INFINITY, Duration::ZERO);
        assert!((t - 3.0).abs() < 1e-9, "{t}");
    }

    #[test]
    fn a_long_apply_approaches_the_rate_bound() {
        let l = vec![Duration::from_secs(3); 10_000];
        let ideal = ideal_seconds(&l, 10, 15.0, Duration::ZERO);
        let rate = rate_bound(10_000, 20_000, 15.0, 3.0);
        assert!(ideal >= rate && ideal < rate * 1.01, "{ideal} {rate}");
    }
}
