use coder_agent::tools::{ToolKind, ToolSet};
use serde_json::json;

use crate::project::Project;

#[test]
fn the_standard_set_offers_seven_tools_by_name() {
    let set = ToolSet::standard();
    let names: Vec<_> = set.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        ["read_file", "list_files", "search", "write_file", "edit_file", "run_command", "update_plan"]
    );
    let kinds: Vec<_> = names.iter().map(|n| set.get(n).unwrap().kind()).collect();
    use ToolKind::*;
    assert_eq!(kinds, [Read, Read, Read, Write, Write, Command, Read], "the kind decides approval");
    assert!(set.get("delete_everything").is_none());
    assert_eq!((&set).into_iter().count(), 7);
}

#[test]
fn specs_describe_object_inputs_whose_required_fields_exist() {
    let specs = ToolSet::standard().specs();
    assert_eq!(specs.len(), 7);
    for spec in specs {
        assert!(spec.description.len() > 40, "{} needs a real description", spec.name);
        let schema = &spec.input_schema;
        assert_eq!(schema["type"], "object", "{}", spec.name);
        assert_eq!(
            schema["additionalProperties"], false,
            "{}: unknown fields are refused, so say so",
            spec.name
        );
        let properties = schema["properties"].as_object().unwrap();
        for field in schema["required"].as_array().into_iter().flatten() {
            assert!(
                properties.contains_key(field.as_str().unwrap()),
                "{}: {field} is required but not described",
                spec.name
            );
        }
        for (field, property) in properties {
            assert!(property["description"].is_string(), "{}.{field} has a description", spec.name);
        }
    }
}

#[tokio::test]
async fn every_tool_refuses_unknown_fields_with_its_name() {
    let p = Project::new();
    for tool in &ToolSet::standard() {
        let result = p.run(tool, json!({"surprise": true})).await;
        let Err(coder_agent::tools::ToolError::InvalidInput(message)) = result else {
            panic!("{}: {result:?}", tool.name());
        };
        assert!(message.starts_with(tool.name()), "the message names the tool: {message}");
    }
}
