//! Messages with a chosen route: `Received` hops with the hosts and times a test needs, for
//! the clock checks (a host whose clock runs ahead, a forged step).

/// One hop of a route: the receiving host and when it says it received the message, in
/// seconds after the message's `Date`.
#[derive(Clone, Copy, Debug)]
pub struct Hop<'a> {
    /// The `by` host.
    pub by: &'a str,
    /// The `from` host (what the hop received the message from).
    pub from: &'a str,
    /// Seconds after `Date`.
    pub after: i64,
}

/// Seconds after midnight of `Date` for message `i`: one message every ten minutes from
/// 08:00 on Monday, 2 September 2002 (UTC); up to 60 messages stay within the day.
pub fn date_of(i: usize) -> i64 {
    8 * 3600 + (i as i64 % 60) * 600
}

/// The RFC 5322 date of a time of that day, in seconds after midnight (kept within it).
pub fn rfc5322(t: i64) -> String {
    let t = t.clamp(0, 86_399);
    format!(
        "Mon, 2 Sep 2002 {:02}:{:02}:{:02} +0000",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// Message `i` of a dump, mbox-framed, sent by `from` along `route` (the first hop is the
/// one nearest the sender; the top-most `Received` is the last hop).
pub fn routed(i: usize, from: &str, route: &[Hop<'_>]) -> String {
    let date = date_of(i);
    let mut s = format!("From {from} Mon Sep  2 08:00:00 2002\n");
    for hop in route.iter().rev() {
        s.push_str(&format!(
            "Received: from {} ({} [81.2.69.{}])\n\tby {} with ESMTP id q{i}x{}; {}\n",
            hop.from,
            hop.from,
            10 + i % 200,
            hop.by,
            hop.after,
            rfc5322(date + hop.after)
        ));
    }
    s.push_str(&format!(
        "From: {from}\nTo: reader@example.net\nSubject: note {i}\nDate: {}\nMessage-ID: <{i}.note@{}>\n\nNote number {i}.\n\n",
        rfc5322(date),
        from.rsplit('@').next().unwrap_or("example.org")
    ));
    s
}
