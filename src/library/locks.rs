//! One writer per target file in the whole process. Two batches, or the library and a
//! **Download…**, can want the same file: they must not write one `.part` together. The
//! second waits for the first, then finds the file there or, if the first failed, tries
//! itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, PoisonError, Weak};

pub fn target_lock(target: &Path) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>;
    static LOCKS: LazyLock<std::sync::Mutex<Locks>> = LazyLock::new(Default::default);
    // Nothing panics while the map is held, and a poisoned map is still a valid map.
    let mut locks = LOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    // Entries whose writes are over are dropped here, so the map stays about as small as
    // the set of files in flight.
    locks.retain(|_, lock| lock.strong_count() > 0);
    if let Some(lock) = locks.get(target).and_then(Weak::upgrade) {
        return lock;
    }
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(target.to_path_buf(), Arc::downgrade(&lock));
    lock
}

/// `<name>.part` beside `target`.
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_sits_next_to_target() {
        assert_eq!(
            part_path(Path::new("/d/x.mp4")),
            PathBuf::from("/d/x.mp4.part")
        );
    }

    #[test]
    fn one_lock_per_target() {
        let a = target_lock(Path::new("/d/a"));
        let again = target_lock(Path::new("/d/a"));
        let b = target_lock(Path::new("/d/b"));
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &b));
    }
}
