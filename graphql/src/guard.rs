//! Checks made on a GraphQL request before any resolver runs, and before the
//! document is even parsed where parsing itself could be attacked.
//!
//! - [`nesting`] scans the raw text for the deepest bracket nesting (lists,
//!   objects, selection sets, argument lists) without building anything, so a
//!   document nested thousands deep is refused before the recursive parser
//!   sees it.
//! - [`Stats::of`] walks the parsed document with every fragment spread
//!   expanded (memoised, so a fragment "bomb" costs no more than its size):
//!   aliases, password-checking fields and introspection are counted as
//!   they would run, not as they are written.
//! - [`control_character`] finds a control character in any string the
//!   request carries, in literal arguments or in variables.
//! - [`introspection_only`] and [`introspection_list_depth`] let the
//!   ecosystem's introspection query (graphql-js's `getIntrospectionQuery()`,
//!   which GraphiQL, code generators, Postman and schemathesis send) past the
//!   depth limit of ordinary queries, while a costly introspection query is
//!   still refused: the list fields that multiply an answer (`fields`,
//!   `interfaces`, `possibleTypes`, `inputFields`) may nest at most
//!   [`MAX_INTROSPECTION_LIST_DEPTH`] deep, graphql-js's own
//!   `MaxIntrospectionDepthRule`.

use std::collections::HashMap;

use async_graphql::{
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
    Name, Value, Variables,
};

/// Fields that check or set a password: each costs an argon2 hash, so a
/// request may carry at most one of them.
pub const CREDENTIAL_FIELDS: &[&str] = &[
    "signIn",
    "signUpHousehold",
    "signUpProvider",
    "changePassword",
    "createCouncil",
];

/// The deepest nesting of `(`, `[` and `{` in a GraphQL document's text,
/// ignoring strings, block strings and comments. Stops counting at
/// `limit + 1`: the answer only needs to say "too deep".
pub fn nesting(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > limit {
                        return max;
                    }
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// The deepest nesting of a JSON-like value (variables): 1 for a scalar.
pub fn value_depth(v: &Value) -> usize {
    match v {
        Value::List(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(value_depth).max().unwrap_or(0),
        _ => 1,
    }
}

/// What a document would do, fragments expanded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Aliased fields, each spread of a fragment counted again.
    pub aliases: u64,
    /// Fields of [`CREDENTIAL_FIELDS`], each spread counted again.
    pub credential_fields: u64,
    /// Whether `__schema` or `__type` is asked anywhere.
    pub introspection: bool,
}

impl Stats {
    fn add(self, other: Stats) -> Stats {
        Stats {
            aliases: self.aliases.saturating_add(other.aliases),
            credential_fields: self.credential_fields.saturating_add(other.credential_fields),
            introspection: self.introspection || other.introspection,
        }
    }

    /// The sum over every operation of `doc` (all of them: a client names
    /// the one to run, but each is refused on its own merits).
    pub fn of(doc: &ExecutableDocument) -> Stats {
        let mut memo: HashMap<Name, Option<Stats>> = HashMap::new();
        doc.operations
            .iter()
            .map(|(_, op)| walk(doc, &op.node.selection_set.node, &mut memo))
            .fold(Stats::default(), Stats::add)
    }
}

/// Counts a selection set; `memo` holds each fragment's own count once it is
/// known (`None` while it is being counted, so a cycle — which validation
/// refuses later — counts as nothing instead of looping).
fn walk(doc: &ExecutableDocument, set: &SelectionSet, memo: &mut HashMap<Name, Option<Stats>>) -> Stats {
    let mut total = Stats::default();
    for item in &set.items {
        let s = match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                Stats {
                    aliases: u64::from(f.node.alias.is_some()),
                    credential_fields: u64::from(CREDENTIAL_FIELDS.contains(&name)),
                    introspection: name == "__schema" || name == "__type",
                }
                .add(walk(doc, &f.node.selection_set.node, memo))
            }
            Selection::InlineFragment(i) => walk(doc, &i.node.selection_set.node, memo),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match memo.get(name) {
                    Some(Some(known)) => *known,
                    Some(None) => Stats::default(),
                    None => match doc.fragments.get(name) {
                        Some(fragment) => {
                            memo.insert(name.clone(), None);
                            let s = walk(doc, &fragment.node.selection_set.node, memo);
                            memo.insert(name.clone(), Some(s));
                            s
                        }
                        None => Stats::default(),
                    },
                }
            }
        };
        total = total.add(s);
    }
    total
}

