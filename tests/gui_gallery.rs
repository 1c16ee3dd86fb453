//! The gallery: cards for the shown tasks, a list of list items for a screen reader, the
//! grid's keys in two dimensions, and the grid's filters and search.

mod common;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, record};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use std::time::Duration;
use ui::{all_answered, step_until};

type Gallery = (
    tokio::runtime::Runtime,
    TestServer,
    Vec<String>,
    Harness<'static, SeedanceApp>,
);

fn gallery(n: usize, statuses: &[&str], size: [f32; 2]) -> Gallery {
    gallery_with(n, statuses, size, &RecordingOpener::default(), |_| {})
}

/// The gallery of `n` tasks answered by a loopback server, each record passed through
/// `edit` before it is served; `opener` records what the window opens.
fn gallery_with(
    n: usize,
    statuses: &[&str],
    size: [f32; 2],
    opener: &RecordingOpener,
    edit: impl Fn(&mut serde_json::Value),
) -> Gallery {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let ids = make_ids(n);
    for (i, id) in ids.iter().enumerate() {
        let mut r = record(id, statuses[i % statuses.len()]);
        edit(&mut r);
        server.insert(r);
    }
    let mut options = ui::options(&server.url(), "gallery-token", opener);
    options.initial_ids = ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    let mut h = ui::harness(&runtime, size, options);
    {
        let _enter = runtime.enter();
        step_until(&mut h, "answers", all_answered);
        h.get_by_label("Gallery").click();
        h.step();
        h.step();
    }
    (runtime, server, ids, h)
}

fn press(h: &mut Harness<'_, SeedanceApp>, modifiers: Modifiers, key: Key) {
    h.key_press_modifiers(modifiers, key);
    h.step();
    h.step();
}

fn card_labels(h: &Harness<'_, SeedanceApp>) -> Vec<String> {
    h.get_all_by_role(Role::ListItem)
        .filter_map(|n| n.accesskit_node().label())
        .collect()
}

fn gallery_focused(h: &Harness<'_, SeedanceApp>) -> bool {
    h.query_by_role(Role::List)
        .is_some_and(|t| t.accesskit_node().is_focused())
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
fn cards_are_list_items_named_like_grid_rows() {
    let (runtime, _server, ids, h) =
        gallery(3, &["succeeded", "running", "failed"], [1280.0, 760.0]);
    let _enter = runtime.enter();
    assert!(
        h.state().prefs().gallery,
        "the toggle is remembered in the prefs"
    );
    assert!(h.query_by_role(Role::Table).is_none(), "the grid makes way");
    let list = h.get_by_role(Role::List);
    assert_eq!(list.accesskit_node().label().as_deref(), Some("Tasks"));
    let labels = card_labels(&h);
    assert_eq!(labels.len(), 3, "{labels:?}");
    for id in &ids {
        let card = labels
            .iter()
            .find(|l| l.contains(&format!("task {}", &id[..8])))
            .unwrap_or_else(|| panic!("a card for {id}: {labels:?}"));
        assert!(card.contains("prompt: prompt of"), "{card}");
    }
    assert!(labels.iter().any(|l| l.starts_with("succeeded, task ")));
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("failed, task ") && l.contains("reason:"))
    );
    // Each card says where it is in the list.
    let positions: Vec<_> = h
        .get_all_by_role(Role::ListItem)
        .map(|n| n.accesskit_node().data().position_in_set())
        .collect();
    assert_eq!(positions, [Some(1), Some(2), Some(3)]);
    // Only a succeeded task can be continued.
    let continues = h.query_all_by_label_contains("Continue from task").count();
    assert_eq!(continues, 1);
}

#[test]
fn at_the_default_size_at_least_ten_cards_are_whole_on_screen() {
    let (runtime, _server, _ids, mut h) = gallery(60, &["succeeded"], [1280.0, 760.0]);
    let _enter = runtime.enter();
    h.step();
    let list = h.get_by_role(Role::List);
    let area = list
        .accesskit_node()
        .bounding_box()
        .expect("the list's bounds");
    let whole = h
        .get_all_by_role(Role::ListItem)
        .filter_map(|n| n.accesskit_node().bounding_box())
        .filter(|b| b.y0 >= area.y0 - 0.5 && b.y1 <= area.y1 + 0.5 && b.x1 <= area.x1 + 0.5)
        .count();
    assert!(whole >= 10, "{whole} whole cards");
    // Only the cards in view are laid out (and in the accessibility tree).
    let laid_out = h.get_all_by_role(Role::ListItem).count();
    assert!(laid_out < 60, "{laid_out} cards laid out of 60");
}

