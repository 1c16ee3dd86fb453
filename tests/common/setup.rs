//! The window tests' common start: a runtime, the loopback API stand-in and a recording
//! opener, and the harness of the whole app in a window of a given size. Each test crate
//! adds its own `options` on top (an `impl Setup` block beside its tests).
#![allow(dead_code)]

use crate::common::TestServer;
use crate::ui;
use egui_kittest::Harness;
use seedance_tasks::gui::{GuiOptions, RecordingOpener, SeedanceApp};

pub struct Setup {
    pub runtime: tokio::runtime::Runtime,
    pub server: TestServer,
    pub opener: RecordingOpener,
    size: [f32; 2],
}

impl Setup {
    pub fn new(size: [f32; 2]) -> Self {
        let runtime = ui::runtime();
        let server = runtime.block_on(TestServer::start());
        Self {
            runtime,
            server,
            opener: RecordingOpener::default(),
            size,
        }
    }

    /// `ui::options` against this server, with `token` and this opener.
    pub fn base_options(&self, token: &str) -> GuiOptions {
        ui::options(&self.server.url(), token, &self.opener)
    }

    pub fn harness(&self, options: GuiOptions) -> Harness<'static, SeedanceApp> {
        ui::harness(&self.runtime, self.size, options)
    }
}
