//! Reading a variable's value: a boolean, an integer, a floating point
//! number or a string, exactly as the untagged enum reads it, by the kind
//! of value given rather than by trying each kind in turn.
//!
//! Trying them in turn made an error, message and all, for each kind a
//! value is not: three for every string, a fifth of the time it took to
//! read a 100,000-room inventory.

use super::model::VarValue;
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The error the untagged enum gives for a value of no kind it reads.
const NO_VARIANT: &str = "data did not match any variant of untagged enum VarValue";

impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(VarValueVisitor)
    }
}

struct VarValueVisitor;

impl<'de> Visitor<'de> for VarValueVisitor {
    type Value = VarValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<VarValue, E> {
        Ok(VarValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<VarValue, E> {
        Ok(VarValue::Int(v))
    }

    /// Beyond `i64`, a float, as the untagged enum has it.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<VarValue, E> {
        Ok(i64::try_from(v).map_or(VarValue::Float(v as f64), VarValue::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<VarValue, E> {
        Ok(VarValue::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<VarValue, E> {
        Ok(VarValue::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<VarValue, E> {
        Ok(VarValue::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<VarValue, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(VarValue::String(s.to_string())),
            Err(_) => Err(E::custom(NO_VARIANT)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<VarValue, E> {
        Err(E::custom(NO_VARIANT))
    }

    fn visit_none<E: de::Error>(self) -> Result<VarValue, E> {
        Err(E::custom(NO_VARIANT))
    }

    fn visit_some<D: Deserializer<'de>>(self, _: D) -> Result<VarValue, D::Error> {
        Err(de::Error::custom(NO_VARIANT))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<VarValue, D::Error> {
        Err(de::Error::custom(NO_VARIANT))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<VarValue, A::Error> {
        Err(de::Error::custom(NO_VARIANT))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<VarValue, A::Error> {
        Err(de::Error::custom(NO_VARIANT))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<VarValue, A::Error> {
        Err(de::Error::custom(NO_VARIANT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What `VarValue` was: the derived untagged enum (of the same name,
    /// which its error message gives).
    mod derived {
        #[derive(Debug, serde::Deserialize)]
        #[serde(untagged)]
        pub enum VarValue {
            Bool(bool),
            Int(i64),
            Float(f64),
            String(String),
        }
    }
    use derived::VarValue as Untagged;

    fn same(u: Untagged) -> VarValue {
        match u {
            Untagged::Bool(b) => VarValue::Bool(b),
            Untagged::Int(i) => VarValue::Int(i),
            Untagged::Float(f) => VarValue::Float(f),
            Untagged::String(s) => VarValue::String(s),
        }
    }

    #[test]
    fn reads_every_value_as_the_untagged_enum_did() {
        let values = [
            json!(true),
            json!(0),
            json!(-7),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1.5),
            json!(-0.0),
            json!("de"),
            json!(""),
            json!(null),
            json!([1]),
            json!({"a": 1}),
        ];
        for v in values {
            let old = Untagged::deserialize(&v)
                .map(same)
                .map_err(|e| e.to_string());
            let new = VarValue::deserialize(&v).map_err(|e| e.to_string());
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "{v}");
            let yaml = serde_yaml::to_string(&v).unwrap();
            let old: Result<VarValue, String> = serde_yaml::from_str::<Untagged>(&yaml)
                .map(same)
                .map_err(|e| e.to_string());
            let new = serde_yaml::from_str::<VarValue>(&yaml).map_err(|e| e.to_string());
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "{yaml}");
        }
    }
}
