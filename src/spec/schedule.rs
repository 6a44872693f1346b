//! Kubernetes CronJob schedules (five fields, or a `@` descriptor): whether one fires exactly
//! once a week, which the restore test of REQ-T239 needs. Shared by the spec check (with the
//! spec's file:line:col) and policy rule K239-1 (on rendered CronJobs).

/// Day names a cron weekday field may use instead of a number.
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Why a Kubernetes CronJob schedule does not fire exactly once a week, or `None` when it
/// does: a single minute, a single hour, every day of the month and every month, and a single
/// day of the week (`0`..`7` or `SUN`..`SAT`), or `@weekly`.
pub fn weekly_problem(schedule: &str) -> Option<String> {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if let Some(descriptor) = fields.first().filter(|f| f.starts_with('@')) {
        return (fields.len() != 1 || *descriptor != "@weekly")
            .then(|| "does not fire once a week (of the descriptors, only `@weekly` does)".into());
    }
    if fields.len() != 5 {
        return Some(format!(
            "has {} fields; a Kubernetes CronJob schedule has 5 (minute hour day month weekday)",
            fields.len()
        ));
    }
    let number_in = |field: &str, max: u32| field.parse::<u32>().is_ok_and(|n| n <= max);
    let every = |field: &str| matches!(field, "*" | "?");
    let weekday =
        |field: &str| number_in(field, 7) || DAYS.contains(&field.to_uppercase().as_str());
    if !number_in(fields[0], 59) || !number_in(fields[1], 23) {
        return Some("fires more than once on its day: give one minute and one hour".into());
    }
    if !every(fields[2]) || !every(fields[3]) {
        return Some(
            "restricts the day of the month or the month, so weeks go without a run".into(),
        );
    }
    (!weekday(fields[4]))
        .then(|| "does not name one day of the week (`0`..`7` or `SUN`..`SAT`)".into())
}

#[cfg(test)]
mod tests {
    use super::weekly_problem;

    #[test]
    fn weekly_schedules_and_why_others_are_not() {
        for weekly in [
            "0 4 * * 0",
            "30 23 * ? SAT",
            "0 0 * * 7",
            "@weekly",
            "5 1 * * mon",
        ] {
            assert_eq!(weekly_problem(weekly), None, "{weekly}");
        }
        for (schedule, why) in [
            ("0 4 * * *", "one day of the week"),
            ("0 4 * * 1-5", "one day of the week"),
            ("0 4 * * 0,3", "one day of the week"),
            ("0 4 1 * 0", "day of the month"),
            ("*/5 4 * * 0", "more than once"),
            ("0 4 * * 8", "one day of the week"),
            ("0 0 4 * * 0", "has 6 fields"),
            ("@daily", "only `@weekly`"),
        ] {
            let problem = weekly_problem(schedule).unwrap_or_default();
            assert!(problem.contains(why), "{schedule}: {problem}");
        }
    }
}