/// Introspection's list fields that multiply the size of an answer.
pub const INTROSPECTION_LIST_FIELDS: &[&str] = &["fields", "interfaces", "possibleTypes", "inputFields"];

/// How deep [`INTROSPECTION_LIST_FIELDS`] may nest under `__schema` or
/// `__type`: two, as graphql-js's `MaxIntrospectionDepthRule` allows (it
/// refuses three). The standard introspection query nests them once.
pub const MAX_INTROSPECTION_LIST_DEPTH: u64 = 2;

/// Whether every operation of `doc` is a query asking only for the meta
/// fields `__schema`, `__type` and `__typename` at its top level (fragments
/// and inline fragments expanded): nothing below them reaches a resolver of
/// the API. A document with no operation is not.
pub fn introspection_only(doc: &ExecutableDocument) -> bool {
    fn top_level(doc: &ExecutableDocument, set: &SelectionSet, seen: &mut Vec<Name>) -> bool {
        set.items.iter().all(|item| match &item.node {
            Selection::Field(f) => matches!(f.node.name.node.as_str(), "__schema" | "__type" | "__typename"),
            Selection::InlineFragment(i) => top_level(doc, &i.node.selection_set.node, seen),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if seen.contains(name) {
                    // A cycle or a fragment already checked.
                    return true;
                }
                seen.push(name.clone());
                match doc.fragments.get(name) {
                    Some(fragment) => top_level(doc, &fragment.node.selection_set.node, seen),
                    None => false,
                }
            }
        })
    }
    let mut seen = Vec::new();
    doc.operations.iter().next().is_some()
        && doc
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Query && top_level(doc, &op.node.selection_set.node, &mut seen))
}

/// The deepest nesting of [`INTROSPECTION_LIST_FIELDS`] below any `__schema`
/// or `__type` field of `doc`, fragments expanded (memoised, so a fragment
/// bomb costs no more than its size; a cycle counts as nothing).
pub fn introspection_list_depth(doc: &ExecutableDocument) -> u64 {
    let mut memo: HashMap<Name, Option<(u64, u64)>> = HashMap::new();
    doc.operations
        .iter()
        .map(|(_, op)| list_depths(doc, &op.node.selection_set.node, &mut memo).1)
        .max()
        .unwrap_or(0)
}

/// For a selection set: the deepest nesting of list fields in it, and the
/// deepest found below an introspection root in it.
fn list_depths(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    memo: &mut HashMap<Name, Option<(u64, u64)>>,
) -> (u64, u64) {
    let (mut lists, mut below_root) = (0u64, 0u64);
    for item in &set.items {
        let (l, r) = match &item.node {
            Selection::Field(f) => {
                let name = f.node.name.node.as_str();
                let (l, r) = list_depths(doc, &f.node.selection_set.node, memo);
                let l = l + u64::from(INTROSPECTION_LIST_FIELDS.contains(&name));
                let r = if name == "__schema" || name == "__type" {
                    r.max(l)
                } else {
                    r
                };
                (l, r)
            }
            Selection::InlineFragment(i) => list_depths(doc, &i.node.selection_set.node, memo),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match memo.get(name) {
                    Some(Some(known)) => *known,
                    Some(None) => (0, 0),
                    None => match doc.fragments.get(name) {
                        Some(fragment) => {
                            memo.insert(name.clone(), None);
                            let d = list_depths(doc, &fragment.node.selection_set.node, memo);
                            memo.insert(name.clone(), Some(d));
                            d
                        }
                        None => (0, 0),
                    },
                }
            }
        };
        lists = lists.max(l);
        below_root = below_root.max(r);
    }
    (lists, below_root)
}

