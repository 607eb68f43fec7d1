//! The form engine of the screens: a form is sections of fields whose names
//! are the JSON paths of the API's request body (`persons[1].name_kana`,
//! `address.postal_code`). From the posted values it builds that body
//! (dates typed in 和暦 or 西暦 converted, blank repeated rows left out),
//! places an error the API names by its path next to the field of that name,
//! and draws the form, its error summary and its confirmation lines
//! (確認画面). A business describes its fields; the engine does the rest.

use std::collections::BTreeMap;

use kiban_core::wareki::parse_date_input;

use crate::ApiError;
use serde_json::{Map, Value};

use crate::kit::display::date_ja;

/// The values of a form as posted: a name can repeat (check boxes).
pub(crate) type Values = BTreeMap<String, Vec<String>>;

/// The posted pairs of a form as [`Values`], without the names in `skip`
/// (the CSRF token, the step).
pub(crate) fn values_of(pairs: Vec<(String, String)>, skip: &[&str]) -> Values {
    let mut values = Values::new();
    for (key, value) in pairs {
        if !skip.contains(&key.as_str()) {
            values.entry(key).or_default().push(value);
        }
    }
    values
}

/// The first value posted under `name`, trimmed (`""` if none).
pub(crate) fn value<'a>(values: &'a Values, name: &str) -> &'a str {
    values
        .get(name)
        .and_then(|v| v.first())
        .map_or("", |v| v.trim())
}

/// Every value posted under `name` (checked boxes), trimmed.
fn checked<'a>(values: &'a Values, name: &str) -> Vec<&'a str> {
    values
        .get(name)
        .into_iter()
        .flatten()
        .map(|v| v.trim())
        .collect()
}

/// A day typed in 和暦 or 西暦 into the field `field` (labelled `label`),
/// `None` when left blank.
pub(crate) fn parse_day(
    field: &str,
    label: &str,
    raw: &str,
) -> Result<Option<kiban_core::Date>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    parse_date_input(raw).map(Some).map_err(|e| {
        ApiError::invalid(
            field,
            kiban_core::Message::ScreenDate {
                label: label.into(),
                detail: e.message().text(),
            },
        )
    })
}

/// How a field goes into the JSON request body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Json {
    /// A string.
    Text,
    /// A date typed in 和暦 or 西暦, sent as `YYYY-MM-DD`.
    Date,
    /// A number (sent as its digits).
    Number,
    /// Every checked value, as a list of numbers.
    NumberList,
    /// Not sent: it only says which record the form is about.
    Context,
}

/// How a field is typed.
pub(crate) enum Input {
    Text,
    Date,
    Select(Vec<(String, String)>),
    Checkboxes(Vec<(String, String)>),
    /// Shown, not editable (carried as a hidden field).
    Fixed(String),
}

/// A field of a form; its name is the JSON path of the API.
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) input: Input,
    pub(crate) json: Json,
    pub(crate) required: bool,
    pub(crate) hint: Option<&'static str>,
}

/// The hint of a date field.
pub(crate) const DATE_HINT: &str = "和暦（令和7年4月1日、R7.4.1）または西暦（2025-04-01）";

impl Field {
    pub(crate) fn new(
        name: impl Into<String>,
        label: impl Into<String>,
        input: Input,
        json: Json,
    ) -> Self {
        Self {
            name: name.into(),
            label: label.into(),
            input,
            json,
            required: false,
            hint: None,
        }
    }

    pub(crate) fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Input::Text, Json::Text)
    }

    pub(crate) fn date(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            hint: Some(DATE_HINT),
            ..Self::new(name, label, Input::Date, Json::Date)
        }
    }

    pub(crate) fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    pub(crate) fn hint(self, hint: &'static str) -> Self {
        Self {
            hint: Some(hint),
            ..self
        }
    }
}

/// A group of fields (a `<fieldset>`); `row` numbers a repeated row (the
/// persons of a 転入), whose blank rows are left out.
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) row: Option<usize>,
    pub(crate) fields: Vec<Field>,
}

/// The repeated rows of a form: the list of the JSON body they fill
/// (`persons`: the fields of row 2 are named `persons[2].…`) and the
/// fields of a row that, all blank, leave the row out.
pub(crate) struct Rows {
    pub(crate) list: &'static str,
    pub(crate) keys: &'static [&'static str],
}

