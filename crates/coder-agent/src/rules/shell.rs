//! Splitting a shell command line into the simple commands it runs, so that a rule is matched
//! against each of them and never against a chain as a whole.
//!
//! What counts as a part:
//! - each command of a list or pipeline: `;`, `&&`, `||`, `|`, `|&`, `&`, newlines;
//! - each command inside `( … )`, `$( … )`, `` ` … ` ``, `<( … )` and `>( … )`, and inside the
//!   unquoted here-documents whose text the shell expands;
//! - the command a wrapper runs, as a part of its own besides the wrapper's: `sudo rm x` is the
//!   parts `sudo rm x` and `rm x`; likewise `env`, `nice`, `nohup`, `timeout`, `stdbuf`,
//!   `setsid`, `command`, `builtin`, `exec`, `xargs`, `find … -exec`, leading `NAME=value`
//!   assignments, `sh -c '…'` (and bash, zsh, dash, ksh) and `eval`.
//!
//! A part's text is its words as written — quotes kept, single spaces between words — without
//! its redirections, and without the keywords of `if`/`while`/`until`/`{ }` and `!`/`time`.
//! Beside it are its words as the program receives them (quotes removed, backslash escapes
//! resolved, line continuations joined), which is what rules match, so that `\rm`, `'rm'`,
//! `r""m` and `/bin/rm` are all `rm` to a `deny`. Whether the part sends output to a file
//! (anything but `/dev/null` or another descriptor) is kept too, since a rule about running a
//! command says nothing about overwriting a file, and whether its standard input comes from a
//! pipe, a file or a here-document, since a shell or an interpreter reading it runs a script
//! the line does not show (`Part::runs_unseen`).
//!
//! The splitter is conservative: whatever it cannot follow with confidence — an unclosed quote,
//! parenthesis or here-document, `for`/`case`/`select` and function definitions, a trailing
//! backslash, a NUL, a line over `MAX_COMMAND_CHARS`, nesting past `MAX_DEPTH` — is an error,
//! and a command that gives one is never allowed by a rule. It never panics, whatever the input
//! (see the property test).

/// Longest command line the splitter reads, in characters.
pub const MAX_COMMAND_CHARS: usize = 64 * 1024;
/// Deepest nesting of substitutions, subshells and wrapped scripts it follows.
pub const MAX_DEPTH: usize = 16;
/// Most parts one command line may have.
pub const MAX_PARTS: usize = 256;

/// A simple command found in a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// Its words as written, joined by single spaces, without redirections.
    pub text: String,
    /// Its words as the program receives them: quotes removed, escapes resolved, line
    /// continuations joined. Expansions (`$x`, `$(…)`) stay as written.
    pub words: Vec<String>,
    /// Its output goes to a file.
    pub writes_file: bool,
    /// Its standard input comes from a pipe, a file or a here-document.
    pub reads_input: bool,
}

/// Shells: with `-c` their script is on the line (and split); otherwise they read one from a
/// file, a pipe or a here-document that the rules cannot see.
const SHELLS: [&str; 8] = ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish"];

/// Interpreters that run code given inline (`python -c`, `perl -e`, `node -e`, `php -r`) or
/// read from their standard input.
const INTERPRETERS: [&str; 12] =
    ["python", "perl", "ruby", "node", "php", "lua", "deno", "bun", "tclsh", "pwsh", "osascript", "irb"];

/// Programs that run whatever another machine, user or multi-call binary makes of their
/// arguments: `su -c`, `ssh host …`, `busybox …`, and `source`/`.` of a script file.
const RUN_ELSEWHERE: [&str; 6] = ["su", "ssh", "busybox", "toybox", "source", "."];

impl Part {
    /// A part from its words as written (split at spaces), for tests.
    #[cfg(test)]
    pub(crate) fn from_text(text: &str) -> Self {
        let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        Self {
            text: words.join(" "),
            words: words.iter().map(|w| unquote(w)).collect(),
            writes_file: false,
            reads_input: false,
        }
    }

    /// Where the program is among the words: the first word after `NAME=value` assignments.
    fn program_at(&self) -> Option<usize> {
        let at = self.words.iter().take_while(|w| is_assignment(w)).count();
        (at < self.words.len()).then_some(at)
    }

