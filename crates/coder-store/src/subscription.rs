//! Catch-up subscriptions: every event from a sequence on, stored ones first, then live ones,
//! in sequence order with no gap and no duplicate.
//!
//! The subscription listens to the live channel from the moment it is created, then serves from
//! the store whatever is committed and not yet delivered. A live event is taken only when it is
//! exactly the next sequence; anything older is a duplicate of what the store already gave, and
//! anything newer (or a lag report from a subscriber that fell behind the channel's capacity)
//! sends it back to the store, which holds every committed event. When the writer stops, the
//! live channel closes and the subscription ends once it has delivered every stored event.

use std::collections::VecDeque;
use std::sync::Arc;

use coder_domain::EventEnvelope;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use crate::error::ReadError;
use crate::store::EventStore;

/// Events read from the store at a time while catching up.
const CATCH_UP_BATCH: usize = 1024;

pub struct Subscription {
    store: EventStore,
    live: broadcast::Receiver<Arc<EventEnvelope>>,
    next: u64,
    buffer: VecDeque<EventEnvelope>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("next", &self.next).finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(store: EventStore, live: broadcast::Receiver<Arc<EventEnvelope>>, from: u64) -> Self {
        Self { store, live, next: from.max(1), buffer: VecDeque::new() }
    }

    /// The sequence the next event will have.
    pub fn next_sequence(&self) -> u64 {
        self.next
    }

    fn stored(&mut self) -> Result<Option<EventEnvelope>, ReadError> {
        if self.buffer.is_empty() && self.store.last_sequence() >= self.next {
            self.buffer.extend(self.store.read_from(self.next, CATCH_UP_BATCH)?);
        }
        Ok(self.buffer.pop_front().inspect(|e| self.next = e.sequence + 1))
    }

    fn take_live(&mut self, envelope: &EventEnvelope) -> Option<EventEnvelope> {
        (envelope.sequence == self.next).then(|| {
            self.next += 1;
            envelope.clone()
        })
    }

    /// The next event, waiting for one to be committed. `None` once the store has closed (or,
    /// for a read-only store, which has no writer) and every stored event was delivered.
    pub async fn recv(&mut self) -> Result<Option<EventEnvelope>, ReadError> {
        loop {
            if let Some(e) = self.stored()? {
                return Ok(Some(e));
            }
            match self.live.recv().await {
                Ok(envelope) => {
                    if let Some(e) = self.take_live(&envelope) {
                        return Ok(Some(e));
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return self.stored(),
            }
        }
    }

    /// `recv` for threads outside an async runtime.
    pub fn blocking_recv(&mut self) -> Result<Option<EventEnvelope>, ReadError> {
        loop {
            if let Some(e) = self.stored()? {
                return Ok(Some(e));
            }
            match self.live.blocking_recv() {
                Ok(envelope) => {
                    if let Some(e) = self.take_live(&envelope) {
                        return Ok(Some(e));
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return self.stored(),
            }
        }
    }

    /// The next event if one is committed already; never waits.
    pub fn try_recv(&mut self) -> Result<Option<EventEnvelope>, ReadError> {
        loop {
            if let Some(e) = self.stored()? {
                return Ok(Some(e));
            }
            match self.live.try_recv() {
                Ok(envelope) => {
                    if let Some(e) = self.take_live(&envelope) {
                        return Ok(Some(e));
                    }
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => return Ok(None),
            }
        }
    }
}
