// Images attached to a message: which files to take, and storing one through the backend.
import type { Backend } from "../../backend";
import type { PendingImage } from "./AttachmentChips";

/** The image types a message may carry (the backend checks the bytes themselves). */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];
export const IMAGE_ACCEPT = IMAGE_TYPES.join(",");
/** The largest image the backend takes (`limits::IMAGE_BYTES`). */
export const IMAGE_BYTES = 5 * 1024 * 1024;

/** The files of a paste, a drop or the picker that claim to be PNG, JPEG or WebP. */
export function imageFiles(list: FileList | null | undefined): File[] {
  return Array.from(list ?? []).filter((file) => IMAGE_TYPES.includes(file.type));
}

/** The images of a paste or a drop: its files, or else its file items (some engines put a
 * pasted screenshot only there). */
export function transferImages(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = imageFiles(data.files);
  if (files.length > 0) return files;
  return Array.from(data.items ?? [])
    .filter((item) => item.kind === "file" && IMAGE_TYPES.includes(item.type))
    .map((item) => item.getAsFile())
    .filter((file): file is File => file !== null);
}

/** Stores `file` and loads its thumbnail; rejects with words for the person. */
export async function storeImage(
  backend: Pick<Backend, "attachImage" | "imageData">,
  file: File,
): Promise<PendingImage> {
  if (file.size > IMAGE_BYTES) {
    throw new Error(`the image is larger than ${IMAGE_BYTES / (1024 * 1024)} MB`);
  }
  const bytes = await readBytes(file);
  const stored = await backend.attachImage(bytes);
  const url = await backend.imageData(stored.blob);
  return { blob: stored.blob, name: file.name || "pasted image", mimeType: stored.mime_type, url };
}

/** The bytes of `file` (through `FileReader`, which every engine the app runs in has). */
function readBytes(file: File): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(new Error("the image could not be read"));
    reader.readAsArrayBuffer(file);
  });
}
