//! The grid as a real table: driven by keyboard only (kittest sends the keys a person
//! presses), and read through the AccessKit tree as a screen reader gets it.

mod common;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, record};
use egui::accesskit::{Role, SortDirection};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use std::time::Duration;
use ui::{all_answered, step_until};

fn window(
    n: usize,
    statuses: &[&str],
) -> (
    tokio::runtime::Runtime,
    TestServer,
    Vec<String>,
    Harness<'static, SeedanceApp>,
) {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let ids = make_ids(n);
    for (i, id) in ids.iter().enumerate() {
        server.insert(record(id, statuses[i % statuses.len()]));
    }
    let mut options = ui::options(&server.url(), "keyboard-token", &RecordingOpener::default());
    options.initial_ids = ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    let mut h = ui::harness(&runtime, [1400.0, 800.0], options);
    {
        let _enter = runtime.enter();
        step_until(&mut h, "answers", all_answered);
    }
    (runtime, server, ids, h)
}

fn grid_focused(h: &Harness<'_, SeedanceApp>) -> bool {
    h.query_by_role(Role::Table)
        .is_some_and(|t| t.accesskit_node().is_focused())
}

fn press(h: &mut Harness<'_, SeedanceApp>, modifiers: Modifiers, key: Key) {
    h.key_press_modifiers(modifiers, key);
    // The key is read in one frame and applied after it; the next one shows it.
    h.step();
    h.step();
}

fn selected_in_order(h: &Harness<'_, SeedanceApp>) -> Vec<String> {
    let app = h.state();
    app.book()
        .ids_in_order()
        .into_iter()
        .filter(|id| app.selection().contains(id))
        .collect()
}

#[test]
fn the_grid_is_driven_by_keyboard_only() {
    let (runtime, _server, _ids, mut h) = window(5, &["succeeded", "failed"]);
    let _enter = runtime.enter();
    // Tab until the grid is focused: it is one Tab stop.
    for _ in 0..40 {
        if grid_focused(&h) {
            break;
        }
        press(&mut h, Modifiers::NONE, Key::Tab);
    }
    assert!(grid_focused(&h), "Tab reaches the grid");
    let order = h.state().book().ids_in_order();

    press(&mut h, Modifiers::NONE, Key::ArrowDown);
    assert_eq!(selected_in_order(&h), [order[0].clone()]);
    press(&mut h, Modifiers::NONE, Key::ArrowDown);
    assert_eq!(selected_in_order(&h), [order[1].clone()]);
    assert!(grid_focused(&h), "arrows keep the focus in the grid");
    press(&mut h, Modifiers::SHIFT, Key::ArrowDown);
    press(&mut h, Modifiers::SHIFT, Key::ArrowDown);
    assert_eq!(selected_in_order(&h), order[1..4].to_vec());
    press(&mut h, Modifiers::NONE, Key::Space);
    assert_eq!(
        selected_in_order(&h),
        order[1..3].to_vec(),
        "Space takes the current row out"
    );
    press(&mut h, Modifiers::NONE, Key::End);
    assert_eq!(selected_in_order(&h), [order[4].clone()]);
    press(&mut h, Modifiers::NONE, Key::Home);
    assert_eq!(selected_in_order(&h), [order[0].clone()]);
    press(&mut h, Modifiers::NONE, Key::PageDown);
    assert_eq!(
        selected_in_order(&h),
        [order[4].clone()],
        "a page down, held at the last row"
    );

    // Enter opens the details of the current row.
    press(&mut h, Modifiers::NONE, Key::Enter);
    h.get_by_label("Close");
    let shown = h.query_all_by_label_contains(&order[4]).count();
    assert!(shown >= 1, "the details show the current task");

    // Ctrl+C copies the selected ids (a real window sends it as a copy event).
    press(&mut h, Modifiers::SHIFT, Key::ArrowUp);
    h.event(egui::Event::Copy);
    h.step();
    let copied = ui::copied_text(&h).expect("something copied");
    assert_eq!(copied, format!("{}\n{}", order[3], order[4]));
    h.step();

    // Delete removes them, with Undo.
    press(&mut h, Modifiers::NONE, Key::Delete);
    assert_eq!(h.state().book().len(), 3);
    h.get_by_label("Undo").click();
    h.step();
    h.step();
    assert_eq!(h.state().book().len(), 5);
}

