//! The timeline: messages per hour, day, week or month, stacked by verdict, as inline SVG.
//!
//! The unit follows the span of the dump's dates (hours for up to three days, days for up to
//! about a year, then weeks, then months). A handful of forged or broken dates far from the
//! rest would squeeze the real period into a few bars, so on a dump of 200 or more dated
//! messages the bars cover the dates between the 0.5th and the 99.5th percentile, and the
//! messages outside go to an "earlier" and a "later" bar at the edges. Messages without a
//! readable date go to an "undated" bar.

use std::fmt::Write;

use super::escape::html;
use crate::fields::date::days_from_civil;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// Drawing size (SVG user units).
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 190.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 34.0;
const TOP: f64 = 10.0;

/// The bucket unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Week,
    Month,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Hour => "hour",
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
        }
    }

    /// The start of the bucket holding `t`.
    fn floor(self, t: i64) -> i64 {
        match self {
            Unit::Hour => t.div_euclid(HOUR) * HOUR,
            Unit::Day => t.div_euclid(DAY) * DAY,
            // 1970-01-01 was a Thursday: weeks start on Monday.
            Unit::Week => ((t.div_euclid(DAY) + 3).div_euclid(7) * 7 - 3) * DAY,
            Unit::Month => {
                let d = mail_parser::DateTime::from_timestamp(t);
                days_from_civil(i64::from(d.year), i64::from(d.month), 1) * DAY
            }
        }
    }

    /// The start of the bucket after the one starting at `start`.
    fn next(self, start: i64) -> i64 {
        match self {
            Unit::Hour => start + HOUR,
            Unit::Day => start + DAY,
            Unit::Week => start + 7 * DAY,
            Unit::Month => {
                let d = mail_parser::DateTime::from_timestamp(start);
                let (y, m) = if d.month >= 12 {
                    (i64::from(d.year) + 1, 1)
                } else {
                    (i64::from(d.year), i64::from(d.month) + 1)
                };
                days_from_civil(y, m, 1) * DAY
            }
        }
    }

    /// A bucket's label.
    fn label(self, start: i64) -> String {
        let d = mail_parser::DateTime::from_timestamp(start);
        match self {
            Unit::Hour => format!("{:04}-{:02}-{:02} {:02}:00", d.year, d.month, d.day, d.hour),
            Unit::Day | Unit::Week => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
            Unit::Month => format!("{:04}-{:02}", d.year, d.month),
        }
    }
}

/// Messages per bucket and verdict.
struct Bar {
    label: String,
    /// Time range `[from, to)` the bar filters on, `None` for the undated bar.
    range: Option<(i64, i64)>,
    counts: Vec<u64>,
}

