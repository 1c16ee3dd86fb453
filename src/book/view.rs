//! What the grid shows of the book: its columns, the sort order and the filter. Plain
//! values, kept apart from the book so the preferences and the panels can name them.

use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Column {
    Status,
    Id,
    Model,
    Created,
    Elapsed,
    Prompt,
    Video,
    LastFrame,
    Reason,
    TraceId,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Status,
        Column::Id,
        Column::Model,
        Column::Created,
        Column::Elapsed,
        Column::Prompt,
        Column::Video,
        Column::LastFrame,
        Column::Reason,
        Column::TraceId,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Status => "Status",
            Self::Id => "Task id",
            Self::Model => "Model",
            Self::Created => "Created",
            Self::Elapsed => "Elapsed",
            Self::Prompt => "Prompt",
            Self::Video => "Video",
            Self::LastFrame => "Last frame",
            Self::Reason => "Reason",
            Self::TraceId => "Trace id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sort {
    pub column: Column,
    pub ascending: bool,
}

impl Default for Sort {
    /// Newest first: what was just pasted is what a person looks for.
    fn default() -> Self {
        Self {
            column: Column::Created,
            ascending: false,
        }
    }
}

/// What the grid shows: a search over id, prompt, model, reason and trace id (case
/// insensitive), statuses toggled off, and one model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub hidden_statuses: HashSet<String>,
    pub model: Option<String>,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        !self.text.trim().is_empty() || !self.hidden_statuses.is_empty() || self.model.is_some()
    }
}