#[test]
fn keys_act_only_while_the_grid_has_focus() {
    let (runtime, _server, _ids, mut h) = window(3, &["succeeded"]);
    let _enter = runtime.enter();
    assert!(!grid_focused(&h));
    press(&mut h, Modifiers::NONE, Key::ArrowDown);
    press(&mut h, Modifiers::NONE, Key::Delete);
    assert!(h.state().selection().is_empty());
    assert_eq!(h.state().book().len(), 3);
    // F1 lists the shortcuts.
    press(&mut h, Modifiers::NONE, Key::F1);
    h.get_by_label("Keyboard shortcuts");
    h.get_by_label("Shift+Up / Shift+Down");
}

#[test]
fn a_screen_reader_reads_a_table_of_rows() {
    let (runtime, _server, ids, mut h) = window(3, &["succeeded", "running", "failed"]);
    let _enter = runtime.enter();
    h.step();
    let table = h.get_by_role(Role::Table);
    assert_eq!(table.accesskit_node().label().as_deref(), Some("Tasks"));
    assert_eq!(
        table.accesskit_node().data().row_count(),
        Some(4),
        "3 tasks + the header row"
    );
    assert_eq!(table.accesskit_node().data().column_count(), Some(10));

    let rows: Vec<String> = h
        .get_all_by_role(Role::Row)
        .filter_map(|r| r.accesskit_node().label())
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0], "Column headers");
    for id in &ids {
        let summary = rows
            .iter()
            .find(|r| r.contains(&format!("task {}", &id[..8])))
            .unwrap_or_else(|| panic!("a row for {id}: {rows:?}"));
        assert!(summary.contains("doubao-seedance"), "{summary}");
        assert!(summary.contains("prompt:"), "{summary}");
    }
    assert!(
        rows.iter().any(|r| r.starts_with("succeeded, task ")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.starts_with("running, task ")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("failed, task ") && r.contains("reason:")),
        "{rows:?}"
    );

    // Cells sit under their row.
    let row = h
        .get_all_by_role(Role::Row)
        .find(|r| {
            r.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("running"))
        })
        .expect("the running row");
    let cells = row
        .children()
        .filter(|c| c.accesskit_node().role() == Role::Cell)
        .count();
    assert_eq!(cells, 10);

    // Column headers keep their names and say how the grid is sorted.
    let headers: Vec<_> = h.get_all_by_role(Role::ColumnHeader).collect();
    assert_eq!(headers.len(), 10);
    let created = h.get_by_role_and_label(Role::ColumnHeader, "Sort by Created");
    assert_eq!(
        created.accesskit_node().sort_direction(),
        Some(SortDirection::Descending)
    );
    let status = h.get_by_role_and_label(Role::ColumnHeader, "Sort by Status");
    assert_eq!(status.accesskit_node().sort_direction(), None);

    // A disabled Open says why.
    let running = &ids[1];
    let name = format!("Open video for task {running}");
    let open = h.get_by_label(&name);
    assert!(open.accesskit_node().is_disabled());
    assert_eq!(
        open.accesskit_node().description().as_deref(),
        Some("No video yet: the task is running")
    );
    // Labels that repeat across rows are found within their row.
    let in_row = row.query_all_by_label("Open").count();
    assert!(in_row <= 2);
    h.get_by_label("Sort by Status").click();
    h.step();
    h.step();
    let status = h.get_by_role_and_label(Role::ColumnHeader, "Sort by Status");
    assert_eq!(
        status.accesskit_node().sort_direction(),
        Some(SortDirection::Ascending)
    );
}
