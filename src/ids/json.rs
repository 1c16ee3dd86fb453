//! The JSON strategy: a streaming serde visitor that reads only the values of task-id keys
//! and plain strings in arrays (see the module documentation of [`super`]).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::collect::Collector;
use super::keys::{KeyKind, json_key_kind};
use super::shape::{
    UUID_LEN, is_upstream_id, parse_uuid, plausible_truncation, uuid_prefix_len, uuid_shaped,
};
use super::{Extraction, RejectReason};

/// `None` when the text is not JSON, or is JSON in which nothing was found (the caller then
/// scans tokens, which finds ids mentioned in free-text fields).
pub(super) fn extract_json(text: &str) -> Option<Extraction> {
    let mut out = Collector::default();
    let mut de = serde_json::Deserializer::from_str(text);
    // serde_json's default recursion limit turns absurd nesting into an error, not a
    // stack overflow; we then fall back to token scanning.
    let walker = Walker {
        out: &mut out,
        ctx: Ctx::Other,
    };
    walker.deserialize(&mut de).ok()?;
    de.end().ok()?;
    if out.ids.is_empty() && out.rejected.is_empty() {
        return None;
    }
    Some(out.finish())
}

/// Where a JSON value sits, which decides what a string there means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Under a task-id key (possibly inside arrays): anything else is worth a complaint.
    IdValue,
    /// Element of an array elsewhere: taken if it is an id, silently ignored if it is not
    /// id-like (arrays of tags, URLs, prompts…).
    ArrayElem,
    /// Any other value: ignored unless it is an object or array to descend into.
    Other,
}

struct Walker<'a> {
    out: &'a mut Collector,
    ctx: Ctx,
}

impl Walker<'_> {
    fn child(&mut self, ctx: Ctx) -> Walker<'_> {
        Walker {
            out: &mut *self.out,
            ctx,
        }
    }

    fn string(self, s: &str) {
        let t = s.trim();
        let b = t.as_bytes();
        if let Some(value) = parse_uuid(b) {
            self.out.add_id(value, b);
            return;
        }
        let reason = if self.ctx == Ctx::Other || t.is_empty() {
            None
        } else if is_upstream_id(b) {
            Some(RejectReason::UpstreamId)
        } else if uuid_shaped(b) && b.len() == UUID_LEN {
            Some(RejectReason::NotHex)
        } else {
            let m = uuid_prefix_len(b);
            if (m == b.len() || m == UUID_LEN) && plausible_truncation(&b[..m]) {
                Some(RejectReason::TruncatedUuid)
            } else if self.ctx == Ctx::IdValue {
                Some(RejectReason::NotAnId)
            } else {
                None
            }
        };
        if let Some(reason) = reason {
            self.out.reject(t, reason);
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Ok(())
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        self.string(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let ctx = if self.ctx == Ctx::IdValue {
            Ctx::IdValue
        } else {
            Ctx::ArrayElem
        };
        while seq.next_element_seed(self.child(ctx))?.is_some() {}
        Ok(())
    }

    /// The generation response is `{"task_id": <uuid>, "data": [{"id": "cgt-…"}]}`: the
    /// upstream id sits one object deeper than the task id it belongs to. Complaining about
    /// it when the user pasted the whole response (and so the task id too) would be a false
    /// alarm, so when an object yielded a task id, upstream ids found in objects nested
    /// inside it are withdrawn. One found in the object itself (`{"ids": [<uuid>, "cgt-…"]}`)
    /// or in a response without any task id is still reported.
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.out.depth += 1;
        let depth = self.out.depth;
        let hits_before = self.out.hits;
        let rejected_before = self.out.rejected.len();
        while let Some(kind) = map.next_key_seed(KeySeed)? {
            match kind {
                KeyKind::Id => map.next_value_seed(self.child(Ctx::IdValue))?,
                KeyKind::Other => map.next_value_seed(self.child(Ctx::Other))?,
                KeyKind::Excluded => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let out = &mut *self.out;
        if out.hits > hits_before && out.rejected.len() > rejected_before {
            let mut i = rejected_before;
            while i < out.rejected.len() {
                if out.rejected[i].reason == RejectReason::UpstreamId
                    && out.rejected_depth[i] > depth
                {
                    let gone = out.rejected.remove(i);
                    out.rejected_depth.remove(i);
                    out.rejected_seen.remove(&gone.text);
                } else {
                    i += 1;
                }
            }
        }
        out.depth -= 1;
        Ok(())
    }
}

/// Classifies a map key without allocating it.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = KeyKind;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<KeyKind, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = KeyKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<KeyKind, E> {
        Ok(json_key_kind(key))
    }
}