#[test]
fn the_gallery_is_driven_by_arrows_in_two_dimensions() {
    let (runtime, _server, _ids, mut h) = gallery(12, &["succeeded", "failed"], [1280.0, 760.0]);
    let _enter = runtime.enter();
    for _ in 0..40 {
        if gallery_focused(&h) {
            break;
        }
        press(&mut h, Modifiers::NONE, Key::Tab);
    }
    assert!(gallery_focused(&h), "Tab reaches the gallery");
    let order = h.state().book().ids_in_order();
    // Cards per line, read off the screen: the cards whose top is the first card's.
    let tops: Vec<f64> = h
        .get_all_by_role(Role::ListItem)
        .filter_map(|n| n.accesskit_node().bounding_box().map(|b| b.y0))
        .collect();
    let per_line = tops.iter().filter(|t| (**t - tops[0]).abs() < 0.5).count();
    assert!(per_line >= 2, "{per_line} cards a line");

    press(&mut h, Modifiers::NONE, Key::ArrowRight);
    assert_eq!(selected_in_order(&h), [order[0].clone()]);
    press(&mut h, Modifiers::NONE, Key::ArrowRight);
    assert_eq!(selected_in_order(&h), [order[1].clone()]);
    // The details opened beside the gallery: the lines may have grown shorter.
    h.step();
    let tops: Vec<f64> = h
        .get_all_by_role(Role::ListItem)
        .filter_map(|n| n.accesskit_node().bounding_box().map(|b| b.y0))
        .collect();
    let per_line = tops.iter().filter(|t| (**t - tops[0]).abs() < 0.5).count();
    press(&mut h, Modifiers::NONE, Key::ArrowDown);
    assert_eq!(
        selected_in_order(&h),
        [order[1 + per_line].clone()],
        "Down moves a line"
    );
    press(&mut h, Modifiers::NONE, Key::ArrowLeft);
    assert_eq!(selected_in_order(&h), [order[per_line].clone()]);
    press(&mut h, Modifiers::SHIFT, Key::ArrowRight);
    assert_eq!(
        selected_in_order(&h),
        order[per_line..per_line + 2].to_vec(),
        "Shift extends"
    );
    assert!(gallery_focused(&h), "arrows keep the focus in the gallery");
    press(&mut h, Modifiers::NONE, Key::End);
    assert_eq!(selected_in_order(&h), [order[11].clone()]);
    press(&mut h, Modifiers::NONE, Key::Enter);
    h.get_by_label("Close");
}

#[test]
fn search_and_filters_are_the_grids() {
    let (runtime, _server, ids, mut h) = gallery(6, &["succeeded", "failed"], [1280.0, 760.0]);
    let _enter = runtime.enter();
    assert_eq!(card_labels(&h).len(), 6);
    // The status toggle hides the failed ones in the gallery too.
    h.get_by_label_contains("failed 3").click();
    h.step();
    h.step();
    let labels = card_labels(&h);
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(
        labels.iter().all(|l| l.starts_with("succeeded")),
        "{labels:?}"
    );
    // The search box narrows it to one.
    h.get_by_label("Search:").click();
    h.step();
    h.get_by_label("Search:").type_text(&ids[0]);
    h.step();
    h.step();
    let labels = card_labels(&h);
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert!(labels[0].contains(&format!("task {}", &ids[0][..8])));
    // Back to the grid: the same one row.
    h.get_by_label("Gallery").click();
    h.step();
    h.step();
    assert!(h.query_by_role(Role::List).is_none());
    assert_eq!(h.state().book().shown(), 1);
}

fn card<'h>(h: &'h Harness<'_, SeedanceApp>, id: &str) -> egui_kittest::Node<'h> {
    let needle = format!("task {}", &id[..8]);
    h.get_all_by_role(Role::ListItem)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains(&needle))
        })
        .unwrap_or_else(|| panic!("no card for {id}"))
}

fn opened(opener: &RecordingOpener) -> Vec<String> {
    opener.opened.lock().expect("lock").clone()
}

