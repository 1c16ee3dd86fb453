//! Posters and "continue from the last frame": the window's side of `media`.

use super::SeedanceApp;

impl SeedanceApp {
    /// Continue…: a new generation from this task's last frame.
    pub(super) fn continue_from(&mut self, id: &str) {
        self.generate_again(&[id.to_owned()]);
    }
}
