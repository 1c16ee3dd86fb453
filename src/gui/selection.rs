//! Row selection: click selects one, Ctrl/Cmd+click toggles, Shift+click selects the range
//! from the last clicked row in the current display order.

use std::collections::HashSet;

#[derive(Debug, Default, Clone)]
pub struct Selection {
    ids: HashSet<String>,
    /// The last plainly or Ctrl-clicked row: one end of a Shift range.
    anchor: Option<String>,
    /// The current row: the last one clicked or moved to (the other end of a range), the
    /// one the keyboard moves from and the details panel shows.
    cursor: Option<String>,
}

impl Selection {
    pub fn ids(&self) -> &HashSet<String> {
        &self.ids
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The task the details panel shows: the current row, when it is selected.
    pub fn primary(&self) -> Option<&str> {
        self.current().filter(|a| self.ids.contains(*a))
    }

    /// The current row (selected or not: Space may have just unselected it).
    pub fn current(&self) -> Option<&str> {
        self.cursor.as_deref().or(self.anchor.as_deref())
    }

    /// The keyboard moved to `id`: it alone is selected and becomes both ends of a range.
    pub fn set_current(&mut self, id: &str) {
        self.ids.clear();
        self.ids.insert(id.to_owned());
        self.anchor = Some(id.to_owned());
        self.cursor = Some(id.to_owned());
    }

    /// Shift+arrow: selects from the anchor to `id`, which becomes the current row.
    pub fn extend_to(&mut self, id: &str, order: &[String]) {
        if self.anchor.is_none() {
            self.set_current(id);
            return;
        }
        self.click(id, false, true, order);
        self.cursor = Some(id.to_owned());
    }

    /// Space: the current row in or out of the selection, the rest kept.
    pub fn toggle(&mut self, id: &str) {
        if !self.ids.remove(id) {
            self.ids.insert(id.to_owned());
        }
        self.anchor = Some(id.to_owned());
        self.cursor = Some(id.to_owned());
    }

    /// `order` is the ids in display order, needed for Shift ranges.
    pub fn click(&mut self, id: &str, ctrl: bool, shift: bool, order: &[String]) {
        if shift && let Some(anchor) = &self.anchor {
            let a = order.iter().position(|x| x == anchor);
            let b = order.iter().position(|x| x == id);
            if let (Some(a), Some(b)) = (a, b) {
                let (lo, hi) = (a.min(b), a.max(b));
                if !ctrl {
                    self.ids.clear();
                }
                self.ids.extend(order[lo..=hi].iter().cloned());
                self.cursor = Some(id.to_owned());
                return;
            }
        }
        if ctrl {
            if !self.ids.remove(id) {
                self.ids.insert(id.to_owned());
            }
        } else if self.ids.len() == 1 && self.ids.contains(id) {
            // A second click on the only selected row closes the details.
            self.ids.clear();
        } else {
            self.ids.clear();
            self.ids.insert(id.to_owned());
        }
        self.anchor = Some(id.to_owned());
        self.cursor = Some(id.to_owned());
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.anchor = None;
        self.cursor = None;
    }

    pub fn select_all(&mut self, order: &[String]) {
        self.ids = order.iter().cloned().collect();
    }

    /// Drops ids that are no longer in the book.
    pub fn retain(&mut self, exists: impl Fn(&str) -> bool) {
        self.ids.retain(|id| exists(id));
        if self.anchor.as_deref().is_some_and(|a| !exists(a)) {
            self.anchor = None;
        }
        if self.cursor.as_deref().is_some_and(|a| !exists(a)) {
            self.cursor = None;
        }
    }
}

#[cfg(test)]
mod keyboard_tests {
    use super::*;

    fn order() -> Vec<String> {
        ["a", "b", "c", "d"].map(String::from).to_vec()
    }

    #[test]
    fn moving_extending_and_toggling() {
        let o = order();
        let mut s = Selection::default();
        s.set_current("b");
        assert_eq!(s.primary(), Some("b"));
        s.extend_to("c", &o);
        s.extend_to("d", &o);
        assert_eq!(s.len(), 3);
        assert_eq!(s.current(), Some("d"));
        s.extend_to("a", &o);
        assert_eq!(s.len(), 2, "a..b: the anchor stays at b");
        s.toggle("d");
        assert!(s.contains("d") && s.len() == 3);
        s.toggle("d");
        assert!(!s.contains("d"));
        assert_eq!(s.current(), Some("d"));
        assert_eq!(s.primary(), None, "the current row is not selected");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Vec<String> {
        ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn click_ctrl_and_shift() {
        let o = order();
        let mut s = Selection::default();
        s.click("b", false, false, &o);
        assert_eq!(s.primary(), Some("b"));
        s.click("d", false, true, &o);
        let mut got: Vec<&String> = s.ids().iter().collect();
        got.sort();
        assert_eq!(got, ["b", "c", "d"]);
        s.click("a", true, false, &o);
        assert_eq!(s.len(), 4);
        s.click("c", true, false, &o);
        assert!(!s.contains("c") && s.len() == 3);
        s.click("e", false, false, &o);
        assert_eq!(s.len(), 1);
        s.click("e", false, false, &o);
        assert!(s.is_empty(), "second click deselects");
        s.select_all(&o);
        s.retain(|id| id != "a");
        assert_eq!(s.len(), 4);
    }
}
