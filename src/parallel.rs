//! Threads for work that is independent: per environment, or per tree.

/// Applies `work` to every item on its own thread; results keep the order of `items`. A
/// panic in `work` resumes on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || work(item)))
            .collect();
        workers.into_iter().map(join).collect()
    })
}

/// The result of a scoped thread; its panic resumes on the caller's thread.
pub fn join<T>(worker: std::thread::ScopedJoinHandle<'_, T>) -> T {
    worker
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        assert_eq!(super::map(&[3, 1, 2], |n| n * 10), [30, 10, 20]);
    }
}
