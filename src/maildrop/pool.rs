//! A small fixed set of worker threads that lives as long as its owner (a Maildir): a fetch
//! of ten thousand messages commits dozens of batches, and starting a set of threads for each
//! one cost hundreds of thread creations and their system time.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Worker threads, started as they are first needed and never more than the most asked for
/// at once; they end when the pool is dropped.
pub(crate) struct Pool {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let workers = self.workers.lock().map_or(0, |w| w.len());
        f.debug_struct("Pool").field("workers", &workers).finish()
    }
}

impl Pool {
    /// A pool with no thread yet.
    pub(crate) fn new() -> Self {
        let (jobs, queue) = mpsc::channel();
        Pool {
            jobs: Mutex::new(Some(jobs)),
            queue: Arc::new(Mutex::new(queue)),
            workers: Mutex::new(Vec::new()),
        }
    }

    /// Runs `job` on a worker, first starting workers until there are `concurrent`: jobs
    /// that wait for each other (at a barrier) must all be running at once, so a caller asks
    /// for as many workers as it has such jobs.
    pub(crate) fn run(
        &self,
        concurrent: usize,
        job: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<()> {
        let mut workers = self
            .workers
            .lock()
            .map_err(|_| std::io::Error::other("worker pool poisoned"))?;
        while workers.len() < concurrent {
            let queue = self.queue.clone();
            let handle = std::thread::Builder::new()
                .name("mailkit-maildir".into())
                .spawn(move || work(&queue))?;
            workers.push(handle);
        }
        drop(workers);
        let jobs = self
            .jobs
            .lock()
            .map_err(|_| std::io::Error::other("worker pool poisoned"))?;
        jobs.as_ref()
            .ok_or_else(|| std::io::Error::other("worker pool closed"))?
            .send(Box::new(job))
            .map_err(|_| std::io::Error::other("worker pool closed"))
    }

    /// How many workers have been started.
    #[cfg(test)]
    pub(crate) fn workers(&self) -> usize {
        self.workers.lock().map_or(0, |w| w.len())
    }
}

/// A worker: runs jobs until the pool closes. A job that panics is ended there (its caller
/// sees it never reported) and the worker goes on, so the pool keeps its size.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        if let Ok(mut workers) = self.workers.lock() {
            for worker in workers.drain(..) {
                let _ = worker.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_are_reused_and_grow_only_to_the_largest_request() {
        let pool = Pool::new();
        let (tx, rx) = mpsc::channel();
        for round in 0..50 {
            let concurrent = 1 + round % 4;
            let barrier = Arc::new(std::sync::Barrier::new(concurrent));
            for n in 0..concurrent {
                let (tx, barrier) = (tx.clone(), barrier.clone());
                pool.run(concurrent, move || {
                    barrier.wait();
                    tx.send(n).unwrap();
                })
                .unwrap();
            }
            let mut got: Vec<usize> = rx.iter().take(concurrent).collect();
            got.sort();
            assert_eq!(got, (0..concurrent).collect::<Vec<_>>());
        }
        assert_eq!(pool.workers(), 4);
    }

    #[test]
    fn a_panicking_job_leaves_the_worker_running() {
        let pool = Pool::new();
        pool.run(1, || panic!("boom")).unwrap();
        let (tx, rx) = mpsc::channel();
        pool.run(1, move || tx.send(7).unwrap()).unwrap();
        assert_eq!(rx.recv().unwrap(), 7);
        assert_eq!(pool.workers(), 1);
    }
}
