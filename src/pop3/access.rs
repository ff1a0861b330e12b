//! POP3 as a mail-access session for the fetch pipeline: the listing (LIST cross-checked with
//! UIDL), RETR, DELE, RSET and QUIT.

use std::{
    collections::{HashMap, HashSet},
    io::{Read, Write},
};

use anyhow::Context;

use super::{Pop3Error, Session};
use crate::{
    exit::{Failure, Kind},
    maildrop::{Entry, Listing, MailAccess, MessageSink},
};

impl<S: Read + Write> MailAccess for Session<S> {
    type Error = Pop3Error;

    /// Reads LIST, then UIDL when the server supports it, and cross-checks them.
    fn listing(&mut self) -> anyhow::Result<Listing> {
        let list = self.list().map_err(Failure::from).context("listing")?;
        let mut seen = HashSet::new();
        for (number, _) in &list {
            if !seen.insert(*number) {
                crate::bail!(
                    Kind::Protocol,
                    "listing: the server listed message {number} twice"
                );
            }
        }
        let caps_known = self.capabilities().known;
        let uidls = if self.capabilities().uidl() || !caps_known {
            match self.uidl() {
                Ok(uidls) => Some(uidls),
                Err(Pop3Error::Refused { .. }) if !caps_known => None,
                Err(err) => return Err(Failure::from(err)).context("listing unique ids"),
            }
        } else {
            None
        };
        let mut by_number: HashMap<u32, String> = HashMap::new();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        if let Some(uidls) = &uidls {
            for (number, uidl) in uidls {
                if !seen.contains(number) || by_number.insert(*number, uidl.clone()).is_some() {
                    crate::bail!(
                        Kind::Protocol,
                        "listing unique ids: UIDL names message {number}, which LIST does not list once"
                    );
                }
                *counts.entry(uidl).or_default() += 1;
            }
            if by_number.len() != list.len() {
                crate::bail!(
                    Kind::Protocol,
                    "listing unique ids: UIDL lists {} messages, LIST {}",
                    by_number.len(),
                    list.len()
                );
            }
        }
        let duplicates: HashSet<String> = counts
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(uidl, _)| uidl.to_string())
            .collect();
        let entries = list
            .into_iter()
            .map(|(number, size)| Entry {
                number,
                size,
                uidl: by_number.remove(&number),
            })
            .collect();
        Ok(Listing {
            entries,
            has_uidl: uidls.is_some(),
            duplicates,
        })
    }

    fn retrieve<K: MessageSink>(
        &mut self,
        entries: &[Entry],
        to_lf: bool,
        sink: &mut K,
    ) -> Result<(), Pop3Error> {
        let numbers: Vec<u32> = entries.iter().map(|e| e.number).collect();
        Session::retrieve(self, &numbers, to_lf, sink)
    }

    fn delete(&mut self, entries: &[Entry]) -> Result<(), Pop3Error> {
        let numbers: Vec<u32> = entries.iter().map(|e| e.number).collect();
        self.dele(&numbers)
    }

    fn is_refusal(err: &Pop3Error) -> bool {
        matches!(err, Pop3Error::Refused { .. })
    }

    fn undo_deletes(&mut self) -> Result<(), Pop3Error> {
        self.rset()
    }

    fn close(&mut self) -> Result<(), Pop3Error> {
        self.quit()
    }

    /// TOP n 0 for each, pipelined.
    fn headers(&mut self, entries: &[Entry]) -> Result<Vec<Option<Vec<u8>>>, Pop3Error> {
        let numbers: Vec<u32> = entries.iter().map(|e| e.number).collect();
        self.top_headers(&numbers, super::HEADER_CAP)
    }

    fn keep_alive(&mut self) -> Result<(), Pop3Error> {
        self.noop()
    }
}
