import type { Element, Parent as HastParent, Root as HastRoot, Text as HastText } from "hast";
import type { Parent as MdastParent, Root as MdastRoot, RootContent, Text as MdastText } from "mdast";
import { defaultSchema, type Options as SanitizeSchema } from "rehype-sanitize";

// Model output is untrusted. These pieces make sure nothing it writes is interpreted as HTML, loads a
// resource, or points a link anywhere but a web page or a mail address.

const SAFE_SCHEME = /^(?:https?|mailto):/i;

/// The one link rule: an absolute `http:`, `https:` or `mailto:` URL, else nothing. Everything
/// else (`javascript:`, `data:`, `vbscript:`, `file:`, relative and fragment links) is dropped, so
/// the link's text stays but it points nowhere. Used for every URL attribute react-markdown emits.
export function safeUrl(url: string): string | undefined {
  const trimmed = url.trim();
  if (!SAFE_SCHEME.test(trimmed)) return undefined;
  try {
    // The browser parses it before following it; something it cannot parse is not a link.
    new URL(trimmed);
  } catch {
    return undefined;
  }
  return trimmed;
}

/// Parents whose children are blocks: raw HTML directly inside them becomes its own paragraph.
const FLOW_PARENTS = new Set(["root", "blockquote", "listItem", "footnoteDefinition"]);

/// Remark plugin: raw HTML (block or inline) is shown as the characters the model wrote. Models
/// talk about `<div>`s all the time; dropping them would lose words, interpreting them is unsafe.
export function remarkHtmlAsText() {
  return (tree: MdastRoot) => htmlAsText(tree);
}

function htmlAsText(parent: MdastParent) {
  parent.children.forEach((child, index) => {
    if (child.type === "html") {
      const text: MdastText = { type: "text", value: child.value, position: child.position };
      const replacement: RootContent = FLOW_PARENTS.has(parent.type)
        ? { type: "paragraph", children: [text], position: child.position }
        : text;
      parent.children[index] = replacement;
    } else if ("children" in child) {
      htmlAsText(child);
    }
  });
}

/// Rehype plugin: images are never loaded. Each `<img>` becomes a link whose text names the alt text
/// and the URL (the link rule then decides whether it points anywhere); inside a link, where another
/// link cannot nest, it becomes that text alone.
export function rehypeImagesAsLinks() {
  return (tree: HastRoot) => imagesAsLinks(tree, false);
}

function imagesAsLinks(parent: HastParent, insideLink: boolean) {
  parent.children.forEach((child, index) => {
    if (child.type !== "element") return;
    if (child.tagName === "img") {
      parent.children[index] = imageStandIn(child, insideLink);
    } else {
      imagesAsLinks(child, insideLink || child.tagName === "a");
    }
  });
}

function imageStandIn(img: Element, insideLink: boolean): Element | HastText {
  const { src, alt, title } = img.properties;
  const url = typeof src === "string" ? src : "";
  const name = typeof alt === "string" && alt.trim() ? alt : "image";
  const label: HastText = { type: "text", value: url ? `Image: ${name} (${url})` : `Image: ${name}` };
  if (insideLink || !url) return label;
  return {
    type: "element",
    tagName: "a",
    properties: { href: url, className: ["image"], ...(typeof title === "string" ? { title } : {}) },
    children: [label],
  };
}

/// Only the elements Markdown, GFM and the highlighter produce; raw HTML never reaches the tree (it
/// is text by then), so anything else would be a bug upstream and is removed. No `img`: images were
/// turned into links above.
const TAG_NAMES = [
  "a",
  "blockquote",
  "br",
  "code",
  "del",
  "em",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "input",
  "li",
  "ol",
  "p",
  "pre",
  "section",
  "span",
  "strong",
  "sup",
  "table",
  "tbody",
  "td",
  "th",
  "thead",
  "tr",
  "ul",
];

/// The sanitize schema: GitHub's, narrowed to the tags above and the three link schemes, plus the
/// class names the highlighter adds. hljs scopes like `title.function` become `hljs-title function_`
/// (each nested part gets one more `_`), hence the second `span` pattern.
export const SANITIZE_SCHEMA: SanitizeSchema = {
  ...defaultSchema,
  tagNames: TAG_NAMES,
  attributes: {
    ...defaultSchema.attributes,
    a: [
      ...(defaultSchema.attributes?.a ?? []).filter((a) => a !== "href" && !Array.isArray(a)),
      "href",
      "title",
      ["className", "data-footnote-backref", "image"],
    ],
    code: [["className", "hljs", /^language-./]],
    span: [["className", /^hljs-./, /^[a-z]+_+$/]],
  },
  protocols: { href: ["http", "https", "mailto"] },
};
