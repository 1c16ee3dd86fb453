//! Many generations at once: a list of prompts (one per non-empty line) or a CSV sheet
//! with a `prompt` column. Every row is built on a template (the model, images and
//! options chosen for all) and checked on its own; a bad row does not spoil the others.

use super::{Field, GenerationRequest, ImageInput, Problem, Role};

/// One row: where it came from, the request, and what is wrong with it (empty: ready).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// 1-based line of the text (of the CSV record's start).
    pub line: usize,
    pub request: GenerationRequest,
    pub problems: Vec<Problem>,
}

impl SheetRow {
    fn new(line: usize, request: GenerationRequest, mut problems: Vec<Problem>) -> Self {
        problems.extend(request.validate());
        Self {
            line,
            request,
            problems,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The columns a sheet may have (names compared without case); others are refused so a
/// typo does not silently drop a setting.
pub const COLUMNS: [&str; 12] = [
    "prompt",
    "model",
    "image",
    "role",
    "resolution",
    "ratio",
    "duration",
    "seed",
    "generate_audio",
    "camerafixed",
    "watermark",
    "return_last_frame",
];

/// Why a sheet as a whole cannot be read (a bad row is a [`Problem`] on that row instead).
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("cannot read the CSV header: {0}")]
    Header(csv::Error),
    #[error("unknown column {0:?}; the columns are {columns}", columns = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("the sheet has no `prompt` column")]
    NoPrompt,
    #[error("cannot read the CSV: {0}")]
    Record(csv::Error),
}

/// A CSV sheet when the first non-empty line names a `prompt` column, a list of prompts
/// otherwise.
pub fn parse(text: &str, template: &GenerationRequest) -> Result<Vec<SheetRow>, SheetError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let is_sheet = first
        .split(',')
        .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("prompt"));
    if is_sheet {
        parse_csv(text, template)
    } else {
        Ok(parse_lines(text, template))
    }
}

/// One request per non-empty line, each the template with that prompt.
pub fn parse_lines(text: &str, template: &GenerationRequest) -> Vec<SheetRow> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let request = GenerationRequest {
                prompt: l.trim().to_owned(),
                ..template.clone()
            };
            SheetRow::new(i + 1, request, Vec::new())
        })
        .collect()
}

/// A CSV sheet with a header. Empty cells keep the template's value; an `image` cell
/// replaces the template's images with that one (its role from `role`, else first frame).
/// An error only when the sheet as a whole cannot be read.
pub fn parse_csv(text: &str, template: &GenerationRequest) -> Result<Vec<SheetRow>, SheetError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(SheetError::Header)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    if let Some(unknown) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(SheetError::UnknownColumn(unknown.clone()));
    }
    if !headers.iter().any(|h| h == "prompt") {
        return Err(SheetError::NoPrompt);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(SheetError::Record)?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cells = headers.iter().map(String::as_str).zip(record.iter());
        let (request, problems) = row(cells, template);
        rows.push(SheetRow::new(line, request, problems));
    }
    Ok(rows)
}

fn row<'a>(
    cells: impl Iterator<Item = (&'a str, &'a str)>,
    template: &GenerationRequest,
) -> (GenerationRequest, Vec<Problem>) {
    let mut r = GenerationRequest {
        prompt: String::new(),
        ..template.clone()
    };
    let mut problems = Vec::new();
    let mut image: Option<String> = None;
    let mut role: Option<Role> = None;
    for (column, cell) in cells.filter(|(_, c)| !c.is_empty()) {
        let o = &mut r.options;
        let mut flag = |set: &mut bool| match yes_no(cell) {
            Some(b) => *set = b,
            None => problems.push(Problem::new(
                Field::Row,
                format!("{column}: {cell:?} is not true or false"),
            )),
        };
        match column {
            "prompt" => r.prompt = cell.to_owned(),
            "model" => r.model = cell.to_owned(),
            "image" => image = Some(cell.to_owned()),
            "role" => match Role::parse(cell) {
                Some(x) => role = Some(x),
                None => problems.push(Problem::new(
                    Field::Row,
                    format!("role {cell:?} is not first_frame, last_frame or reference_image"),
                )),
            },
            "resolution" => o.resolution = Some(cell.to_ascii_lowercase()),
            "ratio" => o.ratio = Some(cell.to_owned()),
            "duration" => match cell.parse() {
                Ok(d) => o.duration = Some(d),
                Err(_) => problems.push(Problem::new(
                    Field::Duration,
                    format!("duration {cell:?} is not a whole number of seconds"),
                )),
            },
            "seed" => match cell.parse() {
                Ok(s) => o.seed = Some(s),
                Err(_) => problems.push(Problem::new(
                    Field::Seed,
                    format!("seed {cell:?} is not a whole number"),
                )),
            },
            "generate_audio" => flag(&mut o.generate_audio),
            "camerafixed" => flag(&mut o.camera_fixed),
            "watermark" => flag(&mut o.watermark),
            "return_last_frame" => flag(&mut o.return_last_frame),
            _ => {}
        }
    }
    if let Some(source) = image {
        r.images = vec![ImageInput {
            source,
            role: role.unwrap_or(Role::FirstFrame),
        }];
    } else if role.is_some() {
        problems.push(Problem::new(Field::Row, "a role is given but no image"));
    }
    (r, problems)
}

fn yes_no(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::MODELS;

    fn template() -> GenerationRequest {
        let mut t = GenerationRequest::new(MODELS[0], "ignored");
        t.options.ratio = Some("16:9".into());
        t
    }

    #[test]
    fn prompt_lines() {
        let rows = parse("a cat\n\n  \nb dog  \n", &template()).expect("list");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].request.prompt.as_str()),
            (1, "a cat")
        );
        assert_eq!(
            (rows[1].line, rows[1].request.prompt.as_str()),
            (4, "b dog")
        );
        assert!(
            rows.iter()
                .all(|r| r.is_valid() && r.request.options.ratio.as_deref() == Some("16:9"))
        );
    }

    #[test]
    fn csv_rows_override_the_template_and_are_checked_one_by_one() {
        let text = "Prompt,model,image,role,duration,generate_audio,ratio\n\
            \"a cat, sleeping\",,,,5,yes,\n\
            ,,,,,,\n\
            a dog,my-model,https://e.x/a.png,last_frame,-1,no,9:16\n\
            bad,,,,forty,maybe,\n";
        let rows = parse(text, &template()).expect("sheet");
        assert_eq!(rows.len(), 3);
        let a = &rows[0].request;
        assert_eq!(a.prompt, "a cat, sleeping");
        assert_eq!((a.model.as_str(), a.options.duration), (MODELS[0], Some(5)));
        assert!(a.options.generate_audio && rows[0].is_valid());
        let b = &rows[1].request;
        assert_eq!(
            (b.model.as_str(), b.images[0].role),
            ("my-model", Role::LastFrame)
        );
        assert_eq!(b.options.ratio.as_deref(), Some("9:16"));
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].problems.len(), 2, "{:?}", rows[2].problems);
    }

    #[test]
    fn unreadable_sheets_say_why() {
        assert_eq!(
            parse_csv("prompt,colour\nx,red\n", &template())
                .expect_err("unknown")
                .to_string(),
            format!(
                "unknown column \"colour\"; the columns are {}",
                COLUMNS.join(", ")
            )
        );
        assert_eq!(
            parse_csv("model\nx\n", &template())
                .expect_err("no prompt")
                .to_string(),
            "the sheet has no `prompt` column"
        );
    }
}
