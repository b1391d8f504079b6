//! Child processes that leave nothing behind.
//!
//! Each helper (Xvfb, tauri-driver) starts as the leader of its own process group. Its
//! descendants (WebKitWebDriver, the app, WebKit's web and network processes) stay in that
//! group, so ending the group ends all of them. The test process marks itself a child
//! subreaper, so those descendants are re-parented to it when their parents exit and can be
//! reaped here: no zombies are left even where PID 1 does not reap them (some containers).

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Once;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

/// How long a group gets to exit after SIGTERM before it is killed.
const TERM_GRACE: Duration = Duration::from_secs(3);

/// A child process leading its own process group; dropping it ends the whole group.
#[derive(Debug)]
pub struct Group {
    child: Child,
    name: &'static str,
}

impl Group {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(name: &'static str, mut command: Command) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt as _;
        become_subreaper();
        command.process_group(0);
        Ok(Self { child: command.spawn()?, name })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Whether the leader has exited (it is reaped then).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// The processes of the group now, zombies included.
    pub fn members(&self) -> Vec<Member> {
        members(self.id())
    }

    /// Kills one process of the group.
    pub fn kill(&self, pid: u32) {
        if let Some(pid) = Pid::from_raw(pid as i32) {
            // An error means it is gone already.
            let _ = rustix::process::kill_process(pid, Signal::KILL);
        }
        std::thread::sleep(Duration::from_millis(50));
        self.reap();
    }

    /// Reaps members of the group that have exited and were re-parented to this process.
    pub fn reap(&self) {
        for member in members(self.id()) {
            if member.zombie && member.pid != self.id() {
                reap(member.pid);
            }
        }
    }

    /// SIGTERM to the group, SIGKILL after a grace period, then reap everything.
    pub fn end(&mut self) {
        let leader = self.id();
        let Some(group) = Pid::from_raw(leader as i32) else { return };
        // Errors mean the group is already gone.
        let _ = rustix::process::kill_process_group(group, Signal::TERM);
        let deadline = Instant::now() + TERM_GRACE;
        while Instant::now() < deadline && members(leader).iter().any(|m| !m.zombie) {
            self.reap();
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(20));
        }
        if members(leader).iter().any(|m| !m.zombie) {
            eprintln!("e2e: {} (group {leader}) ignored SIGTERM; killing it", self.name);
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
        }
        let _ = self.child.wait();
        let deadline = Instant::now() + TERM_GRACE;
        loop {
            self.reap();
            let left = members(leader);
            if left.is_empty() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.end();
    }
}

/// Marks this process a child subreaper, once.
fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let me = rustix::process::getpid();
        if let Err(e) = rustix::process::set_child_subreaper(Some(me)) {
            eprintln!("e2e: cannot become a child subreaper ({e}); exited helpers may linger as zombies");
        }
    });
}

fn reap(pid: u32) {
    if let Some(pid) = Pid::from_raw(pid as i32) {
        // ECHILD: not our child (the system's init reaps it).
        let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
    }
}

/// One process as `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub pid: u32,
    pub ppid: u32,
    /// Exited, waiting to be reaped.
    pub zombie: bool,
    /// What it runs (`/proc/PID/exe`; ends in " (deleted)" when the file was replaced since).
    pub exe: Option<PathBuf>,
}

/// Every process whose process group is `group`, from `/proc/PID/stat`
/// (`pid (comm) state ppid pgrp ...`; `comm` may hold spaces and parentheses, hence the last `)`).
fn members(group: u32) -> Vec<Member> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
            let state = fields.next()?;
            let ppid: u32 = fields.next()?.parse().ok()?;
            let pgrp: u32 = fields.next()?.parse().ok()?;
            (pgrp == group).then(|| Member {
                pid,
                ppid,
                zombie: state == "Z" || state == "X",
                exe: std::fs::read_link(format!("/proc/{pid}/exe")).ok(),
            })
        })
        .collect()
}
