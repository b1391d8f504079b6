//! The set of tools offered to the model, looked up by the name the model calls.

use std::fmt;

use super::{EditFile, ListFiles, ReadFile, RunCommand, Search, Tool, UpdatePlan, WriteFile};
use crate::provider::ToolSpec;

/// Tools by name, in the order they are offered.
pub struct ToolSet {
    tools: Vec<Box<dyn Tool>>,
}

impl ToolSet {
    /// A set of the given tools. Invariant: names are unique; a later tool with a name already
    /// in the set replaces the earlier one.
    pub fn new(tools: Vec<Box<dyn Tool>>) -> Self {
        let mut set = Self { tools: Vec::with_capacity(tools.len()) };
        for tool in tools {
            match set.tools.iter().position(|t| t.name() == tool.name()) {
                Some(index) => set.tools[index] = tool,
                None => set.tools.push(tool),
            }
        }
        set
    }

    /// All seven standard tools: read_file, list_files, search, write_file, edit_file,
    /// run_command, and update_plan (the run's todo list, which touches nothing).
    pub fn standard() -> Self {
        Self::new(vec![
            Box::new(ReadFile),
            Box::new(ListFiles),
            Box::new(Search),
            Box::new(WriteFile),
            Box::new(EditFile),
            Box::new(RunCommand),
            Box::new(UpdatePlan),
        ])
    }

    pub fn get(&self, name: &str) -> Option<&dyn Tool> {
        self.iter().find(|tool| tool.name() == name)
    }

    /// The specs to offer the model, in order.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.iter().map(Tool::spec).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Tool> + '_ {
        self.tools.iter().map(|tool| &**tool)
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

impl fmt::Debug for ToolSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|tool| tool.name())).finish()
    }
}

impl<'a> IntoIterator for &'a ToolSet {
    type Item = &'a dyn Tool;
    type IntoIter = Box<dyn Iterator<Item = &'a dyn Tool> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
