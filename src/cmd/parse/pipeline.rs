//! `parse`'s parallel pipeline for large inputs: a reader thread streams messages in batches,
//! workers parse and render them, and this thread writes their output in input order.

use super::*;

/// Batches in flight at once in the parallel pipeline: bounds memory whatever the mbox size.
const IN_FLIGHT: usize = 8;

/// A batch closes at this many messages or bytes: enough to make the hand-over between threads
/// cheap, small enough to keep memory and latency low.
const BATCH_MESSAGES: usize = 64;
const BATCH_BYTES: usize = 256 << 10;

/// Parses and renders messages on `workers` threads while this thread writes their output in
/// input order; a reader thread streams the inputs in batches, at most [`IN_FLIGHT`] at once.
pub(super) fn parallel(
    args: &ParseArgs,
    inputs: &[PathBuf],
    json: bool,
    workers: usize,
    out: &mut Printer,
    emitter: &mut Emitter,
) -> anyhow::Result<()> {
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<Item>)>(IN_FLIGHT);
    let job_rx = Mutex::new(job_rx);
    let buffers = Mutex::new(Vec::<Vec<u8>>::new());
    std::thread::scope(|scope| {
        // Created here so that an early return (stdout closed) drops them before the scope
        // joins its threads: the reader and workers then see closed channels and stop.
        let (done_tx, done_rx) = mpsc::sync_channel::<(usize, Vec<u8>, Vec<Rendered>)>(IN_FLIGHT);
        let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            slot_tx.send(()).context("starting the parse pipeline")?;
        }
        scope.spawn(move || {
            let mut seq = 0;
            let mut batch = Vec::new();
            let mut bytes = 0;
            let mut send = |batch: Vec<Item>| -> anyhow::Result<()> {
                slot_rx.recv()?;
                job_tx.send((seq, batch))?;
                seq += 1;
                Ok(())
            };
            // An error here only means the writer stopped; it reports its own.
            let produced = produce(args, inputs, |item| {
                if let Item::Message { raw, .. } = &item {
                    bytes += raw.bytes.len();
                }
                batch.push(item);
                if batch.len() >= BATCH_MESSAGES || bytes >= BATCH_BYTES {
                    bytes = 0;
                    send(std::mem::take(&mut batch))?;
                }
                Ok(())
            });
            if produced.is_ok() && !batch.is_empty() {
                let _ = send(batch);
            }
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            let buffers = &buffers;
            scope.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, batch)) = job else { return };
                    // One output buffer per batch, recycled by the writer.
                    let mut stdout = buffers
                        .lock()
                        .ok()
                        .and_then(|mut free| free.pop())
                        .unwrap_or_default();
                    let rendered = batch
                        .into_iter()
                        .map(|item| render(args, json, item, &mut stdout, None))
                        .collect();
                    if done_tx.send((seq, stdout, rendered)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        for (seq, stdout, rendered) in done_rx.iter() {
            pending.insert(seq, (stdout, rendered));
            while let Some((mut stdout, batch)) = pending.remove(&next) {
                let mut start = 0;
                for rendered in batch {
                    let end = rendered.end;
                    emitter.emit(out, &stdout[start..end], rendered)?;
                    start = end;
                }
                stdout.clear();
                if let Ok(mut free) = buffers.lock() {
                    free.push(stdout);
                }
                next += 1;
                // The reader may have finished; a refused slot is harmless then.
                let _ = slot_tx.send(());
            }
        }
        Ok(())
    })
}