impl Rows {
    /// Whether `row` was left blank.
    pub(crate) fn blank(&self, values: &Values, row: usize) -> bool {
        self.keys
            .iter()
            .all(|field| value(values, &format!("{}[{row}].{field}", self.list)).is_empty())
    }
}

/// One step of a JSON path: a member or an index.
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next() {
            out.push(Segment::Key(name.to_owned()));
        }
        for index in pieces {
            if let Ok(i) = index.trim_end_matches(']').parse::<usize>() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

/// Sets the member at the JSON path `path` (`persons[0].name`) of `target`,
/// making the objects and lists on the way.
pub(crate) fn set_path(target: &mut Value, path: &str, new: Value) {
    set_segments(target, &segments(path), new);
}

fn set_segments(target: &mut Value, path: &[Segment], new: Value) {
    match path.split_first() {
        None => *target = new,
        Some((Segment::Key(key), rest)) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(map) = target {
                set_segments(map.entry(key.clone()).or_insert(Value::Null), rest, new);
            }
        }
        Some((Segment::Index(index), rest)) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            if let Value::Array(items) = target {
                while items.len() <= *index {
                    items.push(Value::Null);
                }
                if let Some(item) = items.get_mut(*index) {
                    set_segments(item, rest, new);
                }
            }
        }
    }
}

/// The request body built from a form, the repeated rows actually sent
/// (JSON index → form row), and the fields that could not be read.
pub(crate) struct Built {
    pub(crate) body: Value,
    pub(crate) rows: Vec<usize>,
    pub(crate) errors: BTreeMap<String, String>,
}

/// Builds the JSON body of `sections` from the posted `values`: blank rows
/// left out and the others renumbered, required fields checked, dates
/// converted.
pub(crate) fn build_body(sections: &[Section], rows: &Rows, values: &Values) -> Built {
    let mut body = Value::Object(Map::new());
    let mut sent = Vec::new();
    let mut errors = BTreeMap::new();
    for section in sections {
        let prefix = match section.row {
            Some(row) if rows.blank(values, row) => continue,
            Some(row) => {
                let index = sent.len();
                sent.push(row);
                Some((
                    format!("{}[{row}].", rows.list),
                    format!("{}[{index}].", rows.list),
                ))
            }
            None => None,
        };
        for field in &section.fields {
            if field.json == Json::Context {
                continue;
            }
            let path = match &prefix {
                Some((form, json)) => field.name.replacen(form.as_str(), json.as_str(), 1),
                None => field.name.clone(),
            };
            if field.json == Json::NumberList {
                let items: Vec<Value> = checked(values, &field.name)
                    .into_iter()
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned()))
                    .collect();
                if items.is_empty() {
                    if field.required {
                        errors.insert(field.name.clone(), "1人以上選択してください".to_owned());
                    }
                } else {
                    set_path(&mut body, &path, Value::Array(items));
                }
                continue;
            }
            let raw = value(values, &field.name);
            if raw.is_empty() {
                if field.required {
                    errors.insert(field.name.clone(), "入力してください".to_owned());
                }
                continue;
            }
            let json = match field.json {
                Json::Date => match parse_date_input(raw) {
                    Ok(date) => Value::String(date.to_string()),
                    Err(e) => {
                        errors.insert(field.name.clone(), e.message().text());
                        continue;
                    }
                },
                _ => Value::String(raw.to_owned()),
            };
            set_path(&mut body, &path, json);
        }
    }
    Built {
        body,
        rows: sent,
        errors,
    }
}