    /// The words, each re-quoted when it holds a space or a quote, joined by single spaces;
    /// with `basename`, the program reduced to its file name (`/usr/bin/rm` → `rm`).
    pub(crate) fn canonical(&self, basename: bool) -> String {
        let program = self.program_at();
        let shown: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let word = if basename && Some(i) == program { base_name(word) } else { word };
                if word.is_empty() || word.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                    format!("'{}'", word.replace('\'', "'\\''"))
                } else {
                    word.to_owned()
                }
            })
            .collect();
        shown.join(" ")
    }

    /// The words joined by single spaces with no quoting at all, the program as given or as
    /// its file name: the loosest reading, for `deny` and `ask`.
    pub(crate) fn loose(&self, basename: bool) -> String {
        let program = self.program_at();
        let shown: Vec<&str> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| if basename && Some(i) == program { base_name(w) } else { w.as_str() })
            .collect();
        shown.join(" ")
    }

    /// Why the part runs code that is not on the command line, if it does: a shell reading a
    /// script file, a pipe or a here-document; `python -c` and the like; `su`, `ssh`,
    /// `busybox`; a program named by an expansion or a glob. No rule narrower than `*` allows
    /// such a part, and every `deny` or `ask` rule of `run_command` makes it wait.
    pub fn runs_unseen(&self) -> Option<&'static str> {
        let at = self.program_at()?;
        let written = &self.words[at];
        let args = &self.words[at + 1..];
        if written.contains(['$', '`']) || (written != "[" && written.contains(['*', '?', '['])) {
            return Some("a program named by an expansion or a glob");
        }
        let program = base_name(written);
        if SHELLS.contains(&program) {
            let only_about = !args.is_empty() && args.iter().all(|a| a == "--version" || a == "--help");
            return match shell_script(args) {
                Wrapped::Script(_) => None,
                _ if only_about => None,
                _ => Some("a shell running a script that is not on the command line"),
            };
        }
        let family = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        if INTERPRETERS.contains(&family) {
            let inline = inline_code(family, args);
            let from_input = self.reads_input && !args.iter().any(|a| !a.starts_with('-'));
            return (inline || from_input)
                .then_some("an interpreter running code that is not on the command line");
        }
        if RUN_ELSEWHERE.contains(&program) {
            return Some("a program that runs commands the rules cannot see (su, ssh, busybox, source)");
        }
        None
    }
}

/// Whether an interpreter of `family` is given code on its command line (`python -c`, `perl
/// -e`, `node -p`, `php -r`, `deno eval`) or told to read it from its input (`-`). Its options
/// are read up to its script (a name with a script's extension) or, for Python, a `-m` module,
/// after which the arguments are the script's own.
fn inline_code(family: &str, args: &[String]) -> bool {
    let letters: &[char] = match family {
        "python" => &['c'],
        "perl" => &['e', 'E'],
        "node" | "bun" => &['e', 'p'],
        "php" => &['r'],
        _ => &['c', 'e'],
    };
    const SCRIPTS: [&str; 10] = [".py", ".pl", ".pm", ".rb", ".js", ".mjs", ".cjs", ".ts", ".php", ".lua"];
    for arg in args {
        if arg == "-" || arg == "--eval" || arg == "--print" || (arg == "eval" && family != "python") {
            return true;
        }
        if arg == "--" || (family == "python" && arg == "-m") {
            return false;
        }
        if let Some(flags) = arg.strip_prefix('-').filter(|f| !f.starts_with('-')) {
            if flags.contains(letters) {
                return true;
            }
        } else if SCRIPTS.iter().any(|ext| arg.ends_with(ext)) {
            return false;
        }
    }
    false
}

/// A program's file name: `/usr/bin/rm` → `rm`.
fn base_name(word: &str) -> &str {
    match word.rsplit('/').next() {
        Some(name) if !name.is_empty() => name,
        _ => word,
    }
}

/// Why a command line cannot be split with confidence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShellError {
    #[error("it is empty")]
    Empty,
    #[error("it is longer than {MAX_COMMAND_CHARS} characters")]
    TooLong,
    #[error("it nests more than {MAX_DEPTH} levels deep")]
    TooDeep,
    #[error("it runs more than {MAX_PARTS} commands")]
    TooManyParts,
    #[error("a {0} is never closed")]
    Unclosed(&'static str),
    #[error("it has a `{0}` that closes nothing")]
    Unbalanced(char),
    #[error("it ends with a lone backslash")]
    TrailingBackslash,
    #[error("it contains a NUL character")]
    Nul,
    #[error("a redirection has no target")]
    MissingTarget,
    #[error("a here-document's text never ends with its delimiter")]
    UnterminatedHeredoc,
    #[error("it uses {0}, which the rules do not look into")]
    Unsupported(&'static str),
}

/// The simple commands `command` runs, in the order they are found (a substitution before the
/// command it is part of).
pub fn split(command: &str) -> Result<Vec<Part>, ShellError> {
    if command.contains('\0') {
        return Err(ShellError::Nul);
    }
    if command.chars().count() > MAX_COMMAND_CHARS {
        return Err(ShellError::TooLong);
    }
    let parts = Parser::new(command).run(0)?;
    if parts.is_empty() {
        return Err(ShellError::Empty);
    }
    Ok(parts)
}

/// A here-document announced on the current line, read after its newline.
struct Heredoc {
    delimiter: String,
    /// A quoted delimiter makes the text literal; otherwise `$(…)` and backticks in it run.
    expands: bool,
    strip_tabs: bool,
}

/// What a redirection operator does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redirect {
    /// `>`, `>>`, `>|`, `&>`, `&>>`, `<>`: writes the target file.
    Output,
    /// `>&`, `<&`: duplicates a descriptor (or, with a file name, writes it).
    Duplicate,
    /// `<`, `<<<`: reads.
    Input,
    /// `<<`, `<<-`: a here-document follows the line.
    Heredoc { strip_tabs: bool },
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    parts: Vec<Part>,
    heredocs: Vec<Heredoc>,
    /// The next command reads what a pipe gives it.
    piped: bool,
}

impl Parser {
    fn new(text: &str) -> Self {
        Self { chars: text.chars().collect(), pos: 0, parts: Vec::new(), heredocs: Vec::new(), piped: false }
    }

