import { useEffect, useRef } from "react";

/** The element id of option `index` of the list `listId`, for `aria-activedescendant`. */
export const optionId = (listId: string, index: number) => `${listId}-option-${index}`;

/**
 * The files the `@` list offers, as a listbox the message box controls: the box keeps focus and
 * points at the highlighted option with `aria-activedescendant`. Without a project there is no
 * list, only a hint; a status line says how many files match.
 */
export function MentionList({
  id,
  files,
  active,
  loading,
  noProject,
  onChoose,
  onHighlight,
}: {
  id: string;
  files: string[];
  active: number;
  loading: boolean;
  noProject: boolean;
  onChoose: (index: number) => void;
  onHighlight: (index: number) => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    list.current?.children[active]?.scrollIntoView?.({ block: "nearest" });
  }, [active]);

  if (noProject) {
    return (
      <div className="mention-popup" role="status">
        Files can be attached in a thread that belongs to a project.
      </div>
    );
  }
  const status = loading ? "Looking for files…" : files.length === 0 ? "No file matches." : null;
  return (
    <div className="mention-popup">
      <p className="mention-status" role="status">
        {status ?? `${files.length} ${files.length === 1 ? "file matches" : "files match"}`}
      </p>
      {files.length > 0 && (
        <ul ref={list} id={id} role="listbox" aria-label="Project files">
          {files.map((path, index) => (
            <li
              key={path}
              id={optionId(id, index)}
              role="option"
              aria-selected={index === active}
              // Keeps focus in the message box: choosing happens on click.
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => onHighlight(index)}
              onClick={() => onChoose(index)}
            >
              <FilePath path={path} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A path with its file name stressed. */
function FilePath({ path }: { path: string }) {
  const slash = path.lastIndexOf("/");
  return (
    <>
      <span className="mention-name">{path.slice(slash + 1)}</span>
      {slash > 0 && <span className="mention-dir"> {path.slice(0, slash)}</span>}
    </>
  );
}
