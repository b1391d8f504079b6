import { useEffect, useState } from "react";

import type { AttachmentView } from "../../shared/types";
import "./attachments.css";

/** An image stored for the message being written. */
export interface PendingImage {
  blob: string;
  name: string;
  mimeType: string;
  /** A `data:` URL of a PNG, JPEG or WebP the backend checked; never SVG. */
  url: string;
}

/** What the composer will send along: file chips and image thumbnails, each removable. */
export function AttachmentChips({
  files,
  images,
  onRemoveFile,
  onRemoveImage,
}: {
  files: string[];
  images: PendingImage[];
  onRemoveFile: (path: string) => void;
  onRemoveImage: (blob: string) => void;
}) {
  if (files.length === 0 && images.length === 0) return null;
  return (
    <ul className="attachment-chips" aria-label="Attachments">
      {files.map((path) => (
        <li key={path} className="chip">
          <span className="chip-label" title={path}>
            {path}
          </span>
          <button
            type="button"
            className="quiet"
            aria-label={`Remove ${path}`}
            title="Remove"
            onClick={() => onRemoveFile(path)}
          >
            ✕
          </button>
        </li>
      ))}
      {images.map((image) => (
        <li key={image.blob} className="chip image-chip">
          <img src={image.url} alt={image.name} className="thumbnail" />
          <span className="chip-label">{image.name}</span>
          <button
            type="button"
            className="quiet"
            aria-label={`Remove ${image.name}`}
            title="Remove"
            onClick={() => onRemoveImage(image.blob)}
          >
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

/** What a sent message carries: its files as chips, its images as thumbnails. */
export function SentAttachments({
  attachments,
  loadImage,
}: {
  attachments: AttachmentView[];
  loadImage: (blob: string) => Promise<string>;
}) {
  if (attachments.length === 0) return null;
  return (
    <ul className="attachment-chips sent" aria-label="Attachments">
      {attachments.map((attachment, i) =>
        attachment.kind === "File" ? (
          <li key={i} className="chip">
            <span className="chip-label" title={attachment.path}>
              {attachment.path}
            </span>
            {attachment.truncated && <span className="chip-note">(cut)</span>}
          </li>
        ) : (
          <li key={i} className="chip image-chip">
            <Thumbnail blob={attachment.blob} name={attachment.name} loadImage={loadImage} />
          </li>
        ),
      )}
    </ul>
  );
}

/** An image loaded from the backend by its blob; its name while loading or when it cannot be. */
function Thumbnail({
  blob,
  name,
  loadImage,
}: {
  blob: string;
  name: string;
  loadImage: (blob: string) => Promise<string>;
}) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    loadImage(blob).then(
      (loaded) => live && setUrl(loaded),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [blob, loadImage]);
  if (url && url.startsWith("data:image/") && !url.startsWith("data:image/svg")) {
    return <img src={url} alt={name} className="thumbnail" />;
  }
  return <span className="chip-label">{failed ? `${name} (cannot be shown)` : name}</span>;
}
