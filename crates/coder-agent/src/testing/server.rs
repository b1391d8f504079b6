//! The HTTP/1.1 side of `ScriptServer`: one request per connection (every answer says
//! `Connection: close`), a body read by `Content-Length`, answers written by hand.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::wire::{self, Rendered};
use super::{Fault, Framing, RecordedRequest, ServeOptions, Turn, Wire};

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// The pause between two fragments when `ServeOptions::fragment` is set.
const FRAGMENT_PAUSE: Duration = Duration::from_millis(1);
/// What `Fault::Malformed` sends.
const GARBAGE: &str = "data: {\"choices\": [this is not JSON\n\n";

#[derive(Debug)]
pub(super) struct Shared {
    pub wire: Wire,
    pub options: ServeOptions,
    pub turns: Vec<Turn>,
    pub state: Mutex<State>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub next_turn: usize,
    pub requests: Vec<RecordedRequest>,
}

pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            // Out of file descriptors or similar: wait a little instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(handle(socket, Arc::clone(&shared)));
    }
}

async fn handle(mut socket: TcpStream, shared: Arc<Shared>) {
    let _ = socket.set_nodelay(true);
    let Ok(Some(request)) = read_request(&mut socket).await else {
        return;
    };
    let expected = match shared.wire {
        Wire::OpenAi => "/v1/chat/completions",
        Wire::Anthropic => "/v1/messages",
    };
    let route_ok = request.method == "POST" && request.path == expected;
    let turn = {
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests.push(request);
        let turn = route_ok.then(|| shared.turns.get(state.next_turn).cloned());
        if route_ok {
            state.next_turn += 1;
        }
        turn
    };
    // Write errors mean the client went away, which ends the exchange either way.
    let _ = match turn {
        None => respond_json(&mut socket, 404, &error_body(&format!("no route; POST {expected}"))).await,
        Some(None) => {
            respond_json(&mut socket, 500, &error_body("the script server has no more turns")).await
        }
        Some(Some(turn)) => play(&mut socket, &shared, turn).await,
    };
}

fn error_body(message: &str) -> String {
    serde_json::json!({ "error": { "type": "api_error", "message": message } }).to_string()
}

async fn play(socket: &mut TcpStream, shared: &Shared, turn: Turn) -> std::io::Result<()> {
    match &turn.fault {
        Some(Fault::Status(status, body)) => return respond_json(socket, *status, body).await,
        Some(Fault::Redirect(location)) => return respond_redirect(socket, location).await,
        _ => {}
    }
    let Rendered { chunks, end } = match shared.wire {
        Wire::OpenAi => wire::openai(&turn.events),
        Wire::Anthropic => wire::anthropic(&turn.events),
    };
    let options = shared.options;
    let mut head = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n",
    );
    if options.framing == Framing::Chunked {
        head.push_str("Transfer-Encoding: chunked\r\n");
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    socket.flush().await?;
    let sent = match turn.fault {
        Some(Fault::DropAfter(count)) => count.min(chunks.len()),
        _ => chunks.len(),
    };
    for chunk in &chunks[..sent] {
        write_chunk(socket, options, chunk).await?;
    }
    match turn.fault {
        Some(Fault::DropAfter(_)) => return socket.shutdown().await,
        Some(Fault::Malformed) => write_chunk(socket, options, GARBAGE).await?,
        Some(Fault::Raw(text)) => write_chunk(socket, options, &text).await?,
        Some(Fault::Stall) => {
            // Hold the connection until the client closes it (or the server is dropped).
            let mut buffer = [0_u8; 1024];
            while matches!(socket.read(&mut buffer).await, Ok(read) if read > 0) {}
            return Ok(());
        }
        Some(Fault::Status(..) | Fault::Redirect(_)) | None => write_chunk(socket, options, &end).await?,
    }
    if options.framing == Framing::Chunked {
        socket.write_all(b"0\r\n\r\n").await?;
    }
    socket.shutdown().await
}

async fn write_chunk(socket: &mut TcpStream, options: ServeOptions, data: &str) -> std::io::Result<()> {
    let framed = match options.framing {
        Framing::Chunked => format!("{:x}\r\n{data}\r\n", data.len()),
        Framing::CloseDelimited => data.to_owned(),
    };
    match options.fragment {
        Some(size) if size > 0 => {
            for piece in framed.as_bytes().chunks(size) {
                socket.write_all(piece).await?;
                socket.flush().await?;
                tokio::time::sleep(FRAGMENT_PAUSE).await;
            }
        }
        _ => socket.write_all(framed.as_bytes()).await?,
    }
    socket.flush().await
}

async fn respond_json(socket: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.flush().await?;
    socket.shutdown().await
}

async fn respond_redirect(socket: &mut TcpStream, location: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await?;
    socket.flush().await?;
    socket.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}

/// Reads one request; `None` when the client closed before sending a whole one.
async fn read_request(socket: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Option<RecordedRequest>> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        if buffer.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too large"));
        }
        let mut piece = [0_u8; 4096];
        let read = socket.read(&mut piece).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&piece[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(std::io::Error::other("request body too large"));
    }
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut piece = vec![0_u8; (length - body.len()).min(64 * 1024)];
        let read = socket.read(&mut piece).await?;
        if read == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&piece[..read]);
    }
    body.truncate(length);
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some(RecordedRequest { method, path, headers, body }))
}
