import { createContext, memo, useContext, type ComponentProps, type MouseEvent } from "react";
import ReactMarkdown, { type Components, type ExtraProps, type Options } from "react-markdown";
import rehypeHighlight, { type Options as HighlightOptions } from "rehype-highlight";
import rehypeSanitize from "rehype-sanitize";
import remarkGfm from "remark-gfm";

import { ALIASES, LANGUAGES } from "./languages";
import { rehypeImagesAsLinks, remarkHtmlAsText, SANITIZE_SCHEMA, safeUrl } from "./untrusted";
import "./markdown.css";

// Everything handed to react-markdown is a module-level constant: this renders in a virtualized list
// and again on every streamed token, and fresh plugin arrays or component maps would defeat memo.

type PluggableList = NonNullable<Options["rehypePlugins"]>;

const HIGHLIGHT: HighlightOptions = { languages: LANGUAGES, aliases: ALIASES };

const REMARK_PLUGINS: PluggableList = [remarkGfm, remarkHtmlAsText];

/// Sanitize runs last so everything that reaches React has passed it, highlight classes included.
const REHYPE_PLUGINS: PluggableList = [
  rehypeImagesAsLinks,
  [rehypeHighlight, HIGHLIGHT],
  [rehypeSanitize, SANITIZE_SCHEMA],
];

const urlTransform = (url: string) => safeUrl(url);

/// The current `onOpenLink`, so the component map can stay constant while the callback is a prop.
const OpenLink = createContext<(url: string) => void>(() => {});

/// A link never navigates the app window: a click (Enter on a focused link fires a click too) or a
/// middle click hands the URL to `onOpenLink`, which opens the system browser. A link whose URL the
/// link rule removed keeps only its text.
function Link({ href, title, className, children }: ComponentProps<"a"> & ExtraProps) {
  const openLink = useContext(OpenLink);
  const url = href ? safeUrl(href) : undefined;
  if (!url) return <>{children}</>;
  const open = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    openLink(url);
  };
  const openOnMiddleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button === 1) open(event);
  };
  return (
    <a
      href={url}
      title={title}
      className={className}
      rel="noreferrer noopener"
      onClick={open}
      onAuxClick={openOnMiddleClick}
    >
      {children}
    </a>
  );
}

const COMPONENTS: Components = { a: Link };

export interface MarkdownProps {
  /// Markdown source, typically model output: never trusted.
  text: string;
  /// Opens a URL outside the app (the system browser). Pass a stable function, or memo is defeated.
  onOpenLink: (url: string) => void;
}

/// A chat message rendered as GitHub-flavoured Markdown. Raw HTML shows as literal text, images as
/// links naming their alt text and URL, and only http(s)/mailto links survive.
export const Markdown = memo(function Markdown({ text, onOpenLink }: MarkdownProps) {
  return (
    <OpenLink value={onOpenLink}>
      <div className="markdown">
        <ReactMarkdown
          remarkPlugins={REMARK_PLUGINS}
          rehypePlugins={REHYPE_PLUGINS}
          components={COMPONENTS}
          urlTransform={urlTransform}
        >
          {text}
        </ReactMarkdown>
      </div>
    </OpenLink>
  );
});
