// @vitest-environment jsdom
import { cleanup, fireEvent, render } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { Markdown } from "./Markdown";

afterEach(cleanup);

const FORBIDDEN_TAGS = "script, img, iframe, svg, style, object, embed, link, meta, form, base";
const SAFE_HREF = /^(?:https?|mailto):/i;

/// Everything in `root` that could run code, load a resource or navigate somewhere unsafe.
function hazards(root: Element): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll(FORBIDDEN_TAGS)) found.push(`<${el.tagName.toLowerCase()}>`);
  for (const el of root.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${name} on <${el.tagName.toLowerCase()}>`);
      if (["src", "srcset", "srcdoc", "action", "formaction", "xlink:href", "style"].includes(name)) {
        found.push(`${name} on <${el.tagName.toLowerCase()}>`);
      }
      if (name === "href" && !SAFE_HREF.test(attr.value)) found.push(`href=${attr.value}`);
    }
  }
  return found;
}

function renderMarkdown(text: string, onOpenLink = vi.fn()) {
  const view = render(<Markdown text={text} onOpenLink={onOpenLink} />);
  return { ...view, onOpenLink };
}

describe("hostile payloads", () => {
  it("the hazard check itself catches each kind of hazard (so the tests below can fail)", () => {
    const sample = document.createElement("div");
    sample.innerHTML =
      '<img src="x"><a href="javascript:alert(1)">x</a><div onclick="alert(1)"></div><svg></svg>' +
      '<iframe></iframe><style></style><script></script><object></object><a href="/relative">r</a>';
    expect(hazards(sample)).toEqual(
      expect.arrayContaining([
        "<img>",
        "<svg>",
        "<iframe>",
        "<style>",
        "<script>",
        "<object>",
        "src on <img>",
        "onclick on <div>",
        "href=javascript:alert(1)",
        "href=/relative",
      ]),
    );
  });

  // Each payload with text that must still be visible: raw HTML shows as what the model wrote, a
  // link with a removed URL keeps its words. Checking it proves the payload rendered at all.
  const payloads: [payload: string, visible: string][] = [
    ["<script>alert(1)</script>", "<script>alert(1)</script>"],
    ["<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"],
    ["[x](javascript:alert(1))", "x"],
    ["[x](JAVASCRIPT:alert(1))", "x"],
    ["[x](  javascript:alert(1))", "x"],
    ['<a href="javascript:alert(1)">x</a>', '<a href="javascript:alert(1)">x</a>'],
    ['<div onclick="alert(1)">x</div>', '<div onclick="alert(1)">x</div>'],
    ['<iframe src="https://evil">', '<iframe src="https://evil">'],
    ["![a](https://evil/x.png)", "Image: a (https://evil/x.png)"],
    ["[x](data:text/html;base64,PHNjcmlwdD4=)", "x"],
    ["<svg onload=alert(1)>", "<svg onload=alert(1)>"],
    ["<style>body{display:none}</style>", "<style>body{display:none}</style>"],
  ];

  it.each(payloads)("%s reaches the DOM as nothing executable", (payload, visible) => {
    const { container } = renderMarkdown(payload);
    expect(hazards(container), "model output must never run code or load anything").toEqual([]);
    expect(container.textContent, "the words stay visible even when the markup is defused").toContain(
      visible,
    );
  });

  it("drops unsafe link targets but keeps their text", () => {
    const { container } = renderMarkdown(
      "[a](vbscript:msgbox) [b](file:///etc/passwd) [c](/relative) [d](#top) [e](<java\tscript:alert(1)>)",
    );
    expect(container.querySelectorAll("a"), "none of these is a web page or a mail address").toHaveLength(0);
    expect(container.textContent).toBe("a b c d e");
  });

  it("keeps http, https and mailto links", () => {
    const { container } = renderMarkdown(
      "[a](http://a.example) [b](https://b.example/x) [c](mailto:c@example.com)",
    );
    const hrefs = [...container.querySelectorAll("a")].map((a) => a.getAttribute("href"));
    expect(hrefs).toEqual(["http://a.example", "https://b.example/x", "mailto:c@example.com"]);
  });

  it("shows an image as a link to its URL, never as an <img>", () => {
    const { container } = renderMarkdown("![diagram](https://example.com/d.png)");
    expect(container.querySelector("img")).toBeNull();
    const link = container.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://example.com/d.png");
    expect(link?.textContent).toBe("Image: diagram (https://example.com/d.png)");
  });

  it("shows an image inside a link as text, without nesting links", () => {
    const { container } = renderMarkdown("[![badge](https://ci.example/b.svg)](https://ci.example)");
    expect(container.querySelectorAll("a"), "a link inside a link is invalid HTML").toHaveLength(1);
    expect(container.querySelector("a")?.textContent).toBe("Image: badge (https://ci.example/b.svg)");
  });

  it("does not interpret inline HTML either", () => {
    const { container } = renderMarkdown("use <b>bold</b> here");
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe("use <b>bold</b> here");
  });
});

describe("rendering", () => {
  it("highlights a fenced rust block", () => {
    const { container } = renderMarkdown("```rust\nfn main() { let x = 1; }\n```");
    const code = container.querySelector("pre > code");
    expect(code?.classList.contains("hljs")).toBe(true);
    expect(code?.classList.contains("language-rust")).toBe(true);
    const keywords = [...(code?.querySelectorAll(".hljs-keyword") ?? [])].map((k) => k.textContent);
    expect(keywords, "highlight spans survive sanitizing").toContain("fn");
  });

  it("leaves an unregistered language as plain code", () => {
    const { container } = renderMarkdown("```cobol\nDISPLAY 'HI'.\n```");
    const code = container.querySelector("pre > code");
    expect(code?.textContent).toBe("DISPLAY 'HI'.\n");
    expect(code?.querySelector("span")).toBeNull();
  });

  it("opens a link through onOpenLink and prevents the in-app navigation", () => {
    const { container, onOpenLink } = renderMarkdown("see [the docs](https://example.com/docs)");
    const link = container.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://example.com/docs");
    expect(link?.getAttribute("rel")).toBe("noreferrer noopener");
    const notPrevented = fireEvent.click(link as HTMLAnchorElement);
    expect(notPrevented, "the app window must not navigate").toBe(false);
    expect(onOpenLink).toHaveBeenCalledExactlyOnceWith("https://example.com/docs");
  });

  it("uses the latest onOpenLink after a re-render", () => {
    const first = vi.fn();
    const second = vi.fn();
    const { container, rerender } = render(<Markdown text="<https://example.com>" onOpenLink={first} />);
    rerender(<Markdown text="<https://example.com>" onOpenLink={second} />);
    fireEvent.click(container.querySelector("a") as HTMLAnchorElement);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith("https://example.com");
  });

  it("renders a GFM table", () => {
    const { container } = renderMarkdown("| name | size |\n| --- | ---: |\n| a.rs | 12 |\n| b.rs | 7 |");
    const headers = [...container.querySelectorAll("table thead th")].map((th) => th.textContent);
    const cells = [...container.querySelectorAll("table tbody td")].map((td) => td.textContent);
    expect(headers).toEqual(["name", "size"]);
    expect(cells).toEqual(["a.rs", "12", "b.rs", "7"]);
  });

  it("renders a GFM task list as disabled checkboxes", () => {
    const { container } = renderMarkdown("- [x] write tests\n- [ ] ship");
    const boxes = [...container.querySelectorAll<HTMLInputElement>("li input[type=checkbox]")];
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    expect(
      boxes.every((b) => b.disabled),
      "the person cannot tick a model's checklist",
    ).toBe(true);
  });
});
