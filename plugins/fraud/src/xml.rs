//! Just enough XML reading to take a handful of values out of an e-invoice: the
//! text of the first element whose path ends with given local names. Not a
//! validating parser; malformed input yields `None`, never a panic.

/// Text of the first element whose ancestor path (local names, namespace prefixes
/// dropped) ends with `suffix`. With `anchored`, the path must equal `suffix`.
pub fn first_text(xml: &str, suffix: &[&str], anchored: bool) -> Option<String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut i = 0;
    let n = xml.len();
    while i < n {
        let off = xml[i..].find('<')?;
        let start = i + off;
        let rest = &xml[start..];
        if rest.starts_with("<!--") {
            i = start + rest.find("-->")? + 3;
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            i = start + rest.find("]]>")? + 3;
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            i = start + rest.find('>')? + 1;
            continue;
        }
        let end = start + tag_end(rest)?;
        let tag = &xml[start + 1..end];
        i = end + 1;
        if let Some(close) = tag.strip_prefix('/') {
            let local = local_name(close.trim());
            // Pop to the matching element, tolerating unbalanced input.
            if let Some(pos) = stack.iter().rposition(|s| *s == local) {
                stack.truncate(pos);
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        stack.push(local_name(name));
        let hit = if anchored {
            stack.as_slice() == suffix
        } else {
            stack.ends_with(suffix)
        };
        if hit && !self_closing {
            let text_end = xml[i..].find('<').map(|o| i + o).unwrap_or(n);
            let raw = &xml[i..text_end];
            let cdata = xml[i..]
                .strip_prefix("<![CDATA[")
                .and_then(|c| c.find("]]>").map(|e| &c[..e]));
            let t = decode_entities(cdata.unwrap_or(raw).trim());
            return Some(t);
        }
        if self_closing {
            stack.pop();
        }
        if stack.len() > 256 {
            return None;
        }
    }
    None
}

/// Position of the `>` closing a tag, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map(|x| x.1).unwrap_or(name)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::first_text;

    #[test]
    fn finds_paths() {
        let x = r#"<?xml version="1.0"?><!-- c --><a:Inv xmlns:a="x"><b:ID>1</b:ID><b:Sub x='>'><b:ID>in</b:ID></b:Sub><b:T a="1"/><b:T>t &amp; u</b:T></a:Inv>"#;
        assert_eq!(first_text(x, &["Inv", "ID"], true).as_deref(), Some("1"));
        assert_eq!(first_text(x, &["Sub", "ID"], false).as_deref(), Some("in"));
        assert_eq!(first_text(x, &["T"], false).as_deref(), Some("t & u"));
        assert_eq!(first_text(x, &["Nope"], false), None);
        assert_eq!(first_text("<a><b", &["b"], false), None);
    }
}
