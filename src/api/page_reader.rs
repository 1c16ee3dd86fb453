//! A listing page read item by item (`Page::from_text`): the page's text is walked without
//! building it, each of its first `limit` items is read alone into a record (see
//! `sparse`), the items past the limit are skipped unread, and an item that cannot be
//! read fails alone with its id (or is counted, when it has none).

use super::answer::item_text;
use super::{ApiError, ErrorKind, ListedTask, Page, TaskRecord, UnreadableTask};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

pub(super) struct Reader<'t> {
    limit: usize,
    token: &'t str,
    page: Page,
    seen_items: bool,
}

impl<'t> Reader<'t> {
    pub fn new(limit: usize, token: &'t str) -> Self {
        Self {
            limit,
            token,
            page: Page::default(),
            seen_items: false,
        }
    }

    pub fn finish(self) -> Result<Page, ApiError> {
        if !self.seen_items {
            return Err(ApiError::new(
                ErrorKind::Decode,
                "the listing answer has no `items` list",
            ));
        }
        Ok(self.page)
    }

    fn item(&mut self, index: usize, raw: &RawValue) {
        if index >= self.limit {
            self.page.beyond_limit += 1;
            return;
        }
        let token = (!self.token.is_empty()).then_some(self.token);
        match TaskRecord::read_json(raw, token) {
            Ok(Some((record, user_id))) => self.page.items.push(ListedTask { record, user_id }),
            Ok(None) => self.page.nameless += 1,
            // Read from the raw item, not the screened record: the token is hidden here
            // (an id can be anything a server writes, escaped or split too).
            Err(why) => match item_text(raw, "id").map(|id| screen(id, token)) {
                Some(id) => self.page.unreadable.push(UnreadableTask {
                    id,
                    user_id: item_text(raw, "user_id").map(|u| screen(u, token)),
                    error: ApiError::new(
                        ErrorKind::Decode,
                        format!("the API's record could not be read: {why}"),
                    ),
                }),
                None => self.page.nameless += 1,
            },
        }
    }
}

impl<'de> Visitor<'de> for &mut Reader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the listing answer, a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "items" => {
                    self.seen_items = true;
                    map.next_value_seed(Items(&mut *self))?;
                }
                "count" => self.page.count = map.next_value::<Count>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `items`: a list.
struct Items<'a, 't>(&'a mut Reader<'t>);

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`items` of the listing answer as a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            if index >= self.0.limit {
                // Past the limit nothing is built, not even an item's text.
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
                self.0.page.beyond_limit += 1;
            } else {
                let Some(raw) = seq.next_element::<&'de RawValue>()? else {
                    break;
                };
                self.0.item(index, raw);
            }
            index += 1;
        }
        Ok(())
    }
}

/// `count` when it is a whole number (anything else reads as no total).
struct Count(Option<u64>);

impl<'de> de::Deserialize<'de> for Count {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(d)?;
        Ok(Self(raw.get().parse().ok()))
    }
}
/// `text` with the token hidden, when there is one.
fn screen(text: String, token: Option<&str>) -> String {
    token
        .and_then(|token| crate::text::redacted_if_held(&text, token))
        .unwrap_or(text)
}
