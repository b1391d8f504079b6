//! `CorrelationView`: the events of one correlation id — one run or one action — in order.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Projection;
use crate::envelope::EventEnvelope;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CorrelationView {
    pub correlation_id: Uuid,
    pub events: Vec<EventEnvelope>,
}

impl CorrelationView {
    pub fn new(correlation_id: Uuid) -> Self {
        Self { correlation_id, events: Vec::new() }
    }
}

impl Projection for CorrelationView {
    const NAME: &'static str = "correlation";
    const VERSION: u32 = 1;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        let in_order = self.events.last().is_none_or(|last| last.sequence < envelope.sequence);
        if envelope.correlation_id == self.correlation_id && in_order {
            self.events.push(envelope.clone());
        }
    }
}