#[test]
fn cards_answer_clicks_o_and_enter_like_grid_rows() {
    let opener = RecordingOpener::default();
    let (runtime, _server, _ids, mut h) =
        gallery_with(6, &["succeeded"], [1280.0, 760.0], &opener, |_| {});
    let _enter = runtime.enter();
    let order = h.state().book().ids_in_order();

    card(&h, &order[0]).click();
    h.step();
    h.step();
    assert_eq!(selected_in_order(&h), [order[0].clone()], "a click selects");
    assert!(
        gallery_focused(&h),
        "a click puts the keyboard on the gallery"
    );
    card(&h, &order[2]).click_modifiers(Modifiers::COMMAND);
    h.step();
    h.step();
    assert_eq!(
        selected_in_order(&h),
        [order[0].clone(), order[2].clone()],
        "Ctrl adds"
    );
    card(&h, &order[4]).click_modifiers(Modifiers::SHIFT);
    h.step();
    h.step();
    assert_eq!(
        selected_in_order(&h),
        order[2..=4].to_vec(),
        "Shift selects from the last clicked card"
    );
    assert!(opened(&opener).is_empty(), "clicks open nothing");

    // O plays the current card's video.
    press(&mut h, Modifiers::NONE, Key::O);
    ui::step_until(&mut h, "O opened", |_| !opened(&opener).is_empty());
    assert_eq!(
        opened(&opener),
        [format!("https://cdn.example/{}.mp4", order[4])]
    );

    // Enter opens the details of the current card after they were closed.
    card(&h, &order[3]).click();
    h.step();
    h.step();
    if h.query_by_label("Close").is_some() {
        h.get_by_label("Close").click();
        h.step();
        h.step();
    }
    assert!(
        h.query_by_label("Close").is_none(),
        "the details are closed"
    );
    for _ in 0..40 {
        if gallery_focused(&h) {
            break;
        }
        press(&mut h, Modifiers::NONE, Key::Tab);
    }
    assert!(gallery_focused(&h), "Tab is back on the gallery");
    press(&mut h, Modifiers::NONE, Key::Enter);
    h.get_by_label("Close");
    assert_eq!(h.state().selection().current(), Some(order[3].as_str()));
    assert!(
        h.query_all_by_label_contains(order[3].as_str())
            .next()
            .is_some(),
        "the details show the card's task"
    );
}

#[test]
fn the_sort_is_the_grids() {
    let (runtime, _server, _ids, mut h) =
        gallery(6, &["succeeded", "failed", "running"], [1280.0, 760.0]);
    let _enter = runtime.enter();
    let shown_order = |h: &Harness<'_, SeedanceApp>| -> Vec<String> {
        let order = h.state().book().ids_in_order();
        let labels = card_labels(h);
        let mut positions: Vec<usize> = labels
            .iter()
            .map(|l| {
                order
                    .iter()
                    .position(|id| l.contains(&format!("task {}", &id[..8])))
                    .expect("a card of a shown task")
            })
            .collect();
        let cards = positions.clone();
        positions.sort_unstable();
        assert_eq!(cards, positions, "the cards stand in the book's order");
        order
    };
    let before = shown_order(&h);
    // Sort by status in the grid, come back: the gallery follows.
    h.get_by_label("Gallery").click();
    h.step();
    h.step();
    h.get_by_label("Sort by Status").click();
    h.step();
    h.step();
    h.get_by_label("Gallery").click();
    h.step();
    h.step();
    let by_status = shown_order(&h);
    assert_ne!(before, by_status, "the sort changed the order");
    let statuses: Vec<String> = card_labels(&h)
        .iter()
        .map(|l| l.split(',').next().unwrap_or_default().to_owned())
        .collect();
    let mut grouped = statuses.clone();
    grouped.dedup();
    assert_eq!(grouped.len(), 3, "one run per status: {statuses:?}");
    assert_eq!(
        h.state().book().sort().column,
        seedance_tasks::book::Column::Status
    );
}

#[test]
fn a_card_shows_the_model_the_duration_and_the_prompt_and_reads_like_its_row() {
    let long = format!(
        "一只猫在雨中的东京街头慢慢走过，霓虹灯倒映在水坑里。{}",
        "x".repeat(300)
    );
    let prompt = long.clone();
    let (runtime, _server, ids, mut h) = gallery_with(
        1,
        &["succeeded"],
        [1280.0, 760.0],
        &RecordingOpener::default(),
        move |r| {
            r["request"]["duration"] = serde_json::json!(5);
            r["request"]["content"][0]["text"] = serde_json::json!(prompt);
        },
    );
    let _enter = runtime.enter();
    let id = ids[0].clone();
    // The list holds the card.
    let list_id = h.get_by_role(Role::List).accesskit_node().id();
    let item = card(&h, &id);
    let parent = item.accesskit_node().parent().expect("a parent");
    let mut up = Some(parent);
    let mut inside = false;
    while let Some(node) = up {
        if node.id() == list_id {
            inside = true;
            break;
        }
        up = node.parent();
    }
    assert!(inside, "the card is inside the list");
    let card_sentence = item.accesskit_node().label().expect("a name");
    assert!(h.query_all_by_label("5 s").next().is_some(), "the duration");
    assert!(
        h.query_all_by_label("doubao-seedance-1-0-pro")
            .next()
            .is_some(),
        "the model, shortened"
    );
    // Two lines of the prompt on the card, the whole prompt on hover.
    card(&h, &id).hover();
    h.step();
    h.step();
    assert!(
        h.query_by_label(long.as_str()).is_some(),
        "the whole prompt in the hover"
    );
    // The grid's row for the task reads the same sentence.
    h.get_by_label("Gallery").click();
    h.step();
    h.step();
    let row = h
        .get_all_by_role(Role::Row)
        .filter_map(|n| n.accesskit_node().label())
        .find(|l| l.contains(&format!("task {}", &id[..8])))
        .expect("the grid's row");
    assert_eq!(row, card_sentence);
}
