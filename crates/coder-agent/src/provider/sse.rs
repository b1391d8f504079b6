//! A Server-Sent Events decoder for streamed model responses.
//!
//! Bytes arrive in arbitrary pieces — a line, a multi-byte character or an event may be split
//! between two reads — so the decoder buffers until a line ends and dispatches an event at each
//! blank line, as the SSE specification says. `data:` lines of one event are joined with `\n`;
//! comment lines (`:` first) and fields other than `event` and `data` are ignored. A line longer
//! than `MAX_LINE_BYTES`, or an event whose data outgrows `MAX_EVENT_BYTES`, is `TooLarge`, so a
//! server that never sends a newline (or never a blank line) cannot grow memory forever.
//!
//! Why not `eventsource-stream`: checked against its 0.2.3 source, its `EventStream` appends
//! every chunk to one `String` until a line ends and offers no bound on that buffer nor on an
//! event's accumulated data, so it cannot refuse an endless line; it also re-parses the buffer
//! from its start on every chunk, so a line arriving in n pieces costs O(n²). Bounding input is
//! the point of this decoder, so it stays hand-written (and property-tested, see `proptests`).

use super::limits::{self, MAX_EVENT_BYTES, MAX_LINE_BYTES};
use super::ProviderError;

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
    /// Feeds bytes and appends the events they complete to `events`, in order. On an error the
    /// events completed before it are in `events` already; the decoder must not be fed again.
    pub(crate) fn push(&mut self, bytes: &[u8], events: &mut Vec<SseEvent>) -> Result<(), ProviderError> {
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
                    if self.line.len() >= MAX_LINE_BYTES {
                        return Err(limits::too_many_bytes("a line of the event stream", MAX_LINE_BYTES));
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(())
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
            "data" => {
                let so_far = self.data.as_ref().map_or(0, |data| data.len() + 1);
                if so_far + value.len() > MAX_EVENT_BYTES {
                    return Err(limits::too_many_bytes("the data of one stream event", MAX_EVENT_BYTES));
                }
                match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Vec<SseEvent>, ProviderError> {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        decoder.push(bytes, &mut events)?;
        events.extend(decoder.finish()?);
        Ok(events)
    }

    #[test]
    fn an_endless_line_is_too_large_not_unbounded_memory() {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        let piece = vec![b'x'; 1024 * 1024];
        let mut fed = 0;
        let error = loop {
            if let Err(error) = decoder.push(&piece, &mut events) {
                break error;
            }
            fed += piece.len();
            assert!(fed <= MAX_LINE_BYTES, "the decoder kept buffering past its limit");
        };
        assert!(matches!(&error, ProviderError::TooLarge(m) if m.contains("line")), "{error:?}");
        assert!(decoder.line.len() <= MAX_LINE_BYTES, "the buffer stays within the bound");
    }

    #[test]
    fn an_event_of_endless_data_lines_is_too_large() {
        let line = format!("data: {}\n", "y".repeat(1024 * 1024 - 7));
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        let error = (0..64)
            .find_map(|_| decoder.push(line.as_bytes(), &mut events).err())
            .expect("16 MiB of data in one event is refused");
        assert!(matches!(&error, ProviderError::TooLarge(m) if m.contains("event")), "{error:?}");
    }

    #[test]
    fn events_before_a_fault_are_kept() {
        let mut decoder = SseDecoder::default();
        let mut events = Vec::new();
        let result = decoder.push(b"data: one\n\ndata: \xff\n\n", &mut events);
        assert_eq!(events, [SseEvent { event: None, data: "one".into() }]);
        assert!(matches!(result, Err(ProviderError::Malformed(_))), "{result:?}");
    }

    #[test]
    fn fields_comments_and_line_endings_follow_the_specification() {
        let events = decode(b": hi\r\nevent: a\r\ndata: 1\rdata:2\n\nid: 7\n\ndata").unwrap();
        assert_eq!(
            events,
            [
                SseEvent { event: Some("a".into()), data: "1\n2".into() },
                SseEvent { event: None, data: String::new() },
            ],
            "CR, LF and CRLF all end lines; an event without data is not dispatched"
        );
    }
}