/// True for characters no text field accepts: C0 and C1 controls other than
/// tab, line feed and carriage return (which multi-line fields may hold).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first string in the document's literal arguments or in the variables
/// that holds a forbidden control character, as a path for the error.
pub fn control_character(doc: &ExecutableDocument, variables: &Variables) -> Option<String> {
    variables_control_character(variables).or_else(|| document_control_character(doc))
}

/// The first variable holding a forbidden control character, as a path.
pub fn variables_control_character(variables: &Variables) -> Option<String> {
    variables
        .iter()
        .find_map(|(name, value)| bad_value(value).map(|p| format!("${name}{p}")))
}

/// The first literal argument holding a forbidden control character, as a path.
pub fn document_control_character(doc: &ExecutableDocument) -> Option<String> {
    let sets = doc
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(doc.fragments.values().map(|f| &f.node.selection_set.node));
    for set in sets {
        if let Some(p) = bad_set(set) {
            return Some(p);
        }
    }
    None
}

fn bad_set(set: &SelectionSet) -> Option<String> {
    for item in &set.items {
        let found = match &item.node {
            Selection::Field(f) => f
                .node
                .arguments
                .iter()
                .find_map(|(name, v)| {
                    // Variables inside a literal stand for values checked with the variables.
                    let literal = v
                        .node
                        .clone()
                        .into_const_with(|_| Ok::<_, std::convert::Infallible>(Value::Null))
                        .unwrap_or(Value::Null);
                    bad_value(&literal).map(|p| format!("{}.{}{p}", f.node.name.node, name.node))
                })
                .or_else(|| bad_set(&f.node.selection_set.node)),
            Selection::InlineFragment(i) => bad_set(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn bad_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => s.chars().any(is_forbidden_char).then(String::new),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| bad_value(x).map(|p| format!("[{i}]{p}"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            if k.chars().any(is_forbidden_char) {
                return Some(".<key>".to_string());
            }
            bad_value(x).map(|p| format!(".{k}{p}"))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting("{ a { b(x: [[1]]) } }", 100), 5);
        assert_eq!(nesting(r#"{ a(s: "[[[[[[") }"#, 100), 2);
        assert_eq!(nesting("{ a # [[[[[[\n }", 100), 1);
        assert_eq!(nesting(r#"{ a(s: """ [[[[ \""" [[[[ """) }"#, 100), 2);
        assert_eq!(nesting(r#"{ a(s: "\"[[[[") }"#, 100), 2);
    }

    #[test]
    fn nesting_stops_early_past_the_limit() {
        let deep = format!(
            "{{ locatePostcode(councilId:\"x\", postcode: {}) {{ lat }} }}",
            "[".repeat(2000)
        );
        assert_eq!(nesting(&deep, 64), 65);
    }

    #[test]
    fn aliases_are_counted_with_fragments_expanded() {
        let inner: String = (0..25).map(|i| format!("a{i}: __typename ")).collect();
        let doc = parse_query(format!(
            "query {{ ...F ...F ...F ...F }} fragment F on Query {{ {inner} }}"
        ))
        .unwrap();
        assert_eq!(Stats::of(&doc).aliases, 100);
    }

    #[test]
    fn a_fragment_bomb_is_counted_without_expanding_it() {
        // Each level spreads the next ten times: 10^8 aliases as written out.
        let mut text = String::from("query { ...F0 }");
        for level in 0..8 {
            let spreads: String = (0..10).map(|_| format!("...F{} ", level + 1)).collect();
            text.push_str(&format!(" fragment F{level} on Query {{ {spreads} }}"));
        }
        text.push_str(" fragment F8 on Query { x: __typename }");
        let doc = parse_query(text).unwrap();
        assert_eq!(Stats::of(&doc).aliases, 100_000_000);
    }

    #[test]
    fn credential_fields_and_introspection_are_found_inside_fragments() {
        let doc = parse_query(
            "mutation { a: signIn(input: {email: \"x\", password: \"y\"}) { token } ...M } \
             fragment M on Mutation { b: signIn(input: {email: \"x\", password: \"y\"}) { viewer { __typename } } }",
        )
        .unwrap();
        let s = Stats::of(&doc);
        assert_eq!(s.credential_fields, 2);
        assert!(!s.introspection);
        let doc = parse_query("{ ...I } fragment I on Query { __schema { queryType { name } } }").unwrap();
        assert!(Stats::of(&doc).introspection);
    }

    #[test]
    fn a_fragment_cycle_does_not_loop() {
        let doc =
            parse_query("{ ...A } fragment A on Query { x: __typename ...B } fragment B on Query { ...A }").unwrap();
        assert_eq!(Stats::of(&doc).aliases, 1);
    }

    #[test]
    fn control_characters_are_found_in_literals_and_variables() {
        let doc = parse_query(r#"mutation { signIn(input: {email: "a\u0000b", password: "p"}) { token } }"#).unwrap();
        assert_eq!(
            control_character(&doc, &Variables::default()).as_deref(),
            Some("signIn.input.email")
        );
        let doc = parse_query("mutation($i: SignInInput!) { signIn(input: $i) { token } }").unwrap();
        let vars = Variables::from_json(serde_json::json!({"i": {"email": "x", "password": "p\u{7}"}}));
        assert_eq!(control_character(&doc, &vars).as_deref(), Some("$i.password"));
        let vars = Variables::from_json(serde_json::json!({"i": {"email": "x", "password": "line\nbreak\ttab"}}));
        assert_eq!(control_character(&doc, &vars), None);
    }

    #[test]
    fn introspection_only_documents_are_told_from_the_rest() {
        let only = |text: &str| introspection_only(&parse_query(text).unwrap());
        assert!(only("{ __schema { queryType { name } } }"));
        assert!(only(
            "query Q { ...F __typename } fragment F on Query { __type(name: \"Query\") { name } }"
        ));
        assert!(only("{ ... on Query { __schema { types { name } } } }"));
        assert!(!only("{ __typename me { id } }"));
        assert!(!only("{ ...F } fragment F on Query { __typename me { id } }"));
        assert!(!only("mutation { __typename }"));
        // Every operation counts, not only the one a client names.
        assert!(!only("query A { __typename } query B { offers { id } }"));
        assert!(!only("{ ...Missing }"));
    }

    #[test]
    fn introspection_list_depth_counts_the_lists_that_multiply_an_answer() {
        let depth = |text: &str| introspection_list_depth(&parse_query(text).unwrap());
        // The shape of the standard query: lists once, `ofType` many times.
        assert_eq!(
            depth(
                "{ __schema { types { ...T } } } \
                 fragment T on __Type { fields { args { type { ...R } } type { ...R } } inputFields { type { ...R } } \
                 interfaces { ...R } possibleTypes { ...R } } \
                 fragment R on __Type { ofType { ofType { ofType { ofType { name } } } } }"
            ),
            1
        );
        assert_eq!(
            depth("{ __type(name: \"Query\") { fields { type { fields { name } } } } }"),
            2
        );
        assert_eq!(
            depth("{ __schema { types { fields { type { fields { type { ...F } } } } } } } fragment F on __Type { fields { name } }"),
            3
        );
        // The same names outside introspection are not counted.
        assert_eq!(depth("{ fields { fields { fields { name } } } }"), 0);
    }

    #[test]
    fn a_fragment_bomb_of_introspection_lists_is_measured_without_expanding_it() {
        let mut text = String::from("{ __schema { types { ...F0 } } }");
        for level in 0..30 {
            let spreads: String = (0..10).map(|_| format!("...F{} ", level + 1)).collect();
            text.push_str(&format!(
                " fragment F{level} on __Type {{ fields {{ type {{ {spreads} }} }} }}"
            ));
        }
        text.push_str(" fragment F30 on __Type { name }");
        let doc = parse_query(text).unwrap();
        assert_eq!(introspection_list_depth(&doc), 30);
    }

    proptest! {
        // Any text at all: the scan never panics and never counts more than
        // the brackets it holds.
        #[test]
        fn nesting_never_panics(text in ".{0,400}") {
            let n = nesting(&text, 1000);
            prop_assert!(n <= text.len());
        }

        #[test]
        fn nesting_of_brackets_is_their_depth(depth in 0usize..300) {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            prop_assert_eq!(nesting(&text, 1000), depth);
        }
    }
}
