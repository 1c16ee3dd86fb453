//! Row selection: click selects one, Ctrl/Cmd+click toggles, Shift+click selects the range
//! from the last clicked row in the current display order.

use std::collections::HashSet;

#[derive(Debug, Default, Clone)]
pub struct Selection {
    ids: HashSet<String>,
    /// The last plainly or Ctrl-clicked row: one end of a Shift range, and the row the
    /// details panel shows.
    anchor: Option<String>,
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

    /// The task the details panel shows.
    pub fn primary(&self) -> Option<&str> {
        self.anchor.as_deref().filter(|a| self.ids.contains(*a))
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
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.anchor = None;
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
