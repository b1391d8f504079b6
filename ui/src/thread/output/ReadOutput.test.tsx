// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { highlightLines, languageOf } from "./highlight";
import { HEAD_LINES, ReadOutput } from "./ReadOutput";

afterEach(cleanup);

const RUST = 'fn main() {\n    println!("hi");\n}\n';

function lineNumbers(): string[] {
  return [...document.querySelectorAll(".line-no")].map((n) => n.textContent ?? "");
}

/** Each line's code, without its number. */
function codeLines(): string[] {
  return [...document.querySelectorAll(".code-line")].map((line) =>
    [...line.childNodes]
      .filter((n) => !(n instanceof Element && n.classList.contains("line-no")))
      .map((n) => n.textContent)
      .join("")
      .replace(/\n$/, ""),
  );
}

describe("a read", () => {
  it("shows the text as code with a number on every line", () => {
    render(<ReadOutput path="src/main.rs" text={RUST} startLine={1} />);
    expect(lineNumbers()).toEqual(["1", "2", "3"]);
    expect(codeLines()).toEqual(["fn main() {", '    println!("hi");', "}"]);
    const code = screen.getByLabelText("src/main.rs, lines 1–3");
    expect(code.textContent).not.toContain("\\n");
  });

  it("numbers lines from where the read started", () => {
    render(<ReadOutput path="src/main.rs" text={RUST} startLine={40} />);
    expect(lineNumbers()).toEqual(["40", "41", "42"]);
    screen.getByLabelText("src/main.rs, lines 40–42");
  });

  it("is highlighted in the language of the file's extension", () => {
    render(<ReadOutput path="src/main.rs" text={RUST} startLine={1} />);
    expect(document.querySelector("code")?.className).toContain("language-rust");
    const keyword = document.querySelector(".hljs-keyword");
    expect(keyword?.textContent).toBe("fn");
    expect(document.querySelector(".hljs-string")?.textContent).toBe('"hi"');
  });

  it("stays plain text for a file no grammar knows", () => {
    render(<ReadOutput path="notes/todo.unknownext" text={"fn main() {}\n"} startLine={1} />);
    expect(document.querySelector("[class^='hljs-']")).toBeNull();
    expect(codeLines()).toEqual(["fn main() {}"]);
  });

  it("never turns the file's text into markup", () => {
    const hostile = '<img src=x onerror="alert(1)">\n<script>alert(2)</script>\n';
    render(<ReadOutput path="page.html" text={hostile} startLine={1} />);
    expect(document.querySelector("img, script")).toBeNull();
    expect(codeLines()).toEqual(['<img src=x onerror="alert(1)">', "<script>alert(2)</script>"]);
  });

  it("shows the first lines of a long file and all of them on request", () => {
    const text = Array.from({ length: HEAD_LINES + 100 }, (_, i) => `line ${i + 1}`).join("\n");
    render(<ReadOutput path="big.txt" text={text} startLine={1} />);
    expect(lineNumbers()).toHaveLength(HEAD_LINES);
    fireEvent.click(screen.getByRole("button", { name: `Show all ${HEAD_LINES + 100} lines` }));
    expect(lineNumbers()).toHaveLength(HEAD_LINES + 100);
    expect(codeLines()[HEAD_LINES + 99]).toBe(`line ${HEAD_LINES + 100}`);
  });

  it("says a binary file was not shown instead of numbering the note", () => {
    render(
      <ReadOutput
        path="logo.png"
        text="logo.png is a binary file (2048 bytes); its content is not shown."
        startLine={1}
      />,
    );
    expect(document.querySelector(".line-no")).toBeNull();
    screen.getByText(/is a binary file/);
  });
});

describe("highlighting by line", () => {
  it("keeps a token's classes on every line it spans", () => {
    const lines = highlightLines("/* one\ntwo */\nlet x = 1;\n", "rust");
    expect(lines).toHaveLength(3);
    const comment = (i: number) => lines[i].find((s) => s.classes.flat().includes("hljs-comment"));
    expect(comment(0)?.text).toBe("/* one");
    expect(comment(1)?.text).toBe("two */");
  });

  it("picks the grammar from the extension", () => {
    expect(languageOf("src/lib.rs")).toBe("rust");
    expect(languageOf("ui/App.TSX")).toBe("typescript");
    expect(languageOf("Cargo.toml")).toBe("ini");
    expect(languageOf("script.sh")).toBe("bash");
    expect(languageOf("Makefile")).toBeNull();
    expect(languageOf(".gitignore")).toBeNull();
  });
});
