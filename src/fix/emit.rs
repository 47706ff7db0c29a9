//! Writing a built SealedSecret as text that fits where the Secret stood.

use serde_json::Value;
use serde_saphyr::SerializerOptions;

/// How the replaced object was written, so the replacement can match it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A block-style YAML object (a document, or an item of a block list).
    YamlBlock,
    /// A flow-style object inside YAML (`- {kind: Secret, ...}`): written as
    /// one line of JSON, which is valid YAML flow style wherever the old text was.
    YamlFlow,
    /// An object in a JSON file.
    Json,
}

/// `value` as text for the given shape. Lines after the first are indented by
/// `indent` spaces (the column where the replaced object started), and end with
/// `newline`. There is no trailing line end: the replaced range had none.
pub fn render(value: &Value, shape: Shape, indent: usize, newline: &str) -> Result<String, String> {
    let text = match shape {
        Shape::YamlBlock => {
            let mut options = SerializerOptions::default();
            // Long base64 values stay plain scalars on one line, as kubeseal
            // writes them, rather than folded blocks.
            options.prefer_block_scalars = false;
            serde_saphyr::to_string_with_options(value, options).map_err(|e| e.to_string())?
        }
        Shape::YamlFlow => serde_json::to_string(value).map_err(|e| e.to_string())?,
        Shape::Json => serde_json::to_string_pretty(value).map_err(|e| e.to_string())?,
    };
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.trim_end_matches('\n').split('\n').enumerate() {
        if i > 0 {
            out.push_str(newline);
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_is_indented_after_the_first_line_and_keeps_crlf() {
        let value = json!({"a": {"b": "true", "c": "x"}});
        assert_eq!(
            render(&value, Shape::YamlBlock, 2, "\r\n").unwrap(),
            "a:\r\n    b: \"true\"\r\n    c: x"
        );
    }

    #[test]
    fn long_values_stay_on_one_plain_line() {
        let long = "A".repeat(700);
        let text = render(&json!({ "k": long }), Shape::YamlBlock, 0, "\n").unwrap();
        assert_eq!(text, format!("k: {long}"));
    }

    #[test]
    fn flow_and_json_shapes() {
        let value = json!({"kind": "SealedSecret", "spec": {}});
        assert_eq!(
            render(&value, Shape::YamlFlow, 4, "\n").unwrap(),
            r#"{"kind":"SealedSecret","spec":{}}"#
        );
        assert_eq!(
            render(&value, Shape::Json, 2, "\n").unwrap(),
            "{\n    \"kind\": \"SealedSecret\",\n    \"spec\": {}\n  }"
        );
    }
}
