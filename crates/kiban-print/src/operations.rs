//! 月次運用報告書: the service operator's monthly report. The caller writes
//! every figure as text (the report holds counts, timings and digests, no
//! resident data); the layout is a title and sections of tables.

use serde::Serialize;

use crate::documents::{Preparer, WireDocument};
use crate::error::PrintError;
use crate::fonts::FontRole;

/// The monthly operations report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationsReport {
    /// The month, e.g. 令和8年11月（2026年11月）.
    pub month_label: String,
    /// What it covers, e.g. サービス全体 or 990019 デモ市.
    pub scope: String,
    /// The day it was made, in 和暦.
    pub created_on: String,
    /// Who reports (the service operator).
    pub operator: String,
    /// Its sections, in order.
    pub sections: Vec<ReportSection>,
}

/// One section: a heading and a table (an empty table prints 該当なし).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSection {
    /// Its heading, e.g. 1. 可用性.
    pub heading: String,
    /// The table's column headings.
    pub columns: Vec<String>,
    /// Its rows, each with one cell per column.
    pub rows: Vec<Vec<String>>,
    /// A note under the table (how a figure was measured).
    pub note: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct WireOperationsReport {
    kind: &'static str,
    municipality: String,
    month_label: String,
    scope: String,
    created_on: String,
    operator: String,
    sections: Vec<WireSection>,
}

#[derive(Serialize)]
struct WireSection {
    heading: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    note: Option<String>,
}

impl Preparer<'_> {
    pub(crate) fn operations_report(
        &mut self,
        report: &OperationsReport,
    ) -> Result<WireDocument, PrintError> {
        use FontRole::Text;
        let mut sections = Vec::with_capacity(report.sections.len());
        for (i, section) in report.sections.iter().enumerate() {
            let field = |name: &str| format!("sections[{i}].{name}");
            let columns = section
                .columns
                .iter()
                .enumerate()
                .map(|(c, column)| self.required(&field(&format!("columns[{c}]")), Text, column))
                .collect::<Result<Vec<_>, _>>()?;
            let mut rows = Vec::with_capacity(section.rows.len());
            for (r, row) in section.rows.iter().enumerate() {
                if row.len() != columns.len() {
                    return Err(PrintError::EmptyField {
                        field: self.field(&field(&format!("rows[{r}]"))),
                    });
                }
                rows.push(
                    row.iter()
                        .enumerate()
                        .map(|(c, cell)| self.text(&field(&format!("rows[{r}][{c}]")), Text, cell))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            sections.push(WireSection {
                heading: self.required(&field("heading"), Text, &section.heading)?,
                columns,
                rows,
                note: self.optional(&field("note"), Text, section.note.as_deref())?,
            });
        }
        let operator = self.required("operator", Text, &report.operator)?;
        Ok(WireDocument::OperationsReport(WireOperationsReport {
            kind: "operations_report",
            municipality: operator.clone(),
            month_label: self.required("month_label", Text, &report.month_label)?,
            scope: self.required("scope", Text, &report.scope)?,
            created_on: self.required("created_on", Text, &report.created_on)?,
            operator,
            sections,
        }))
    }
}
