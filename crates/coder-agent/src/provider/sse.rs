//! A Server-Sent Events decoder for streamed model responses.
//!
//! Bytes arrive in arbitrary pieces — a line, a multi-byte character or an event may be split
//! between two reads — so the decoder buffers until a line ends and dispatches an event at each
//! blank line, as the SSE specification says. `data:` lines of one event are joined with `\n`;
//! comment lines (`:` first) and fields other than `event` and `data` are ignored. A line longer
//! than `MAX_LINE` is refused, so a server that never sends a newline cannot grow memory forever.

use super::ProviderError;

/// The longest line accepted; a model's single chunk is far smaller.
const MAX_LINE: usize = 8 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, if the server named the event.
    pub event: Option<String>,
    pub data: String,
}

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    /// Bytes of the line being received (no newline yet).
    line: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
    /// The previous byte was `\r`, so a following `\n` belongs to the same line ending.
    after_cr: bool,
}

impl SseDecoder {
    /// Feeds bytes; returns the events completed by them, in order.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, ProviderError> {
        let mut events = Vec::new();
        for &byte in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.end_line(&line)? {
                        events.push(event);
                    }
                }
                _ => {
                    if self.line.len() >= MAX_LINE {
                        return Err(ProviderError::Malformed(format!(
                            "a stream line is longer than {MAX_LINE} bytes"
                        )));
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(events)
    }

    /// The event still pending when the body ended without its closing blank line.
    pub(crate) fn finish(&mut self) -> Result<Option<SseEvent>, ProviderError> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            if let Some(event) = self.end_line(&line)? {
                return Ok(Some(event));
            }
        }
        Ok(self.dispatch())
    }

    fn end_line(&mut self, line: &[u8]) -> Result<Option<SseEvent>, ProviderError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        let line = std::str::from_utf8(line)
            .map_err(|_| ProviderError::Malformed("a stream line is not valid UTF-8".into()))?;
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        // An event without data is not dispatched (SSE specification, "dispatch the event").
        self.data.take().map(|data| SseEvent { event, data })
    }
}
