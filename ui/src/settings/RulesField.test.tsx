// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../backend/fake";
import type { ListedRule, PermissionRule, Project } from "../shared/types";
import { RulesField } from "./RulesField";

afterEach(cleanup);

function project(name: string): Project {
  return {
    id: `id-${name}`,
    name,
    path: `/home/me/${name}`,
    tool_approvals: {},
    created_at: "",
    updated_at: "",
  };
}

const WEB = project("web");

const same = (a: PermissionRule, b: PermissionRule) =>
  a.effect === b.effect && a.tool === b.tool && a.pattern === b.pattern;

/** A backend holding rules in memory, per project id ("" for the global ones). */
function rulesBackend(initial: Record<string, ListedRule[]> = {}) {
  const held: Record<string, ListedRule[]> = { "": [], ...initial };
  const key = (projectId: string | null) => projectId ?? "";
  const listRules = vi.fn(async (projectId: string | null) => [
    ...(projectId ? (held[projectId] ?? []) : []),
    ...held[""],
  ]);
  const addRule = vi.fn(async (projectId: string | null, rule: PermissionRule) => {
    const trimmed = { ...rule, pattern: rule.pattern.trim() };
    if (trimmed.pattern === "") throw { code: "rule_pattern_empty", message: "a rule needs a pattern" };
    if (trimmed.pattern.includes("&&")) {
      throw {
        code: "rule_pattern_invalid",
        message: "the pattern `a && b` cannot be used: a rule matches one command",
      };
    }
    const scope = projectId ? "project" : "global";
    held[key(projectId)] = [...(held[key(projectId)] ?? []), { scope, rule: trimmed, always_allow: false }];
    return trimmed;
  });
  const removeRule = vi.fn(async (projectId: string | null, rule: PermissionRule) => {
    held[key(projectId)] = (held[key(projectId)] ?? []).filter((r) => !same(r.rule, rule));
  });
  return { backend: fakeBackend({ listRules, addRule, removeRule }), listRules, addRule, removeRule };
}

function field(
  backend: ReturnType<typeof rulesBackend>["backend"],
  currentProjectId: string | null = null,
  onGlobalRules = vi.fn(),
) {
  render(
    <RulesField
      backend={backend}
      projects={[WEB]}
      currentProjectId={currentProjectId}
      onGlobalRules={onGlobalRules}
    />,
  );
  return onGlobalRules;
}

const pattern = () => screen.getByRole("textbox", { name: "Pattern" });

describe("RulesField", () => {
  it("lists the open thread's project rules, not the global ones beside them", async () => {
    const { backend } = rulesBackend({
      "id-web": [
        {
          scope: "project",
          rule: { effect: "allow", tool: "run_command", pattern: "cargo test*" },
          always_allow: false,
        },
      ],
      "": [{ scope: "global", rule: { effect: "deny", tool: "*", pattern: ".env" }, always_allow: false }],
    });
    field(backend, "id-web");
    const list = await screen.findByRole("list", { name: "Rules of web" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent?.replace(/\s+/g, " ").trim()),
    ).toEqual(["allow run_command cargo test* Remove"]);
    fireEvent.change(screen.getByRole("combobox", { name: "Rules of" }), { target: { value: "" } });
    const global = await screen.findByRole("list", { name: "Rules of every project" });
    expect(within(global).getByText(".env")).toBeTruthy();
  });

  it("adds a rule with Enter, keeps focus in the pattern, and hands global rules to the form", async () => {
    const { backend, addRule } = rulesBackend();
    const onGlobalRules = field(backend);
    await screen.findByText("No rules for every project yet.");
    fireEvent.change(screen.getByRole("combobox", { name: "Effect" }), { target: { value: "deny" } });
    fireEvent.change(pattern(), { target: { value: " rm * " } });
    fireEvent.keyDown(pattern(), { key: "Enter" });
    const list = await screen.findByRole("list", { name: "Rules of every project" });
    expect(within(list).getByText("rm *")).toBeTruthy();
    expect(addRule).toHaveBeenCalledWith(null, { effect: "deny", tool: "run_command", pattern: " rm * " });
    expect((pattern() as HTMLInputElement).value).toBe("");
    expect(document.activeElement).toBe(pattern());
    await vi.waitFor(() =>
      expect(onGlobalRules).toHaveBeenLastCalledWith([
        { effect: "deny", tool: "run_command", pattern: "rm *" },
      ]),
    );
  });

  it("adds to the chosen project with the button, and removes by the rule's own button", async () => {
    const { backend, addRule, removeRule } = rulesBackend();
    const onGlobalRules = field(backend, "id-web");
    await screen.findByText("No rules for web yet.");
    fireEvent.change(screen.getByRole("combobox", { name: "Tool" }), { target: { value: "write_file" } });
    fireEvent.change(pattern(), { target: { value: "src/**" } });
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    const remove = await screen.findByRole("button", { name: "Remove rule allow write_file src/**" });
    expect(addRule).toHaveBeenCalledWith("id-web", {
      effect: "allow",
      tool: "write_file",
      pattern: "src/**",
    });
    fireEvent.click(remove);
    await screen.findByText("No rules for web yet.");
    expect(removeRule).toHaveBeenCalledWith("id-web", {
      effect: "allow",
      tool: "write_file",
      pattern: "src/**",
    });
    expect(onGlobalRules).not.toHaveBeenCalled();
  });

  it("says what is wrong with a pattern, next to it, and adds nothing", async () => {
    const { backend, listRules } = rulesBackend();
    field(backend);
    await screen.findByText("No rules for every project yet.");
    const loads = listRules.mock.calls.length;
    fireEvent.change(pattern(), { target: { value: "a && b" } });
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("That pattern cannot be used as a rule.");
    expect(alert.textContent).toContain("a rule matches one command");
    expect(pattern().getAttribute("aria-invalid")).toBe("true");
    expect(pattern().getAttribute("aria-describedby")).toContain(alert.id);
    expect(listRules.mock.calls.length).toBe(loads);
    expect(screen.queryByRole("list")).toBeNull();
  });

  it("does not submit the form it sits in when Enter adds a rule", async () => {
    const { backend } = rulesBackend();
    render(
      <form>
        <RulesField backend={backend} projects={[]} currentProjectId={null} onGlobalRules={() => {}} />
      </form>,
    );
    await screen.findByText("No rules for every project yet.");
    fireEvent.change(pattern(), { target: { value: "ls" } });
    // `fireEvent` answers false when a handler prevented the default: the form's submission.
    expect(fireEvent.keyDown(pattern(), { key: "Enter" })).toBe(false);
    await screen.findByRole("list");
    expect(fireEvent.keyDown(pattern(), { key: "a" }), "other keys type as usual").toBe(true);
  });

  it("marks a project's always allow from before rules", async () => {
    const { backend } = rulesBackend({
      "id-web": [
        { scope: "project", rule: { effect: "allow", tool: "write_file", pattern: "*" }, always_allow: true },
      ],
    });
    field(backend, "id-web");
    expect(await screen.findByText(/always allow, from before rules/)).toBeTruthy();
  });
});
