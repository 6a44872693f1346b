//! Kubernetes resource quantities (`250m`, `1.5Gi`) as numbers, so specs can compare them.

/// The value of a quantity in base units (cores, bytes), or `None` when it is not one.
///
/// ```
/// use daactl::spec::quantity::parse;
/// assert_eq!(parse("250m"), Some(0.25));
/// assert_eq!(parse("1Ki"), Some(1024.0));
/// assert_eq!(parse("ten"), None);
/// ```
pub fn parse(quantity: &str) -> Option<f64> {
    let split = quantity
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn decimal_and_binary_suffixes() {
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("1.5"), Some(1.5));
        assert_eq!(parse("512Mi"), Some(512.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1G"), Some(1e9));
        assert!(parse("1Gi").unwrap() > parse("1G").unwrap());
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in ["", "Mi", "1.", ".5", "1x", "-1", "1 Mi"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