    /// Splits the whole text as a command list at `depth`.
    fn run(mut self, depth: usize) -> Result<Vec<Part>, ShellError> {
        self.list(depth, false)?;
        if !self.heredocs.is_empty() {
            return Err(ShellError::UnterminatedHeredoc);
        }
        Ok(self.parts)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn push(&mut self, part: Part) -> Result<(), ShellError> {
        if self.parts.len() >= MAX_PARTS {
            return Err(ShellError::TooManyParts);
        }
        self.parts.push(part);
        Ok(())
    }

    /// Splits `text` (a substitution's or a wrapped script's) at `depth` into this parser's
    /// parts.
    fn nested(&mut self, text: &str, depth: usize) -> Result<(), ShellError> {
        if depth > MAX_DEPTH {
            return Err(ShellError::TooDeep);
        }
        for part in Parser::new(text).run(depth)? {
            self.push(part)?;
        }
        Ok(())
    }

    /// Spaces, tabs and line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                _ => return,
            }
        }
    }

    /// A command list, up to the end of the text or, when `closed`, up to and including the
    /// `)` that closes it.
    fn list(&mut self, depth: usize, closed: bool) -> Result<(), ShellError> {
        if depth > MAX_DEPTH {
            return Err(ShellError::TooDeep);
        }
        loop {
            self.skip_blanks();
            match self.peek() {
                None if closed => return Err(ShellError::Unclosed("parenthesis")),
                None => return Ok(()),
                Some(')') if closed => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(')') => return Err(ShellError::Unbalanced(')')),
                Some('\n') => {
                    self.pos += 1;
                    self.piped = false;
                    self.read_heredocs(depth)?;
                }
                Some(';') => {
                    if matches!(self.peek_at(1), Some(';' | '&')) {
                        return Err(ShellError::Unsupported("`case` branches"));
                    }
                    self.pos += 1;
                    self.piped = false;
                }
                Some('&') if self.peek_at(1) != Some('>') => {
                    self.pos += if self.peek_at(1) == Some('&') { 2 } else { 1 };
                    self.piped = false;
                }
                Some('|') => {
                    let or = self.peek_at(1) == Some('|');
                    self.pos += if matches!(self.peek_at(1), Some('|' | '&')) { 2 } else { 1 };
                    self.piped = !or;
                }
                Some('(') => {
                    self.pos += 1;
                    let first = self.parts.len();
                    self.list(depth + 1, true)?;
                    // `( … ) > file`: whatever ran inside wrote to the file.
                    if self.command(depth, true)? {
                        for part in &mut self.parts[first..] {
                            part.writes_file = true;
                        }
                    }
                }
                Some(_) => {
                    self.command(depth, false)?;
                }
            }
        }
    }

    /// A simple command: words and redirections up to an operator. After a subshell
    /// (`only_redirects`) a word is an error. Returns whether output goes to a file.
    fn command(&mut self, depth: usize, only_redirects: bool) -> Result<bool, ShellError> {
        let mut words: Vec<String> = Vec::new();
        let mut writes_file = false;
        let mut reads_input = std::mem::take(&mut self.piped);
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some('\n' | ';' | '|' | ')') => break,
                Some('&') if self.peek_at(1) != Some('>') => break,
                Some('#') => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.pos += 1;
                    }
                }
                Some('(') => {
                    return Err(ShellError::Unsupported("a `(` inside a command (a function definition?)"))
                }
                Some(_) => {
                    if let Some(redirect) = self.redirect_operator() {
                        reads_input |= matches!(redirect, Redirect::Input | Redirect::Heredoc { .. });
                        writes_file |= self.redirect(redirect, depth)?;
                        continue;
                    }
                    let word = self.word(depth)?;
                    if only_redirects {
                        return Err(ShellError::Unsupported("words after a `( … )` group"));
                    }
                    words.push(word);
                }
            }
        }
        if !only_redirects {
            self.finish(words, writes_file, reads_input, depth)?;
        }
        Ok(writes_file)
    }

    /// The redirection operator at the cursor, consumed, if there is one: optional descriptor
    /// digits, then `>`, `>>`, `>|`, `>&`, `<`, `<<`, `<<-`, `<<<`, `<>`, `<&`; or `&>`, `&>>`.
    fn redirect_operator(&mut self) -> Option<Redirect> {
        let start = self.pos;
        let mut at = self.pos;
        while self.chars.get(at).is_some_and(char::is_ascii_digit) {
            at += 1;
        }
        let rest: String = self.chars[at..self.chars.len().min(at + 3)].iter().collect();
        let (len, redirect) = if at == start && (rest.starts_with("&>>") || rest.starts_with("&>")) {
            (if rest.starts_with("&>>") { 3 } else { 2 }, Redirect::Output)
        } else if rest.starts_with(">(") || rest.starts_with("<(") {
            // A process substitution is a word, not a redirection.
            return None;
        } else if rest.starts_with("<<<") {
            (3, Redirect::Input)
        } else if rest.starts_with("<<-") {
            (3, Redirect::Heredoc { strip_tabs: true })
        } else if rest.starts_with("<<") {
            (2, Redirect::Heredoc { strip_tabs: false })
        } else if rest.starts_with(">>") || rest.starts_with(">|") || rest.starts_with("<>") {
            (2, Redirect::Output)
        } else if rest.starts_with(">&") || rest.starts_with("<&") {
            (2, Redirect::Duplicate)
        } else if rest.starts_with('>') {
            (1, Redirect::Output)
        } else if rest.starts_with('<') {
            (1, Redirect::Input)
        } else {
            return None;
        };
        self.pos = at + len;
        Some(redirect)
    }

    /// Reads a redirection's target; returns whether it writes a file.
    fn redirect(&mut self, redirect: Redirect, depth: usize) -> Result<bool, ShellError> {
        self.skip_blanks();
        let ends = |c: Option<char>| matches!(c, None | Some('\n' | ';' | '|' | '&' | ')' | '<' | '>'));
        if ends(self.peek()) {
            return Err(ShellError::MissingTarget);
        }
        let target = self.word(depth)?;
        Ok(match redirect {
            Redirect::Output => target != "/dev/null",
            Redirect::Duplicate => !(target == "-" || target.chars().all(|c| c.is_ascii_digit())),
            Redirect::Input => false,
            Redirect::Heredoc { strip_tabs } => {
                let expands = !target.contains(['\'', '"', '\\']);
                let delimiter = unquote(&target);
                self.heredocs.push(Heredoc { delimiter, expands, strip_tabs });
                false
            }
        })
    }

    /// One word, as written; the commands in its substitutions become parts.
    fn word(&mut self, depth: usize) -> Result<String, ShellError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' => break,
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    self.list(depth + 1, true)?;
                }
                '<' | '>' => break,
                '\\' => match self.peek_at(1) {
                    None => return Err(ShellError::TrailingBackslash),
                    Some(_) => self.pos += 2,
                },
                '\'' => {
                    self.pos += 1;
                    self.skip_past('\'', "single quote")?;
                }
                '"' => self.double_quoted(depth)?,
                '`' => self.backticks(depth)?,
                '$' => self.dollar(depth)?,
                _ => self.pos += 1,
            }
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// Moves past the next `end`, with no escapes in between.
    fn skip_past(&mut self, end: char, what: &'static str) -> Result<(), ShellError> {
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == end {
                return Ok(());
            }
        }
        Err(ShellError::Unclosed(what))
    }

    /// `"…"`: `\` escapes; `$(…)`, `${…}` and backticks inside run.
    fn double_quoted(&mut self, depth: usize) -> Result<(), ShellError> {
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(ShellError::Unclosed("double quote")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => {
                    if self.peek_at(1).is_none() {
                        return Err(ShellError::Unclosed("double quote"));
                    }
                    self.pos += 2;
                }
                Some('`') => self.backticks(depth)?,
                Some('$') => self.dollar(depth)?,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `$(…)` (and `$((…))`), `${…}`, `$'…'`, or a plain `$`.
    fn dollar(&mut self, depth: usize) -> Result<(), ShellError> {
        match self.peek_at(1) {
            Some('(') => {
                self.pos += 2;
                self.list(depth + 1, true)
            }
            Some('{') => {
                self.pos += 2;
                self.braced(depth)
            }
            Some('\'') => {
                self.pos += 2;
                loop {
                    match self.peek() {
                        None => return Err(ShellError::Unclosed("`$'…'` quote")),
                        Some('\\') => self.pos += 2,
                        Some('\'') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        Some(_) => self.pos += 1,
                    }
                }
            }
            _ => {
                self.pos += 1;
                Ok(())
            }
        }
    }

    /// The inside of `${…}`, up to its `}`: it may hold quotes and substitutions.
    fn braced(&mut self, depth: usize) -> Result<(), ShellError> {
        if depth > MAX_DEPTH {
            return Err(ShellError::TooDeep);
        }
        loop {
            match self.peek() {
                None => return Err(ShellError::Unclosed("`${`")),
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => {
                    if self.peek_at(1).is_none() {
                        return Err(ShellError::TrailingBackslash);
                    }
                    self.pos += 2;
                }
                Some('\'') => {
                    self.pos += 1;
                    self.skip_past('\'', "single quote")?;
                }
                Some('"') => self.double_quoted(depth + 1)?,
                Some('`') => self.backticks(depth + 1)?,
                Some('$') => self.dollar(depth + 1)?,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// `` `…` ``: its text, with `` \` ``, `\\` and `\$` unescaped, is split as a command list.
    fn backticks(&mut self, depth: usize) -> Result<(), ShellError> {
        self.pos += 1;
        let mut inner = String::new();
        loop {
            match self.peek() {
                None => return Err(ShellError::Unclosed("backtick")),
                Some('`') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => match self.peek_at(1) {
                    Some(c @ ('`' | '\\' | '$')) => {
                        inner.push(c);
                        self.pos += 2;
                    }
                    Some(c) => {
                        inner.push('\\');
                        inner.push(c);
                        self.pos += 2;
                    }
                    None => return Err(ShellError::Unclosed("backtick")),
                },
                Some(c) => {
                    inner.push(c);
                    self.pos += 1;
                }
            }
        }
        self.nested(&inner, depth + 1)
    }

    /// After a newline: the text of each here-document announced on the line just ended.
    fn read_heredocs(&mut self, depth: usize) -> Result<(), ShellError> {
        for heredoc in std::mem::take(&mut self.heredocs) {
            let mut body = String::new();
            loop {
                if self.pos >= self.chars.len() {
                    return Err(ShellError::UnterminatedHeredoc);
                }
                let end = self.chars[self.pos..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(self.chars.len(), |i| self.pos + i);
                let line: String = self.chars[self.pos..end].iter().collect();
                self.pos = (end + 1).min(self.chars.len());
                let compared = if heredoc.strip_tabs { line.trim_start_matches('\t') } else { &line };
                if compared == heredoc.delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if heredoc.expands {
                self.expansions(&body, depth)?;
            }
        }
        Ok(())
    }

    /// The substitutions in text that expands like the inside of double quotes (a here-document).
    fn expansions(&mut self, text: &str, depth: usize) -> Result<(), ShellError> {
        let mut inner = Parser::new(text);
        while let Some(c) = inner.peek() {
            match c {
                '\\' => inner.pos += 2,
                '`' => inner.backticks(depth)?,
                '$' => inner.dollar(depth)?,
                _ => inner.pos += 1,
            }
        }
        if !inner.heredocs.is_empty() {
            return Err(ShellError::UnterminatedHeredoc);
        }
        for part in inner.parts {
            self.push(part)?;
        }
        Ok(())
    }

    /// Records a simple command's part, and the parts of the command it wraps.
    fn finish(
        &mut self,
        mut words: Vec<String>,
        writes_file: bool,
        reads_input: bool,
        depth: usize,
    ) -> Result<(), ShellError> {
        while let Some(first) = words.first() {
            match first.as_str() {
                "if" | "then" | "else" | "elif" | "fi" | "do" | "done" | "while" | "until" | "!" | "{"
                | "}" => {
                    words.remove(0);
                }
                "time" => {
                    words.remove(0);
                    if words.first().is_some_and(|w| w == "-p") {
                        words.remove(0);
                    }
                }
                "for" | "case" | "esac" | "select" | "function" | "coproc" => {
                    return Err(ShellError::Unsupported("`for`, `case`, `select` or a function"));
                }
                _ => break,
            }
        }
        if words.is_empty() {
            // `> file` alone still writes the file.
            if writes_file {
                self.push(Part { text: String::new(), words: Vec::new(), writes_file, reads_input })?;
            }
            return Ok(());
        }
        let plain: Vec<String> = words.iter().map(|w| unquote(w)).collect();
        let wraps = wrapped(&words, &plain);
        self.push(Part { text: words.join(" "), words: plain, writes_file, reads_input })?;
        match wraps {
            Wrapped::Nothing => Ok(()),
            Wrapped::Unsupported(what) => Err(ShellError::Unsupported(what)),
            Wrapped::Command(_) | Wrapped::Script(_) if depth >= MAX_DEPTH => Err(ShellError::TooDeep),
            Wrapped::Command(at) => self.finish(words.split_off(at), writes_file, reads_input, depth + 1),
            Wrapped::Script(script) => {
                let first = self.parts.len();
                self.nested(&script, depth + 1)?;
                // `sh -c '…' > file`: whatever the script runs writes to the file (and reads
                // what the shell reads).
                for part in &mut self.parts[first..] {
                    part.writes_file |= writes_file;
                    part.reads_input |= reads_input;
                }
                Ok(())
            }
        }
    }
}

/// What a command runs in turn.
enum Wrapped {
    Nothing,
    /// The wrapped command starts at this word.
    Command(usize),
    /// Command lines to split, one per line.
    Script(String),
    Unsupported(&'static str),
}

/// Options of `xargs` that take the next word as their value.
const XARGS_VALUES: [&str; 18] = [
    "-I",
    "-n",
    "-P",
    "-L",
    "-l",
    "-s",
    "-d",
    "-E",
    "-e",
    "-a",
    "--arg-file",
    "--delimiter",
    "--max-args",
    "--max-procs",
    "--max-lines",
    "--max-chars",
    "--replace",
    "--eof",
];

/// The command or script that `words` (as written; `plain`, as the program receives them)
/// hands on, if its program is one that runs another.
fn wrapped(words: &[String], plain: &[String]) -> Wrapped {
    let assignments = words.iter().take_while(|w| is_assignment(w)).count();
    if assignments > 0 {
        return command_at(words, assignments);
    }
    let program = base_name(&plain[0]);
    let args = &plain[1..];
    // The wrapped command starts where `rest`, a tail of `plain`, starts.
    let command_of = |rest: &[String]| command_at(plain, plain.len() - rest.len());
    match program {
        "sudo" | "doas" => {
            command_of(skip_options(args, &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"]))
        }
        "env" => {
            if args.iter().any(|a| a.starts_with("-S") || a.starts_with("--split-string")) {
                return Wrapped::Unsupported("`env -S`");
            }
            let rest = skip_options(args, &["-u", "-C", "--unset", "--chdir"]);
            let assignments = rest.iter().take_while(|w| is_assignment(w)).count();
            command_of(&rest[assignments..])
        }
        "nice" => command_of(skip_options(args, &["-n", "--adjustment"])),
        // The first word after the options is the duration.
        "timeout" => command_of(
            skip_options(args, &["-s", "-k", "--signal", "--kill-after"]).get(1..).unwrap_or_default(),
        ),
        "stdbuf" => command_of(skip_options(args, &["-i", "-o", "-e", "--input", "--output", "--error"])),
        "nohup" | "setsid" | "command" | "builtin" | "exec" => command_of(skip_options(args, &["-a"])),
        "xargs" => command_of(skip_options(args, &XARGS_VALUES)),
        "find" => find_commands(&words[1..]),
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "ash" => shell_script(args),
        "eval" => Wrapped::Script(args.join(" ")),
        _ => Wrapped::Nothing,
    }
}

/// The commands of `find`'s `-exec`, `-execdir`, `-ok` and `-okdir`, each up to its `;` or `+`.
fn find_commands(args: &[String]) -> Wrapped {
    let mut commands: Vec<String> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if matches!(arg.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let command: Vec<&str> = rest
                .by_ref()
                .map(String::as_str)
                .take_while(|a| !matches!(unquote(a).as_str(), ";" | "+"))
                .collect();
            if !command.is_empty() {
                commands.push(command.join(" "));
            }
        }
    }
    match commands.len() {
        0 => Wrapped::Nothing,
        _ => Wrapped::Script(commands.join("\n")),
    }
}

/// The script of `sh -c SCRIPT` (any shell, flags clustered or not; `args` unquoted); nothing
/// for a script file.
fn shell_script(args: &[String]) -> Wrapped {
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg.starts_with("--") {
            continue;
        }
        let Some(flags) = arg.strip_prefix(['-', '+']) else {
            // A script file: what it runs is not on the command line.
            return Wrapped::Nothing;
        };
        if arg.starts_with('-') && flags.contains('c') {
            return rest.next().map_or(Wrapped::Nothing, |script| Wrapped::Script(script.clone()));
        }
        if flags.contains(['o', 'O']) {
            rest.next();
        }
    }
    Wrapped::Nothing
}

/// The words after a wrapper's options; `with_value` lists the options that take the next word.
fn skip_options<'a>(args: &'a [String], with_value: &[&str]) -> &'a [String] {
    let mut at = 0;
    while let Some(arg) = args.get(at) {
        if arg == "--" {
            return &args[at + 1..];
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        at += if with_value.contains(&arg.as_str()) { 2 } else { 1 };
    }
    args.get(at..).unwrap_or_default()
}

/// The command that starts at `at`, if there is one.
fn command_at(words: &[String], at: usize) -> Wrapped {
    if at >= words.len() {
        Wrapped::Nothing
    } else {
        Wrapped::Command(at)
    }
}

/// `NAME=value`.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else { return false };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A word's value with its quoting removed: `'…'` literal, `"…"` with `\` escaping `"`, `\`,
/// `$` and `` ` ``, a bare `\` escaping the next character, and a line continuation (`\` and
/// a newline, outside single quotes) removed. Expansions stay as written.
pub(crate) fn unquote(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"' | '\\' | '$' | '`')) => {
                            out.extend(chars.next());
                        }
                        '\\' if chars.peek() == Some(&'\n') => {
                            chars.next();
                        }
                        c => out.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(next) = chars.next().filter(|&c| c != '\n') {
                    out.push(next);
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts' texts, a `>` after those that write a file.
    fn parts(command: &str) -> Vec<String> {
        split(command)
            .unwrap_or_else(|e| panic!("{command:?} should split: {e}"))
            .into_iter()
            .map(|p| if p.writes_file { format!("{} >", p.text) } else { p.text })
            .collect()
    }

    fn refused(command: &str) -> ShellError {
        split(command).expect_err(&format!("{command:?} must not split with confidence"))
    }

    #[test]
    fn a_simple_command_is_one_part_with_its_spaces_normalized() {
        assert_eq!(parts("  cargo   test\t-p x  "), ["cargo test -p x"]);
        assert_eq!(parts("git status"), ["git status"]);
        assert_eq!(parts("echo 'a  b' \"c  d\""), ["echo 'a  b' \"c  d\""], "quoted spaces are kept");
    }

    #[test]
    fn every_chain_operator_separates_parts() {
        let expected = ["cargo test", "rm -rf x"];
        for op in [";", "&&", "||", "|", "|&", "&", "\n"] {
            assert_eq!(parts(&format!("cargo test {op} rm -rf x")), expected, "operator {op:?}");
        }
        assert_eq!(parts("a; b && c || d | e & f\ng"), ["a", "b", "c", "d", "e", "f", "g"]);
        assert_eq!(parts("cargo test &"), ["cargo test"], "a background job is a part");
    }

    #[test]
    fn operators_inside_quotes_are_text() {
        assert_eq!(parts("echo 'a; rm -rf x' \"b && c\" d\\;e"), ["echo 'a; rm -rf x' \"b && c\" d\\;e"]);
        assert_eq!(parts("git commit -m \"fix: a | b\""), ["git commit -m \"fix: a | b\""]);
    }

    #[test]
    fn substitutions_and_subshells_are_parts() {
        assert_eq!(parts("echo $(rm -rf x)"), ["rm -rf x", "echo $(rm -rf x)"]);
        assert_eq!(parts("echo `rm -rf x`"), ["rm -rf x", "echo `rm -rf x`"]);
        assert_eq!(
            parts("echo \"$(whoami) is `id -u`\""),
            ["whoami", "id -u", "echo \"$(whoami) is `id -u`\""]
        );
        assert_eq!(parts("diff <(ls a) >(tee b)"), ["ls a", "tee b", "diff <(ls a) >(tee b)"]);
        assert_eq!(parts("(cd sub && make)"), ["cd sub", "make"]);
        assert_eq!(parts("(cd sub; make) > log"), ["cd sub >", "make >"], "a group's redirect covers it");
        assert_eq!(parts("echo $(echo $(rm x))"), ["rm x", "echo $(rm x)", "echo $(echo $(rm x))"]);
        assert_eq!(parts("echo ${x:-$(rm y)}"), ["rm y", "echo ${x:-$(rm y)}"]);
        assert_eq!(parts("echo '$(rm x)' \"\\$(no)\""), ["echo '$(rm x)' \"\\$(no)\""], "quoted: no part");
        assert!(matches!(refused("echo \\$(no)"), ShellError::Unsupported(_)), "`\\$(` is a syntax error");
    }

    #[test]
    fn redirections_are_left_out_and_writes_are_marked() {
        assert_eq!(parts("cargo test 2>&1 | tail -50"), ["cargo test", "tail -50"]);
        assert_eq!(parts("cargo test > /dev/null 2>&1"), ["cargo test"]);
        assert_eq!(parts("git status > notes.txt"), ["git status >"]);
        assert_eq!(parts("git status >>notes.txt"), ["git status >"]);
        assert_eq!(parts("make &> build.log"), ["make >"]);
        assert_eq!(parts("sort < in.txt"), ["sort"]);
        assert_eq!(parts("> emptied.txt"), [" >"], "a bare redirection truncates a file");
        assert_eq!(parts("cat <<< hello"), ["cat"]);
        assert_eq!(refused("echo >"), ShellError::MissingTarget);
    }

    #[test]
    fn here_documents_are_read_and_their_substitutions_are_parts() {
        assert_eq!(parts("cat <<EOF > out.txt\nline $(rm x)\nEOF\nls"), ["cat >", "rm x", "ls"]);
        assert_eq!(parts("cat <<'EOF'\n$(rm x)\nEOF"), ["cat"], "a quoted delimiter keeps the text literal");
        assert_eq!(parts("cat <<-END\n\t$(id)\n\tEND\necho done"), ["cat", "id", "echo done"]);
        assert_eq!(refused("cat <<EOF\nno end"), ShellError::UnterminatedHeredoc);
        assert_eq!(refused("cat <<EOF"), ShellError::UnterminatedHeredoc);
    }

    #[test]
    fn keywords_are_stripped_and_loops_are_refused() {
        assert_eq!(parts("if true; then rm -rf x; else ls; fi"), ["true", "rm -rf x", "ls"]);
        assert_eq!(parts("while read l; do echo $l; done < f"), ["read l", "echo $l"]);
        assert_eq!(parts("{ echo a; echo b; }"), ["echo a", "echo b"]);
        assert_eq!(parts("! grep -q x f"), ["grep -q x f"]);
        assert_eq!(parts("time -p make"), ["make"]);
        assert!(matches!(refused("for f in *; do rm $f; done"), ShellError::Unsupported(_)));
        assert!(matches!(refused("case x in a) ls;; esac"), ShellError::Unsupported(_)));
        assert!(matches!(refused("f() { rm x; }; f"), ShellError::Unsupported(_)));
    }

    #[test]
    fn wrapped_commands_are_parts_of_their_own() {
        assert_eq!(parts("sudo -u root rm -rf /"), ["sudo -u root rm -rf /", "rm -rf /"]);
        assert_eq!(parts("FOO=1 BAR=2 cargo test"), ["FOO=1 BAR=2 cargo test", "cargo test"]);
        assert_eq!(parts("env -i PATH=/bin rm x"), ["env -i PATH=/bin rm x", "rm x"]);
        assert_eq!(parts("timeout -s KILL 10 cargo test"), ["timeout -s KILL 10 cargo test", "cargo test"]);
        assert_eq!(parts("nice -n 5 nohup make"), ["nice -n 5 nohup make", "nohup make", "make"]);
        assert_eq!(parts("ls | xargs -n 1 rm"), ["ls", "xargs -n 1 rm", "rm"]);
        assert_eq!(
            parts("find . -name '*.o' -exec rm {} \\;"),
            ["find . -name '*.o' -exec rm {} \\;", "rm {}"]
        );
        assert_eq!(
            parts("find . -exec grep -l x {} + -execdir rm {} \\;"),
            ["find . -exec grep -l x {} + -execdir rm {} \\;", "grep -l x {}", "rm {}"],
            "every -exec is a part"
        );
        assert!(matches!(refused("env -S 'rm x'"), ShellError::Unsupported(_)));
        assert_eq!(
            parts("bash -c 'cargo test && rm -rf x'"),
            ["bash -c 'cargo test && rm -rf x'", "cargo test", "rm -rf x"]
        );
        assert_eq!(parts("sh -ec \"ls; id\""), ["sh -ec \"ls; id\"", "ls", "id"]);
        assert_eq!(parts("eval 'rm x'"), ["eval 'rm x'", "rm x"]);
        assert_eq!(parts("bash script.sh"), ["bash script.sh"], "a script file is not on the line");
        assert_eq!(parts("X=$(id)"), ["id", "X=$(id)"]);
    }

    #[test]
    fn what_cannot_be_followed_is_refused() {
        assert_eq!(refused(""), ShellError::Empty);
        assert_eq!(refused("   \n ; "), ShellError::Empty);
        assert_eq!(refused("echo 'open"), ShellError::Unclosed("single quote"));
        assert_eq!(refused("echo \"open"), ShellError::Unclosed("double quote"));
        assert_eq!(refused("echo `open"), ShellError::Unclosed("backtick"));
        assert_eq!(refused("echo $(open"), ShellError::Unclosed("parenthesis"));
        assert_eq!(refused("(open"), ShellError::Unclosed("parenthesis"));
        assert_eq!(refused("echo ${open"), ShellError::Unclosed("`${`"));
        assert_eq!(refused("ls)"), ShellError::Unbalanced(')'));
        assert_eq!(refused("echo \\"), ShellError::TrailingBackslash);
        assert_eq!(refused("ls\0"), ShellError::Nul);
        assert_eq!(refused(&"x".repeat(MAX_COMMAND_CHARS + 1)), ShellError::TooLong);
        assert_eq!(refused(&format!("{}x{}", "$(".repeat(40), ")".repeat(40))), ShellError::TooDeep);
        assert_eq!(refused(&"a;".repeat(MAX_PARTS + 1)), ShellError::TooManyParts);
        let wrapped = format!("{}ls", "eval ".repeat(MAX_DEPTH + 2));
        assert_eq!(refused(&wrapped), ShellError::TooDeep, "scripts in scripts in scripts…");
        assert_eq!(refused(&format!("{}ls", "sudo ".repeat(MAX_DEPTH + 2))), ShellError::TooDeep);
    }

    #[test]
    fn a_line_continuation_joins_lines() {
        assert_eq!(parts("cargo \\\n  test"), ["cargo test"]);
        assert_eq!(parts("ls # ; rm -rf x"), ["ls"], "a comment runs nothing");
    }

    #[test]
    fn a_part_keeps_the_words_its_program_receives_and_where_its_input_comes_from() {
        let first = |line: &str| split(line).unwrap().remove(0);
        assert_eq!(first("'rm' -rf \"a b\" \\x r\\\nm").words, ["rm", "-rf", "a b", "x", "rm"]);
        assert_eq!(first("'rm' -rf \"a b\"").canonical(false), "rm -rf 'a b'");
        assert_eq!(first("/bin/rm -rf x").canonical(true), "rm -rf x");
        assert_eq!(first("A=1 /bin/rm x").canonical(true), "A=1 rm x", "the program, not the assignment");
        assert!(!first("ls").reads_input);
        assert!(split("ls | sh").unwrap()[1].reads_input, "a pipe");
        assert!(!split("ls || sh").unwrap()[1].reads_input, "`||` is not a pipe");
        assert!(
            first("sh < x").reads_input
                && first("cat <<E\nx\nE").reads_input
                && first("cat <<< x").reads_input
        );
        assert_eq!(parts("'/usr/bin/env' 'rm' x"), ["'/usr/bin/env' 'rm' x", "'rm' x"], "a quoted wrapper");
    }

    #[test]
    fn what_a_part_runs_unseen_is_named() {
        let unseen = |line: &str| split(line).unwrap().iter().find_map(Part::runs_unseen);
        for line in [
            "sh x.sh",
            "ls | bash",
            "bash <<E\nls\nE",
            "python3 -c 1",
            "python -W ignore -c 1",
            "perl -e 1",
            "node -p 1",
            "deno eval 1",
            "python3 -",
            "ssh h ls",
            "$X y",
        ] {
            assert!(unseen(line).is_some(), "{line:?}");
        }
        for line in [
            "bash -c ls",
            "python3 x.py",
            "python3 x.py -c config",
            "python3 -m pytest -p no:cacheprovider",
            "ls",
            "bash --version",
            "node app.js -e x",
            "node --version",
            "echo $X",
        ] {
            assert_eq!(unseen(line), None, "{line:?}");
        }
    }

    #[test]
    fn unquote_removes_quoting_only() {
        assert_eq!(unquote("'a b'"), "a b");
        assert_eq!(unquote("\"a \\\"b\\\" $x\""), "a \"b\" $x");
        assert_eq!(unquote("a\\ b"), "a b");
        assert_eq!(unquote("'unclosed"), "unclosed");
        assert_eq!(unquote("r\\\nm"), "rm", "a line continuation joins");
        assert_eq!(unquote("\"r\\\nm\""), "rm", "also inside double quotes");
        assert_eq!(unquote("'r\\\nm'"), "r\\\nm", "but not inside single quotes");
    }

    mod hostile {
        use proptest::prelude::*;

        use super::super::split;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            /// Whatever the text — shell punctuation in any order, unbalanced — splitting ends
            /// without a panic, and every part it returns is text from the line.
            #[test]
            fn splitting_any_text_never_panics(text in "[a-z \\t\\n;&|()<>$`'\"\\\\{}#!=*?0-9-]{0,200}") {
                if let Ok(parts) = split(&text) {
                    prop_assert!(!parts.is_empty());
                }
            }

            #[test]
            fn splitting_any_unicode_never_panics(text in "\\PC{0,100}") {
                let _ = split(&text);
            }
        }

        #[test]
        fn huge_and_deep_inputs_end_quickly() {
            let started = std::time::Instant::now();
            for text in [
                "'".repeat(100_000),
                "\"".repeat(60_001),
                "$(".repeat(30_000),
                "(".repeat(50_000),
                "`".repeat(60_001),
                "a && ".repeat(12_000),
                "${".repeat(20_000),
                "<<E\n".repeat(10_000),
                "bash -c ".repeat(5_000),
                format!("echo {}", "\\".repeat(50_001)),
            ] {
                let _ = split(&text);
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
        }
    }
}