/// The form field an error of the API names by `path`: the path with the
/// repeated rows mapped back to the form's rows (`sent`, from [`Built`]),
/// then the field itself, the list it is an item of, or the first field
/// inside it.
pub(crate) fn form_field(
    sections: &[Section],
    rows: &Rows,
    sent: &[usize],
    path: &str,
) -> Option<String> {
    let mut path = path.to_owned();
    if !rows.list.is_empty()
        && let Some(rest) = path.strip_prefix(&format!("{}[", rows.list))
        && let Some((index, tail)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
        && let Some(row) = sent.get(index)
    {
        path = format!("{}[{row}]{tail}", rows.list);
    }
    let names = || {
        sections
            .iter()
            .flat_map(|s| s.fields.iter())
            .map(|f| &f.name)
    };
    if names().any(|n| *n == path) {
        return Some(path);
    }
    if let Some((list, _)) = path.split_once('[')
        && names().any(|n| n == list)
    {
        return Some(list.to_owned());
    }
    names()
        .find(|n| n.starts_with(&format!("{path}.")) || n.starts_with(&format!("{path}[")))
        .cloned()
}

/// The label of the field `name`, with its row's title for a repeated row.
pub(crate) fn field_label(sections: &[Section], name: &str) -> String {
    for section in sections {
        for field in &section.fields {
            if field.name == name {
                return match section.row {
                    Some(_) => format!("{}の{}", section.title, field.label),
                    None => field.label.clone(),
                };
            }
        }
    }
    name.to_owned()
}

/// The errors placed on a form: next to their fields, or above the form.
#[derive(Default)]
pub(crate) struct Placed {
    pub(crate) fields: BTreeMap<String, String>,
    pub(crate) general: Vec<String>,
}

impl Placed {
    /// Places `message` next to `field` (the first message of a field
    /// stays), or above the form without one.
    pub(crate) fn add(&mut self, field: Option<String>, message: String) {
        match field {
            Some(field) => {
                self.fields.entry(field).or_insert(message);
            }
            None => self.general.push(message),
        }
    }
}

// -- Views of a form --------------------------------------------------------

/// An option of a select or a check box.
pub struct OptionView {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// A field as the template draws it.
pub struct FieldView {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    pub(crate) value: String,
    pub(crate) display: String,
    pub(crate) options: Vec<OptionView>,
    pub(crate) required: bool,
    pub(crate) hint: Option<&'static str>,
    pub(crate) error: Option<String>,
    pub(crate) autofocus: bool,
}

/// A section as the template draws it.
pub struct SectionView {
    pub(crate) title: String,
    pub(crate) fields: Vec<FieldView>,
}

/// A field's message in the summary above the form.
pub struct SummaryItem {
    pub(crate) id: String,
    pub(crate) text: String,
}

/// The HTML id of the field `name` (`f-persons_1__name_kana`).
pub(crate) fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

/// The summary above a form: each placed field error, labelled, linking to
/// its field.
pub(crate) fn summary(sections: &[Section], placed: &Placed) -> Vec<SummaryItem> {
    sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter_map(|f| {
            placed.fields.get(&f.name).map(|m| SummaryItem {
                id: field_id(&f.name),
                text: format!("{}: {m}", field_label(sections, &f.name)),
            })
        })
        .collect()
}

/// The sections as the template draws them, with the posted values, the
/// placed errors, and the focus on the first field in error (else the
/// first editable field).
pub(crate) fn section_views(
    sections: &[Section],
    values: &Values,
    placed: &Placed,
) -> Vec<SectionView> {
    let first_error = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| placed.fields.contains_key(&f.name))
        .map(|f| f.name.clone());
    let first_input = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| !matches!(f.input, Input::Fixed(_)))
        .map(|f| f.name.clone());
    let focus = first_error.or(first_input);
    sections
        .iter()
        .map(|section| SectionView {
            title: section.title.clone(),
            fields: section
                .fields
                .iter()
                .map(|field| {
                    let current = value(values, &field.name).to_owned();
                    let checked = checked(values, &field.name);
                    let options_of = |options: &[(String, String)],
                                      chosen: &dyn Fn(&str) -> bool|
                     -> Vec<OptionView> {
                        options
                            .iter()
                            .map(|(v, l)| OptionView {
                                value: v.clone(),
                                label: l.clone(),
                                selected: chosen(v),
                            })
                            .collect()
                    };
                    let (kind, options, display) = match &field.input {
                        Input::Text => ("text", Vec::new(), String::new()),
                        Input::Date => ("date", Vec::new(), String::new()),
                        Input::Fixed(display) => ("fixed", Vec::new(), display.clone()),
                        Input::Select(options) => (
                            "select",
                            options_of(options, &|v| v == current),
                            String::new(),
                        ),
                        Input::Checkboxes(options) => (
                            "checkboxes",
                            options_of(options, &|v| checked.contains(&v)),
                            String::new(),
                        ),
                    };
                    let error = placed
                        .fields
                        .get(&field.name)
                        .map(|m| format!("{}: {m}", field.label));
                    FieldView {
                        id: field_id(&field.name),
                        name: field.name.clone(),
                        label: field.label.clone(),
                        kind,
                        value: current,
                        display,
                        options,
                        required: field.required,
                        hint: field.hint,
                        error,
                        autofocus: focus.as_deref() == Some(field.name.as_str()),
                    }
                })
                .collect(),
        })
        .collect()
}

