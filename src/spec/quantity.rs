//! Kubernetes resource quantities (`250m`, `1.5Gi`) as numbers, so specs can compare them
//! ([`parse`]) and policy rules can add them up exactly ([`parse_milli`]).

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

/// The exact value of a quantity in thousandths of its base unit (millicores, millibytes),
/// rounded up as Kubernetes rounds a quantity finer than its scale, or `None` when it is not
/// a quantity or does not fit.
///
/// Follows the grammar of `k8s.io/apimachinery/pkg/api/resource`: an optional sign, digits
/// with an optional decimal point (`1.`, `.5` and `1.5` are all numbers), then one binary
/// suffix (`Ki`..`Ei`), decimal suffix (`n`, `u`, `m`, `k`, `M`, `G`, `T`, `P`, `E`) or
/// exponent (`e3`, `E-2`). Integers keep sums exact where [`parse`]'s floating point would
/// drift.
///
/// ```
/// use daactl::spec::quantity::parse_milli;
/// assert_eq!(parse_milli("250m"), Some(250));
/// assert_eq!(parse_milli("1.5Gi"), Some(1_610_612_736_000));
/// assert_eq!(parse_milli("1e3"), Some(1_000_000));
/// assert_eq!(parse_milli("0.1m"), Some(1));
/// assert_eq!(parse_milli("1 Gi"), None);
/// ```
pub fn parse_milli(quantity: &str) -> Option<i128> {
    let (negative, rest) = match quantity.as_bytes().first() {
        Some(b'+') => (false, &quantity[1..]),
        Some(b'-') => (true, &quantity[1..]),
        _ => (false, quantity),
    };
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let (exponent10, exponent2): (i64, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let digits = exponent.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || exponent.len() - digits.len() > 1
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            (exponent.parse().ok()?, 0)
        }
    };
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // value = mantissa * 2^exponent2 * 10^scale, in thousandths.
    let scale = exponent10 - fraction.len() as i64 + 3;
    let numerator = mantissa.checked_mul(1i128.checked_shl(exponent2)?)?;
    let magnitude = if scale >= 0 {
        numerator.checked_mul(10i128.checked_pow(u32::try_from(scale).ok()?)?)?
    } else {
        let places = u32::try_from(-scale).ok()?;
        match 10i128.checked_pow(places) {
            // Rounded up when positive, towards zero when negative: up either way.
            Some(divisor) if negative => numerator / divisor,
            Some(divisor) => (numerator + divisor - 1) / divisor,
            // Smaller than a thousandth of anything that fits.
            None => i128::from(numerator > 0 && !negative),
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_milli};

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

    #[test]
    fn exact_thousandths() {
        let cases: &[(&str, i128)] = &[
            ("0", 0),
            ("2", 2000),
            ("250m", 250),
            ("1.5", 1500),
            ("1.", 1000),
            (".5", 500),
            ("+1", 1000),
            ("-250m", -250),
            ("100n", 1),
            ("1u", 1),
            ("0.1m", 1),
            ("1k", 1_000_000),
            ("1M", 1_000_000_000),
            ("2G", 2_000_000_000_000),
            ("1Ki", 1_024_000),
            ("512Mi", 512 * 1024 * 1024 * 1000),
            ("1.5Gi", 1_610_612_736_000),
            ("2Ti", 2 * 1024i128.pow(4) * 1000),
            ("1Ei", 1024i128.pow(6) * 1000),
            ("1E", 10i128.pow(21)),
            ("1e3", 1_000_000),
            ("1E3", 1_000_000),
            ("1.5e-3", 2),
            ("12e+2", 1_200_000),
            (
                "123456789012345678901234567890",
                123_456_789_012_345_678_901_234_567_890_000,
            ),
        ];
        for (text, milli) in cases {
            assert_eq!(parse_milli(text), Some(*milli), "{text:?}");
        }
    }

    #[test]
    fn exact_parser_rejects_non_quantities() {
        for bad in [
            "",
            ".",
            "Mi",
            "1x",
            "1 Mi",
            " 1",
            "1.2.3",
            "1e",
            "1e+",
            "1e--2",
            "1ee2",
            "1Gib",
            "--1",
            "1e99999999999",
            "1e40",
        ] {
            assert_eq!(parse_milli(bad), None, "{bad:?}");
        }
    }
}
