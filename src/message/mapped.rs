//! Message files mapped into memory instead of read into it, as ripgrep does for large files:
//! `parse` of a message with a 1 GiB attachment then holds page-cache pages rather than a
//! 1 GiB buffer, and [`Pace`] hands the pages already walked back to the kernel every few
//! MiB, so the resident set stays small whatever the message size.

use std::{
    cell::Cell,
    ffi::c_void,
    fs::File,
    io,
    ops::{Deref, Range},
    os::fd::AsFd,
    ptr::NonNull,
    sync::Arc,
};

use rustix::mm::{self, Advice, MapFlags, ProtFlags};

/// A read-only private mapping of a whole file.
#[derive(Debug)]
pub struct Mapped {
    ptr: NonNull<c_void>,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value; sharing `&[u8]` views of it between
// threads is as safe as sharing a `Vec<u8>`.
unsafe impl Send for Mapped {}
// SAFETY: as above; `release` only drops page table entries, never the contents.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps the regular file `fd` of `len` bytes (which must be > 0).
    pub fn new(fd: impl AsFd, len: usize) -> io::Result<Mapped> {
        crate::output::report_truncated_mappings(crate::exit::Kind::NoInput.exit().code());
        // SAFETY: a fresh read-only private mapping at an address the kernel picks. The
        // hazards of mapping a file are the ones every mmap user (ripgrep included) accepts:
        // another process rewriting it in place changes what is read, and one truncating it
        // makes the next read fault, which ends the process with the error line above.
        let ptr = unsafe {
            mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::PRIVATE,
                fd,
                0,
            )
        }?;
        let ptr = NonNull::new(ptr).ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Mapped { ptr, len })
    }

    /// Maps `file` when it is a non-empty regular file; `None` otherwise (a pipe, a terminal).
    pub fn file(file: &File) -> io::Result<Option<Mapped>> {
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            return Ok(None);
        }
        let len = usize::try_from(meta.len()).map_err(io::Error::other)?;
        Mapped::new(file, len).map(Some)
    }

    /// Lets the kernel drop the pages read so far from this process: the next access reads
    /// them again from the page cache, so the contents seen never change.
    pub fn release(&self) {
        self.release_range(0, self.len);
    }

    /// [`Mapped::release`] for the whole pages within `start..end` only: what an mbox reader
    /// has left behind. Returns where the released pages end, where the next call should
    /// start so that no page between two calls is left out.
    pub fn release_range(&self, start: usize, end: usize) -> usize {
        // A multiple of every page size in use (4, 16 and 64 KiB), so that no system call is
        // needed to learn it.
        let page = 64 << 10;
        let start = start.next_multiple_of(page);
        let end = end.min(self.len);
        let end = if end == self.len {
            end
        } else {
            end - end % page
        };
        if start >= end {
            return start.min(self.len);
        }
        // SAFETY: MADV_DONTNEED on a private, read-only, never-written file mapping only
        // unmaps pages; a later access faults the same file contents back in. `start` is
        // page-aligned (the mapping starts on a page) and `start..end` lies within it.
        let _ = unsafe {
            mm::madvise(
                self.ptr.as_ptr().cast::<u8>().add(start).cast(),
                end - start,
                Advice::LinuxDontNeed,
            )
        };
        end
    }
}

impl Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no view outlives `self`.
        let _ = unsafe { mm::munmap(self.ptr.as_ptr(), self.len) };
    }
}

/// A message's bytes: read into memory (piped mboxes, pipes), mapped (message files), or a
/// slice of a mapped mbox.
#[derive(Debug)]
pub enum Bytes {
    /// Read into memory.
    Owned(Vec<u8>),
    /// Mapped from a file.
    Mapped(Mapped),
    /// One message of a mapped mbox, shared with the reader and the other messages.
    Shared(Arc<Mapped>, Range<usize>),
}

impl Bytes {
    /// The bytes as a vector (copied when mapped), for callers that keep the message.
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Bytes::Owned(bytes) => bytes,
            Bytes::Mapped(mapped) => mapped.to_vec(),
            Bytes::Shared(mapped, range) => mapped[range].to_vec(),
        }
    }

    fn mapped(&self) -> Option<&Mapped> {
        match self {
            Bytes::Owned(_) => None,
            // A huge message of an mbox releases the whole mapping: the other messages' pages
            // are read again from the page cache if needed.
            Bytes::Mapped(mapped) => Some(mapped),
            Bytes::Shared(mapped, _) => Some(mapped),
        }
    }

    /// A pace keeper for walks over these bytes.
    pub(crate) fn pace(&self) -> Pace<'_> {
        Pace {
            mapped: self.mapped(),
            walked: Cell::new(0),
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::Owned(bytes)
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(bytes) => bytes,
            Bytes::Mapped(mapped) => mapped,
            Bytes::Shared(mapped, range) => &mapped[range.clone()],
        }
    }
}

/// Counts the bytes a walk has read and releases a mapping's pages every [`Pace::STEP`], so
/// that linear passes over a huge body keep only a few MiB resident. Free for owned bytes.
pub(crate) struct Pace<'a> {
    mapped: Option<&'a Mapped>,
    walked: Cell<usize>,
}

impl Pace<'_> {
    /// How many bytes may be walked between releases, and the size of the pieces long passes
    /// are cut into.
    pub const STEP: usize = 8 << 20;

    /// A pace for bytes that are not mapped (nothing to release).
    pub fn none() -> Pace<'static> {
        Pace {
            mapped: None,
            walked: Cell::new(0),
        }
    }

    /// Notes that `n` more bytes were read.
    pub fn walked(&self, n: usize) {
        let Some(mapped) = self.mapped else { return };
        let walked = self.walked.get() + n;
        if walked >= Self::STEP {
            mapped.release();
            self.walked.set(0);
        } else {
            self.walked.set(walked);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn released_ranges_follow_on_and_keep_the_contents() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        let mapped = Mapped::file(&file).unwrap().unwrap();
        // Whole 64 KiB pages only, each call starting where the last one ended.
        assert_eq!(mapped.release_range(0, 100_000), 65_536);
        assert_eq!(mapped.release_range(65_536, 140_000), 131_072);
        assert_eq!(mapped.release_range(131_072, 150_000), 131_072);
        assert_eq!(mapped.release_range(131_072, usize::MAX), 300_000);
        assert!(
            *mapped == data[..],
            "released pages are read again unchanged"
        );
    }
}
