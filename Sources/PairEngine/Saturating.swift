/// Arithmetic on numbers that come from nodes: a broken or hostile node may send times and
/// sizes near the limits of Int64, and pbsha must show them, not trap on them.
extension Int64 {
    /// `value` rounded toward zero and clamped to Int64's range; NaN counts as zero.
    public init(clamping value: Double) {
        if value.isNaN { self = 0 } else if value >= 9.2233720368547748e18 { self = .max } else if value <= -9.2233720368547758e18 { self = .min } else { self = Int64(value) }
    }
}

extension Int {
    /// `value` rounded toward zero and clamped to Int's range; NaN counts as zero.
    public init(clamping value: Double) { self = Int(Int64(clamping: value)) }
}

/// Seconds from `then` to `now`, clamped instead of overflowing.
func elapsed(_ now: Int64, since then: Int64) -> Int {
    let (difference, overflow) = now.subtractingReportingOverflow(then)
    if overflow { return now < then ? Int.min : Int.max }
    return Int(difference)
}

/// `a + b`, clamped instead of overflowing.
func clampedSum(_ a: Int64, _ b: Int64) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b < 0 ? .min : .max) : sum
}
