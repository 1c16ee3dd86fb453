//! One-shot background work for the window (keyring calls, a token test, launching a
//! browser) on the tokio runtime through poll-promise. Each job asks for a repaint when it
//! finishes, because a finished promise does not wake egui by itself.

use poll_promise::Promise;

pub fn blocking<T: Send + 'static>(
    ctx: &egui::Context,
    work: impl FnOnce() -> T + Send + 'static,
) -> Promise<T> {
    let ctx = ctx.clone();
    Promise::spawn_blocking(move || {
        let result = work();
        ctx.request_repaint();
        result
    })
}

pub fn future<T: Send + 'static>(
    ctx: &egui::Context,
    work: impl Future<Output = T> + Send + 'static,
) -> Promise<T> {
    let ctx = ctx.clone();
    Promise::spawn_async(async move {
        let result = work.await;
        ctx.request_repaint();
        result
    })
}

/// Takes the value of a finished promise, leaving `None` in the slot.
pub fn take_ready<T: Send + 'static>(slot: &mut Option<Promise<T>>) -> Option<T> {
    let promise = slot.take()?;
    match promise.try_take() {
        Ok(value) => Some(value),
        Err(pending) => {
            *slot = Some(pending);
            None
        }
    }
}
