//! One frame of the gallery, headless (layout + tessellation, no GPU), with 10 000 tasks
//! whose posters are all loaded; and the poster textures alive while the whole gallery of
//! 10 000 posters is scrolled through with the window's `PosterBoard`. Goals: ≤ 4 ms
//! median frame, ≤ 256 MB of poster textures. Run: `cargo bench --bench gallery_frame`.

#[path = "common/frames.rs"]
mod frames;

use frames::{book, median, ms};
use seedance_tasks::gui::gallery::{self, Poster};
use seedance_tasks::gui::posters::TEXTURE_BUDGET;
use seedance_tasks::gui::{PosterBoard, Selection};
use std::time::Instant;

const SCREEN: egui::Vec2 = egui::vec2(1280.0, 760.0);

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, SCREEN)),
        ..Default::default()
    }
}

/// A poster as the cache holds one: 320 × 180 (a 16:9 video shrunk to the poster size).
fn poster_image(i: usize) -> egui::ColorImage {
    let shade = (i % 200) as u8;
    egui::ColorImage::new(
        [320, 180],
        vec![egui::Color32::from_rgb(shade, 90, 160); 320 * 180],
    )
}

/// Bytes of all textures alive in `ctx` but the font atlas.
fn texture_bytes(ctx: &egui::Context) -> usize {
    let manager = ctx.tex_manager();
    let manager = manager.read();
    manager
        .allocated()
        .filter(|(id, _)| **id != egui::TextureId::default())
        .map(|(_, meta)| meta.bytes_used())
        .sum()
}

/// Frame time with every card's poster ready (a few shared textures: the frame's cost is
/// the same whichever texture a card shows).
fn frames(n: usize, screen_reader: bool) {
    let mut book = book(n);
    let ctx = egui::Context::default();
    if screen_reader {
        ctx.enable_accesskit();
    }
    let textures: Vec<egui::TextureHandle> = (0..8)
        .map(|i| {
            ctx.load_texture(
                format!("p{i}"),
                poster_image(i * 25),
                egui::TextureOptions::LINEAR,
            )
        })
        .collect();
    let selection = Selection::default();
    let mut times = Vec::new();
    for i in 0..60 {
        let start = Instant::now();
        let output = ctx.run_ui(input(), |ui| {
            book.refresh();
            egui::CentralPanel::default().show(ui, |ui| {
                let mut k = 0;
                let mut poster = |_: &seedance_tasks::task::TaskEntry| {
                    k += 1;
                    Poster::Ready(egui::load::SizedTexture::from_handle(
                        &textures[k % textures.len()],
                    ))
                };
                let library = |_: &seedance_tasks::task::TaskEntry| Some("saved".to_owned());
                let view = gallery::GalleryView {
                    selection: &selection,
                    scroll_to: None,
                    poster: &mut poster,
                    library: &library,
                };
                gallery::show(ui, &book, view);
            });
        });
        let _meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        if i >= 10 {
            times.push(start.elapsed());
        }
    }
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "gallery frame, {n} tasks{}: median {:.2} ms, max {:.2} ms (goal ≤ 4 ms median)",
        if screen_reader { ", AccessKit on" } else { "" },
        ms(median(times)),
        ms(max)
    );
}

/// Scrolls from the first card to the last, three lines a frame (a screen shows about
/// three and a half), loading every poster asked for at once, as the poster service
/// would; records the textures alive after each frame.
fn scroll_through(n: usize) {
    let mut book = book(n);
    book.refresh();
    let ctx = egui::Context::default();
    let mut board = PosterBoard::new(TEXTURE_BUDGET);
    for id in book.entries().iter().map(|e| e.id.clone()) {
        board.made(
            &id,
            Ok(std::path::PathBuf::from(format!("/posters/{id}.png"))),
        );
    }
    let selection = Selection::default();
    let columns = gallery::columns_for(SCREEN.x - 16.0);
    let (mut most_textures, mut most_bytes, mut loaded) = (0, 0, 0usize);
    let mut at = 0;
    let start = Instant::now();
    while at < n + 3 * columns {
        let output = ctx.run_ui(input(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                let mut poster = |e: &seedance_tasks::task::TaskEntry| board.poster(&e.id);
                let library = |_: &seedance_tasks::task::TaskEntry| None;
                let view = gallery::GalleryView {
                    selection: &selection,
                    scroll_to: Some(at.min(n - 1)),
                    poster: &mut poster,
                    library: &library,
                };
                gallery::show(ui, &book, view);
            });
        });
        drop(output);
        for (i, (id, _)) in board.take_wanted().into_iter().enumerate() {
            board.loaded(&ctx, &id, Ok(poster_image(i)));
            loaded += 1;
        }
        most_textures = most_textures.max(board.textures());
        most_bytes = most_bytes.max(texture_bytes(&ctx));
        at += 3 * columns;
    }
    println!(
        "gallery scrolled through {n} posters in {:.1} s: {loaded} textures loaded, at most {most_textures} alive \
         (budget {TEXTURE_BUDGET}), at most {:.1} MB of poster textures (goal ≤ 256 MB; \
         a 320 × 320 worst case would be {:.1} MB)",
        start.elapsed().as_secs_f64(),
        most_bytes as f64 / 1e6,
        (TEXTURE_BUDGET * 320 * 320 * 4) as f64 / 1e6
    );
    assert!(
        most_textures <= TEXTURE_BUDGET,
        "more textures than the budget"
    );
    assert!(loaded >= n, "every poster was loaded at least once");
}

fn main() {
    frames(10_000, false);
    frames(10_000, true);
    frames(100_000, false);
    scroll_through(10_000);
}