/// One line of a confirmation page.
pub struct ConfirmLine {
    pub(crate) label: String,
    pub(crate) value: String,
}

/// A section of a confirmation page.
pub struct ConfirmSection {
    pub(crate) title: String,
    pub(crate) lines: Vec<ConfirmLine>,
}

/// What the confirmation page (確認画面) shows of the posted values: each
/// field as the clerk will read it on paper (dates in 和暦, choices by
/// their labels, `（なし）` for a blank), blank rows left out.
pub(crate) fn confirm_sections(
    sections: &[Section],
    rows: &Rows,
    values: &Values,
) -> Vec<ConfirmSection> {
    sections
        .iter()
        .filter(|s| s.row.is_none_or(|row| !rows.blank(values, row)))
        .map(|section| ConfirmSection {
            title: section.title.clone(),
            lines: section
                .fields
                .iter()
                .map(|field| {
                    let raw = value(values, &field.name);
                    let shown = match &field.input {
                        Input::Fixed(display) => display.clone(),
                        Input::Date => parse_date_input(raw).map(date_ja).unwrap_or_default(),
                        Input::Text => raw.to_owned(),
                        Input::Select(options) => options
                            .iter()
                            .find(|(v, _)| v == raw && !v.is_empty())
                            .map(|(_, l)| l.clone())
                            .unwrap_or_default(),
                        Input::Checkboxes(options) => {
                            let checked = checked(values, &field.name);
                            options
                                .iter()
                                .filter(|(v, _)| checked.contains(&v.as_str()))
                                .map(|(_, l)| l.as_str())
                                .collect::<Vec<_>>()
                                .join("、")
                        }
                    };
                    ConfirmLine {
                        label: field.label.clone(),
                        value: if shown.is_empty() {
                            "（なし）".to_owned()
                        } else {
                            shown
                        },
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSONS: Rows = Rows {
        list: "persons",
        keys: &["name"],
    };

    fn sections() -> Vec<Section> {
        let mut sections = vec![Section {
            title: "内容".to_owned(),
            row: None,
            fields: vec![
                Field::date("event_date", "異動日").required(),
                Field::text("address.postal_code", "郵便番号"),
            ],
        }];
        for row in 0..3 {
            sections.push(Section {
                title: format!("{}人目", row + 1),
                row: Some(row),
                fields: vec![Field::text(format!("persons[{row}].name"), "氏名")],
            });
        }
        sections
    }

    #[test]
    fn a_body_from_json_paths_with_blank_rows_left_out() {
        let values = values_of(
            vec![
                ("csrf".into(), "x".into()),
                ("event_date".into(), "令和7年4月1日".into()),
                ("address.postal_code".into(), "1000001".into()),
                ("persons[0].name".into(), "".into()),
                ("persons[2].name".into(), "山田".into()),
            ],
            &["csrf"],
        );
        let built = build_body(&sections(), &PERSONS, &values);
        assert!(built.errors.is_empty());
        assert_eq!(
            built.body,
            serde_json::json!({"event_date": "2025-04-01",
                "address": {"postal_code": "1000001"}, "persons": [{"name": "山田"}]})
        );
        assert_eq!(built.rows, vec![2]);
        // An error the API names on the sent row is placed on the form's row.
        assert_eq!(
            form_field(&sections(), &PERSONS, &built.rows, "persons[0].name").as_deref(),
            Some("persons[2].name")
        );
        assert_eq!(
            form_field(&sections(), &PERSONS, &built.rows, "address").as_deref(),
            Some("address.postal_code")
        );
        assert_eq!(field_label(&sections(), "persons[2].name"), "3人目の氏名");
        let lines = confirm_sections(&sections(), &PERSONS, &values);
        assert_eq!(lines.len(), 2, "the blank rows are not confirmed");
        assert_eq!(lines[0].lines[0].value, "令和7年（2025年）4月1日");
    }

    #[test]
    fn required_fields_and_unreadable_dates_are_named() {
        let values = values_of(vec![("event_date".into(), "昨日".into())], &[]);
        let built = build_body(&sections(), &PERSONS, &values);
        assert!(built.errors.contains_key("event_date"));
        let placed = Placed {
            fields: built.errors,
            general: Vec::new(),
        };
        let summary = summary(&sections(), &placed);
        assert_eq!(summary[0].id, "f-event_date");
        let views = section_views(&sections(), &values, &placed);
        assert!(views[0].fields[0].autofocus && views[0].fields[0].error.is_some());
    }
}