/// Append the timeline of `points` (`(time, verdict index)`) to `out`: an SVG with one
/// stacked bar per bucket. `verdicts` are the names, `colours` their fill colours.
pub(super) fn svg(
    points: &[(Option<i64>, usize)],
    verdicts: &[&str],
    colours: &[&str],
    out: &mut String,
) {
    let nv = verdicts.len();
    let mut times: Vec<i64> = points.iter().filter_map(|p| p.0).collect();
    times.sort_unstable();
    let undated: Vec<u64> = {
        let mut c = vec![0u64; nv];
        for (t, v) in points {
            if t.is_none()
                && let Some(n) = c.get_mut(*v)
            {
                *n += 1;
            }
        }
        c
    };
    let mut bars: Vec<Bar> = Vec::new();
    let mut unit = Unit::Day;
    if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
        let (lo, hi) = if times.len() >= 200 {
            let n = times.len();
            let at = |q: usize| times.get(q).copied().unwrap_or(first);
            (at(n / 200), at(n - 1 - n / 200))
        } else {
            (first, last)
        };
        let span = hi.saturating_sub(lo);
        unit = if span <= 3 * DAY {
            Unit::Hour
        } else if span <= 400 * DAY {
            Unit::Day
        } else if span <= 8 * 365 * DAY {
            Unit::Week
        } else {
            Unit::Month
        };
        let start = unit.floor(lo);
        let end = unit.next(unit.floor(hi));
        // Buckets of the core period.
        let mut starts = vec![start];
        while let Some(&s) = starts.last() {
            let n = unit.next(s);
            if n >= end || starts.len() > 5_000 {
                break;
            }
            starts.push(n);
        }
        let mut core: Vec<Bar> = starts
            .iter()
            .map(|&s| Bar {
                label: unit.label(s),
                range: Some((s, unit.next(s))),
                counts: vec![0; nv],
            })
            .collect();
        let mut earlier = vec![0u64; nv];
        let mut later = vec![0u64; nv];
        for (t, v) in points {
            let Some(t) = *t else { continue };
            let slot = if t < start {
                earlier.get_mut(*v)
            } else if t >= end {
                later.get_mut(*v)
            } else {
                let k = starts.partition_point(|&s| s <= t).saturating_sub(1);
                core.get_mut(k).and_then(|b| b.counts.get_mut(*v))
            };
            if let Some(n) = slot {
                *n += 1;
            }
        }
        if earlier.iter().any(|&n| n > 0) {
            bars.push(Bar {
                label: format!("earlier (from {})", Unit::Day.label(first)),
                range: Some((first, start)),
                counts: earlier,
            });
        }
        bars.extend(core);
        if later.iter().any(|&n| n > 0) {
            bars.push(Bar {
                label: format!("later (to {})", Unit::Day.label(last)),
                range: Some((end, last.saturating_add(1))),
                counts: later,
            });
        }
    }
    if undated.iter().any(|&n| n > 0) {
        bars.push(Bar {
            label: "undated".to_string(),
            range: None,
            counts: undated,
        });
    }
    if bars.is_empty() {
        out.push_str("<p>No message.</p>");
        return;
    }

    let max = bars
        .iter()
        .map(|b| b.counts.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let plot_w = WIDTH - LEFT - 6.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / bars.len() as f64;
    let gap = if slot > 4.0 { slot * 0.15 } else { 0.0 };
    let _ = write!(
        out,
        "<p class=\"unit\">Messages per {} (UTC){}; click a bar to list its messages.</p>\
         <svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"messages per {}\">",
        unit.name(),
        if bars
            .iter()
            .any(|b| b.label.starts_with("earlier") || b.label.starts_with("later"))
        {
            ", the few dates far outside the main period in the edge bars"
        } else {
            ""
        },
        unit.name()
    );
    // Axis: the top count and zero.
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>\
         <text class=\"ylab\" x=\"{:.1}\" y=\"{:.1}\">{max}</text>\
         <text class=\"ylab\" x=\"{:.1}\" y=\"{:.1}\">0</text>",
        TOP + plot_h,
        TOP + plot_h,
        WIDTH - 6.0,
        TOP + plot_h,
        LEFT - 4.0,
        TOP + 8.0,
        LEFT - 4.0,
        TOP + plot_h,
    );
    let label_every = (bars.len() / 10).max(1);
    for (k, bar) in bars.iter().enumerate() {
        let x = LEFT + k as f64 * slot;
        let total: u64 = bar.counts.iter().sum();
        let (from, to) = match bar.range {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => ("undated".to_string(), "undated".to_string()),
        };
        let _ = write!(
            out,
            "<g class=\"bucket\" data-from=\"{from}\" data-to=\"{to}\" data-label=\""
        );
        html(out, &bar.label);
        out.push_str("\"><title>");
        html(out, &bar.label);
        let _ = write!(out, ": {total} messages");
        for (v, n) in bar.counts.iter().enumerate() {
            if *n > 0 {
                let _ = write!(out, ", {} {n}", verdicts.get(v).copied().unwrap_or("?"));
            }
        }
        let _ = write!(
            out,
            "</title><rect class=\"hit\" x=\"{x:.2}\" y=\"{TOP}\" width=\"{slot:.2}\" height=\"{plot_h:.1}\"/>"
        );
        let mut y = TOP + plot_h;
        for (v, n) in bar.counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let h = plot_h * *n as f64 / max as f64;
            y -= h;
            let _ = write!(
                out,
                "<rect x=\"{:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"{}\" class=\"seg\"/>",
                x + gap / 2.0,
                (slot - gap).max(0.5),
                colours.get(v).copied().unwrap_or("#888"),
            );
        }
        out.push_str("</g>");
        let special = bar.range.is_none()
            || bar.label.starts_with("earlier")
            || bar.label.starts_with("later");
        if k % label_every == 0 || special {
            let short = if special {
                bar.label.split(' ').next().unwrap_or("").to_string()
            } else {
                bar.label.clone()
            };
            let _ = write!(
                out,
                "<text class=\"xlab\" x=\"{:.1}\" y=\"{:.1}\">",
                x + slot / 2.0,
                TOP + plot_h
                    + 14.0
                    + if k % 2 == 1 && label_every == 1 && bars.len() > 12 {
                        12.0
                    } else {
                        0.0
                    }
            );
            html(out, &short);
            out.push_str("</text>");
        }
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(points: &[(Option<i64>, usize)]) -> String {
        let mut out = String::new();
        svg(
            points,
            &["verified", "tampered"],
            &["#0a0", "#c00"],
            &mut out,
        );
        out
    }

    #[test]
    fn one_day_is_drawn_per_hour_and_undated_apart() {
        // 2017-05-02 09:30 and 10:10 UTC, and an undated message.
        let t = 1_493_717_400;
        let out = draw(&[(Some(t), 0), (Some(t + 2_400), 1), (None, 1)]);
        assert!(out.contains("Messages per hour"));
        assert_eq!(out.matches("<g class=\"bucket\"").count(), 3, "{out}");
        assert!(out.contains("data-label=\"2017-05-02 09:00\""));
        assert!(out.contains("data-label=\"2017-05-02 10:00\""));
        assert!(out.contains("data-from=\"undated\""));
        assert!(out.contains("<title>undated: 1 messages, tampered 1</title>"));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // Sunday 2017-05-07 12:00 UTC is in the week of Monday 2017-05-01.
        let sunday = 1_494_158_400;
        assert_eq!(Unit::Week.label(Unit::Week.floor(sunday)), "2017-05-01");
        assert_eq!(Unit::Month.label(Unit::Month.floor(sunday)), "2017-05");
        assert_eq!(
            Unit::Month.label(Unit::Month.next(Unit::Month.floor(sunday))),
            "2017-06"
        );
        let december = Unit::Month.floor(1_513_987_200); // 2017-12-23
        assert_eq!(Unit::Month.label(Unit::Month.next(december)), "2018-01");
    }

    #[test]
    fn far_dates_go_to_edge_bars() {
        // 300 messages over ten days in 2017, one dated 1980 and one 2040.
        let base = 1_493_596_800;
        let mut points: Vec<(Option<i64>, usize)> =
            (0..300).map(|k| (Some(base + k * 2_880), 0)).collect();
        points.push((Some(315_532_800), 1));
        points.push((Some(2_208_988_800), 1));
        let out = draw(&points);
        assert!(out.contains("Messages per day"), "{out}");
        assert!(out.contains("data-label=\"earlier (from 1980-01-01)\""));
        assert!(out.contains("data-label=\"later (to 2040-01-01)\""));
        // Ten days and the two edges.
        assert_eq!(out.matches("<g class=\"bucket\"").count(), 12);
    }

    #[test]
    fn nothing_to_draw() {
        assert_eq!(draw(&[]), "<p>No message.</p>");
    }
}
